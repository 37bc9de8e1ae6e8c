"""Shared test set-up: each test is marked with its tier, taken from its folder.

Tiers (``pytest -m unit``, ``-m validation`` ...):

- ``unit``: one function or class against hand-computed values and validation errors;
- ``validation``: the engine against theory (Erlang C, Little's law, conservation),
  serial == parallel, published calibration figures;
- ``behaviour``: direction of effects and the stylized facts, with CIs over replications;
- ``regression``: stored results of fixed seeds that must not change;
- ``e2e``: the command line, reports, the workshop and every scenario file, end to end;
- ``reliability``: adversarial input, hostile names, killed processes, a gated server:
  exit 0 or one line, nothing outside the results folder, nothing lost (issue 17).

``make test-fast`` runs the unit tier and the validation tests marked ``smoke``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
TIERS = ("unit", "validation", "behaviour", "regression", "e2e", "reliability")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test with the tier its folder names."""
    for item in items:
        relative = Path(str(item.path)).resolve().relative_to(TESTS)
        tier = relative.parts[0]
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))
