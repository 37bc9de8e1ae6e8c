"""The workshop app's pages (Streamlit), drawn by :mod:`sim.apps.workshop.app`.

The address chooses the page:

- ``/`` (with ``?session=...``, added on the first visit): the facilitator's
  app, four screens chosen in the sidebar:

  - **Compare**: presets and the headline levers in the sidebar; baseline vs
    your plan over 90 days, one year or three years. A lever change shows the
    first replications at once and refines in the background (the page stays
    responsive and redraws as replications arrive); *More replications* doubles
    them.
  - **Diagnostic**: the room answers the alignment questionnaire together (the
    facilitator enters the agreed answers); the stage, the weakest levers and
    the room's own company, to play with on Compare, to start a game from, or
    to download as a scenario file (:mod:`sim.apps.workshop.diagnosis`).
  - **Game**: set up a game; each team gets a private link; the round is played
    once the teams have sent their decisions; leaderboards; the debrief, with
    the gap between two teams split lever by lever.
  - **Export**: the session (kept comparisons and the game) as one HTML page.

- ``?team=CODE``: a team's own page, on its own device: its levers for the
  next round (hiring included), sent privately, its results and the public
  leaderboard.
- ``?board=CODE``: the projector's board: the leaderboard and, at the end, the
  debrief; never a team's decisions before the debrief.

This file only draws: every number comes from :mod:`sim.apps.workshop.logic`,
:mod:`sim.apps.workshop.game` and :mod:`sim.apps.workshop.attribution`
(tested without a browser). Replications run on the server's simulation
service (:mod:`sim.apps.workshop.engine`, shared by every page), games live
in :mod:`sim.apps.workshop.rooms` (saved under ``reports/workshop-games/``).
"""

from __future__ import annotations

import html
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import astuple, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import streamlit as st

from sim.apps.workshop import attribution as at
from sim.apps.workshop import charts
from sim.apps.workshop import diagnosis as dg
from sim.apps.workshop import export as ex
from sim.apps.workshop import game as gm
from sim.apps.workshop import logic as lg
from sim.apps.workshop.engine import BACKGROUND, Engine, SimulationError, Want, fingerprint
from sim.apps.workshop.rooms import Room, Rooms
from sim.apps.workshop.storage import GameFileError
from sim.experiments.executors import available_cores
from sim.report.format import fmt, fmt_param, fmt_range
from sim.scenario.diagnostic import diagnose
from sim.scenario.schema import Scenario

SEED = 20240601
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{4,32}")
SCREENS = ("Compare", "Diagnostic", "Game", "Export")
GAMES_FOLDER = Path("reports") / "workshop-games"  # under the server's working directory

# The page waits this long for a lever change's first replications before it shows
# the previous answer as "updating"; while refining it checks for new replications
# every REFRESH_SECONDS and redraws at most every REDRAW_SECONDS (at once for the
# first answer and the last). Team pages and the board look for news every WATCH_SECONDS.
FIRST_WAIT_SECONDS = 1.5
REFRESH_SECONDS = 0.3
REDRAW_SECONDS = 1.0
WATCH_SECONDS = 2.0

# Extra readings closing the debrief (gm.Diagnostic), also given to the Rooms() below so
# a restored game reads the same.
DIAGNOSTICS: tuple[gm.Diagnostic, ...] = (gm.hiring_diagnostic,)

CSS = """
<style>
.block-container { padding-top: 2.2rem; max-width: 1500px; }
.takeaway { font-size: 1.75rem; line-height: 1.35; font-weight: 600; color: #1d2733;
            padding: 0.8rem 1.2rem; margin: 0.2rem 0 1rem; border-left: 10px solid #0072B2;
            background: #eef5fb; border-radius: 6px; }
.takeaway.game { border-left-color: #E69F00; background: #fdf6e7; }
.takeaway.stale { opacity: 0.55; }
[data-testid="stMetricValue"] { font-size: 2.9rem; font-weight: 700; }
[data-testid="stMetricDelta"] { font-size: 1.35rem; }
[data-testid="stMetricLabel"] p { font-size: 1.1rem; font-weight: 600; }
table.big { border-collapse: collapse; font-size: 1.3rem; margin: 0.4rem 0 1.2rem; width: 100%; }
table.big th { text-align: left; border-bottom: 2px solid #1d2733; padding: 0.35rem 0.7rem;
               font-size: 1.05rem; color: #5b6673; }
table.big td { border-bottom: 1px solid #d9dee4; padding: 0.4rem 0.7rem; }
table.big td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.big tr.first td { font-weight: 700; background: #fff4d6; }
.code { font-family: monospace; font-size: 1.6rem; font-weight: 700; letter-spacing: 0.12em; }
.st-key-horizon label p, .st-key-screen label p { font-size: 1.25rem; font-weight: 600; }
.st-key-debrief_sentences li, .st-key-debrief_sentences p { font-size: 1.25rem; }
</style>
"""


# --- resources kept for the server's life ---------------------------------------------


@st.cache_resource(show_spinner=False)
def presets() -> dict[str, lg.Preset]:
    """The presets of ``scenarios/``, loaded once."""
    return lg.load_presets()


def baseline_scenario(days: float) -> Scenario:
    """The baseline preset with its own levers over ``days``."""
    base = presets()[lg.BASELINE_KEY]
    return lg.scenario_for(base.scenario, base.levers, days)


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    """The simulation service, the baseline warmed at every horizon in the background.

    A worker process per core; ``LEADFLOW_WORKSHOP_WORKERS`` overrides the count,
    and 1 runs the replications on a thread of the server (tests).
    """
    workers = int(os.environ.get("LEADFLOW_WORKSHOP_WORKERS", "0") or 0) or available_cores()
    service = Engine(workers, processes=workers > 1)
    service.want("warm-up", [Want(baseline_scenario(h.days), SEED, lg.MORE_REPLICATIONS)
                             for h in lg.HORIZONS], BACKGROUND)
    return service


@st.cache_resource(show_spinner=False)
def rooms() -> Rooms:
    """Every game of the server, read back from ``reports/workshop-games/`` on start."""
    return Rooms(Path.cwd() / GAMES_FOLDER, DIAGNOSTICS)


@st.cache_resource(show_spinner=False)
def sessions() -> dict[str, ex.Session]:
    """Every workshop session of this server, by the id in the page's address."""
    return {}


@st.cache_resource(show_spinner=False)
def companies() -> dict[str, lg.Preset]:
    """Each session's diagnosed company (the Diagnostic screen), by the session's id."""
    return {}


def known_presets() -> dict[str, lg.Preset]:
    """The presets of ``scenarios/`` and, once diagnosed, this session's own company."""
    own = companies().get(session_id())
    return {**presets(), **({own.key: own} if own is not None else {})}


def session_id() -> str:
    """The session's id: in the address (``?session=...``), added on the first visit.

    Reloading the page, or opening the same address on another device, shows the
    same session (kept comparisons, the game).
    """
    sid = st.query_params.get("session")
    if not sid or not SESSION_ID.fullmatch(sid):
        sid = secrets.token_urlsafe(6)
        st.query_params["session"] = sid
    return sid


def session() -> ex.Session:
    """The workshop session of the address."""
    return sessions().setdefault(session_id(), ex.Session(seed=SEED))


def current_room() -> Room | None:
    """The game this session runs (the newest of the session's saved games)."""
    return rooms().of_owner(session_id())


def client() -> str:
    """This browser tab's name at the simulation service."""
    if "client" not in st.session_state:
        st.session_state.client = secrets.token_hex(6)
    return str(st.session_state.client)


# --- small drawing helpers ------------------------------------------------------------


def takeaway_box(text: str, key: str, kind: str = "") -> None:
    """The sentence to read out, large."""
    with st.container(key=key):
        st.markdown(f'<div class="takeaway {kind}">{html.escape(text)}</div>',
                    unsafe_allow_html=True)


def big_table(rows: list[dict[str, str]], numeric: set[str], first: bool = False,
              key: str | None = None) -> None:
    """A table in room-sized type (rows of rank 1 highlighted if ``first``)."""
    if not rows:
        return
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{html.escape(str(v))}</td>' if c in numeric
            else f"<td>{html.escape(str(v))}</td>" for c, v in row.items())
        cls = ' class="first"' if first and str(row.get("#", "")).startswith("1") else ""
        body.append(f"<tr{cls}>{cells}</tr>")
    table = (f'<table class="big"><thead><tr>{head}</tr></thead>'
             f'<tbody>{"".join(body)}</tbody></table>')
    with st.container(key=key):
        st.markdown(table, unsafe_allow_html=True)


def chart(spec: dict[str, Any], where: Any = st) -> None:
    """A Vega-Lite chart at the container's width (specs from :func:`charts.spec`)."""
    where.vega_lite_chart(spec, width="stretch", theme=None)


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
        return container.select_slider(spec.label, options=options,
                                       format_func=lambda v: fmt(v, "money"), key=key,
                                       help=spec.help)
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


def watch(version: Callable[[], object]) -> None:
    """Redraw the page when ``version()`` changes (a team sent its levers, a round was played).

    Args:
        version: what the page shows, cheaply (a room's version).
    """
    shown = version()

    @st.fragment(run_every=WATCH_SECONDS)
    def check() -> None:
        if version() != shown:
            st.rerun(scope="app")

    check()


# --- compare -------------------------------------------------------------------------

ALL_LEVERS = tuple(spec.name for spec in lg.LEVERS)


def _apply_preset() -> None:
    preset = known_presets()[st.session_state.preset]
    set_widgets("lever_", preset.levers, ALL_LEVERS)


def compare_sidebar() -> tuple[lg.Preset, lg.Levers]:
    """Preset and levers in the sidebar."""
    all_presets = known_presets()
    if st.session_state.get("preset") not in all_presets:  # first visit, or a company gone
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


@dataclass(frozen=True)
class ChartSpecs:
    """A comparison's charts as the page draws them (Vega-Lite specs)."""

    revenue: dict[str, Any]
    cycle: dict[str, Any]
    steps: dict[str, Any]
    leaks: dict[str, Any]


@st.cache_resource(show_spinner=False, max_entries=64)
def comparison_of(base_key: str, yours_key: str, n: int, horizon_label: str,
                  _base: Scenario, _yours: Scenario) -> lg.Comparison:
    """Baseline vs yours on ``n`` paired replications, built once for everybody who looks.

    The keys are the scenarios' fingerprints; the scenarios themselves (not
    hashed by the cache) say what to assemble.
    """
    del base_key, yours_key
    return lg.compare(engine().runs(_base, SEED, n, lg.BASELINE_LABEL),
                      engine().runs(_yours, SEED, n, lg.YOURS_LABEL), lg.horizon(horizon_label))


@st.cache_resource(show_spinner=False, max_entries=64)
def charts_of(base_key: str, yours_key: str, n: int, horizon_label: str,
              _comparison: lg.Comparison) -> ChartSpecs:
    """The comparison's charts, built once for everybody who looks.

    The keys are those of :func:`comparison_of`.
    """
    del base_key, yours_key, n, horizon_label
    runs = [_comparison.baseline, _comparison.yours]
    steps, leaks = charts.funnel_charts(lg.funnel_rows(runs))
    return ChartSpecs(charts.spec(charts.revenue_chart(lg.revenue_over_time(runs))),
                      charts.spec(charts.cycle_chart(lg.cycle_rows(runs))), charts.spec(steps),
                      charts.spec(leaks))


def paired_ready(base: Scenario, yours: Scenario) -> int:
    """Replications of both plans ready, in a row from 0."""
    return min(engine().done(base, SEED), engine().done(yours, SEED))


def next_target(target: int) -> int:
    """The replications "More replications" asks for: double, up to the maximum."""
    return min(2 * target, lg.MAX_REPLICATIONS)


def compare_screen() -> None:
    """Baseline vs your plan: the first replications at once, refined in the background."""
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
    base = baseline_scenario(h.days)
    yours = lg.scenario_for(preset.scenario, levers, h.days)
    request = (preset.key, astuple(levers), h.days)
    targets: dict[Any, int] = st.session_state.setdefault("targets", {})
    target = targets.get(request, lg.REFINED_REPLICATIONS)
    service = engine()
    wants = [Want(base, SEED, target), Want(yours, SEED, target)]
    service.want(f"{client()}:compare", wants)
    try:
        ready = paired_ready(base, yours)
        if ready == 0:
            service.wait(wants, at_least=1, timeout=FIRST_WAIT_SECONDS)
            ready = paired_ready(base, yours)
    except SimulationError as exc:
        st.error(f"The simulation failed: {exc}")
        return
    with top[1]:
        buttons = st.columns(2)
        more = next_target(max(target, ready))
        if buttons[0].button(f"More replications ({more})", disabled=more <= max(target, ready),
                             help="Narrower confidence intervals: more replications of both "
                                  "plans, added as they come."):
            targets[request] = more
            st.rerun()
        keep = buttons[1].button("Keep for the report", disabled=ready == 0,
                                 help="Add this comparison to the export.")
    changes = ', '.join(lg.lever_changes(base_preset.levers, levers)) or 'none'
    if ready == 0:
        compare_waiting(h, target, changes)
    else:
        keys = (fingerprint(base), fingerprint(yours), ready, h.label)
        comparison = comparison_of(*keys, base, yours)
        record = ex.ComparisonRecord(preset.title, base_preset.levers, levers, comparison)
        st.session_state.last_comparison = record
        if keep:
            session().comparisons.append(record)
            st.toast(f"Kept: comparison {len(session().comparisons)} of this session.")
        status = (f"{ready} replications of each plan over {h.label}" if ready >= target else
                  f"{ready} of {target} replications of each plan over {h.label} so far "
                  f"(refining; the page updates by itself)")
        with st.container(key="status"):
            st.caption(f"{status}, common random numbers (seed {SEED}) · changes vs baseline: "
                       f"{changes}" + (f" · preset: {preset.title}"
                                       if preset.key != lg.BASELINE_KEY else ""))
        # The numbers first: the browser shows them while the charts are built.
        draw_numbers(comparison)
        draw_charts(charts_of(*keys, comparison))
    if ready < target:
        engine().withdraw(f"{client()}:ahead")  # what was likely next before this move
        refresh_until(base, yours, target, ready)
    else:
        look_ahead(preset, levers, h)


def compare_waiting(h: lg.Horizon, target: int, changes: str) -> None:
    """Before the first replication: the previous answer, faded, and what is coming."""
    with st.container(key="status"):
        st.caption(f"Simulating your plan over {h.label}: the first replications are on their "
                   f"way ({target} to come)... · changes vs baseline: {changes}")
    record: ex.ComparisonRecord | None = st.session_state.get("last_comparison")
    if record is not None:
        takeaway_box(f"Updating... (shown: {record.comparison.takeaway})", "takeaway_stale",
                     "stale")


def refresh_until(base: Scenario, yours: Scenario, target: int, drawn: int) -> None:
    """Redraw the page as replications arrive, until ``target`` of each plan are ready."""
    drawn_at = time.monotonic()

    @st.fragment(run_every=REFRESH_SECONDS)
    def check() -> None:
        try:
            ready = paired_ready(base, yours)
        except SimulationError:
            st.rerun(scope="app")  # the full page says what failed
        due = time.monotonic() - drawn_at >= REDRAW_SECONDS
        if ready >= target or (ready > drawn and (drawn == 0 or due)):
            st.rerun(scope="app")

    check()


def look_ahead(preset: lg.Preset, levers: lg.Levers, h: lg.Horizon) -> None:
    """With the answer complete, run what the room will likely ask next, in the background.

    The same levers at the other horizons (the first replications of each plan:
    switching the horizon answers at once), then each lever moved alone to the end
    of its range or to another choice (:func:`sim.apps.workshop.logic.likely_moves`),
    a first replication each. A spare worker only: background work never takes
    the last one, so it never delays a lever change's first replication.
    """
    others = [other for other in lg.HORIZONS if other.label != h.label]
    wants = [Want(lg.scenario_for(preset.scenario, levers, other.days), SEED, engine().workers)
             for other in others]
    wants += [Want(lg.scenario_for(preset.scenario, move, h.days), SEED, 1)
              for move in lg.likely_moves(levers)]
    engine().want(f"{client()}:ahead", wants, BACKGROUND)


def draw_numbers(comparison: lg.Comparison) -> None:
    """The takeaway, the big numbers and who wins at each horizon."""
    takeaway_box(comparison.takeaway, "takeaway")
    metric_cards(comparison)
    horizon_table(comparison)


def draw_charts(specs: ChartSpecs) -> None:
    """Revenue over time, cycle time, the funnel and its leaks."""
    left, right = st.columns(2)
    chart(specs.revenue, left)
    chart(specs.cycle, right)
    left, right = st.columns(2)
    chart(specs.steps, left)
    chart(specs.leaks, right)


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
            colour: Literal["normal", "inverse", "off"] = (
                "inverse" if lower_is_better else "normal")
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


# --- the alignment diagnostic ---------------------------------------------------------------


def answers_of_the_room() -> dict[str, int]:
    """The answers the widgets of the Diagnostic screen hold (the middle before any)."""
    return {key: int(st.session_state.get(f"diag_{key}", dg.DEFAULT_SCORE))
            for key in dg.STATEMENT_OF}


def _adopt_company(screen: str) -> None:
    """Make the answers this session's company; open it on ``screen`` (a button's callback)."""
    company = dg.diagnosed_preset(answers_of_the_room(), presets()[lg.BASELINE_KEY])
    companies()[session_id()] = company
    if screen == "Compare":
        st.session_state.preset = company.key
        set_widgets("lever_", company.levers, ALL_LEVERS)
    else:
        st.session_state.setup_base = company.key
    st.session_state.screen = screen


def diagnostic_screen() -> None:
    """The room answers the questionnaire; its stage, weakest levers and own company."""
    st.markdown("## Where does your company stand? The alignment diagnostic")
    st.markdown(
        "How true is each statement of **your** company, from *1 not at all* to *5 "
        "completely*? The room agrees on one answer per statement and the facilitator enters "
        "it. The answers place the company on Kotler et al.'s stages of alignment, name its "
        "weakest levers and set every lever's value: your own company, to play with on the "
        "Compare screen or to start a game from.")
    for key in dg.STATEMENT_OF:
        st.session_state.setdefault(f"diag_{key}", dg.DEFAULT_SCORE)
    left, right = st.columns([5, 4], gap="large")
    with left, st.container(key="questionnaire"):
        for title, keys in dg.GROUPS:
            st.markdown(f"#### {title}")
            for key in keys:
                st.radio(dg.STATEMENT_OF[key].text, list(dg.SCORE_WORDS), horizontal=True,
                         key=f"diag_{key}", format_func=dg.SCORE_WORDS.__getitem__,
                         help="Sets " + ", ".join(f"`{k}`" for k in dg.informs(key)) + ".")
    diagnosis = diagnose(answers_of_the_room())
    with right:
        st.markdown("### Your company")
        takeaway_box(dg.headline(diagnosis), "diagnosis")
        rows = [{"Setting": dg.setting_label(key), "Value": dg.value_text(value)}
                for key, value in diagnosis.overrides.items()]
        big_table(rows, {"Value"}, key="diagnosis_values")
        st.button("Play with our company on the Compare screen", type="primary",
                  key="diagnosis_compare", on_click=_adopt_company, args=("Compare",),
                  help="The Compare screen starts from your company: baseline vs yours, then "
                       "move its weakest levers.")
        st.button("Start a game from our company", key="diagnosis_game",
                  on_click=_adopt_company, args=("Game",),
                  help="The Game screen's starting company becomes yours.")
        st.download_button("Download the scenario file (YAML)",
                           data=dg.diagnosis_yaml(diagnosis),
                           file_name=f"{dg.DIAGNOSED_NAME}.yaml", mime="text/yaml",
                           key="diagnosis_yaml", on_click="ignore")
        st.caption(f"The file extends the baseline: save it in the scenarios/ folder and run "
                   f"`python run.py run scenarios/{dg.DIAGNOSED_NAME}.yaml`. In a terminal, "
                   "`python run.py diagnose` asks the same statements.")


# --- the game: the facilitator's screen ----------------------------------------------------


def game_setup() -> None:
    """The facilitator's settings, then Start; or a saved game to resume."""
    st.markdown("## The game: teams, rounds of a quarter each")
    st.markdown(
        "Two or more teams run the same company. Each round is a quarter (91 days): every "
        "team sends its levers **from its own device** (a private link per team), then the "
        "simulation replays each team's plan from day 0 with the **same market and the same "
        "luck** (common random numbers). The projector shows only the leaderboard. After the "
        "last round, the debrief plays every team's choices forward to the long run and splits "
        "the gap between two teams lever by lever.")
    all_presets = known_presets()
    if st.session_state.get("setup_base") not in all_presets:
        st.session_state.setup_base = lg.BASELINE_KEY
    with st.form("setup"):
        left, right = st.columns(2)
        names = left.text_area("Teams (one per line)", "Team A\nTeam B", height=120)
        base_key = left.selectbox("Starting company", list(all_presets), key="setup_base",
                                  format_func=lambda k: all_presets[k].title,
                                  help="A preset, or your company once diagnosed (the "
                                       "Diagnostic screen).")
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
            rooms().create(setup, session_id())
            st.rerun()
    st.caption("Teams may hire: a team's *Sales reps* is its headcount from the round on. "
               "Hires join after the hiring lag, ramp up over months and are paid from the day "
               "they join, so a hire costs contribution before it brings deals.")
    resume_or_import()


def resume_or_import() -> None:
    """Saved games (this server's, kept across restarts) and a game file to import."""
    library = rooms()
    saved = library.all()
    st.markdown("#### Resume a saved game")
    if saved:
        titles = {r.id: r.title() for r in saved}
        chosen = st.selectbox("Saved games (newest first)", list(titles),
                              format_func=titles.__getitem__, key="resume_choice")
        if st.button("Resume this game", key="resume"):
            room = library.get(chosen)
            if room is not None:
                library.adopt(room, session_id())
                st.rerun()
    else:
        st.caption(f"No saved game yet: games are saved in {GAMES_FOLDER}/ as they are played.")
    upload = st.file_uploader("Import a game file (.json, from *Download the game file*)",
                              type=["json"], key="import")
    if upload is not None and st.button("Import and resume", key="import_go"):
        try:
            library.import_bytes(upload.getvalue(), session_id())
        except GameFileError as exc:
            st.error(f"{upload.name}: {exc}")
            return
        st.rerun()
    for problem in library.problems:
        st.warning(f"A saved game could not be read: {problem}")


def base_url() -> str:
    """This app's address as the browser sees it, without the query."""
    url = str(st.context.url or "")
    return url.split("?", 1)[0] or "/"


def game_screen() -> None:
    """The facilitator's game: links, the round's decisions, leaderboards, the debrief."""
    room = current_room()
    if room is None:
        game_setup()
        return
    game = room.game
    head = st.columns([4, 1, 1])
    head[0].markdown(f"## The game: {', '.join(game.setup.teams)}")
    if head[1].button("New game", help="Put this game aside (it stays saved) and set up "
                                       "another."):
        rooms().adopt(room, "")
        st.rerun()
    head[2].download_button("Download the game file", data=lambda: rooms().export_bytes(room),
                            file_name=f"workshop-game-{room.id}.json",
                            mime="application/json", on_click="ignore", key="game_file",
                            help="The whole game as a JSON file: import it on another server "
                                 "to carry on.")
    links_panel(room)
    if game.results:
        leaderboard_view(room)
    if not game.finished:
        round_panel(room)
    else:
        debrief_view(room, facilitator=True)
    watch(lambda: room.version)


def links_panel(room: Room) -> None:
    """Each team's private link and the projector's board (not for the projector)."""
    base = base_url()
    with st.expander("Team links and the projector's board: hand each team its own link; "
                     "do not project this", expanded=not room.game.results):
        rows = [{"Team": team, "Code": code, "Its page": f"{base}?team={code}"}
                for team, code in room.codes.items()]
        big_table(rows, set(), key="team_links")
        st.markdown(f"Projector (leaderboard only): `{base}?board={room.board}`")
        st.caption("A team can also open this app's address and add ?team=CODE. The codes "
                   "survive a restart of the server.")


def round_panel(room: Room) -> None:
    """Which teams have sent their levers for the next round, and Play."""
    game = room.game
    number = game.next_round
    start, end = gm.round_days(number)
    st.markdown(f"### Round {number} of {game.setup.rounds} (days {fmt_param(start)} to "
                f"{fmt_param(end)}): the teams' decisions")
    undecided = game.undecided()
    rows = [{"Team": team, "Decision": "waiting" if team in undecided else "received"}
            for team in game.setup.teams]
    big_table(rows, set(), key="decisions")
    st.caption("Decisions stay private: each team sees only its own; the projector only the "
               "leaderboard. A team that sends nothing keeps its levers of the round before.")
    columns = st.columns([1, 2])
    play_all = columns[0].button(f"Play round {number}", type="primary", key="play",
                                 disabled=bool(undecided),
                                 help="Every team has sent its levers.")
    play_now = bool(undecided) and columns[1].button(
        f"Play round {number} now ({len(undecided)} team{'s' * (len(undecided) != 1)} keep "
        f"their levers)", key="play_now")
    if play_all or play_now:
        started = time.perf_counter()
        with st.spinner(f"Replaying {len(game.setup.teams)} teams from day 0 to the end of "
                        f"round {number}..."), rooms().changing(room):
            if game.next_round == number:  # not played meanwhile from another device
                game.play_round(executor=engine().executor(f"room-{room.id}"))
        st.session_state.round_seconds = time.perf_counter() - started
        st.rerun()


def rank_text(board: pd.DataFrame, rank: int) -> str:
    """``1``, or ``1=`` when another team shares the rank."""
    return f"{rank}{'=' if int((board['rank'] == rank).sum()) > 1 else ''}"


def leaderboard_view(room: Room) -> None:
    """The last round's leaderboard (no team's decisions), the standings, earlier rounds."""
    game = room.game
    last = game.results[-1]
    st.markdown(f"### Leaderboard, round {last.number} of {game.setup.rounds}")
    takeaway_box(gm.round_summary(last), "round_summary", "game")
    board = last.leaderboard
    gaps = gm.versus_leader(board)
    rows = [{"#": rank_text(board, int(r["rank"])), "Team": str(r["team"]),
             "Contribution this quarter": fmt(r["contribution_round"], "money"),
             "Versus the leader": gap,
             "Revenue this quarter": fmt(r["revenue_round"], "money"),
             "Contribution to date": fmt(r["contribution_to_date"], "money")}
            for (_, r), gap in zip(board.iterrows(), gaps, strict=True)]
    big_table(rows, {"Contribution this quarter", "Versus the leader", "Revenue this quarter",
                     "Contribution to date"}, first=True, key="leaderboard")
    seconds = st.session_state.get("round_seconds")
    st.caption(f"Mean of {game.setup.replications} replications per team, the same for every "
               "team. Ranked by the contribution earned in the quarter (margin on revenue less "
               "every cost); equal results share a rank, and a gap whose 95% CI includes 0 is "
               "within noise. Each team's decisions are shown at the debrief."
               + (f" Replayed in {seconds:.1f} s." if seconds else ""))
    if len(game.results) > 1:
        chart(charts.spec(charts.standings_chart(game.standings())))
        with st.expander("Earlier rounds"):
            for result in game.results[:-1]:
                b = result.leaderboard
                st.markdown(f"**Round {result.number}**")
                big_table([{"#": rank_text(b, int(r["rank"])), "Team": str(r["team"]),
                            "Contribution this quarter": fmt(r["contribution_round"], "money"),
                            "Versus the leader": gap}
                           for (_, r), gap in zip(b.iterrows(), gm.versus_leader(b),
                                                  strict=True)],
                          {"Contribution this quarter", "Versus the leader"})


def debrief_view(room: Room, facilitator: bool) -> None:
    """The long run of every team's choices and, on demand, the gap split by lever."""
    game = room.game
    long_words = gm.duration_words(game.setup.long_run_days)
    if game.debrief is None:
        if not facilitator:
            st.info("All rounds are played: the debrief comes next.")
            return
        if st.button(f"Debrief: play every team's choices forward to {long_words}",
                     type="primary", key="debrief"):
            started = time.perf_counter()
            with st.spinner(f"Replaying every team to {long_words}..."), rooms().changing(room):
                if game.debrief is None:
                    game.run_debrief(engine().executor(f"room-{room.id}"), DIAGNOSTICS)
            st.session_state.debrief_seconds = time.perf_counter() - started
            st.rerun()
        return
    d = game.debrief
    st.markdown(f"### Debrief: the long run ({long_words})")
    takeaway_box(d.headline, "debrief_headline", "game")
    with st.container(key="debrief_sentences"):
        st.markdown("\n".join(f"- {sentence}" for sentence in d.sentences))
    by_game = d.table.rename(columns={"rank_game": "rank"})
    by_long = d.table.rename(columns={"rank_long": "rank"})
    rows = [{"Team": str(r["team"]),
             "Contribution, game": fmt(r["contribution_game"], "money"),
             "Rank, game": rank_text(by_game, int(r["rank_game"])),
             f"Contribution, {long_words}": fmt(r["contribution_long"], "money"),
             f"Rank, {long_words}": rank_text(by_long, int(r["rank_long"])),
             "Brand equity": f"{r['brand_equity_game']:.2f} → {r['brand_equity_long']:.2f}"}
            for _, r in d.table.iterrows()]
    big_table(rows, {"Contribution, game", f"Contribution, {long_words}"}, key="debrief_table")
    ends = [(r.end_day, f"R{r.number}") for r in game.results]
    left, right = st.columns(2)
    chart(charts.spec(charts.revenue_chart(gm.long_run_revenue(d), "Revenue booked, by team",
                                           ends)), left)
    chart(charts.spec(charts.equity_chart(gm.brand_equity(d), ends)), right)
    seconds = st.session_state.get("debrief_seconds")
    if seconds and facilitator:
        st.caption(f"Replayed in {seconds:.1f} s.")
    gap_section(room, facilitator)


def gap_section(room: Room, facilitator: bool) -> None:
    """Why one team beat another: the long-run gap split lever by lever."""
    game = room.game
    d = game.debrief
    assert d is not None
    st.markdown("### Why the gap? Lever by lever")
    if facilitator:
        teams = list(d.table["team"])
        left, right, go = st.columns([2, 2, 2])
        a = left.selectbox("First team", teams, index=0, key="gap_a")
        b = right.selectbox("Second team", teams, index=len(teams) - 1, key="gap_b")
        go.markdown("&nbsp;")
        if go.button("Split the gap by lever", key="gap_go", disabled=a == b,
                     help="Switch the levers one at a time from the second team's choices to "
                          "the first's and replay each mix (same replications)."):
            with st.spinner(f"Replaying mixes of {a}'s and {b}'s choices..."), \
                    rooms().changing(room):
                room.attributions.append(at.attribute_gap(
                    game, a, b, engine().executor(f"room-{room.id}")))
            st.rerun()
    if not room.attributions:
        st.caption("Pick two teams: their choices are mixed, one lever at a time, and each "
                   "mix replayed to the long run with the same replications; each lever's part "
                   "of the gap follows, and the parts add up to the gap.")
        return
    latest = room.attributions[-1]
    takeaway_box(latest.sentence(), "gap_sentence", "game")
    table = latest.table()
    chart(charts.spec(charts.attribution_chart(table, f"Why {at.gap_words(latest)}")))
    big_table([{"": str(r["label"]), "Part of the gap": fmt(r["mean"], "money", signed=True),
                "95% CI": fmt_range(r["ci_low"], r["ci_high"], "money", signed=True)}
               for _, r in table.iterrows()], {"Part of the gap", "95% CI"}, key="gap_table")
    st.caption(f"{latest.mixes} mixes replayed; "
               + ("every order of switching averaged (Shapley values)."
                  if latest.method == at.SHAPLEY else
                  "switching in the app's lever order and in reverse, averaged (more than "
                  f"{at.DEFAULT_EXACT_UP_TO} levers differ: every order would take too long)."))


# --- a team's page and the projector's board ------------------------------------------


def team_page(code: str) -> None:
    """A team's own page: its levers for the next round, sent privately; its results."""
    found = rooms().by_team_code(code)
    if found is None:
        st.error(f"No game has the team code {code!r}: check the link with your facilitator.")
        return
    room, team = found
    game = room.game
    st.markdown(f"# {team}")
    st.caption(f"Your team's private page: only your team sees its levers. Game: "
               f"{', '.join(game.setup.teams)}; {game.setup.rounds} rounds of a quarter.")
    if not game.finished:
        decision_form(room, team)
    else:
        st.info("All rounds are played: the debrief is on the projector.")
    own_results(room, team)
    if game.results:
        leaderboard_view(room)
    if game.debrief is not None:
        debrief_view(room, facilitator=False)
    watch(lambda: (len(room.game.results), room.game.debrief is not None,
                   len(room.attributions)))


def decision_form(room: Room, team: str) -> None:
    """The team's levers for the next round; sent only when the team presses Send."""
    game = room.game
    number = game.next_round
    prefix = f"team_r{number}_"
    if f"{prefix}brand_share" not in st.session_state:
        set_widgets(prefix, game.decisions.get(team, game.current_levers(team)), lg.GAME_LEVERS)
    st.markdown(f"### Round {number} of {game.setup.rounds}: your levers for this quarter")
    with st.form(f"decision_r{number}", border=True):
        for name in lg.GAME_LEVERS:
            lever_widget(lg.LEVER_SPECS[name], f"{prefix}{name}")
        sent = st.form_submit_button(f"Send our decision for round {number}", type="primary")
    if sent:
        levers = read_widgets(prefix, game.current_levers(team), lg.GAME_LEVERS)
        try:
            with rooms().changing(room):
                if game.next_round != number:
                    st.warning("The facilitator played the round meanwhile: this decision "
                               "goes to the next one.")
                game.submit(team, levers)
        except gm.GameError as exc:
            st.error(str(exc))
    decided = game.decisions.get(team)
    with st.container(key="sent"):
        if decided is not None:
            changed = lg.lever_changes(game.current_levers(team), decided, lg.GAME_LEVERS)
            st.success(f"Decision received for round {game.next_round}: "
                       f"{'; '.join(changed) or 'no change'}. You can change it until the "
                       f"facilitator plays the round.")
        else:
            staffing = game.setup.base.sales.staffing
            st.caption("Not sent yet: if you send nothing, your levers stay as they are. "
                       f"Hiring: new reps join {staffing.hiring_lag_days:g} days after the "
                       f"round starts, reach full capacity {staffing.ramp_days:g} days later "
                       "and are paid from the day they join.")


def own_results(room: Room, team: str) -> None:
    """The team's own rounds: its changes, its contribution and its rank."""
    game = room.game
    if not game.results:
        return
    rows = []
    for result in game.results:
        board = result.leaderboard
        r = board[board["team"] == team].iloc[0]
        rows.append({"Round": str(result.number),
                     "Your changes": str(r["changes"]),
                     "Contribution this quarter": fmt(r["contribution_round"], "money"),
                     "Rank": rank_text(result.leaderboard, int(r["rank"]))})
    st.markdown("### Your rounds")
    big_table(rows, {"Contribution this quarter"}, key="own_results")


def board_page(code: str) -> None:
    """The projector's board: leaderboard and debrief, never a team's decisions."""
    room = rooms().by_board(code)
    if room is None:
        st.error(f"No game has the board code {code!r}.")
        return
    game = room.game
    st.markdown(f"# Leaderboard: {', '.join(game.setup.teams)}")
    if game.results:
        leaderboard_view(room)
    if not game.finished:
        waiting = game.undecided()
        sent = [t for t in game.setup.teams if t not in waiting]
        status = (f"decisions received from {gm.names_in_words(sent)}" if sent else
                  "waiting for the teams' decisions")
        if sent and waiting:
            status += f"; waiting for {gm.names_in_words(waiting)}"
        takeaway_box(f"Round {game.next_round} of {game.setup.rounds}: {status}.",
                     "board_status")
    else:
        debrief_view(room, facilitator=False)
    watch(lambda: room.version)


def join_a_team() -> None:
    """For a participant who opened the app's address: go to the team's page by its code."""
    with st.sidebar.expander("In a game? Your team's code"), st.form("join", border=False):
        code = st.text_input("Team code", key="join_code", max_chars=16,
                             help="The code your facilitator gave your team.")
        if st.form_submit_button("Open our team's page") and code.strip():
            found = rooms().by_team_code(code)
            if found is None:
                st.error("No game has this code.")
            else:
                st.query_params.clear()
                st.query_params["team"] = found[0].codes[found[1]]
                st.rerun()


# --- export ------------------------------------------------------------------------------


def export_screen() -> None:
    """Download the session as one HTML page, or save it under reports/."""
    snapshot = export_session()
    st.markdown("## Export the session")
    if not session().comparisons and st.session_state.get("last_comparison") is not None:
        st.info("No comparison kept yet: the last one shown will be included.")
    kept = len(session().comparisons)
    game = snapshot.game
    played = len(game.results) if game is not None else 0
    st.markdown(f"- **{kept}** comparison{'s' * (kept != 1)} kept (the *Keep for the report* "
                f"button of the Compare screen)\n"
                f"- game: " + (f"**{len(game.setup.teams)} teams**, {played} of "
                               f"{game.setup.rounds} rounds played"
                               + (", debrief included" if game.debrief else "")
                               if game is not None else "none"))

    # Built when the button is clicked, outside this run: no st.session_state there, so
    # the session is taken now.
    def page() -> str:
        return ex.session_html(snapshot)

    stamp = f"{datetime.now():%Y%m%d-%H%M}"
    st.download_button("Download the session (HTML)", data=page,
                       file_name=f"workshop-{stamp}.html", mime="text/html", type="primary",
                       key="download", on_click="ignore")
    if st.button("Save a copy in reports/", key="save"):
        path = ex.write_session(snapshot, ex.default_export_path(Path.cwd() / "reports"))
        st.success(f"Saved: {path}")
    st.caption("One self-contained page: figures embedded, no script, no network. It opens "
               "offline in any browser and can be mailed to the room.")


def export_session() -> ex.Session:
    """The session to export: the kept comparisons (or the last one shown) and the game."""
    sess = session()
    last = st.session_state.get("last_comparison")
    comparisons = sess.comparisons or ([last] if last is not None else [])
    room = current_room()
    return ex.Session(sess.started, sess.seed, list(comparisons),
                      room.game if room is not None else None,
                      list(room.attributions) if room is not None else [])


# --- the page --------------------------------------------------------------------------


# Widget values that must survive a visit to another screen: Streamlit forgets the
# state of widgets a run does not draw, unless it is written back at the top of the run.
KEEP_ALIVE = ("screen", "preset", "horizon", "lever_", "diag_", "setup_base")


def keep_widget_state() -> None:
    """Write the levers', preset's and horizon's values back so other screens keep them."""
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(KEEP_ALIVE):
            st.session_state[key] = st.session_state[key]


def main() -> None:
    """Draw the page the address asks for."""
    st.set_page_config(page_title="Leadflow workshop", layout="wide",
                       initial_sidebar_state="expanded")
    st.markdown(CSS, unsafe_allow_html=True)
    engine()  # started with the first page: the baseline warms while people arrive
    team, board = st.query_params.get("team"), st.query_params.get("board")
    if team:
        team_page(team)
        return
    if board:
        board_page(board)
        return
    keep_widget_state()
    session_id()  # puts the session's id in the address from the first page on
    st.sidebar.markdown("# Leadflow workshop")
    if "screen" not in st.session_state:  # a reload stays on its screen (?screen=game)
        asked = str(st.query_params.get("screen", "")).capitalize()
        st.session_state.screen = asked if asked in SCREENS else SCREENS[0]
    screen = st.sidebar.radio("Screen", SCREENS, key="screen")
    if st.query_params.get("screen") != screen.lower():
        st.query_params["screen"] = screen.lower()
    st.sidebar.divider()
    join_a_team()
    if screen == "Compare":
        compare_screen()
    elif screen == "Diagnostic":
        diagnostic_screen()
    elif screen == "Game":
        st.sidebar.caption("Teams set their levers on their own devices, one set per round.")
        game_screen()
    else:
        export_screen()
