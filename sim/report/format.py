"""Numbers for people: the one formatter of the CLI tables, the HTML reports and the workshop.

Every number a person reads goes through :func:`fmt`, so a metric reads the
same in a terminal, a report and a workshop card. The kind of number (see
:data:`sim.results.catalog.KINDS`) is given directly or found from the
metric's catalog entry:

===========  ==========================================  ==================
kind         rule                                        examples
===========  ==========================================  ==================
count        whole, with thousands separators; one       ``12,345``, ``16``,
             decimal below 10 where it shows something   ``2.5``
money        three significant digits (no trailing       ``812 k``, ``1.5 M``
             zeros), in k, M or bn
percent      a share 0-1 as a percentage, one decimal    ``25.6%``
days         one decimal and the unit                    ``12.5 d``
hours        two decimals and the unit                   ``0.35 h``
number       four significant digits, whole from 1,000   ``0.4567``
===========  ==========================================  ==================

Undefined values (NaN, ``None``) are ``-``. Differences carry a sign
(``+1.2 M``, ``-3.5 d``, ``±0``), and a difference of two shares is in
percentage points (``+2.0 pp``). Axis ticks use a compact variant
(:func:`fmt_tick`).
"""

from __future__ import annotations

import math
import numbers
from typing import SupportsFloat

from sim.results.catalog import CATALOG, KINDS, Kind, describe

# Rounding of money: significant digits shown, and the scales named.
MONEY_DIGITS = 3
MONEY_SCALES: tuple[tuple[float, str], ...] = ((1e9, " bn"), (1e6, " M"), (1e3, " k"))
# Money below half a cent is shown as 0 (the rounding of the smallest coin).
_MONEY_ZERO = 0.005


def kind_of(kind: str | None = None, metric: str | None = None) -> Kind:
    """The kind of number to write: given directly, or read from a metric's catalog entry.

    Args:
        kind: one of :data:`sim.results.catalog.KINDS`, or a metric's name.
        metric: a metric's name (a column outside the catalog is a plain number).

    Raises:
        ValueError: neither or both are given, or ``kind`` is neither a kind nor a metric.
    """
    if metric is not None:
        if kind is not None:
            raise ValueError(f"give the kind of number or the metric, not both; got "
                             f"kind={kind!r} and metric={metric!r}")
        return describe(metric).kind
    if kind is None:
        raise ValueError("give the kind of number or the metric; got neither")
    for known in KINDS:
        if kind == known:
            return known
    if kind in CATALOG:
        return CATALOG[kind].kind
    raise ValueError(f"unknown kind of number {kind!r}; expected one of {', '.join(KINDS)} "
                     "or a metric's name")


def fmt(value: object, kind: str | None = None, *, metric: str | None = None,
        signed: bool = False) -> str:
    """A number as people read it: ``12,345``, ``812 k``, ``25.6%``, ``12.5 d``, ``-``.

    Args:
        value: the number: a float, an int or a NumPy or pandas scalar (NaN or
            ``None``: undefined, written ``-``).
        kind: the kind of number (see :data:`sim.results.catalog.KINDS`) or a metric's name.
        metric: a metric's name, instead of ``kind``.
        signed: a difference: always a sign (``+1.2 M``, ``-3.5 d``, ``±0``), and
            shares in percentage points (``+2.0 pp``).
    """
    how = kind_of(kind, metric)
    x = _number(value)
    if x is None:
        return "-"
    text, zero = _unsigned(abs(x), how), _unsigned(0.0, how)
    if signed and how == "percent":
        text, zero = text.removesuffix("%") + " pp", zero.removesuffix("%") + " pp"
    if text == zero:  # too small to show: no sign, and no direction for a difference
        return ("±" if signed else "") + zero
    if x < 0:
        return "-" + text
    return ("+" if signed else "") + text


def _number(value: object) -> float | None:
    """The value as a float; ``None`` when it is undefined (``None`` or NaN).

    Raises:
        TypeError: the value is not a number (a string, a list...).
    """
    if value is None:
        return None
    if not isinstance(value, SupportsFloat) or isinstance(value, str | bytes):
        raise TypeError(f"expected a number to format; got {type(value).__name__} {value!r}")
    x = float(value)
    return None if math.isnan(x) else x


def _unsigned(x: float, kind: Kind) -> str:
    """``x >= 0`` written as ``kind``; the sign is the caller's."""
    if math.isinf(x):
        return "inf"
    if kind == "count":
        # A mean of counts is whole for people ("16 deals", never "16.0"); below 10 a
        # decimal still tells 2.5 deals per replication from 2 or 3.
        return _fixed(x, 1 if round(x, 1) < 10 and not round(x, 1).is_integer() else 0)
    if kind == "money":
        return _money(x)
    if kind == "percent":
        return _fixed(100.0 * x, 1) + "%"
    if kind == "days":
        return _fixed(x, 1) + " d"
    if kind == "hours":
        return _fixed(x, 2) + " h"
    if round(x) >= 1000:
        return _fixed(x, 0)
    return _significant(x, 4)


def _fixed(x: float, decimals: int) -> str:
    # Adding 0.0 turns a rounded -0.0 into 0.0, so nothing prints as "-0.0".
    return f"{round(x, decimals) + 0.0:,.{decimals}f}"


def _money(x: float) -> str:
    if x < _MONEY_ZERO:
        return "0"
    # Round first, so 999.5 becomes 1 k rather than 1,000 of the smaller unit.
    rounded = float(f"{x:.{MONEY_DIGITS}g}")
    for size, suffix in MONEY_SCALES:
        if rounded >= size:
            return _significant(rounded / size) + suffix
    return _significant(rounded)


def _significant(x: float, digits: int = MONEY_DIGITS) -> str:
    """``x >= 0`` to ``digits`` significant digits, no exponent, no trailing zeros.

    A number with more whole digits than that keeps them all (``12,346``).
    """
    rounded = float(f"{x:.{digits}g}")
    if rounded == 0:
        return "0"
    if rounded >= 10 ** (digits - 1):
        return _fixed(x, 0)
    decimals = max(digits - 1 - math.floor(math.log10(rounded)), 0)
    text = f"{rounded:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_range(low: object, high: object, kind: str | None = None, *,
              metric: str | None = None, signed: bool = False, sep: str = " to ") -> str:
    """An interval, ``1.2 M to 1.8 M``; ``-`` when either end is undefined."""
    if _number(low) is None or _number(high) is None:
        return "-"
    return (f"{fmt(low, kind, metric=metric, signed=signed)}{sep}"
            f"{fmt(high, kind, metric=metric, signed=signed)}")


def fmt_ci(mean: object, low: object, high: object, kind: str | None = None, *,
           metric: str | None = None, signed: bool = False) -> str:
    """``"15.8 M (95% CI 15.2 M to 16.3 M)"``, or just the mean when the CI is undefined."""
    text = fmt(mean, kind, metric=metric, signed=signed)
    ci = fmt_range(low, high, kind, metric=metric, signed=signed)
    return text if ci == "-" else f"{text} (95% CI {ci})"


def fmt_relative(value: object) -> str:
    """A relative change, signed, in per cent of the reference: ``+12.5%``, ``-3.0%``."""
    x = _number(value)
    if x is None:
        return "-"
    text = _fixed(100.0 * abs(x), 1)
    if text == _fixed(0.0, 1):
        return "±" + text + "%"
    return ("+" if x > 0 else "-") + text + "%"


def fmt_tick(value: object, kind: str) -> str:
    """A compact axis tick: ``1.5 M``, ``250 k``, ``40%``, ``12 d``; empty when undefined."""
    how = kind_of(kind)
    x = _number(value)
    if x is None:
        return ""
    text = _tick(abs(x), how)
    return "-" + text if x < 0 and text != _tick(0.0, how) else text


def _tick(x: float, kind: Kind) -> str:
    """``x >= 0`` as a compact tick: three significant digits, no trailing zeros."""
    if kind == "money":
        return _money(x)
    if kind == "percent":
        return _significant(100.0 * x, 3) + "%"
    if kind == "count":
        return _fixed(x, 0) if x >= 10 or x.is_integer() else _significant(x, 2)
    return _significant(x, 3) + {"days": " d", "hours": " h"}.get(kind, "")


def fmt_hours_in_words(value: object) -> str:
    """A delay in hours in the unit people think in: ``19 minutes``, ``5.2 hours``, ``3.1 days``."""
    hours = _number(value)
    if hours is None:
        return "-"
    if hours < 1:
        return f"{hours * 60:.0f} minutes"
    if hours < 48:
        return f"{hours:.1f} hours"
    return f"{hours / 24:.1f} days"


def fmt_horizon(days: float, *, with_days: bool = False) -> str:
    """A horizon in words: ``2 years`` (``2 years (730 days)``) or ``150 days``."""
    years = days / 365.0
    plain = f"{_fixed(days, 0)} days"
    if years >= 1 and abs(years - round(years)) < 0.01:
        text = f"{round(years):d} year{'s' * (round(years) != 1)}"
        return f"{text} ({plain})" if with_days else text
    return plain


def fmt_param(value: object) -> str:
    """A parameter value as people write it: ``1,012,500``, ``0.25``, ``true``; never ``1e+06``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        x = float(value)
        if math.isnan(x):
            return "-"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        if x.is_integer() or abs(x) >= 1e5:
            return _fixed(x, 0)
        return f"{x:,.6g}"
    return str(value)


def in_sentence(label: str) -> str:
    """A label inside a sentence: first letter lower-cased unless it starts an acronym (ROI)."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]
