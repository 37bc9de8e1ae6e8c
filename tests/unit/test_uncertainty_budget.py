"""The budget constraint: read without eval, linear only, checked against the levers."""

from __future__ import annotations

import pytest

from sim import Scenario
from sim.experiments.budget import BudgetError, LinearConstraint, parse_budget
from sim.experiments.optimizer import Lever, check_budget

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("text", "terms", "constant", "comparison", "bound"), [
    ("marketing.annual_budget + sales.reps*100000 <= 3000000",
     ((1.0, "marketing.annual_budget"), (100000.0, "sales.reps")), 0.0, "<=", 3e6),
    ("100k * sales.reps + marketing.annual_budget - 50_000 <= 3M",
     ((100000.0, "sales.reps"), (1.0, "marketing.annual_budget")), -50000.0, "<=", 3e6),
    ("-a.b + 2*c.d + 0.5 c.d >= 1e3", ((-1.0, "a.b"), (2.5, "c.d")), 0.0, ">=", 1000.0),
    ("sales.stages.0.advance_probability*2 <= 1.5",
     ((2.0, "sales.stages.0.advance_probability"),), 0.0, "<=", 1.5),
    ("x <= 1.5bn", ((1.0, "x"),), 0.0, "<=", 1.5e9),
])
def test_linear_constraints_are_read(text: str, terms: tuple[tuple[float, str], ...],
                                     constant: float, comparison: str, bound: float) -> None:
    found = parse_budget(text)
    assert found.terms == terms
    assert found.constant == pytest.approx(constant)
    assert (found.comparison, found.bound) == (comparison, pytest.approx(bound))
    assert LinearConstraint.from_json(found.to_json()) == found


@pytest.mark.parametrize(("text", "message"), [
    ("a*b <= 3", "must be linear"),
    ("a + <= 3", "ends too early"),
    ("a <= b", "a number alone on the right"),
    ("a + 3", "expected one <= or >="),
    ("a <= 1 <= 2", "expected one <= or >="),
    ("__import__('os').system('true') <= 1", "unexpected"),
    ("a ; b <= 1", "unexpected ';'"),
    ("5 <= 7", "names no key"),
])
def test_anything_else_is_a_one_line_error(text: str, message: str) -> None:
    with pytest.raises(BudgetError, match=message) as info:
        parse_budget(text)
    assert str(info.value).startswith(f"--budget {text!r}") and "\n" not in str(info.value)


def test_slack_totals_and_extremes() -> None:
    budget = parse_budget("m + r*100000 <= 3000000")
    plan = {"m": 2_000_000.0, "r": 9}
    assert budget.total(plan) == 2_900_000.0
    assert budget.slack(plan) == 100_000.0 and budget.met(plan)
    assert not budget.met({"m": 2_500_000.0, "r": 6})
    assert budget.extremes({"m": (1e6, 3e6), "r": (6, 12)}) == (1.6e6, 4.2e6)
    assert parse_budget("m - r >= 2").slack({"m": 5, "r": 1}) == 2


def test_keys_that_are_not_levers_are_constants_and_impossible_budgets_are_refused() -> None:
    base = Scenario()
    levers = (Lever("marketing.annual_budget", 1e6, 3e6),)
    folded = check_budget(parse_budget("marketing.annual_budget + sales.reps*100000 <= 3M"),
                          levers, base)
    assert folded.terms == ((1.0, "marketing.annual_budget"),)
    assert folded.constant == 800_000.0  # eight reps in the scenario
    with pytest.raises(BudgetError, match="no plan within the --param ranges meets it: the "
                                          "least the left side can be is 1,800,000"):
        check_budget(parse_budget("marketing.annual_budget + sales.reps*100000 <= 1.5M"),
                     levers, base)
    with pytest.raises(BudgetError, match="names none of the --param keys"):
        check_budget(parse_budget("sales.reps*100000 <= 3M"), levers, base)
    with pytest.raises(BudgetError, match="did you mean"):
        check_budget(parse_budget("marketing.annual_budgt <= 3M"), levers, base)
