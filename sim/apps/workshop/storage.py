"""A workshop game as a JSON file: everything the room saw, restored exactly.

The file holds the game's setup (the starting company as a full scenario),
every team's levers round by round, the decisions submitted for the next
round, and what each replay measured: per replication, the metrics and the
weekly series (the won deals are left out: the round's revenue is kept
instead). Leaderboards, the debrief's table and sentences, and the charts are
rebuilt from these with the same functions that built them in play, so a
restored game reads exactly as it did; nothing is simulated again. The
decompositions of the gap between two teams are kept as their parts per
replication.

:func:`write_json` writes atomically: a temporary file in the same folder,
flushed to disk, then renamed over the old one, so a server stopped mid-write
leaves the previous save whole.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.apps.workshop.attribution import Attribution
from sim.apps.workshop.game import (
    Diagnostic,
    Game,
    GameSetup,
    RoundResult,
    TeamRound,
    debrief_of,
    leaderboard,
    round_days,
    team_scenario,
)
from sim.apps.workshop.logic import GAME_LEVERS, Levers, Runs, lever_changes
from sim.scenario.schema import Scenario

FORMAT = "leadflow-workshop-game"
VERSION = 1
WON_DEALS_COLUMNS = ["won_time", "value", "cycle_days", "replication"]


class GameFileError(ValueError):
    """A file that is not a workshop game this version can read; the message is one line."""


# --- tables and numbers --------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A cell as JSON holds it: NaN as null, NumPy scalars as Python ones."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def frame_to_json(frame: pd.DataFrame) -> dict[str, Any]:
    """A table as ``{"columns", "dtypes", "data"}`` (rows of plain values)."""
    return {"columns": [str(c) for c in frame.columns],
            "dtypes": [str(t) for t in frame.dtypes],
            "data": [[_plain(v) for v in row] for row in frame.itertuples(index=False)]}


def frame_from_json(obj: Mapping[str, Any]) -> pd.DataFrame:
    """The table :func:`frame_to_json` wrote, with its column types."""
    frame = pd.DataFrame(obj["data"], columns=obj["columns"])
    for column, dtype in zip(obj["columns"], obj["dtypes"], strict=True):
        if dtype.startswith(("float", "int")) or dtype in ("bool", "str"):
            frame[column] = frame[column].astype(dtype)
    return frame


def array_to_json(values: np.ndarray) -> list[float | None]:
    """Per-replication values, NaN as null."""
    return [_plain(float(v)) for v in values]


def array_from_json(values: list[float | None]) -> np.ndarray:
    """The values :func:`array_to_json` wrote."""
    return np.array([math.nan if v is None else v for v in values], dtype=float)


def levers_to_json(levers: Levers) -> dict[str, Any]:
    """A plan's levers by name."""
    return {name: getattr(levers, name) for name in Levers.__dataclass_fields__}


def levers_from_json(obj: Mapping[str, Any], default: Levers | None = None) -> Levers:
    """The levers :func:`levers_to_json` wrote.

    Args:
        obj: the levers by name.
        default: the values of levers the file does not name (a file written
            before the lever existed: no change from the starting company);
            without it every lever must be there.

    Raises:
        KeyError: a lever missing and no default.
    """
    return Levers(**{name: obj[name] if name in obj or default is None
                     else getattr(default, name) for name in Levers.__dataclass_fields__})


def _runs_to_json(runs: Runs) -> dict[str, Any]:
    return {"label": runs.label, "per_replication": frame_to_json(runs.per_replication),
            "timeseries": frame_to_json(runs.timeseries)}


def _runs_from_json(obj: Mapping[str, Any], scenario: Scenario, seed: int) -> Runs:
    return Runs(obj["label"], scenario, seed, frame_from_json(obj["per_replication"]),
                frame_from_json(obj["timeseries"]), pd.DataFrame(columns=WON_DEALS_COLUMNS))


# --- the game --------------------------------------------------------------------


def _setup_to_json(setup: GameSetup) -> dict[str, Any]:
    return {"teams": list(setup.teams), "rounds": setup.rounds,
            "base": setup.base.model_dump(mode="json"), "base_name": setup.base_name,
            "seed": setup.seed, "replications": setup.replications,
            "long_run_days": setup.long_run_days}


def _setup_from_json(obj: Mapping[str, Any]) -> GameSetup:
    return GameSetup(tuple(obj["teams"]), int(obj["rounds"]), Scenario.model_validate(obj["base"]),
                     obj["base_name"], int(obj["seed"]), int(obj["replications"]),
                     float(obj["long_run_days"]))


def attribution_to_json(a: Attribution) -> dict[str, Any]:
    """A decomposition's teams, method and parts per replication."""
    return {"team_a": a.team_a, "team_b": a.team_b, "metric": a.metric,
            "horizon_days": a.horizon_days, "method": a.method, "levers": list(a.levers),
            "total": array_to_json(a.total),
            "parts": {name: array_to_json(v) for name, v in a.parts.items()}, "mixes": a.mixes}


def attribution_from_json(obj: Mapping[str, Any]) -> Attribution:
    """The decomposition :func:`attribution_to_json` wrote."""
    return Attribution(obj["team_a"], obj["team_b"], obj["metric"], float(obj["horizon_days"]),
                       obj["method"], tuple(obj["levers"]), array_from_json(obj["total"]),
                       {k: array_from_json(v) for k, v in obj["parts"].items()},
                       int(obj["mixes"]))


def game_to_json(game: Game, attributions: list[Attribution] | None = None,
                 meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The game as a JSON object (see the module's docstring).

    Args:
        game: the game.
        attributions: decompositions of the gap between two teams.
        meta: what the app keeps beside the game (its id, team codes...), stored as given.
    """
    rounds = [{"number": r.number, "teams": {
        team: {"levers": levers_to_json(tr.levers), "decided": tr.decided,
               "revenue_round": array_to_json(tr.revenue_round),
               "contribution_round": array_to_json(tr.contribution_round),
               "runs": _runs_to_json(tr.runs)}
        for team, tr in r.teams.items()}} for r in game.results]
    debrief = None if game.debrief is None else {
        "runs": {team: _runs_to_json(runs) for team, runs in game.debrief.runs.items()}}
    return {
        "format": FORMAT, "version": VERSION, **dict(meta or {}),
        "setup": _setup_to_json(game.setup),
        "choices": {team: [levers_to_json(x) for x in levers]
                    for team, levers in game.choices.items()},
        "decisions": {team: levers_to_json(x) for team, x in game.decisions.items()},
        "rounds": rounds, "debrief": debrief,
        "attributions": [attribution_to_json(a) for a in attributions or []],
    }


def game_from_json(obj: Mapping[str, Any], diagnostics: Sequence[Diagnostic] = ()
                   ) -> tuple[Game, list[Attribution]]:
    """The game and decompositions :func:`game_to_json` wrote.

    Args:
        obj: the file's JSON object.
        diagnostics: the debrief's extra readings, as in play (they are recomputed
            from the replays, like the rest of the debrief).

    Raises:
        GameFileError: not a game file, a newer version, or contents that do not
            fit together (the message says what).
    """
    if not isinstance(obj, Mapping) or obj.get("format") != FORMAT:
        raise GameFileError("not a workshop game file (no \"format\": \"leadflow-workshop-game\")")
    if obj.get("version") != VERSION:
        raise GameFileError(f"game file version {obj.get('version')}; this app reads "
                            f"version {VERSION}")
    try:
        return _game_from_json(obj, diagnostics)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        reason = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise GameFileError(f"the game file does not fit together: {reason}") from None


def _game_from_json(obj: Mapping[str, Any], diagnostics: Sequence[Diagnostic]
                    ) -> tuple[Game, list[Attribution]]:
    setup = _setup_from_json(obj["setup"])
    starting = setup.start_levers  # a lever the file predates: the starting company's value
    choices = {team: [levers_from_json(x, starting) for x in obj["choices"][team]]
               for team in setup.teams}
    game = Game(setup)
    seed = setup.seed
    for data in obj["rounds"]:
        number = int(data["number"])
        start, end = round_days(number)
        teams: dict[str, TeamRound] = {}
        changes: dict[str, list[str]] = {}
        for team in setup.teams:
            t = data["teams"][team]
            played = choices[team][:number]
            scenario = team_scenario(setup, team, played, end)
            teams[team] = TeamRound(team, levers_from_json(t["levers"], starting),
                                    _runs_from_json(t["runs"], scenario, seed),
                                    array_from_json(t["revenue_round"]),
                                    array_from_json(t["contribution_round"]), bool(t["decided"]))
            before = played[-2] if len(played) > 1 else setup.start_levers
            changes[team] = lever_changes(before, played[-1], GAME_LEVERS)
        game.results.append(RoundResult(number, start, end, teams, leaderboard(teams, changes)))
    game.choices = {team: choices[team][:len(game.results)] for team in setup.teams}
    game.decisions = {team: levers_from_json(x, starting)
                      for team, x in obj.get("decisions", {}).items()}
    if obj.get("debrief") is not None:
        runs = {team: _runs_from_json(obj["debrief"]["runs"][team], game.long_run_scenario(team),
                                      seed) for team in setup.teams}
        game.debrief = debrief_of(game, runs, diagnostics)
    attributions = [attribution_from_json(a) for a in obj.get("attributions", [])]
    return game, attributions


# --- files ----------------------------------------------------------------------------


def dumps(obj: Mapping[str, Any]) -> str:
    """JSON text (strict: no NaN)."""
    return json.dumps(obj, allow_nan=False, ensure_ascii=False, separators=(",", ":"))


def loads(text: str | bytes) -> dict[str, Any]:
    """The JSON object of a game file.

    Raises:
        GameFileError: not JSON, or not an object.
    """
    try:
        obj = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise GameFileError(f"not a JSON file: {exc}") from None
    if not isinstance(obj, dict):
        raise GameFileError("not a workshop game file (the JSON is not an object)")
    return obj


def write_json(obj: Mapping[str, Any], path: Path) -> Path:
    """Write ``obj`` to ``path`` atomically (a temporary name, flushed, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as out:
        out.write(dumps(obj))
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    return path
