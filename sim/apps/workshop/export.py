"""A workshop session as one self-contained HTML page: the choices made and what they gave.

The page is built with the report's pieces (:mod:`sim.report.html` for the page,
cards, tables and embedded figures; :mod:`sim.report.figures` for the funnel,
cumulative revenue and weekly figures), so it looks like the run reports and,
like them, needs no network, no script and no file beside it: a trainer mails
it to the room after the session. It never runs the simulation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from sim.apps.workshop.attribution import Attribution, gap_words
from sim.apps.workshop.game import Game, duration_words, long_run_revenue, versus_leader
from sim.apps.workshop.logic import (
    GAME_LEVERS,
    LEVERS,
    Comparison,
    Levers,
    funnel_rows,
    lever_text,
    revenue_over_time,
    verdict_word,
)
from sim.report import figures as fg
from sim.report import html as h
from sim.report.common import reproducibility_html
from sim.report.files import PNG_DPI
from sim.report.format import fmt, fmt_param, fmt_range
from sim.report.tables import weekly_bands


@dataclass(frozen=True)
class ComparisonRecord:
    """A comparison the trainer kept for the session's report.

    Attributes:
        preset: the preset "yours" started from (its title).
        baseline_levers: the baseline's levers.
        levers: yours.
        comparison: the results.
        kept_at: when it was kept.
    """

    preset: str
    baseline_levers: Levers
    levers: Levers
    comparison: Comparison
    kept_at: datetime = field(default_factory=lambda: datetime.now().astimezone())


@dataclass
class Session:
    """Everything a workshop produced: kept comparisons and the game.

    Attributes:
        started: when the app session started.
        seed: the root seed used throughout.
        comparisons: comparisons kept, in order.
        game: the game, if one was played.
        attributions: the debrief's decompositions of the gap between two teams.
    """

    started: datetime = field(default_factory=lambda: datetime.now().astimezone())
    seed: int = 20240601
    comparisons: list[ComparisonRecord] = field(default_factory=list)
    game: Game | None = None
    attributions: list[Attribution] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing to report yet."""
        return not self.comparisons and (self.game is None or not self.game.results)


def _figure(name: str, fig: Figure, caption: str) -> str:
    png = fg.render(fig, "png", dpi=PNG_DPI)
    return h.figure_html(name, png, caption, round(fig.get_figwidth() * 96), {})


def _money(value: float) -> str:
    return fmt(value, "money")


def _signed_money(value: float) -> str:
    return fmt(value, "money", signed=True)


def _ci_text(low: float, high: float) -> str:
    return fmt_range(low, high, "money", signed=True)


# --- comparisons ---------------------------------------------------------------------


def _levers_table(record: ComparisonRecord) -> str:
    rows = [{"lever": spec.label,
             "baseline": lever_text(spec.name, getattr(record.baseline_levers, spec.name)),
             "yours": lever_text(spec.name, getattr(record.levers, spec.name))}
            for spec in LEVERS]
    df = pd.DataFrame(rows)
    return h.table_html(df, caption=f"Levers (your plan starts from: {record.preset})",
                        headers={"lever": "", "baseline": "Baseline", "yours": "Your plan"},
                        row_class=lambda r: "changed" if r["baseline"] != r["yours"] else "")


def _differences_table(comparison: Comparison) -> str:
    df = comparison.differences
    table = pd.DataFrame({
        "label": df["label"],
        "baseline": [_value(v, k) for v, k in zip(df["baseline"], df["kind"], strict=True)],
        "yours": [_value(v, k) for v, k in zip(df["yours"], df["kind"], strict=True)],
        "difference": [_signed(v, k) for v, k in zip(df["difference"], df["kind"], strict=True)],
        "ci": [_signed_ci(lo, hi, k) for lo, hi, k in
               zip(df["ci_low"], df["ci_high"], df["kind"], strict=True)],
        "verdict": [verdict_word(r) for _, r in df.iterrows()],
    })
    return h.table_html(
        table, caption=f"Your plan minus the baseline, paired by replication "
        f"({comparison.replications} replications, common random numbers)",
        headers={"label": "", "baseline": "Baseline", "yours": "Your plan",
                 "difference": "Difference", "ci": "95% CI of the difference",
                 "verdict": "Verdict"})


def _value(value: float, kind: str) -> str:
    return fmt(value, kind)


def _signed(value: float, kind: str) -> str:
    return fmt(value, kind, signed=True)


def _signed_ci(low: float, high: float, kind: str) -> str:
    return fmt_range(low, high, kind, signed=True)


def _comparison_section(number: int, record: ComparisonRecord) -> str:
    c = record.comparison
    runs = [c.baseline, c.yours]
    cards = []
    for metric in (c.horizon.metric, "contribution", "deals_won", "cycle_days_median"):
        row = c.row(metric)
        cards.append(h.Card(str(row["label"]), _value(row["yours"], row["kind"]),
                            f"{_signed(row['difference'], row['kind'])} vs baseline "
                            f"({_value(row['baseline'], row['kind'])}); 95% CI "
                            f"{_signed_ci(row['ci_low'], row['ci_high'], row['kind'])}"))
    body = h.paragraphs([c.takeaway]) + h.cards_html(cards) + _levers_table(record)
    body += _differences_table(c)
    flips = c.by_horizon
    if len(flips) > 1:
        body += h.table_html(pd.DataFrame({
            "window": flips["label"],
            "baseline": [_money(v) for v in flips["baseline"]],
            "yours": [_money(v) for v in flips["yours"]],
            "difference": [_signed_money(v) for v in flips["difference"]],
            "ci": [_ci_text(lo, hi) for lo, hi in zip(flips["ci_low"], flips["ci_high"],
                                                      strict=True)],
            "verdict": [verdict_word(r) for _, r in flips.iterrows()],
        }), caption="Who wins at each horizon (revenue)",
            headers={"window": "", "baseline": "Baseline", "yours": "Your plan",
                     "difference": "Difference", "ci": "95% CI", "verdict": "Verdict"})
    markers = [(d, w) for w, d in (("90 days", 90.0), ("1 year", 365.0))
               if d < c.horizon.days]
    body += _figure(f"revenue-{number}", fg.cumulative_figure(revenue_over_time(runs), markers),
                    "Revenue booked from day 0 (mean over replications, 95% CI band).")
    body += _figure(f"funnel-{number}", fg.funnel_figure(funnel_rows(runs)),
                    "Conversion at each step of the funnel and the share of leads lost at "
                    "each leak (mean over replications).")
    title = (f"Comparison {number}: {record.preset}, over {c.horizon.words} "
             f"({record.kept_at:%H:%M})")
    return h.section(f"comparison-{number}", title, body)


# --- the game ------------------------------------------------------------------------


def _choices_table(game: Game) -> str:
    df = game.choices_table()
    if df.empty:
        return ""
    for name in GAME_LEVERS:
        df[name] = [lever_text(name, v) for v in df[name]]
    headers = {spec.name: spec.label for spec in LEVERS}
    headers.update(team="Team", round="Round")
    return h.table_html(df, caption="Each team's levers, round by round (from the start of the "
                        "round's quarter)", headers=headers)


def _leaderboard_html(game: Game) -> str:
    out = []
    for result in game.results:
        lb = result.leaderboard
        df = pd.DataFrame({
            "rank": lb["rank"], "team": lb["team"],
            "contribution": [_money(v) for v in lb["contribution_round"]],
            "contribution_ci": [_ci_text_plain(lo, hi) for lo, hi in
                                zip(lb["contribution_round_low"], lb["contribution_round_high"],
                                    strict=True)],
            "gap": versus_leader(lb),
            "revenue": [_money(v) for v in lb["revenue_round"]],
            "revenue_rank": lb["revenue_rank"],
            "contribution_to_date": [_money(v) for v in lb["contribution_to_date"]],
            "changes": lb["changes"],
        })
        out.append(h.table_html(
            df, caption=f"Round {result.number} (days {fmt_param(result.start_day)} to "
            f"{fmt_param(result.end_day)})",
            headers={"rank": "#", "team": "Team", "contribution": "Contribution this quarter",
                     "contribution_ci": "95% CI", "gap": "Versus the leader",
                     "revenue": "Revenue this quarter",
                     "revenue_rank": "Revenue rank", "contribution_to_date":
                     "Contribution to date", "changes": "Changes this round"}))
    return "".join(out)


def _ci_text_plain(low: float, high: float) -> str:
    return fmt_range(low, high, "money")


def _game_section(game: Game, attributions: Sequence[Attribution] = ()) -> str:
    setup = game.setup
    intro = (f"{len(setup.teams)} teams ({', '.join(setup.teams)}), {setup.rounds} rounds of a "
             f"quarter each, starting from the {setup.base_name} company with "
             f"{setup.start_levers.reps} reps; {setup.replications} replications of seed "
             f"{setup.seed} per team, the same for every team (common random numbers).")
    body = _choices_table(game) + "<h3>Leaderboards</h3>" + _leaderboard_html(game)
    if game.debrief is not None:
        d = game.debrief
        table = d.table
        body += "<h3>Debrief: the long run</h3>" + h.paragraphs([d.headline, *d.sentences])
        body += h.table_html(pd.DataFrame({
            "team": table["team"], "choices": table["choices"],
            "contribution_game": [_money(v) for v in table["contribution_game"]],
            "rank_game": table["rank_game"],
            "contribution_long": [_money(v) for v in table["contribution_long"]],
            "rank_long": table["rank_long"],
            "revenue_long": [_money(v) for v in table["revenue_long"]],
            "equity": [f"{a:.2f} → {b:.2f}" for a, b in
                       zip(table["brand_equity_game"], table["brand_equity_long"], strict=True)],
        }), caption=f"After the game ({duration_words(d.game_days)}) and over "
            f"{duration_words(d.long_run_days)}, the last round's levers held",
            headers={"team": "Team", "choices": "Choices",
                     "contribution_game": "Contribution, game", "rank_game": "Rank, game",
                     "contribution_long": "Contribution, long run",
                     "rank_long": "Rank, long run", "revenue_long": "Revenue, long run",
                     "equity": "Brand equity (end of game → end)"})
        ends = [(r.end_day, f"round {r.number}") for r in game.results]
        body += _figure("game-revenue", fg.cumulative_figure(long_run_revenue(d), ends),
                        "Revenue booked by each team from day 0 to the end of the long run; "
                        "dashed lines mark the end of each round.")
        series = pd.concat([r.timeseries.assign(scenario=team) for team, r in d.runs.items()],
                           ignore_index=True)
        bands = weekly_bands(series, d.long_run_days,
                             columns=("leads", "bookings", "brand_equity"))
        body += _figure("game-weekly", fg.weekly_figure(bands, ends),
                        "Weekly leads, bookings and brand equity of each team (line: mean "
                        "over replications; band: 10th to 90th percentile).")
    else:
        body += h.paragraphs(["The debrief (the long run of each team's choices) was not "
                              "run in this session."])
    body += "".join(_attribution_html(a) for a in attributions)
    return h.section("game", "The game", body, intro)


def _attribution_html(a: Attribution) -> str:
    table = a.table()
    df = pd.DataFrame({
        "label": table["label"],
        "part": [_signed_money(v) for v in table["mean"]],
        "ci": [_ci_text(lo, hi) for lo, hi in zip(table["ci_low"], table["ci_high"],
                                                   strict=True)],
    })
    return (f"<h3>Why the gap: {h.esc(gap_words(a))}</h3>" + h.paragraphs([a.sentence()])
            + h.table_html(df, caption=f"The gap over {duration_words(a.horizon_days)}, lever "
                           f"by lever ({a.mixes} mixes of the two teams' choices replayed with "
                           f"the same replications)",
                           headers={"label": "", "part": "Part of the gap",
                                    "ci": "95% CI"}))


# --- the page -------------------------------------------------------------------------


def session_html(session: Session, title: str = "Leadflow workshop") -> str:
    """The whole session as one HTML page (figures embedded, no script, no network)."""
    sections: list[tuple[str, str, str]] = []
    for i, record in enumerate(session.comparisons, start=1):
        sections.append((f"comparison-{i}", f"Comparison {i}", _comparison_section(i, record)))
    if session.game is not None and session.game.results:
        sections.append(("game", "Game", _game_section(session.game, session.attributions)))
    if not sections:
        sections.append(("empty", "Session", h.section(
            "empty", "Nothing kept yet",
            h.paragraphs(["Keep a comparison or play a round, then export again."]))))
    rows = [("Seed", str(session.seed)),
            ("Common random numbers", "every plan and team runs replications 0..n-1 of the "
             "same seed; differences are paired replication by replication"),
            ("Exported", f"{datetime.now().astimezone():%Y-%m-%d %H:%M}")]
    sections.append(("reproduce", "Reproducibility", h.section(
        "reproduce", "Reproducibility", reproducibility_html(rows, None))))
    subtitle = (f"Session of {session.started:%Y-%m-%d %H:%M}: "
                f"{len(session.comparisons)} comparison"
                f"{'s' * (len(session.comparisons) != 1)} kept"
                + (f", a game of {len(session.game.setup.teams)} teams" if session.game and
                   session.game.results else "") + ".")
    return h.page(title, subtitle, sections)


def write_session(session: Session, path: Path) -> Path:
    """Write :func:`session_html` to ``path`` (atomically: a temporary name, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(session_html(session), encoding="utf-8")
    tmp.replace(path)
    return path


def default_export_path(folder: Path, when: datetime | None = None) -> Path:
    """``folder/workshop-YYYYmmdd-HHMMSS.html``."""
    when = when or datetime.now().astimezone()
    return folder / f"workshop-{when:%Y%m%d-%H%M%S}.html"


def teams_in(html_text: str, teams: Sequence[str]) -> bool:
    """Every team named in the page (a check for tests and the app)."""
    return all(h.esc(t) in html_text for t in teams)
