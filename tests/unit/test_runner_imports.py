"""The replication runner loads only what a run needs: no upper layer, no optional extra."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Modules the runner, the executors and the store must not load on import: the
# layers above the experiments, Dask (loaded by the Dask executor only), and the
# drawing and browser libraries of the report and the workshop.
FORBIDDEN = ("sim.report", "sim.studies", "sim.apps", "dask", "distributed", "matplotlib",
             "streamlit")


@pytest.mark.parametrize("module", ["sim.experiments.runner", "sim.experiments.executors",
                                    "sim.experiments.store", "sim.experiments.statistics",
                                    "sim.experiments.experiment"])
def test_importing_an_experiments_module_loads_no_upper_layer_or_extra(module: str) -> None:
    code = (f"import sys, {module}\n"
            f"print('\\n'.join(sorted(sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.split()
    assert module in loaded  # the check itself works
    leaked = [m for m in loaded if m.split(".")[0] in FORBIDDEN or
              any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert leaked == []
