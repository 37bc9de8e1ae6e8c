"""The metric catalog: one entry per metric the model produces, and nothing else."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
import textwrap
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from sim import simulate
from sim.report.text import LABEL_WIDTH
from sim.results import catalog
from sim.results.catalog import CATALOG, KINDS, SECTIONS, describe, direction, label, metric
from sim.results.metrics import METRIC_NAMES, compute_metrics
from sim.scenario.schema import Scenario

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def produced() -> dict[str, float]:
    """The metrics of one short replication, as the model computes them."""
    return simulate(Scenario(horizon_days=60), seed=3, replication=0).metrics


def computed_names() -> set[str]:
    """The names :func:`compute_metrics` computes, read from its ``out = {...}`` table.

    Its result keeps only the catalog's names, so a metric computed but missing
    from the catalog would vanish silently; the table itself shows it.
    """
    tree = ast.parse(textwrap.dedent(inspect.getsource(compute_metrics)))
    tables = [node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
              and [getattr(t, "id", None) for t in node.targets] == ["out"]
              and isinstance(node.value, ast.Dict)]
    assert len(tables) == 1, "compute_metrics: expected one `out = {...}` table"
    return {key.value for key in tables[0].keys
            if isinstance(key, ast.Constant) and isinstance(key.value, str)}


def test_every_metric_the_model_produces_is_in_the_catalog(produced) -> None:
    assert set(produced) - set(CATALOG) == set()
    assert computed_names() - set(CATALOG) == set()


def test_every_catalog_metric_is_produced_by_the_model(produced) -> None:
    assert set(CATALOG) - set(produced) == set()
    assert set(CATALOG) - computed_names() == set()


def test_results_keep_the_catalog_order(produced) -> None:
    assert tuple(produced) == catalog.names() == METRIC_NAMES


def test_labels_are_unique_and_fit_the_text_tables() -> None:
    labels = [m.label for m in CATALOG.values()]
    assert len(set(labels)) == len(labels)
    assert max(len(x) for x in labels) <= LABEL_WIDTH


def test_every_entry_is_complete() -> None:
    for name, m in CATALOG.items():
        assert m.name == name
        assert m.kind in KINDS, name
        assert m.direction in (-1, 0, 1), name
        assert m.section in SECTIONS, name
        assert m.unit and m.label, name
        # One sentence, short enough for a tooltip.
        assert m.description.endswith(".") and ". " not in m.description, name
        assert len(m.description) <= 120, name


def test_summary_sections_are_in_order_without_gaps() -> None:
    sections = catalog.summary_sections()
    assert tuple(s for s, _ in sections) == SECTIONS
    for section, rows in sections:
        assert rows, section
        assert [m.order for m in rows] == list(range(1, len(rows) + 1)), section
        assert all(m.section == section for m in rows)


def test_lookups() -> None:
    assert label("cost_per_deal") == "Sales cost per deal"
    assert metric("cost_per_deal").kind == "money"
    assert direction("revenue") == 1 and direction("total_cost") == -1
    assert direction("rep_utilization") == 0
    with pytest.raises(KeyError, match="did you mean 'revenue'"):
        metric("revenu")


def test_describe_gives_a_plain_stand_in_for_other_columns() -> None:
    assert describe("revenue") is CATALOG["revenue"]
    other = describe("brand_equity")
    assert (other.label, other.kind, other.direction) == ("Brand equity", "number", 0)


def test_the_catalog_is_read_only() -> None:
    with pytest.raises(TypeError):
        CATALOG["revenue"] = CATALOG["mqls"]  # type: ignore[index]
    with pytest.raises(FrozenInstanceError):
        CATALOG["revenue"].label = "Sales"  # type: ignore[misc]


def test_the_catalog_imports_neither_pandas_nor_matplotlib() -> None:
    code = ("import sys, sim.results.catalog; "
            "assert not {'pandas', 'numpy', 'matplotlib'} & set(sys.modules), "
            "sorted(m for m in sys.modules if m.split('.')[0] in ('pandas', 'numpy', "
            "'matplotlib'))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
