"""The workshop app's pages (Streamlit), drawn by :mod:`sim.apps.workshop.app`.

Three screens, chosen in the sidebar:

- **Compare**: presets and the headline levers in the sidebar; baseline vs
  your plan over 90 days, one year or three years, with the takeaway, the big
  numbers, who wins at each horizon, revenue over time, cycle time and the
  funnel with its leaks.
- **Game**: teams set their levers each round (a quarter); a leaderboard per
  round; the debrief replays every team's choices to the long run.
- **Export**: the session (kept comparisons and the game) as one HTML page.

This file only draws: every number comes from :mod:`sim.apps.workshop.logic` and
:mod:`sim.apps.workshop.game` (tested without a browser). Simulations are cached by
their inputs and run on a pool of local processes kept for the app's life.
"""

from __future__ import annotations

import html
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import astuple
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from sim.apps.workshop import charts
from sim.apps.workshop import export as ex
from sim.apps.workshop import game as gm
from sim.apps.workshop import logic as lg
from sim.experiments.executors import Executor, ProcessExecutor, SerialExecutor, available_cores
from sim.report.format import fmt, fmt_param, fmt_range

T = TypeVar("T")
SEED = 20240601
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{4,32}")
SCREENS = ("Compare", "Game", "Export")

CSS = """
<style>
.block-container { padding-top: 2.2rem; max-width: 1500px; }
.takeaway { font-size: 1.75rem; line-height: 1.35; font-weight: 600; color: #1d2733;
            padding: 0.8rem 1.2rem; margin: 0.2rem 0 1rem; border-left: 10px solid #0072B2;
            background: #eef5fb; border-radius: 6px; }
.takeaway.game { border-left-color: #E69F00; background: #fdf6e7; }
[data-testid="stMetricValue"] { font-size: 2.9rem; font-weight: 700; }
[data-testid="stMetricDelta"] { font-size: 1.35rem; }
[data-testid="stMetricLabel"] p { font-size: 1.1rem; font-weight: 600; }
table.big { border-collapse: collapse; font-size: 1.3rem; margin: 0.4rem 0 1.2rem; width: 100%; }
table.big th { text-align: left; border-bottom: 2px solid #1d2733; padding: 0.35rem 0.7rem;
               font-size: 1.05rem; color: #5b6673; }
table.big td { border-bottom: 1px solid #d9dee4; padding: 0.4rem 0.7rem; }
table.big td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.big tr.first td { font-weight: 700; background: #fff4d6; }
.st-key-horizon label p, .st-key-screen label p { font-size: 1.25rem; font-weight: 600; }
.st-key-debrief_sentences li, .st-key-debrief_sentences p { font-size: 1.25rem; }
</style>
"""


# --- resources kept for the app's life ---------------------------------------------


@st.cache_resource(show_spinner=False)
def executor() -> Executor:
    """A pool of local processes (every core), or serial on one core.

    ``LEADFLOW_WORKSHOP_WORKERS`` overrides the number of processes.
    """
    workers = int(os.environ.get("LEADFLOW_WORKSHOP_WORKERS", "0") or 0) or available_cores()
    return ProcessExecutor(workers) if workers > 1 else SerialExecutor()


@st.cache_resource(show_spinner=False)
def presets() -> dict[str, lg.Preset]:
    """The presets of ``scenarios/``, loaded once."""
    return lg.load_presets()


def on_pool(work: Callable[[Executor], T]) -> T:
    """Run ``work`` on the pool; a pool whose worker died is replaced once, not kept broken."""
    try:
        return work(executor())
    except BrokenProcessPool:
        executor.clear()
        return work(executor())


@st.cache_data(show_spinner=False, max_entries=48)
def cached_runs(preset_key: str, levers: tuple[Any, ...], horizon_days: float,
                replications: int, seed: int) -> lg.Runs:
    """Replications of a preset with levers; cached by their inputs."""
    scenario = lg.scenario_for(presets()[preset_key].scenario, lg.Levers(*levers), horizon_days)
    return on_pool(lambda pool: lg.simulate_runs(scenario, replications, seed, preset_key, pool))


# --- small drawing helpers ------------------------------------------------------------


def takeaway_box(text: str, key: str, kind: str = "") -> None:
    """The sentence to read out, large."""
    with st.container(key=key):
        st.markdown(f'<div class="takeaway {kind}">{html.escape(text)}</div>',
                    unsafe_allow_html=True)


def big_table(rows: list[dict[str, str]], numeric: set[str], first: bool = False,
              key: str | None = None) -> None:
    """A table in room-sized type (the first row highlighted if ``first``)."""
    if not rows:
        return
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = []
    for i, row in enumerate(rows):
        cells = "".join(
            f'<td class="num">{html.escape(str(v))}</td>' if c in numeric
            else f"<td>{html.escape(str(v))}</td>" for c, v in row.items())
        cls = ' class="first"' if first and i == 0 else ""
        body.append(f"<tr{cls}>{cells}</tr>")
    table = (f'<table class="big"><thead><tr>{head}</tr></thead>'
             f'<tbody>{"".join(body)}</tbody></table>')
    if key:
        with st.container(key=key):
            st.markdown(table, unsafe_allow_html=True)
    else:
        st.markdown(table, unsafe_allow_html=True)


def _money(value: float) -> str:
    return fmt(value, "money")


def value_text(value: float, kind: str) -> str:
    """A metric's value for a card (:func:`sim.report.format.fmt`)."""
    return fmt(value, kind)


def signed_text(value: float, kind: str) -> str:
    """A difference for a card's delta."""
    return fmt(value, kind, signed=True)


def lever_widget(spec: lg.LeverSpec, key: str, container: Any = st) -> Any:
    """The control of one lever; its value lives in ``st.session_state[key]``."""
    if spec.kind == "money":
        steps = round((spec.high - spec.low) / spec.step)
        grid = [spec.low + i * spec.step for i in range(steps + 1)]
        current = st.session_state.get(key)
        options = sorted(set(grid) | ({current} if current is not None else set()))
        return container.select_slider(spec.label, options=options, format_func=_money,
                                       key=key, help=spec.help)
    if spec.kind == "percent":
        return container.slider(spec.label, 0, 100, step=1, format="%d%%", key=key,
                                help=spec.help)
    if spec.kind == "number":
        return container.slider(spec.label, spec.low, spec.high, step=spec.step, format="%.2f",
                                key=key, help=spec.help)
    if spec.kind == "count":
        return container.slider(spec.label, int(spec.low), int(spec.high), step=1, key=key,
                                help=spec.help)
    return container.selectbox(spec.label, spec.choices, key=key, help=spec.help,
                               format_func=lambda v: lg.CHOICE_LABELS.get(v, v))


def widget_value(spec: lg.LeverSpec, value: Any) -> Any:
    """A lever's value as its widget holds it (brand share in whole per cent)."""
    if spec.kind == "percent":
        return round(100 * float(value))
    if spec.kind == "count":
        return int(value)
    if spec.kind in ("money", "number"):
        return float(value)
    return value


def lever_value(spec: lg.LeverSpec, value: Any) -> Any:
    """A widget's value as the lever (brand share back to a fraction)."""
    if spec.kind == "percent":
        return float(value) / 100.0
    if spec.kind == "count":
        return int(value)
    if spec.kind in ("money", "number"):
        return float(value)
    return value


def set_widgets(prefix: str, levers: lg.Levers, names: tuple[str, ...]) -> None:
    """Put levers into the widgets' state (before the widgets are drawn)."""
    for name in names:
        st.session_state[f"{prefix}{name}"] = widget_value(lg.LEVER_SPECS[name],
                                                           getattr(levers, name))


def read_widgets(prefix: str, start: lg.Levers, names: tuple[str, ...]) -> lg.Levers:
    """The levers the widgets hold (the others as in ``start``)."""
    return start.with_changes(**{name: lever_value(lg.LEVER_SPECS[name],
                                                   st.session_state[f"{prefix}{name}"])
                                 for name in names})


@st.cache_resource(show_spinner=False)
def sessions() -> dict[str, tuple[ex.Session, threading.Lock]]:
    """Every workshop session of this server, by the id in the page's address."""
    return {}


def session() -> ex.Session:
    """The workshop session (kept comparisons and the game).

    Its id is in the address (``?session=...``), so reloading the page, or opening the
    same address on another device (the facilitator's laptop and the projector), shows
    the same session and game.
    """
    return _session_entry()[0]


def session_lock() -> threading.Lock:
    """Held while a round or a debrief of this session runs (one device at a time)."""
    return _session_entry()[1]


def _session_entry() -> tuple[ex.Session, threading.Lock]:
    store = sessions()
    sid = st.query_params.get("session")
    if not sid or not SESSION_ID.fullmatch(sid):
        sid = secrets.token_urlsafe(6)
    if sid not in store:
        store[sid] = (ex.Session(seed=SEED), threading.Lock())
    if st.query_params.get("session") != sid:
        st.query_params["session"] = sid
    return store[sid]


# --- compare -------------------------------------------------------------------------

ALL_LEVERS = tuple(spec.name for spec in lg.LEVERS)


def _apply_preset() -> None:
    preset = presets()[st.session_state.preset]
    set_widgets("lever_", preset.levers, ALL_LEVERS)


def compare_sidebar() -> tuple[lg.Preset, lg.Levers]:
    """Preset and levers in the sidebar."""
    all_presets = presets()
    if "preset" not in st.session_state:
        st.session_state.preset = lg.BASELINE_KEY
        _apply_preset()
    st.sidebar.selectbox("Start from a preset", list(all_presets), key="preset",
                         on_change=_apply_preset,
                         format_func=lambda k: all_presets[k].title,
                         help="A scenario file of scenarios/: the levers below start from it.")
    preset = all_presets[st.session_state.preset]
    if preset.key != lg.BASELINE_KEY:
        st.sidebar.caption(preset.question or preset.description)
    st.sidebar.button("Reset the levers to the preset", on_click=_apply_preset)
    for spec in lg.LEVERS:
        lever_widget(spec, f"lever_{spec.name}", st.sidebar)
    return preset, read_widgets("lever_", preset.levers, ALL_LEVERS)


def compare_screen() -> None:
    """Baseline vs your plan."""
    preset, levers = compare_sidebar()
    base_preset = presets()[lg.BASELINE_KEY]
    st.markdown("## Baseline vs your plan")
    if "horizon" not in st.session_state:
        st.session_state.horizon = lg.DEFAULT_HORIZON
    top = st.columns([3, 2])
    with top[0]:
        choice = st.radio("Horizon", [h.label for h in lg.HORIZONS], horizontal=True,
                          key="horizon",
                          help="How long both plans run from day 0: watch the winner flip.")
    h = lg.horizon(choice)
    request = (preset.key, astuple(levers), h.days)
    more = st.session_state.get("more_for") == request
    replications = lg.MORE_REPLICATIONS if more else lg.QUICK_REPLICATIONS
    started = time.perf_counter()
    with st.spinner(f"Simulating {replications} replications of both plans over {h.label}..."):
        base_runs = cached_runs(lg.BASELINE_KEY, astuple(base_preset.levers), h.days,
                                replications, SEED)
        your_runs = cached_runs(preset.key, astuple(levers), h.days, replications, SEED)
    elapsed = time.perf_counter() - started
    comparison = lg.compare(base_runs.relabel(lg.BASELINE_LABEL),
                            your_runs.relabel(lg.YOURS_LABEL), h)
    st.session_state.last_comparison = ex.ComparisonRecord(preset.title, base_preset.levers,
                                                           levers, comparison)
    with top[1]:
        buttons = st.columns(2)
        if not more and buttons[0].button(f"More replications ({lg.MORE_REPLICATIONS})",
                                          help="Narrower confidence intervals; takes longer."):
            st.session_state.more_for = request
            st.rerun()
        if buttons[1].button("Keep for the report", help="Add this comparison to the export."):
            session().comparisons.append(st.session_state.last_comparison)
            st.toast(f"Kept: comparison {len(session().comparisons)} of this session.")
    with st.container(key="status"):
        took = f"updated in {elapsed:.1f} s" if elapsed >= 0.05 else "from the cache"
        st.caption(f"{replications} replications of each plan, common random numbers (seed "
                   f"{SEED}) · {took} · changes vs baseline: "
                   f"{', '.join(lg.lever_changes(base_preset.levers, levers)) or 'none'}"
                   + (f" · preset: {preset.title}" if preset.key != lg.BASELINE_KEY else ""))
    takeaway_box(comparison.takeaway, "takeaway")
    metric_cards(comparison)
    horizon_table(comparison)
    runs = [comparison.baseline, comparison.yours]
    left, right = st.columns(2)
    left.altair_chart(charts.revenue_chart(lg.revenue_over_time(runs)), width="stretch", theme=None)
    right.altair_chart(charts.cycle_chart(lg.cycle_rows(runs)), width="stretch", theme=None)
    steps, leaks = charts.funnel_charts(lg.funnel_rows(runs))
    left, right = st.columns(2)
    left.altair_chart(steps, width="stretch", theme=None)
    right.altair_chart(leaks, width="stretch", theme=None)


def metric_cards(comparison: lg.Comparison) -> None:
    """Four big numbers: yours, and the difference to the baseline."""
    metrics = (comparison.horizon.metric, "contribution", "deals_won", "cycle_days_median")
    with st.container(key="cards"):
        for column, metric in zip(st.columns(4), metrics, strict=True):
            row = comparison.row(metric)
            kind = str(row["kind"])
            lower_is_better = metric == "cycle_days_median"
            delta = None if comparison.identical else signed_text(row["difference"], kind)
            # Red and green only for a difference that is not luck (its CI excludes 0).
            colour = "inverse" if lower_is_better else "normal"
            if lg.verdict_word(row) in ("within noise", "same", "-"):
                colour = "off"
            column.metric(
                str(row["label"]), value_text(row["yours"], kind), delta=delta,
                delta_color=colour,
                help=f"Baseline {value_text(row['baseline'], kind)}; 95% CI of the difference "
                     f"{signed_text(row['ci_low'], kind)} to {signed_text(row['ci_high'], kind)}"
                     f" ({lg.verdict_word(row)}).")
            column.caption(f"baseline {value_text(row['baseline'], kind)} · "
                           f"{lg.verdict_word(row)}")


def horizon_table(comparison: lg.Comparison) -> None:
    """Who wins at each window up to the horizon."""
    rows = []
    for _, w in comparison.by_horizon.iterrows():
        rows.append({"Revenue over": str(w["window"]), "Baseline": fmt(w["baseline"], "money"),
                     "Your plan": fmt(w["yours"], "money"),
                     "Difference": fmt(w["difference"], "money", signed=True),
                     "95% CI": fmt_range(w["ci_low"], w["ci_high"], "money", signed=True),
                     "Verdict": lg.verdict_word(w)})
    if len(rows) > 1:
        st.markdown("#### Who wins at each horizon")
        big_table(rows, {"Baseline", "Your plan", "Difference", "95% CI"}, key="by_horizon")


# --- game ------------------------------------------------------------------------------


def game_setup() -> None:
    """The facilitator's settings, then Start."""
    st.markdown("## The game: teams, rounds of a quarter each")
    st.markdown(
        "Two or more teams run the same company. Each round is a quarter (91 days): every "
        "team sets its levers, then the simulation replays each team's plan from day 0 with "
        "the **same market and the same luck** (common random numbers). After the last round, "
        "the debrief plays every team's choices forward to the long run.")
    all_presets = presets()
    with st.form("setup"):
        left, right = st.columns(2)
        names = left.text_area("Teams (one per line)", "Team A\nTeam B", height=120)
        base_key = left.selectbox("Starting company", list(all_presets),
                                  format_func=lambda k: all_presets[k].title)
        rounds = right.number_input("Rounds (quarters)", 1, gm.MAX_ROUNDS, 4)
        long_run = right.selectbox("Long run for the debrief", list(gm.LONG_RUN_CHOICES),
                                   index=list(gm.LONG_RUN_CHOICES).index("3 years"))
        replications = right.number_input("Replications per team", 2, 12,
                                          lg.QUICK_REPLICATIONS,
                                          help="More replications: narrower intervals, "
                                               "slower rounds.")
        if st.form_submit_button("Start the game", type="primary"):
            teams = tuple(n.strip() for n in names.splitlines() if n.strip())
            try:
                setup = gm.GameSetup(teams, int(rounds), all_presets[base_key].scenario,
                                     all_presets[base_key].title, SEED, int(replications),
                                     max(gm.LONG_RUN_CHOICES[long_run],
                                         int(rounds) * gm.QUARTER_DAYS))
            except gm.GameError as exc:
                st.error(str(exc))
                return
            st.session_state.game_number = st.session_state.get("game_number", 0) + 1
            session().game = gm.Game(setup)
            st.rerun()
    st.caption("Reps stay those of the starting company for the whole game: the model fixes "
               "the number of reps for a run (hiring takes longer than a quarter).")


def _team_prefix(game: gm.Game, index: int) -> str:
    return f"game{st.session_state.get('game_number', 0)}_r{game.next_round}_t{index}_"


def game_screen() -> None:
    """Rounds, leaderboards and the debrief."""
    game = session().game
    if game is None:
        game_setup()
        return
    setup = game.setup
    head = st.columns([4, 1])
    head[0].markdown(f"## The game: {', '.join(setup.teams)}")
    if head[1].button("New game", help="Forget this game and set up another."):
        session().game = None
        st.rerun()
    if game.results:
        leaderboard_view(game)
    if not game.finished:
        start, end = gm.round_days(game.next_round)
        st.markdown(f"### Round {game.next_round} of {setup.rounds}: set the levers "
                    f"(days {fmt_param(start)} to {fmt_param(end)})")
        play_form(game)
    else:
        debrief_view(game)


def play_form(game: gm.Game) -> None:
    """Every team's levers for the next round, then Play."""
    setup = game.setup
    st.caption(f"Each team sets its levers for this quarter ({setup.start_levers.reps} reps "
               f"each, fixed). They start from the team's levers of the last round.")
    columns = st.columns(min(len(setup.teams), 3))
    for i, team in enumerate(setup.teams):
        prefix = _team_prefix(game, i)
        if f"{prefix}brand_share" not in st.session_state:
            set_widgets(prefix, game.current_levers(team), gm.GAME_LEVERS)
        with columns[i % len(columns)].container(border=True, key=f"team_{i}"):
            st.markdown(f"### {team}")
            for name in gm.GAME_LEVERS:
                lever_widget(lg.LEVER_SPECS[name], f"{prefix}{name}")
    number = game.next_round
    if st.button(f"Play round {number}", type="primary", key="play"):
        choices = {team: read_widgets(_team_prefix(game, i), game.current_levers(team),
                                      gm.GAME_LEVERS)
                   for i, team in enumerate(setup.teams)}
        started = time.perf_counter()
        with st.spinner(f"Replaying {len(setup.teams)} teams from day 0 to the end of round "
                        f"{number}..."), session_lock():
            if game.next_round == number:  # not played meanwhile from another device
                on_pool(lambda pool: game.play_round(choices, pool))
        st.session_state.round_seconds = time.perf_counter() - started
        st.rerun()


def leaderboard_view(game: gm.Game) -> None:
    """The last round's leaderboard, the standings, earlier rounds folded."""
    last = game.results[-1]
    st.markdown(f"### Leaderboard, round {last.number} of {game.setup.rounds}")
    takeaway_box(gm.round_summary(last), "round_summary", "game")
    rows = [{"#": str(r["rank"]), "Team": str(r["team"]),
             "Contribution this quarter": fmt(r["contribution_round"], "money"),
             "Revenue this quarter": fmt(r["revenue_round"], "money"),
             "Contribution to date": fmt(r["contribution_to_date"], "money"),
             "Changes this round": str(r["changes"])}
            for _, r in last.leaderboard.iterrows()]
    big_table(rows, {"Contribution this quarter", "Revenue this quarter",
                     "Contribution to date"}, first=True, key="leaderboard")
    seconds = st.session_state.get("round_seconds")
    st.caption(f"Mean of {game.setup.replications} replications per team, the same for every "
               "team. Ranked by the contribution earned in the quarter (margin on revenue "
               "less every cost). Round 1 starts with an empty pipeline: deals take weeks to "
               "close." + (f" Replayed in {seconds:.1f} s." if seconds else ""))
    if len(game.results) > 1:
        st.altair_chart(charts.standings_chart(game.standings()), width="stretch", theme=None)
        with st.expander("Earlier rounds"):
            for result in game.results[:-1]:
                st.markdown(f"**Round {result.number}**")
                st.dataframe(result.leaderboard[["rank", "team", "contribution_round",
                                                 "revenue_round", "changes"]],
                             hide_index=True)


def debrief_view(game: gm.Game) -> None:
    """The long run of every team's choices."""
    long_words = gm.duration_words(game.setup.long_run_days)
    if game.debrief is None:
        if st.button(f"Debrief: play every team's choices forward to {long_words}",
                     type="primary", key="debrief"):
            started = time.perf_counter()
            with st.spinner(f"Replaying every team to {long_words}..."), session_lock():
                if game.debrief is None:
                    on_pool(game.run_debrief)
            st.session_state.debrief_seconds = time.perf_counter() - started
            st.rerun()
        return
    d = game.debrief
    st.markdown(f"### Debrief: the long run ({long_words})")
    takeaway_box(d.headline, "debrief_headline", "game")
    with st.container(key="debrief_sentences"):
        st.markdown("\n".join(f"- {sentence}" for sentence in d.sentences))
    rows = [{"Team": str(r["team"]),
             "Contribution, game": fmt(r["contribution_game"], "money"),
             "Rank, game": str(r["rank_game"]),
             f"Contribution, {long_words}": fmt(r["contribution_long"], "money"),
             f"Rank, {long_words}": str(r["rank_long"]),
             "Brand equity": f"{r['brand_equity_game']:.2f} → {r['brand_equity_long']:.2f}"}
            for _, r in d.table.iterrows()]
    big_table(rows, {"Contribution, game", f"Contribution, {long_words}"}, first=True,
              key="debrief_table")
    ends = [(r.end_day, f"R{r.number}") for r in game.results]
    left, right = st.columns(2)
    left.altair_chart(charts.revenue_chart(gm.long_run_revenue(d), "Revenue booked, by team",
                                           ends), width="stretch", theme=None)
    right.altair_chart(charts.equity_chart(gm.brand_equity(d), ends), width="stretch", theme=None)
    seconds = st.session_state.get("debrief_seconds")
    if seconds:
        st.caption(f"Replayed in {seconds:.1f} s.")


# --- export ------------------------------------------------------------------------------


def export_screen() -> None:
    """Download the session as one HTML page, or save it under reports/."""
    sess = session()
    st.markdown("## Export the session")
    if not sess.comparisons and st.session_state.get("last_comparison") is not None:
        st.info("No comparison kept yet: the last one shown will be included.")
    kept = len(sess.comparisons)
    game = sess.game
    played = len(game.results) if game is not None else 0
    st.markdown(f"- **{kept}** comparison{'s' * (kept != 1)} kept (the *Keep for the report* "
                f"button of the Compare screen)\n"
                f"- game: " + (f"**{len(game.setup.teams)} teams**, {played} of "
                               f"{game.setup.rounds} rounds played"
                               + (", debrief included" if game.debrief else "")
                               if game is not None else "none"))

    # Built when the button is clicked, outside this run: no st.session_state there, so
    # the session is taken now.
    snapshot = export_session()

    def page() -> str:
        return ex.session_html(snapshot)

    stamp = f"{datetime.now():%Y%m%d-%H%M}"
    st.download_button("Download the session (HTML)", data=page,
                       file_name=f"workshop-{stamp}.html", mime="text/html", type="primary",
                       key="download", on_click="ignore")
    if st.button("Save a copy in reports/", key="save"):
        path = ex.write_session(export_session(), ex.default_export_path(Path.cwd() / "reports"))
        st.success(f"Saved: {path}")
    st.caption("One self-contained page: figures embedded, no script, no network. It opens "
               "offline in any browser and can be mailed to the room.")


def export_session() -> ex.Session:
    """The session to export: the kept comparisons, or the last one shown if none."""
    sess = session()
    last = st.session_state.get("last_comparison")
    if sess.comparisons or last is None:
        return sess
    return ex.Session(sess.started, sess.seed, [last], sess.game)


# --- the page --------------------------------------------------------------------------


# Widget values that must survive a visit to another screen: Streamlit forgets the
# state of widgets a run does not draw, unless it is written back at the top of the run.
KEEP_ALIVE = ("screen", "preset", "horizon", "lever_", "game")


def keep_widget_state() -> None:
    """Write the levers', preset's and horizon's values back so other screens keep them."""
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(KEEP_ALIVE) and key not in (
                "game", "game_number"):
            st.session_state[key] = st.session_state[key]


def main() -> None:
    """Draw the selected screen."""
    st.set_page_config(page_title="Leadflow workshop", layout="wide",
                       initial_sidebar_state="expanded")
    keep_widget_state()
    session()  # puts the session's id in the address from the first page on
    st.markdown(CSS, unsafe_allow_html=True)
    st.sidebar.markdown("# Leadflow workshop")
    screen = st.sidebar.radio("Screen", SCREENS, key="screen")
    st.sidebar.divider()
    if screen == "Compare":
        compare_screen()
    elif screen == "Game":
        st.sidebar.caption("The game uses its own levers, one set per team and round.")
        game_screen()
    else:
        export_screen()

