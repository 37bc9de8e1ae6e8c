"""Fuzzing the front door: any scenario file and any --set give exit 0, or exit 2 with one line.

Hypothesis writes scenario files from a grammar of real keys, hostile keys,
YAML's special forms (tags, anchors, merge keys, base-60 and octal numbers,
flow collections) and arbitrary text, and ``--set`` options of any key and
value; ``validate`` must answer each with exit 0 and one line on stdout, or
exit 2 and one line on stderr, and raise nothing. Example counts are small so
the tier stays under a minute; the seed is fixed, so a failure repeats.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from sim.apps import cli

KEYS = ["name", "horizon_days", "warmup_days", "seed", "replications", "extends", "timeline",
        "marketing", "sales", "leads", "nurture", "finance", "incentives", "alignment",
        "reps", "annual_budget", "brand_share", "segments", "stages", "day", "set", "<<",
        "organic_leads_per_day", "deal_size_mean", "period_days", "share", "record_leads"]
DOTTED = ["sales.reps", "marketing.brand_share", "horizon_days", "sales.stages.0.duration.cv",
          "leads.segments.0.share", "timeline", "extends", "seed", "name", "a..b", "",
          "sales.stages.99.name", "incentives.sales_plan", "marketing.organic_leads_per_day"]
SCALARS = ["1:30", "010", "0x1F", "1e3", "1e309", "-0", ".nan", "-.inf", "~", "null", "yes",
           "on", "'quoted'", '"\\e[31m"', "!!python/object/apply:os.system ['true']",
           "!!binary aGVsbG8=", "&a 1", "*a", "*undefined", "[1, 2", "{a: 1}", "[]", "{}",
           "9" * 5000, "2024-01-01", "?", "- -", "|\n  text", ">-\n  folded", "!!set {a}",
           "&x [*x]", "!!timestamp 2024-01-01", "'\u202e'", "=1+2"]

scalar = st.one_of(st.sampled_from(SCALARS), st.integers(-10**6, 10**6).map(str),
                   st.floats(allow_nan=True, allow_infinity=True).map(repr),
                   st.text(max_size=12).map(lambda t: repr(t)))
key = st.one_of(st.sampled_from(KEYS), st.text(min_size=1, max_size=8))


def _yaml(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return scalar
    inner = _yaml(depth - 1)
    mapping = st.lists(st.tuples(key, inner), max_size=4).map(
        lambda items: "{" + ", ".join(f"{k!r}: {v}" for k, v in items) + "}")
    sequence = st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]")
    return st.one_of(scalar, mapping, sequence)


documents = st.one_of(
    st.lists(st.tuples(key, _yaml(3)), max_size=6).map(
        lambda items: "".join(f"{k!r}: {v}\n" for k, v in items)),
    st.text(max_size=200),
    st.binary(max_size=100).map(lambda b: b.decode("latin-1")),
)
set_options = st.lists(st.one_of(
    st.tuples(st.sampled_from(DOTTED), _yaml(2)).map(lambda kv: f"{kv[0]}={kv[1]}"),
    st.text(max_size=30)), max_size=3)


def validate(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def check(code: int, out: str, err: str) -> None:
    if code == 0:
        assert err == "" and out.count("\n") == 1 and "valid scenario" in out
    else:
        assert code == cli.EXIT_BAD_INPUT, (code, err)
        assert out == "" and err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in out + err
    assert not any(ord(ch) < 32 and ch != "\n" for ch in out + err)


@seed(17)
@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=documents, sets=set_options)
def test_any_file_and_set_options_give_exit_0_or_one_line(tmp_path: Path, text: str,
                                                          sets: list[str]) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    argv = ["validate", str(path)]
    for option in sets:
        argv += ["--set", option]
    check(*validate(argv))


@seed(18)
@settings(max_examples=100, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sets=set_options)
def test_any_set_options_on_a_valid_file_give_exit_0_or_one_line(tmp_path: Path,
                                                                 sets: list[str]) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("name: fuzz\nhorizon_days: 30\n")
    argv = ["validate", str(path)]
    for option in sets:
        argv += ["--set", option]
    check(*validate(argv))


@pytest.mark.parametrize("text", [
    "timeline:\n  - day: 1\n    set: {extends: x.yaml}\n",
    "<<: {name: merged}\n", "<<: *nothing\n", "name: &n x\nsales: {<<: *n}\n",
    "name: !!python/name:os.system\n", "? !!python/tuple [1, 2]\n: 3\n",
])
def test_known_hard_cases(tmp_path: Path, text: str) -> None:
    path = tmp_path / "hard.yaml"
    path.write_text(text)
    check(*validate(["validate", str(path)]))
