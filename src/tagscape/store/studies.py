"""The SQL of listening studies (tables in ``studies.sql``, store version 3); the logic is :mod:`tagscape.study`."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from tagscape.store.db import Store


@dataclass(frozen=True)
class Candidate:
    label: str
    track_id: int
    start: float
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Trial:
    trial: int
    reference_track: int
    reference_start: float
    candidates: tuple[Candidate, ...]


class StudyStore:
    """Studies of one collection's database (through its :class:`Store`'s connection)."""

    def __init__(self, store: Store):
        self.store = store

    def create(self, *, token: str, name: str, layer: str, models: Sequence[str], clip_seconds: float, seed: int, trials: Sequence[Trial]) -> int:
        """Write a study and its trials in one transaction; returns its id."""
        conn = self.store.conn
        with self.store.transaction():
            study_id = conn.execute(
                "INSERT INTO studies (token, name, layer, models, clip_seconds, seed, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING study_id",
                (token, name, layer, json.dumps(list(models)), clip_seconds, seed, time.time()),
            ).fetchone()[0]
            conn.executemany("INSERT INTO study_trials (study_id, trial, reference_track, reference_start) VALUES (?, ?, ?, ?)",
                             [(study_id, t.trial, t.reference_track, t.reference_start) for t in trials])
            conn.executemany("INSERT INTO study_candidates (study_id, trial, label, track_id, start, sources) VALUES (?, ?, ?, ?, ?, ?)",
                             [(study_id, t.trial, c.label, c.track_id, c.start, json.dumps(list(c.sources))) for t in trials for c in t.candidates])
        return study_id

    @staticmethod
    def _study(row) -> dict | None:
        if row is None:
            return None
        study = dict(row)
        study["models"] = json.loads(study["models"])
        return study

    def study(self, *, study_id: int | None = None, token: str | None = None) -> dict | None:
        """A study by its id or its raters' token (its columns, ``models`` a list, ``n_trials``)."""
        column, value = ("study_id", study_id) if study_id is not None else ("token", token)
        row = self.store.conn.execute(
            f"SELECT s.*, (SELECT COUNT(*) FROM study_trials t WHERE t.study_id = s.study_id) AS n_trials FROM studies s WHERE s.{column} = ?",
            (value,),
        ).fetchone()
        return self._study(row)

    def studies(self) -> list[dict]:
        """Every study with its numbers of trials, answers and raters, newest first."""
        rows = self.store.conn.execute(
            "SELECT s.*, (SELECT COUNT(*) FROM study_trials t WHERE t.study_id = s.study_id) AS n_trials, "
            "(SELECT COUNT(*) FROM study_answers a WHERE a.study_id = s.study_id) AS n_answers, "
            "(SELECT COUNT(DISTINCT rater) FROM study_answers a WHERE a.study_id = s.study_id) AS n_raters "
            "FROM studies s ORDER BY s.study_id DESC"
        )
        return [self._study(row) for row in rows]

    def trials(self, study_id: int) -> list[Trial]:
        """The study's trials in order, each with its candidates in the order raters see them."""
        candidates: dict[int, list[Candidate]] = {}
        for row in self.store.conn.execute("SELECT trial, label, track_id, start, sources FROM study_candidates WHERE study_id = ? ORDER BY trial, label",
                                           (study_id,)):
            candidates.setdefault(row["trial"], []).append(Candidate(row["label"], row["track_id"], row["start"], tuple(json.loads(row["sources"]))))
        rows = self.store.conn.execute("SELECT trial, reference_track, reference_start FROM study_trials WHERE study_id = ? ORDER BY trial", (study_id,))
        return [Trial(row["trial"], row["reference_track"], row["reference_start"], tuple(candidates.get(row["trial"], ()))) for row in rows]

    def answer(self, study_id: int, *, trial: int, rater: str, choice: str) -> None:
        """Record (or replace) a rater's choice in a trial, with the time."""
        with self.store.transaction():
            self.store.conn.execute(
                "INSERT INTO study_answers (study_id, trial, rater, choice, answered_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(study_id, trial, rater) DO UPDATE SET choice = excluded.choice, answered_at = excluded.answered_at",
                (study_id, trial, rater, choice, time.time()),
            )

    def answers(self, study_id: int) -> list[dict]:
        """Every answer ``{trial, rater, choice, answered_at, sources}`` (sources of the chosen candidate), by trial then rater."""
        rows = self.store.conn.execute(
            "SELECT a.trial, a.rater, a.choice, a.answered_at, c.sources FROM study_answers a "
            "JOIN study_candidates c ON c.study_id = a.study_id AND c.trial = a.trial AND c.label = a.choice "
            "WHERE a.study_id = ? ORDER BY a.trial, a.rater",
            (study_id,),
        )
        return [{**dict(row), "sources": json.loads(row["sources"])} for row in rows]

    def answered(self, study_id: int, rater: str) -> list[int]:
        """The trials a rater has answered."""
        return [row[0] for row in self.store.conn.execute("SELECT trial FROM study_answers WHERE study_id = ? AND rater = ? ORDER BY trial",
                                                          (study_id, rater))]
