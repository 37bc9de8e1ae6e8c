"""A linear budget constraint across levers, read from text without ``eval``.

``--budget "marketing.annual_budget + sales.reps*100000 <= 3000000"`` says the
plan's marketing budget plus its reps at 100,000 each may not exceed three
million. The text is a sum of terms, a comparison and a number:

    constraint := sum ("<=" | ">=") number
    sum        := ["-"] term (("+" | "-") term)*
    term       := number ["*"] key | key ["*" number] | number
    key        := a dotted scenario key (letters, digits, "_", "." and list indices)
    number     := 3000000, 3_000_000, 3e6, 2.5, and 3M, 250k, 1.5bn for millions,
                  thousands and billions

A small tokenizer and a recursive-descent reader build a
:class:`LinearConstraint`; nothing in the text is ever executed. A term whose key
is not a lever of the optimisation is a constant: its value in the base
scenario (e.g. ``sales.reps * sales.rep_annual_salary`` is not linear and is
refused, but ``sales.reps * 100000`` is).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sim.experiments.designs import ExperimentError

Comparison = Literal["<=", ">="]

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<number>(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?:bn|[kKmM](?![A-Za-z_]))?)
    | (?P<key>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
    | (?P<op><=|>=|[-+*])
    | (?P<bad>\S)
    )""", re.VERBOSE)
_SCALE = {"k": 1e3, "K": 1e3, "m": 1e6, "M": 1e6, "bn": 1e9}


class BudgetError(ExperimentError):
    """A budget constraint that cannot be read or met; the message is one line."""


@dataclass(frozen=True)
class LinearConstraint:
    """``sum(coefficient * key) + constant  (<= or >=)  bound``.

    Attributes:
        terms: ``(coefficient, dotted key)`` pairs, one per key.
        constant: the sum of the constant terms.
        comparison: ``"<="`` or ``">="``.
        bound: the right-hand side.
        text: the text it was read from.
    """

    terms: tuple[tuple[float, str], ...]
    constant: float
    comparison: Comparison
    bound: float
    text: str = ""

    @property
    def keys(self) -> list[str]:
        """The keys the constraint involves."""
        return [key for _, key in self.terms]

    def total(self, values: Mapping[str, float]) -> float:
        """The left-hand side for a plan's values."""
        return self.constant + sum(c * float(values[k]) for c, k in self.terms)

    def slack(self, values: Mapping[str, float]) -> float:
        """How far inside the constraint a plan is (negative: how far it breaks it)."""
        lhs = self.total(values)
        return self.bound - lhs if self.comparison == "<=" else lhs - self.bound

    def met(self, values: Mapping[str, float], tolerance: float = 1e-9) -> bool:
        """Whether a plan meets the constraint (up to a relative ``tolerance``)."""
        return self.slack(values) >= -tolerance * max(1.0, abs(self.bound))

    def with_constants(self, constants: Mapping[str, float]) -> LinearConstraint:
        """The constraint with the given keys' values folded into the constant."""
        terms = tuple((c, k) for c, k in self.terms if k not in constants)
        constant = self.constant + sum(c * float(constants[k]) for c, k in self.terms
                                       if k in constants)
        return LinearConstraint(terms, constant, self.comparison, self.bound, self.text)

    def extremes(self, box: Mapping[str, tuple[float, float]]) -> tuple[float, float]:
        """The least and the largest left-hand side over a box of lever ranges."""
        low = high = self.constant
        for c, k in self.terms:
            a, b = box[k]
            low += min(c * a, c * b)
            high += max(c * a, c * b)
        return low, high

    def describe(self) -> str:
        """The constraint as people write it: ``a.b + 100,000 x c.d <= 3,000,000``."""
        parts = []
        for i, (c, k) in enumerate(self.terms):
            sign = "-" if c < 0 else "+"
            size = abs(c)
            term = k if size == 1 else f"{number_text(size)} x {k}"
            parts.append(term if i == 0 and c > 0 else f"{sign} {term}" if i else f"-{term}")
        if self.constant:
            parts.append(f"{'-' if self.constant < 0 else '+'} {number_text(abs(self.constant))}")
        return f"{' '.join(parts)} {self.comparison} {number_text(self.bound)}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict."""
        return {"terms": [{"coefficient": c, "key": k} for c, k in self.terms],
                "constant": self.constant, "comparison": self.comparison,
                "bound": self.bound, "text": self.text}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LinearConstraint:
        """The inverse of :meth:`to_json`."""
        return cls(tuple((float(t["coefficient"]), str(t["key"])) for t in data["terms"]),
                   float(data["constant"]), data["comparison"], float(data["bound"]),
                   str(data.get("text", "")))


def number_text(x: float) -> str:
    """A number as people write it in a constraint: ``3,000,000``, ``0.25``."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.6g}"


def read_number(text: str, where: str) -> float:
    """A number as written in a constraint or target: ``3e6``, ``3_000_000``, ``3M``, ``250k``."""
    scale = 1.0
    for suffix in ("bn", "k", "K", "m", "M"):
        if text.endswith(suffix):
            scale, text = _SCALE[suffix], text[: -len(suffix)]
            break
    try:
        value = float(text.replace("_", "")) * scale
    except ValueError:
        raise BudgetError(f"{where}: cannot read the number {text!r}") from None
    if not math.isfinite(value):
        raise BudgetError(f"{where}: expected a finite number, got {text!r}")
    return value


def _tokens(text: str, where: str) -> list[tuple[str, str]]:
    out = []
    position = 0
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None or found.end() == position:
            break
        position = found.end()
        kind = found.lastgroup
        if kind is None:
            continue
        value = found.group(kind)
        if kind == "bad":
            raise BudgetError(f"{where}: unexpected {value!r}; expected keys, numbers, +, -, * "
                              "and one <= or >=")
        out.append((kind, value))
    return out


class _Reader:
    """A recursive-descent reader over the tokens (see the module grammar)."""

    def __init__(self, tokens: Sequence[tuple[str, str]], where: str) -> None:
        self.tokens = list(tokens)
        self.i = 0
        self.where = where

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise BudgetError(f"{self.where}: ends too early; expected e.g. "
                              "\"marketing.annual_budget + sales.reps*100000 <= 3000000\"")
        self.i += 1
        return token

    def term(self) -> tuple[float, str | None]:
        kind, value = self.take()
        if kind == "number":
            coefficient = read_number(value, self.where)
            following = self.peek()
            if following == ("op", "*"):
                self.take()
                kind, value = self.take()
                if kind != "key":
                    raise BudgetError(f"{self.where}: {number_text(coefficient)} * {value}: a "
                                      "product needs a number and one key")
                return coefficient, value
            if following is not None and following[0] == "key":  # "100000 sales.reps"
                return coefficient, self.take()[1]
            return coefficient, None
        if kind == "key":
            if self.peek() == ("op", "*"):
                self.take()
                other_kind, other = self.take()
                if other_kind != "number":
                    raise BudgetError(f"{self.where}: {value} * {other}: the constraint must "
                                      "be linear (a key times a number)")
                return read_number(other, self.where), value
            return 1.0, value
        raise BudgetError(f"{self.where}: unexpected {value!r}; expected a key or a number")

    def sum(self) -> tuple[dict[str, float], float]:
        coefficients: dict[str, float] = {}
        constant = 0.0
        sign = 1.0
        if self.peek() == ("op", "-"):
            self.take()
            sign = -1.0
        while True:
            coefficient, key = self.term()
            if key is None:
                constant += sign * coefficient
            else:
                coefficients[key] = coefficients.get(key, 0.0) + sign * coefficient
            following = self.peek()
            if following in (("op", "+"), ("op", "-")):
                self.take()
                sign = 1.0 if following == ("op", "+") else -1.0
                continue
            return coefficients, constant


def parse_budget(text: str, option: str = "--budget") -> LinearConstraint:
    """Read a linear constraint (see the module docstring) without executing anything.

    Raises:
        BudgetError: text that is not a linear constraint (one line).
    """
    where = f"{option} {text.strip()!r}"
    tokens = _tokens(text, where)
    comparisons = [i for i, (kind, value) in enumerate(tokens)
                   if kind == "op" and value in ("<=", ">=")]
    if len(comparisons) != 1:
        raise BudgetError(f"{where}: expected one <= or >=, e.g. "
                          "\"marketing.annual_budget + sales.reps*100000 <= 3000000\"")
    split = comparisons[0]
    left = _Reader(tokens[:split], where)
    coefficients, constant = left.sum()
    if left.peek() is not None:
        raise BudgetError(f"{where}: unexpected {left.peek()[1]!r} before "  # type: ignore[index]
                          f"{tokens[split][1]}")
    right = _Reader(tokens[split + 1:], where)
    right_terms, bound = right.sum()
    if right.peek() is not None or right_terms:
        raise BudgetError(f"{where}: expected a number alone on the right of "
                          f"{tokens[split][1]}")
    terms = tuple((c, k) for k, c in coefficients.items() if c != 0)
    if not terms:
        raise BudgetError(f"{where}: names no key")
    comparison: Comparison = "<=" if tokens[split][1] == "<=" else ">="
    return LinearConstraint(terms, constant, comparison, bound, text.strip())
