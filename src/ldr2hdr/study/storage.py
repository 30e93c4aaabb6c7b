"""The study's votes in SQLite: every accepted vote is on disk before the server answers.

The database runs in WAL mode with ``synchronous=FULL`` and commits each vote in its own
transaction, so a vote the server acknowledged survives the server being killed (even with
SIGKILL) or the machine losing power. The schema's constraints check every vote a second time:
one vote per trial (a replay is refused), conditions and ratings in range.
"""

from __future__ import annotations

import random
import secrets
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from ldr2hdr.errors import Ldr2HdrError

CONDITIONS = ("input", "reconstruction")
SIDES = ("left", "right")
RATING_MIN = 1
RATING_MAX = 5
ID_BYTES = 16
"""Random bytes in a participant or trial id (``secrets.token_urlsafe``: 22 characters)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS participants (
    id TEXT PRIMARY KEY,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS trials (
    id TEXT PRIMARY KEY,
    participant TEXT NOT NULL REFERENCES participants(id),
    position INTEGER NOT NULL,
    photo TEXT NOT NULL,
    left_condition TEXT NOT NULL CHECK (left_condition IN ('input', 'reconstruction')),
    UNIQUE (participant, position)
);
CREATE TABLE IF NOT EXISTS votes (
    trial TEXT PRIMARY KEY REFERENCES trials(id),
    preferred TEXT NOT NULL CHECK (preferred IN ('input', 'reconstruction')),
    rating_input INTEGER NOT NULL CHECK (rating_input BETWEEN 1 AND 5),
    rating_reconstruction INTEGER NOT NULL CHECK (rating_reconstruction BETWEEN 1 AND 5),
    created TEXT NOT NULL
);
"""

_VOTES_QUERY = """
SELECT t.participant, t.photo, t.left_condition, v.preferred, v.rating_input,
       v.rating_reconstruction, v.created
FROM votes AS v JOIN trials AS t ON t.id = v.trial
ORDER BY v.created, v.rowid
"""


class UnknownTrialError(Ldr2HdrError, LookupError):
    """The trial does not exist or belongs to another participant."""


class ReplayedVoteError(Ldr2HdrError):
    """The trial already has a vote."""


@dataclass(frozen=True)
class Trial:
    """One pair shown to one participant: a photo, and which condition is on the left."""

    id: str
    position: int
    photo: str
    left_condition: str
    voted: bool

    def condition(self, side: str) -> str:
        """``"input"`` or ``"reconstruction"``: what is shown on ``side`` (left or right)."""
        if side not in SIDES:
            raise ValueError(f"side must be one of {SIDES}, got {side!r}")
        right_condition = CONDITIONS[1 - CONDITIONS.index(self.left_condition)]
        return self.left_condition if side == "left" else right_condition


@dataclass(frozen=True)
class Vote:
    """One stored vote, with the sides already resolved to conditions."""

    participant: str
    photo: str
    left_condition: str
    preferred: str
    rating_input: int
    rating_reconstruction: int
    created: str


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _connect(path: Path, *, create: bool) -> sqlite3.Connection:
    """A read-write connection in WAL mode (``create``: make the file if missing), or, when not
    ``create``, a read-only one that changes nothing in the file (not even its journal mode)."""
    mode = "rwc" if create else "ro"
    try:
        connection = sqlite3.connect(
            f"file:{quote(str(path))}?mode={mode}", uri=True, check_same_thread=False
        )
        if create:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA foreign_keys=ON")
        else:
            connection.execute("PRAGMA query_only=ON")
    except sqlite3.Error as exc:
        raise Ldr2HdrError(f"{path}: cannot open the study database: {exc}") from exc
    return connection


class StudyStore:
    """The study database, shared by the server's threads (one connection behind a lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._connection = _connect(self.path, create=True)
        self._lock = threading.Lock()
        try:
            self._connection.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise Ldr2HdrError(f"{self.path}: not a study database: {exc}") from exc

    def close(self) -> None:
        self._connection.close()

    def new_participant(
        self, photos: Sequence[str], pairs: int, *, rng: random.Random | None = None
    ) -> str:
        """Create a participant with ``min(pairs, len(photos))`` trials; return its id.

        The photos shown least so far are picked first (ties broken at random), so every photo
        collects about as many votes; each trial's left side is input or reconstruction at random.
        """
        rng = rng or random.SystemRandom()
        participant = secrets.token_urlsafe(ID_BYTES)
        with self._lock, self._connection:
            counts = dict(self._connection.execute("SELECT photo, COUNT(*) FROM trials GROUP BY 1"))
            chosen = sorted(photos, key=lambda photo: (counts.get(photo, 0), rng.random()))[:pairs]
            rng.shuffle(chosen)
            self._connection.execute(
                "INSERT INTO participants VALUES (?, ?)", (participant, _now())
            )
            self._connection.executemany(
                "INSERT INTO trials VALUES (?, ?, ?, ?, ?)",
                [
                    (
                        secrets.token_urlsafe(ID_BYTES),
                        participant,
                        position,
                        photo,
                        rng.choice(CONDITIONS),
                    )
                    for position, photo in enumerate(chosen)
                ],
            )
        return participant

    def has_participant(self, participant: str) -> bool:
        with self._lock:
            row = self._connection.execute(
                "SELECT 1 FROM participants WHERE id = ?", (participant,)
            ).fetchone()
        return row is not None

    def trials(self, participant: str) -> list[Trial]:
        """The participant's trials in the order shown."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT t.id, t.position, t.photo, t.left_condition, v.trial IS NOT NULL "
                "FROM trials AS t LEFT JOIN votes AS v ON v.trial = t.id "
                "WHERE t.participant = ? ORDER BY t.position",
                (participant,),
            ).fetchall()
        return [Trial(*row[:4], voted=bool(row[4])) for row in rows]

    def trial(self, participant: str, trial_id: str) -> Trial:
        """One trial of this participant; :class:`UnknownTrialError` if it is not theirs."""
        for trial in self.trials(participant):
            if trial.id == trial_id:
                return trial
        raise UnknownTrialError(f"unknown trial {trial_id!r} for this participant")

    def record_vote(
        self,
        participant: str,
        trial_id: str,
        *,
        preferred: str,
        rating_left: int,
        rating_right: int,
    ) -> Vote:
        """Store a vote given by side (``preferred`` is ``"left"`` or ``"right"``) and commit.

        Raises:
            UnknownTrialError: the trial is not this participant's.
            ReplayedVoteError: the trial already has a vote (nothing is changed).
            ValueError: a side or rating is out of range (nothing is changed).
        """
        trial = self.trial(participant, trial_id)
        ratings = {trial.condition("left"): rating_left, trial.condition("right"): rating_right}
        if any(not RATING_MIN <= rating <= RATING_MAX for rating in ratings.values()):
            raise ValueError(f"ratings must be {RATING_MIN}–{RATING_MAX}, got {ratings}")
        vote = Vote(
            participant=participant,
            photo=trial.photo,
            left_condition=trial.left_condition,
            preferred=trial.condition(preferred),
            rating_input=ratings["input"],
            rating_reconstruction=ratings["reconstruction"],
            created=_now(),
        )
        try:
            with self._lock, self._connection:
                self._connection.execute(
                    "INSERT INTO votes VALUES (?, ?, ?, ?, ?)",
                    (
                        trial.id,
                        vote.preferred,
                        vote.rating_input,
                        vote.rating_reconstruction,
                        vote.created,
                    ),
                )
        except sqlite3.IntegrityError as exc:
            raise ReplayedVoteError(f"trial {trial_id!r} already has a vote") from exc
        return vote

    def votes(self) -> list[Vote]:
        """Every vote, oldest first."""
        with self._lock:
            return [Vote(*row) for row in self._connection.execute(_VOTES_QUERY)]


def read_votes(path: str | Path) -> list[Vote]:
    """Every vote in an existing study database, oldest first (opened read-only).

    Raises:
        Ldr2HdrError: the file does not exist or is not a study database.
    """
    path = Path(path)
    if not path.is_file():
        raise Ldr2HdrError(f"{path}: no such study database (pass --db FILE)")
    connection = _connect(path, create=False)
    try:
        return [Vote(*row) for row in connection.execute(_VOTES_QUERY)]
    except sqlite3.DatabaseError as exc:
        raise Ldr2HdrError(f"{path}: not a study database: {exc}") from exc
    finally:
        connection.close()
