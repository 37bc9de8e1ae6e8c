"""Imports: every room of ``sim`` is in the layers contract, and imports stay cheap.

``lint-imports`` (in ``make test``) checks the arrows of the layers listed in
``pyproject.toml``; a subpackage left out of that list would be checked by
nothing, so the list is compared with the tree here. The cost checks import in
a fresh interpreter, since this test process has loaded everything already;
``benchmarks/imports.py`` measures the same and more.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROBE = "import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"


def loaded_after(module: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(module=module)],
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


@pytest.mark.parametrize(
    ("module", "absent"),
    [
        ("sim.model.funnel", ("pandas", "matplotlib", "scipy.stats", "dask", "streamlit")),
        ("sim.apps.cli", ("pandas", "matplotlib", "dask", "streamlit", "simpy")),
    ],
)
def test_importing_loads_no_heavy_package_it_does_not_use(
        module: str, absent: tuple[str, ...]) -> None:
    loaded = loaded_after(module)
    assert module in loaded  # the probe imported what it says
    assert sorted(name for name in absent if name in loaded) == []


def test_the_probe_sees_a_heavy_package_when_one_is_loaded() -> None:
    # The check above could pass by not seeing anything; here it must see pandas.
    assert "pandas" in loaded_after("pandas")


def contract_layers(optional: bool = True) -> list[str]:
    """The layers of the contract; a layer is a name, siblings joined by "|", an optional
    one in parentheses (left out with ``optional=False``)."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers"]
    pattern = r"\(?sim\.\w+\)?"
    return [name.strip("()") for layer in contract["layers"]
            for name in re.findall(pattern, layer) if optional or not name.startswith("(")]


def test_every_subpackage_is_a_layer_of_the_contract_and_a_real_package() -> None:
    rooms = sorted(p.name for p in (REPO / "sim").iterdir()
                   if p.is_dir() and any(p.glob("*.py")))
    listed = {name.removeprefix("sim.") for name in contract_layers()}
    assert [room for room in rooms if room not in listed] == []
    assert [name for name in contract_layers(optional=False)
            if name.removeprefix("sim.") not in rooms] == []
    # Without an __init__.py a folder is a namespace package, which the contract skips.
    assert [room for room in rooms if not (REPO / "sim" / room / "__init__.py").is_file()] == []


def test_the_architecture_document_names_every_layer() -> None:
    text = (REPO / "docs" / "ARCHITECTURE.md").read_text()
    assert [name for name in contract_layers() if f"{name.replace('.', '/')}" not in text] == []
