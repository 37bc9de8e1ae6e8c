"""Fitting a scenario to an export: direct estimates, then a simulation fit.

Two kinds of estimate:

* **Direct**, where the export measures a parameter itself: lead arrival rates
  by source (Poisson maximum likelihood given the spend history, with exact
  intervals), the segment mix (shares with Wilson intervals), the number of
  reps (owners active in the last 90 days), the spend plan, the
  first-response shares and tail (:mod:`sim.calibration.response`).
* **Simulation fit** (indirect inference), where what the export shows
  depends on several mechanisms at once: stage advance probabilities and
  durations, segment cycle multipliers, deal sizes, qualification,
  follow-up, the hand-off threshold. The company's history is
  simulated with the candidate values and measured exactly as the export is
  (the same statistics, the same censoring); each parameter moves until its
  statistic matches, by a secant step per parameter. Its interval combines
  the observed statistic's sampling error with the simulation's, divided by
  the statistic's sensitivity to the parameter (the delta method), and is
  read off parameter draws on the working scale.

What the export cannot show stays at the base scenario, listed with a reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.calibration.estimates import Estimate, Fallback, wilson
from sim.calibration.knobs import Knob, Knobs, resolved
from sim.calibration.marketing import (
    SpendPeriod,
    arrival_multipliers,
    history_scenario,
    nominal_brand_share,
    spend_schedule,
)
from sim.calibration.parsing import snake
from sim.calibration.response import ResponseFit, response_fit
from sim.calibration.simulation import SimulationTask, simulate_all
from sim.calibration.statistics import Stat, describe, observe
from sim.calibration.tables import CLOSING_STAGES, CrmTables
from sim.scenario.schema import Scenario


@dataclass
class Fit:
    """The outcome of fitting a base scenario to an export.

    Attributes:
        overrides: point estimates as scenario overrides (apply to the base).
        estimates: every estimated value with its interval and source.
        fallbacks: values left at the base, with the reason.
        notes: what the fit assumed or found, for people.
        observed, simulated: statistics of the export and of the fitted
            scenario's simulated history.
        draws: parameter sets drawn from the estimates' uncertainty (overrides each).
        iterations: simulation fit iterations run; ``converged`` whether every
            statistic matched within 0.3 of its standard error.
        schedule: the spend history as constant-spend periods (None: no spend table).
        spend_overrides: the current spend plan (last 12 months) as overrides.
        observed_figures, simulated_figures: descriptive figures of the export
            and of the last simulated history (:func:`sim.calibration.statistics.describe`).
    """

    overrides: dict[str, Any]
    estimates: list[Estimate]
    fallbacks: list[Fallback]
    notes: list[str]
    observed: dict[str, Stat]
    simulated: dict[str, Stat]
    draws: list[dict[str, Any]]
    iterations: int
    converged: bool
    schedule: list[SpendPeriod] | None
    spend_overrides: dict[str, Any] = field(default_factory=dict)
    observed_figures: dict[str, float] = field(default_factory=dict)
    simulated_figures: dict[str, float] = field(default_factory=dict)

    def scenario(self, base: Scenario) -> Scenario:
        """The base with the point estimates and the current spend plan."""
        return base.with_overrides({**self.overrides, **self.spend_overrides})


@dataclass(frozen=True)
class _Structure:
    """How the export's segments and stages map onto the scenario."""

    segment_overrides: dict[str, Any]
    segments: list[str]
    reference: str | None
    stages: list[str]


Progress = Callable[[str], None]


def fit(tables: CrmTables, base: Scenario, *, seed: int | None = None, iterations: int = 5,
        draws: int = 200, extra_days: float = 120.0, workers: int = 1,
        progress: Progress | None = None) -> Fit:
    """Fit ``base`` to an export.

    Args:
        tables: the export.
        base: the base scenario; every value the export cannot inform stays as it is.
        seed: root seed of the simulations (default: the base's).
        iterations: at most this many simulation-fit iterations.
        draws: parameter sets to draw for uncertainty-aware forecasts.
        extra_days: days simulated past the export day, so deals open on that
            day show every stage they entered by then.
        workers: processes for simulations.
        progress: called with a line of text as the fit goes.
    """
    say = progress or (lambda _: None)
    seed = base.seed if seed is None else seed
    tables = _base_spelling(tables, base)
    notes = list(tables.notes)
    fallbacks: list[Fallback] = []
    estimates: list[Estimate] = []
    structure = _structure(tables, base, notes, fallbacks)
    direct: dict[str, Any] = dict(structure.segment_overrides)
    estimates += _segment_shares(tables, base, structure, direct)
    estimates += _reps(tables, base, direct, fallbacks, notes)
    response = response_fit(tables, resolved(base))
    estimates += response.estimates
    fallbacks += response.fallbacks
    notes += response.notes
    direct.update(response.overrides)
    schedule = spend_schedule(tables.spend) if tables.spend is not None else None
    spend_overrides = _spend_plan(tables, base, estimates, fallbacks)
    start = base.with_overrides(direct)
    history = history_scenario(start, schedule, tables.as_of + extra_days)
    rate_estimates, rate_draw = _arrival_rates(tables, history, notes, fallbacks)
    estimates += rate_estimates
    direct.update({e.path: e.value for e in rate_estimates})
    start = base.with_overrides(direct)
    observed = observe(tables, structure.stages, structure.segments, structure.reference)
    knobs = Knobs(start, structure.stages, structure.segments, structure.reference,
                  set(observed), {name: stat.value for name, stat in observed.items()})
    say(f"fitting {len(knobs.knobs)} parameters to {len(observed)} statistics by simulation")

    simulated_figures: dict[str, float] = {}

    def measure(theta: dict[str, float]) -> dict[str, Stat]:
        scenario = history_scenario(start.with_overrides(knobs.overrides(theta)), schedule,
                                    tables.as_of + extra_days)
        task = SimulationTask(scenario, seed, 0, tables.as_of, tables.origin, tables.date_only)
        measured, figures = simulate_all([task], partial(
            _measure, stages=structure.stages, segments=structure.segments,
            reference=structure.reference))[0]
        simulated_figures.update(figures)
        return measured  # type: ignore[no-any-return]

    theta, simulated, slopes, done, converged = _solve(knobs.knobs, observed, measure,
                                                       iterations, say)
    overrides = {**direct, **knobs.overrides(theta)}
    spread = {k.name: _knob_se(k, observed, simulated, slopes) for k in knobs.knobs}
    rng = np.random.default_rng([seed, 13])
    internal = _draw(4000, rng, knobs, theta, spread, rate_draw, tables, structure, direct,
                     response)
    estimates += _fitted(knobs, theta, overrides, internal, observed, simulated, start)
    fallbacks += _unfitted(knobs, observed, structure)
    external = _draw(draws, np.random.default_rng([seed, 14]), knobs, theta, spread, rate_draw,
                     tables, structure, direct, response) if draws else []
    return Fit(overrides, estimates, fallbacks, notes, observed, simulated, external, done,
               converged, schedule, spend_overrides, describe(tables), simulated_figures)


def _measure(tables: CrmTables, stages: list[str], segments: list[str],
             reference: str | None) -> tuple[dict[str, Stat], dict[str, float]]:
    return observe(tables, stages, segments, reference), describe(tables)


# -- structure: segments and stages ---------------------------------------------------


def _structure(tables: CrmTables, base: Scenario, notes: list[str],
               fallbacks: list[Fallback]) -> _Structure:
    x = resolved(base)
    base_segments = {snake(g.name): g for g in x.leads.segments}
    seen = tables.leads["segment"].dropna()
    counts = seen.value_counts()
    overrides: dict[str, Any] = {}
    if counts.empty:
        fallbacks.append(Fallback("leads.segments", "the export has no segment column: shares, "
                                  "deal sizes and cycle multipliers stay at the base"))
        return _Structure({}, [], None, _stages(tables, x, notes, fallbacks))
    known = [s for s in counts.index if snake(str(s)) in base_segments]
    if len(known) == len(counts):
        names = [g.name for g in x.leads.segments]
    else:
        # The export's segments replace the base's: sizes and cycles are fitted, the
        # buying window is the base's share-weighted mean.
        window = sum(g.share * g.buying_window_days_mean for g in x.leads.segments)
        names = [str(s) for s in counts.index]
        overrides["leads.segments"] = [
            {"name": name, "share": 1.0 / len(names), "deal_size_mean": 40_000.0,
             "deal_size_cv": 0.6, "cycle_multiplier": 1.0, "buying_window_days_mean": window}
            for name in names]
        notes.append(f"the export's segments ({', '.join(names)}) differ from the base's "
                     f"({', '.join(base_segments)}): they replace them; buying windows are "
                     f"the base's mean ({window:.0f} days)")
    missing = int(tables.leads["segment"].isna().sum())
    if missing:
        notes.append(f"{missing:,} leads have no segment and are left out of segment figures")
    if "leads.segments" in overrides:
        reference = names[0]
    else:
        multipliers = {g.name: g.cycle_multiplier for g in x.leads.segments}
        present = [n for n in names if n in set(tables.leads["segment"].dropna())]
        reference = min(present, key=lambda n: abs(math.log(multipliers[n])))
    return _Structure(overrides, names, reference, _stages(tables, x, notes, fallbacks))


def _base_spelling(tables: CrmTables, base: Scenario) -> CrmTables:
    """The export with segment names spelt as the base spells them, where they match."""
    rename = {snake(g.name): g.name for g in base.leads.segments}

    def spelt(frame: pd.DataFrame | None) -> pd.DataFrame | None:
        if frame is None or "segment" not in frame:
            return frame
        frame = frame.copy()
        frame["segment"] = frame["segment"].map(lambda s: rename.get(s, s) if isinstance(
            s, str) else s)
        return frame

    leads = spelt(tables.leads)
    assert leads is not None
    return replace(tables, leads=leads, opportunities=spelt(tables.opportunities))


def _stages(tables: CrmTables, x: Scenario, notes: list[str],
            fallbacks: list[Fallback]) -> list[str]:
    """Stage names measured one by one, or [] to treat the pipeline as a whole."""
    if tables.opportunities is None:
        fallbacks.append(Fallback("sales.stages", "the export has no opportunities: stage "
                                  "probabilities and durations stay at the base"))
        return []
    if tables.stage_history is None:
        notes.append("no stage history: every stage's advance probability and duration "
                     "move together, fitted to the win share and pipeline durations")
        return []
    seen = set(tables.stage_history["stage"]) - set(CLOSING_STAGES)
    names = [snake(s.name) for s in x.sales.stages]
    unknown = sorted(seen - set(names))
    if unknown:
        notes.append(f"stage history names stages the base does not have ({', '.join(unknown)}"
                     f"; the base's are {', '.join(names)}): map them under values.stage; "
                     f"meanwhile every stage moves together")
        return []
    return names


# -- direct estimates -----------------------------------------------------------------


def _segment_shares(tables: CrmTables, base: Scenario, structure: _Structure,
                    direct: dict[str, Any]) -> list[Estimate]:
    if not structure.segments:
        return []
    counts = tables.leads["segment"].value_counts()
    n = int(counts.sum())
    shares = [int(counts.get(name, 0)) / n for name in structure.segments]
    shares = _exact_shares(shares)
    base_shares = {g.name: g.share for g in base.leads.segments}
    out = []
    for i, (name, share) in enumerate(zip(structure.segments, shares, strict=True)):
        hits = int(counts.get(name, 0))
        low, high = wilson(hits, n)
        path = f"leads.segments.{i}.share"
        direct[path] = share
        out.append(Estimate(path, share, low, high, base_shares.get(name, math.nan), n,
                            f"{hits:,} of {n:,} leads are {name} (Wilson interval)"))
    return out


def _exact_shares(shares: list[float]) -> list[float]:
    """Shares rounded to 6 decimals that sum to exactly 1 (the largest takes the rest)."""
    rounded = [round(s, 6) for s in shares]
    big = int(np.argmax(rounded))
    rounded[big] = round(1.0 - sum(r for i, r in enumerate(rounded) if i != big), 6)
    return rounded


def _reps(tables: CrmTables, base: Scenario, direct: dict[str, Any],
          fallbacks: list[Fallback], notes: list[str]) -> list[Estimate]:
    """Reps = distinct owners of leads touched or opportunities opened in the last 90 days."""
    frames = []
    leads = tables.leads
    if tables.has("leads", "owner"):
        when = leads["touch"].where(leads["touch"].notna(), leads["created"])
        frames.append(pd.DataFrame({"owner": leads["owner"], "day": when}))
    opps = tables.opportunities
    if opps is not None and tables.has("opportunities", "owner"):
        frames.append(pd.DataFrame({"owner": opps["owner"], "day": opps["created"]}))
    if not frames:
        fallbacks.append(Fallback("sales.reps", "the export names no owners"))
        return []
    owners = pd.concat(frames, ignore_index=True).dropna()
    recent = owners[owners["day"] >= tables.as_of - 90.0]
    if recent.empty:
        fallbacks.append(Fallback("sales.reps", "no owner was active in the last 90 days"))
        return []
    reps = int(recent["owner"].nunique())
    monthly = [int(owners[(owners["day"] >= tables.as_of - 30.0 * (k + 1))
                          & (owners["day"] < tables.as_of - 30.0 * k)]["owner"].nunique())
               for k in range(6)]
    monthly = [m for m in monthly if m > 0] or [reps]
    direct["sales.reps"] = reps
    if opps is not None and tables.has("opportunities", "owner"):
        load = opps[opps["status"] == "open"].groupby("owner").size()
        if not load.empty:
            notes.append(f"open opportunities per owner at the end: mean {load.mean():.1f}, "
                         f"most {int(load.max())} (the base allows "
                         f"{base.sales.slots_per_rep} active leads per rep)")
    return [Estimate("sales.reps", reps, min(monthly), max(reps, max(monthly)), base.sales.reps,
                     len(recent), f"{reps} owners active in the last 90 days (interval: fewest "
                     f"and most in a 30-day month of the last six)")]


def _spend_plan(tables: CrmTables, base: Scenario, estimates: list[Estimate],
                fallbacks: list[Fallback]) -> dict[str, Any]:
    """The current plan: the last 12 months of spend (or all of it, if less)."""
    spend = tables.spend
    if spend is None:
        fallbacks.append(Fallback("marketing.annual_budget, marketing.brand_share",
                                  "the export has no spend table"))
        return {}
    lo = max(tables.as_of - 365.0, float(spend["start"].min()))
    overlap = np.clip(np.minimum(spend["start"] + spend["days"], tables.as_of)
                      - np.maximum(spend["start"], lo), 0.0, None) / spend["days"]
    brand = float(np.dot(spend["brand"], overlap))
    promo = float(np.dot(spend["promotion"], overlap))
    days = float(np.dot(spend["days"], overlap))
    if days <= 0 or brand + promo <= 0:
        fallbacks.append(Fallback("marketing.annual_budget", "no spend in the last 12 months"))
        return {}
    annual = (brand + promo) / days * 365.0
    share = nominal_brand_share(base, brand / (brand + promo))
    rows = int(np.count_nonzero(overlap))
    estimates.append(Estimate("marketing.annual_budget", annual, annual, annual,
                              base.marketing.annual_budget, rows,
                              f"spend over the last {days:.0f} days, per year (recorded, "
                              f"not estimated)"))
    estimates.append(Estimate("marketing.brand_share", share, share, share,
                              base.marketing.brand_share, rows,
                              "brand / total spend over the same days (recorded)"))
    return {"marketing.annual_budget": annual, "marketing.brand_share": share,
            "marketing.prior_annual_budget": None, "marketing.prior_brand_share": None}


def _arrival_rates(tables: CrmTables, history: Scenario, notes: list[str],
                   fallbacks: list[Fallback]
                   ) -> tuple[list[Estimate], dict[str, tuple[float, int]]]:
    """Rate parameters by source: Poisson maximum likelihood given the spend history."""
    days = math.ceil(tables.as_of)
    organic, promo = arrival_multipliers(history, days)
    weight = np.clip(tables.as_of - np.arange(days), 0.0, 1.0)
    leads = tables.leads
    out: list[Estimate] = []
    draws: dict[str, tuple[float, int]] = {}
    spend_note = "the spend history" if tables.spend is not None else "the base's spend plan"
    for source, path, mult in (("organic", "marketing.organic_leads_per_day", organic),
                               ("promotion", "marketing.promo_max_leads_per_day", promo)):
        n = int((leads["source"] == source).sum())
        exposure = float(np.dot(mult, weight))
        base_value = float(history.marketing.organic_leads_per_day if source == "organic"
                           else history.marketing.promo_max_leads_per_day)
        if exposure <= 1e-9:
            if n:
                fallbacks.append(Fallback(path, f"{n:,} {source} leads but no {source} spend "
                                          f"to explain them"))
            continue
        rate = n / exposure
        low = stats.chi2.ppf(0.025, 2 * n) / 2.0 / exposure if n else 0.0
        high = stats.chi2.ppf(0.975, 2 * n + 2) / 2.0 / exposure
        observed = n / tables.as_of
        out.append(Estimate(path, rate, float(low), float(high), base_value, n,
                            f"{n:,} {source} leads in {tables.as_of:.0f} days ({observed:.2f} a "
                            f"day) given {spend_note} (Poisson, exact interval)"))
        draws[path] = (rate, n)
        trend = _trend(leads.loc[leads["source"] == source, "created"].to_numpy(dtype=float),
                       mult, tables.as_of)
        if trend is not None:
            notes.append(f"{source} leads {trend}; the scenario keeps the average rate")
    return out, draws


def _trend(created: np.ndarray, multiplier: np.ndarray, as_of: float) -> str | None:
    """A log-linear trend in weekly arrivals beyond what spend explains, if significant."""
    weeks = int(as_of // 7)
    if weeks < 26 or created.size < 100:
        return None
    counts = np.histogram(created, bins=np.arange(weeks + 1) * 7.0)[0].astype(float)
    expected = multiplier[: weeks * 7].reshape(weeks, 7).sum(axis=1)
    t = (np.arange(weeks) - (weeks - 1) / 2.0) / 52.0  # years from the middle

    def loglik(b: float) -> float:
        mu = expected * np.exp(b * t)
        mu *= counts.sum() / mu.sum()  # the level at its maximum for this slope
        return float(np.sum(counts * np.log(mu) - mu))

    from scipy.optimize import minimize_scalar

    best = minimize_scalar(lambda b: -loglik(b), bounds=(-3.0, 3.0), method="bounded")
    statistic = 2.0 * (loglik(best.x) - loglik(0.0))
    p = float(stats.chi2.sf(statistic, 1))
    change = math.expm1(best.x)
    if p < 0.01 and abs(change) > 0.10:
        return (f"{'grow' if change > 0 else 'fall'} {abs(change):.0%} a year beyond what "
                f"spend explains (likelihood-ratio p = {p:.2g})")
    return None


# -- the simulation fit ---------------------------------------------------------------


def _solve(knobs: list[Knob], observed: dict[str, Stat],
           measure: Callable[[dict[str, float]], dict[str, Stat]], iterations: int,
           say: Progress) -> tuple[dict[str, float], dict[str, Stat], dict[str, float], int,
                                   bool]:
    """Move each knob until its simulated statistic matches the observed one.

    Each iteration simulates the current values once (always with the same
    random numbers, so differences between iterations come from the values),
    then steps each knob by its gap over its slope; slopes are re-estimated
    from the last two iterations (secant). It stops once every gap is below
    0.3 standard errors (``simulated`` holds the statistics of the last values
    simulated; the values returned include the step after them).
    """
    theta = {k.name: k.start for k in knobs}
    slopes = {k.name: k.slope for k in knobs}
    previous: dict[str, tuple[float, float]] = {}
    simulated: dict[str, Stat] = {}
    converged = False
    done = 0
    for done in range(1, max(iterations, 1) + 1):
        simulated = measure(theta)
        worst = 0.0
        step: dict[str, float] = {}
        for k in knobs:
            sim = simulated.get(k.name)
            if sim is None:
                continue
            obs = observed[k.name]
            gap = obs.work - sim.work
            worst = max(worst, abs(gap) / math.hypot(obs.se, sim.se))
            if k.name in previous:
                last_theta, last_work = previous[k.name]
                moved = theta[k.name] - last_theta
                # Only a move well above the noise tells the slope.
                if abs(moved * k.slope) > 0.5 * obs.se:
                    slope = (sim.work - last_work) / moved
                    if slope * k.slope > 0 and 0.1 <= abs(slope / k.slope) <= 10.0:
                        slopes[k.name] = slope
            previous[k.name] = (theta[k.name], sim.work)
            move = float(np.clip(gap / slopes[k.name], -k.max_step, k.max_step))
            step[k.name] = float(np.clip(theta[k.name] + move, k.low, k.high))
        say(f"iteration {done}: largest gap {worst:.2f} standard errors")
        # The last step is taken too: it is the best guess, though not simulated.
        theta.update(step)
        if worst < 0.3:
            converged = True
            break
    return theta, simulated, slopes, done, converged


def _knob_se(k: Knob, observed: dict[str, Stat], simulated: dict[str, Stat],
             slopes: dict[str, float]) -> float:
    """Standard error of a fitted knob: observed and simulated noise over the slope."""
    obs = observed[k.name]
    sim = simulated.get(k.name)
    noise = math.hypot(obs.se, sim.se if sim is not None else obs.se)
    return noise / abs(slopes[k.name])


def _draw(n: int, rng: np.random.Generator, knobs: Knobs, theta: dict[str, float],
          spread: dict[str, float], rates: dict[str, tuple[float, int]], tables: CrmTables,
          structure: _Structure, direct: dict[str, Any],
          response: ResponseFit) -> list[dict[str, Any]]:
    """Parameter sets drawn from the estimates' uncertainty (independent, working scales).

    Fitted knobs are normal on their working scale; rates lognormal with the
    Poisson error; segment shares Dirichlet on the lead counts; response shares
    and the response tail mean from their counts (:meth:`ResponseFit.draw`).
    """
    names = list(theta)
    z = rng.standard_normal((n, len(names)))
    rate_z = rng.standard_normal((n, len(rates)))
    shares = None
    if structure.segments:
        counts = tables.leads["segment"].value_counts()
        alpha = np.array([counts.get(s, 0) for s in structure.segments], dtype=float) + 0.5
        shares = rng.dirichlet(alpha, size=n)
    out = []
    for i in range(n):
        values = {name: theta[name] + spread[name] * z[i, j] for j, name in enumerate(names)}
        for k in knobs.knobs:
            values[k.name] = float(np.clip(values[k.name], k.low, k.high))
        draw: dict[str, Any] = {p: v for p, v in direct.items() if p != "leads.segments"}
        for j, (path, (rate, count)) in enumerate(rates.items()):
            draw[path] = rate * math.exp(rate_z[i, j] / math.sqrt(max(count, 1)))
        if shares is not None:
            for s, share in enumerate(_exact_shares(list(shares[i]))):
                draw[f"leads.segments.{s}.share"] = share
        draw.update(response.draw(rng))
        draw.update(knobs.overrides(values))
        out.append(draw)
    return out


def _fitted(knobs: Knobs, theta: dict[str, float], overrides: dict[str, Any],
            draws: list[dict[str, Any]], observed: dict[str, Stat], simulated: dict[str, Stat],
            start: Scenario) -> list[Estimate]:
    """Estimates of the values the simulation fit set, with intervals from the draws."""
    point = knobs.overrides(theta)
    owner: dict[str, str] = {}
    for k in knobs.knobs:
        for path in point:
            if path in k.paths or _matches(path, k.paths):
                owner.setdefault(path, k.name)
    out = []
    flat = resolved(start).model_dump(mode="python")
    for path, value in point.items():
        series = np.array([d[path] for d in draws if path in d], dtype=float)
        low, high = (np.percentile(series, [2.5, 97.5]) if series.size else (value, value))
        key = owner.get(path, "")
        obs, sim = observed.get(key), simulated.get(key)
        if obs is None:
            method = "simulation fit"
            records = 0
        else:
            shown_sim = _short(sim.value) if sim is not None else "n/a"
            method = (f"simulation fit to the {obs.label}: observed {_short(obs.value)}, "
                      f"simulated {shown_sim}")
            records = obs.count
        out.append(Estimate(path, float(value), float(min(low, value)), float(max(high, value)),
                            float(_get(flat, path)), records, method))
    return out


def _short(value: float) -> str:
    """Four significant digits, no exponent."""
    return np.format_float_positional(value, precision=4, unique=False, fractional=False,
                                      trim="-")


def _matches(path: str, patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        parts, want = path.split("."), pattern.split(".")
        if len(parts) == len(want) and all(w in ("*", p) for p, w in zip(parts, want,
                                                                          strict=True)):
            return True
    return False


def _get(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return math.nan if data is None else data


_EXPLAIN = {
    "mql_share": ("nurture.handoff_threshold", "the export has no MQL dates"),
    "contact_share": ("incentives.sales.follow_up_rate", "the export has no MQL or first-touch "
                      "dates"),
    "qualify_share": ("sales.qualify_probability", "opportunities are not linked to touched "
                      "leads (lead_id and first_touch_at)"),
}

NOT_IDENTIFIED = (
    ("nurture.scoring_noise, nurture.quality_weight, nurture.touches_per_week, "
     "nurture.content_effectiveness", "the export shows MQLs, not the scores behind them: "
     "the hand-off threshold alone is fitted to the share of leads that become MQLs"),
    ("nurture.cold_hazard_per_day, nurture.max_nurture_days, leads.buying_window",
     "when a nurtured lead stops being a prospect is not recorded"),
    ("leads.quality_organic, leads.quality_promotion, sales.quality_odds_weight",
     "latent lead quality is not observable"),
    ("sales.response_decay", "the decay of qualification with response time needs "
     "response times that vary for reasons other than the lead (Oldroyd et al. stay)"),
    ("marketing.brand_half_life_days, marketing.promo_half_life_days, "
     "marketing.*_saturation, marketing.organic_gain, marketing.brand_effects",
     "stocks and saturation need spend that varies a lot; arrival rates are fitted "
     "given the base's curves"),
    ("sales.slots_per_rep, sales.qualification_days, sales.max_discount, "
     "sales.rep_annual_salary, finance, alignment.effects, incentives (other than "
     "follow_up_rate)", "not in a CRM export"),
)


def _unfitted(knobs: Knobs, observed: dict[str, Stat], structure: _Structure) -> list[Fallback]:
    fitted = {k.name for k in knobs.knobs}
    out = [Fallback(path, reason) for stat, (path, reason) in _EXPLAIN.items()
           if stat not in fitted]
    if structure.stages and not any(name.startswith("advance:") for name in fitted):
        out.append(Fallback("sales.stages", "too few stage passages to fit"))
    out += [Fallback(path, reason) for path, reason in NOT_IDENTIFIED]
    return out
