"""First-response delays read straight off an export's first-touch times.

The scenario states the delay from a rep taking a lead to its first
response by observable shares (``sales.response_within_1h``,
``sales.response_within_24h``), the mean of the responses after a day
(``sales.response_tail_mean_hours``, exponential beyond 24 h) and, under an
SLA, the share answered within the SLA's hours
(``alignment.levers.sla_compliance``). Each is a count or a mean of the
export's delays (first touch minus MQL time), so it is estimated directly:
shares with Wilson intervals, the tail mean with the exact interval of an
exponential mean. How responses spread inside a band
(``sales.response_band_shape``) is not observable in band counts and stays
at the base.

Under an SLA the export shows the managed delays: a share
(the compliance) within the SLA's hours, where responses brought inside mix
with those that came early anyway, so the unmanaged shares within an hour
and a day are not observable and stay at the base. Beyond the SLA's hours
responses keep their unmanaged distribution (``first_response_hours`` in
:mod:`sim.model.mechanisms`), so the tail mean is still read off the
delays beyond 24 h (or beyond the SLA's hours, if later: the exponential
tail forgets how long a response has waited).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from sim.calibration.estimates import Estimate, Fallback, wilson
from sim.calibration.tables import CrmTables
from sim.model.mechanisms import DAY_BAND_START_HOURS, FIRST_BAND_END_HOURS

WITHIN_1H = "sales.response_within_1h"
WITHIN_24H = "sales.response_within_24h"
TAIL_MEAN = "sales.response_tail_mean_hours"
BAND_SHAPE = "sales.response_band_shape"
COMPLIANCE = "alignment.levers.sla_compliance"


@dataclass
class ResponseFit:
    """Direct estimates of the first-response parameters, and how to draw them.

    Attributes:
        estimates: every estimated value with its interval.
        fallbacks: response values left at the base, with the reason.
        notes: what the estimates assumed, for people.
        counts: the counts behind each share (``path -> (hits, records)``).
        tail: records and summed excess hours behind the tail mean.
    """

    estimates: list[Estimate] = field(default_factory=list)
    fallbacks: list[Fallback] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    tail: tuple[int, float] | None = None

    @property
    def overrides(self) -> dict[str, float]:
        """The point estimates as scenario overrides."""
        return {e.path: e.value for e in self.estimates}

    def draw(self, rng: np.random.Generator) -> dict[str, Any]:
        """One draw of the estimates from their uncertainty (Jeffreys posteriors).

        The shares within 1 h and 24 h are drawn together (Dirichlet on the
        three band counts) so the first never exceeds the second.
        """
        out: dict[str, Any] = {}
        if WITHIN_24H in self.counts:
            k24, n = self.counts[WITHIN_24H]
            k1 = self.counts.get(WITHIN_1H, (0, n))[0]
            bands = rng.dirichlet(np.array([k1, k24 - k1, n - k24], dtype=float) + 0.5)
            if WITHIN_1H in self.counts:
                out[WITHIN_1H] = float(bands[0])
            out[WITHIN_24H] = float(bands[0] + bands[1])
        if COMPLIANCE in self.counts:
            hits, n = self.counts[COMPLIANCE]
            out[COMPLIANCE] = float(rng.beta(hits + 0.5, n - hits + 0.5))
        if self.tail is not None:
            count, excess = self.tail
            # The mean of ``count`` exponentials has excess_sum / Gamma(count) as its posterior.
            out[TAIL_MEAN] = DAY_BAND_START_HOURS + excess / float(rng.gamma(count))
        return out


def response_fit(tables: CrmTables, base: Any, lag_days: float = 30.0,
                 min_records: int = 10) -> ResponseFit:
    """Estimate the first-response parameters from an export's first-touch times.

    Args:
        tables: the export.
        base: the base scenario resolved (the plan in force on day 0): whether an
            SLA is in force, its hours, and the base values.
        lag_days: only MQLs at least this many days before the export day count,
            so that late responses still to come do not bias the shares (a
            response later than this is taken as never coming).
        min_records: fewest records a share or a mean rests on.
    """
    out = ResponseFit()
    levers = base.alignment.levers
    sla = levers.sla and levers.sla_hours is not None
    paths = [WITHIN_1H, WITHIN_24H, TAIL_MEAN] + ([COMPLIANCE] if sla else [])
    out.fallbacks.append(Fallback(BAND_SHAPE, "how responses spread inside a band (first "
                                  "hour, 1-24 h, the SLA's hours) is an assumption: "
                                  "band counts cannot show it"))
    reason = _unreadable(tables)
    if reason is not None:
        out.fallbacks += [Fallback(path, reason) for path in paths]
        return out
    leads = tables.leads
    settled = leads["mql"] <= tables.as_of - lag_days
    hours = ((leads["touch"] - leads["mql"])[settled & leads["touch"].notna()]
             .to_numpy(dtype=float) * 24.0)
    hours = hours[np.isfinite(hours) & (hours >= 0.0)]
    n = hours.size
    if n < min_records:
        out.fallbacks += [Fallback(path, f"only {n} MQLs touched more than {lag_days:g} days "
                                   f"before the export day") for path in paths]
        return out
    sales = base.sales
    if not sla:
        _share(out, WITHIN_1H, hours, FIRST_BAND_END_HOURS, sales.response_within_1h, "1 h")
        _share(out, WITHIN_24H, hours, DAY_BAND_START_HOURS, sales.response_within_24h, "24 h")
        _tail(out, hours, DAY_BAND_START_HOURS, sales.response_tail_mean_hours, min_records)
        return out
    limit = float(levers.sla_hours)
    _share(out, COMPLIANCE, hours, limit, levers.sla_compliance, f"the SLA's {limit:g} h")
    for path in (WITHIN_1H, WITHIN_24H):
        out.fallbacks.append(Fallback(path, "under an SLA the export shows the managed "
                                      "delays: responses brought inside its hours hide how "
                                      "many came within the hour or the day without it"))
    # Beyond the SLA's hours responses keep their unmanaged distribution, whose
    # tail beyond 24 h is exponential: the excess over 24 h (or over the SLA's
    # hours, if later) has the tail's mean excess whatever the SLA.
    _tail(out, hours, max(limit, DAY_BAND_START_HOURS), sales.response_tail_mean_hours,
          min_records)
    return out


def _unreadable(tables: CrmTables) -> str | None:
    if not (tables.has("leads", "touch") and tables.has("leads", "mql")):
        return "the export has no MQL and first-touch times"
    if {"leads.mql_at", "leads.first_touch_at"} & tables.date_only:
        return "the export's MQL or first-touch dates have no time of day"
    return None


def _share(out: ResponseFit, path: str, hours: np.ndarray, limit: float, base: float,
           label: str) -> None:
    n = int(hours.size)
    hits = int(np.count_nonzero(hours <= limit))
    low, high = wilson(hits, n)
    out.counts[path] = (hits, n)
    out.estimates.append(Estimate(path, hits / n, low, high, float(base), n,
                                  f"{hits:,} of {n:,} first touches within {label} of the "
                                  f"MQL (Wilson interval)"))


def _tail(out: ResponseFit, hours: np.ndarray, start: float, base: float,
          min_records: int) -> None:
    """Mean of the responses after a day: 24 h plus the mean exponential excess over ``start``.

    ``start`` is 24 h or later; the exponential tail forgets how long a
    response has already waited, so the excess over any ``start`` has the
    same mean.
    """
    beyond = hours[hours > start]
    if beyond.size < min_records:
        out.fallbacks.append(Fallback(TAIL_MEAN, f"only {beyond.size} first touches come after "
                                      f"{start:g} h"))
        return
    count = int(beyond.size)
    excess = float(np.sum(beyond - start))
    mean = excess / count
    low = 2.0 * excess / stats.chi2.ppf(0.975, 2 * count)
    high = 2.0 * excess / stats.chi2.ppf(0.025, 2 * count)
    out.tail = (count, excess)
    out.estimates.append(Estimate(
        TAIL_MEAN, DAY_BAND_START_HOURS + mean, DAY_BAND_START_HOURS + low,
        DAY_BAND_START_HOURS + high, float(base), count,
        f"{count:,} first touches after {start:g} h: 24 h plus their mean excess over "
        f"{start:g} h (exponential, exact interval)"))
