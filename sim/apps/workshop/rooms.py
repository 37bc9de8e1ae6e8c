"""The games a workshop server holds: saved to disk, found by a team's code, restored on start.

A :class:`Room` is a game as a room plays it: the game, a private code per
team (a team opens the app with ``?team=CODE`` on its own device and sees and
sets only its own levers), a code for the projector's read-only board
(``?board=CODE``: the leaderboard, never a team's decisions), the
facilitator's session and the decompositions of the debrief.

:class:`Rooms` keeps every room of the server and a file per room in its
folder (``reports/workshop-games/`` under the working directory in the app),
rewritten atomically after every change (:mod:`sim.apps.workshop.storage`).
On start it reads the folder back, so a restarted server has every game as it
was, with the same codes: the teams' links and the projector keep working.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sim.apps.workshop import storage
from sim.apps.workshop.attribution import Attribution
from sim.apps.workshop.game import Diagnostic, Game, GameSetup

# Codes people type: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
TEAM_CODE_LENGTH = 6
BOARD_CODE_LENGTH = 8
ROOM_ID = re.compile(r"[a-z0-9-]{6,40}")
CODE = re.compile(rf"[{CODE_ALPHABET}]{{4,16}}")


def new_code(length: int) -> str:
    """A random code of ``length`` characters of :data:`CODE_ALPHABET`."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normal_code(text: str) -> str:
    """A code as typed (``abc 234``) in its canonical form (``ABC234``)."""
    return re.sub(r"[\s-]", "", text).upper()


@dataclass
class Room:
    """A game and what lets people reach it.

    Attributes:
        id: the room's id (its file name).
        game: the game.
        codes: team -> its private code.
        board: the code of the projector's board.
        owner: the facilitator's session id (the app's ``?session=``).
        created: when the game was set up.
        attributions: decompositions of the debrief's gaps, latest last.
        version: bumped at every change; pages showing the room poll it.
        lock: held while the room changes (a round being played, a submission).
    """

    id: str
    game: Game
    codes: dict[str, str]
    board: str
    owner: str
    created: datetime
    attributions: list[Attribution] = field(default_factory=list)
    version: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def team_of(self, code: str) -> str | None:
        """The team with this code, if any."""
        code = normal_code(code)
        return next((team for team, c in self.codes.items() if c == code), None)

    def meta(self) -> dict[str, Any]:
        """What the file keeps beside the game."""
        return {"id": self.id, "codes": dict(self.codes), "board": self.board,
                "owner": self.owner, "created": self.created.isoformat()}

    def to_json(self) -> dict[str, Any]:
        """The room as its file's JSON object."""
        return storage.game_to_json(self.game, self.attributions, self.meta())

    def title(self) -> str:
        """``Team A, Team B: round 2 of 4 (set up 2025-03-04 10:15)``."""
        g = self.game
        state = ("debriefed" if g.debrief is not None else "all rounds played" if g.finished
                 else f"{len(g.results)} of {g.setup.rounds} rounds played")
        return f"{', '.join(g.setup.teams)}: {state} (set up {self.created:%Y-%m-%d %H:%M})"


class Rooms:
    """Every room of the server, each saved to a file of ``folder``.

    Args:
        folder: where the rooms' files live; read on creation.
        diagnostics: the debrief's extra readings (:data:`~sim.apps.workshop.game.Diagnostic`),
            recomputed for a restored game.
    """

    def __init__(self, folder: Path, diagnostics: Sequence[Diagnostic] = ()) -> None:
        self.folder = folder
        self.diagnostics = tuple(diagnostics)
        self._rooms: dict[str, Room] = {}
        self._lock = threading.RLock()
        self.problems: list[str] = []  # files that could not be read back, one line each
        self._load()

    # -- reading ---------------------------------------------------------------------

    def _load(self) -> None:
        if not self.folder.is_dir():
            return
        for path in sorted(self.folder.glob("*.json")):
            try:
                room = self._room_of(storage.loads(path.read_bytes()), self.diagnostics)
            except (OSError, storage.GameFileError) as exc:
                self.problems.append(f"{path.name}: {exc}")
                continue
            if room.id != path.stem or room.id in self._rooms:
                self.problems.append(f"{path.name}: its id {room.id!r} does not match the name")
                continue
            self._rooms[room.id] = room

    @staticmethod
    def _room_of(obj: dict[str, Any], diagnostics: Sequence[Diagnostic]) -> Room:
        game, attributions = storage.game_from_json(obj, diagnostics)
        try:
            room = Room(str(obj["id"]), game, {str(k): str(v) for k, v in obj["codes"].items()},
                        str(obj["board"]), str(obj.get("owner", "")),
                        datetime.fromisoformat(obj["created"]), attributions)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise storage.GameFileError(f"the game file's id or codes are missing: {exc}"
                                        ) from None
        if not ROOM_ID.fullmatch(room.id) or set(room.codes) != set(game.setup.teams) or not all(
                CODE.fullmatch(c) for c in [*room.codes.values(), room.board]):
            raise storage.GameFileError("the game file's id or codes are not valid")
        return room

    def all(self) -> list[Room]:
        """Every room, the newest first."""
        with self._lock:
            return sorted(self._rooms.values(), key=lambda r: r.created, reverse=True)

    def get(self, room_id: str) -> Room | None:
        """The room with this id."""
        with self._lock:
            return self._rooms.get(room_id)

    def of_owner(self, owner: str) -> Room | None:
        """The newest room of a facilitator's session."""
        return next((r for r in self.all() if owner and r.owner == owner), None)

    def by_team_code(self, code: str) -> tuple[Room, str] | None:
        """The room and team of a team's code."""
        for room in self.all():
            team = room.team_of(code)
            if team is not None:
                return room, team
        return None

    def by_board(self, code: str) -> Room | None:
        """The room whose board has this code."""
        code = normal_code(code)
        return next((r for r in self.all() if r.board == code), None)

    # -- changing ---------------------------------------------------------------------

    def _codes_in_use(self) -> set[str]:
        return {c for r in self._rooms.values() for c in [*r.codes.values(), r.board]}

    def _fresh_code(self, length: int, taken: set[str]) -> str:
        while True:
            code = new_code(length)
            if code not in taken:
                taken.add(code)
                return code

    def create(self, setup: GameSetup, owner: str, now: datetime | None = None) -> Room:
        """A new room for a game of ``setup``, saved at once."""
        now = now or datetime.now().astimezone()
        with self._lock:
            taken = self._codes_in_use()
            room_id = f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
            while room_id in self._rooms:
                room_id = f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
            room = Room(room_id, Game(setup),
                        {team: self._fresh_code(TEAM_CODE_LENGTH, taken) for team in setup.teams},
                        self._fresh_code(BOARD_CODE_LENGTH, taken), owner, now)
            self._rooms[room.id] = room
            self.save(room)
            return room

    def save(self, room: Room) -> Path:
        """Write the room's file (atomically) and bump its version."""
        with room.lock:
            path = storage.write_json(room.to_json(), self.folder / f"{room.id}.json")
            room.version += 1
            return path

    @contextmanager
    def changing(self, room: Room) -> Iterator[Room]:
        """Hold the room while it changes, then save it.

        Saved also when the change failed half-way: what was recorded stays recorded.
        """
        with room.lock:
            try:
                yield room
            finally:
                self.save(room)

    def export_bytes(self, room: Room) -> bytes:
        """The room's file, for a download."""
        with room.lock:
            return storage.dumps(room.to_json()).encode("utf-8")

    def import_bytes(self, data: bytes, owner: str,
                     now: datetime | None = None) -> Room:
        """A room from an exported file, under a new id; its codes kept unless in use here.

        Raises:
            storage.GameFileError: not a game file this version can read.
        """
        room = self._room_of(storage.loads(data), self.diagnostics)
        now = now or datetime.now().astimezone()
        with self._lock:
            taken = self._codes_in_use()
            if taken & {*room.codes.values(), room.board}:
                room.codes = {t: self._fresh_code(TEAM_CODE_LENGTH, taken) for t in room.codes}
                room.board = self._fresh_code(BOARD_CODE_LENGTH, taken)
            room.id = f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
            room.owner = owner
            self._rooms[room.id] = room
            self.save(room)
            return room

    def adopt(self, room: Room, owner: str) -> None:
        """Make a session the facilitator of a room (resuming a saved game)."""
        with self.changing(room):
            room.owner = owner

