"""Importing the model loads what a run needs and nothing heavier.

Each check runs in a fresh interpreter: this process has loaded everything.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

# Heavy libraries a run of the model does not use: tables and figures belong to
# the layers above, scipy.stats to nothing (arrivals use scipy.special).
HEAVY = ("pandas", "matplotlib", "scipy.stats", "dask", "distributed", "streamlit")


def _loaded_by(module: str) -> list[str]:
    code = f"import sys, {module}\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert module in out  # the check itself works
    return out


@pytest.mark.parametrize("module", ["sim.model.funnel", "sim.model.arrivals",
                                    "sim.model.variates", "sim.model.records", "sim.model.luck"])
def test_the_model_loads_no_heavy_library(module: str) -> None:
    loaded = _loaded_by(module)
    assert [m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY)] == []


@pytest.mark.parametrize("module", ["sim.model.mechanisms", "sim.model.queueing"])
def test_pure_mechanisms_load_numpy_and_nothing_else_outside_the_standard_library(
        module: str) -> None:
    loaded = {m.split(".")[0] for m in _loaded_by(module)}
    third_party = loaded - set(sys.stdlib_module_names) - {"sim", "numpy"}
    # Interpreter start-up may load site hooks (editable installs): none of them a library.
    assert {m for m in third_party if not m.startswith("_")} == set()
    assert not {"scipy", "simpy", "pydantic", "yaml"} & loaded
