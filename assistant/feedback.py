"""Durable storage of users' thumbs up/down on answers (SQLite under the data directory)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT,
    citations TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class FeedbackRecord:
    id: int
    created: str
    question: str
    answer: str
    rating: str
    comment: str | None
    citations: list[dict[str, Any]]


class FeedbackStore:
    """Feedback table, rows never deleted (a reason given later is added to a row's comment); each
    write is its own committed transaction."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def add(self, question: str, answer: str, rating: str, comment: str | None,
            citations: list[dict[str, Any]]) -> int:
        if rating not in ("up", "down"):
            raise ValueError(f"rating must be 'up' or 'down', not {rating!r}")
        created = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        with self._lock, closing(self._connect()) as db, db:
            cursor = db.execute(
                "INSERT INTO feedback (created, question, answer, rating, comment, citations) VALUES (?, ?, ?, ?, ?, ?)",
                (created, question, answer, rating, comment, json.dumps(citations, ensure_ascii=False)),
            )
            return int(cursor.lastrowid)

    def add_comment(self, feedback_id: int, comment: str) -> bool:
        """A reason given after rating: added to the record's comment (an earlier comment is kept,
        the new one follows it on a new line); False if there is no such record."""
        with self._lock, closing(self._connect()) as db, db:
            cursor = db.execute(
                "UPDATE feedback SET comment = CASE WHEN comment IS NULL OR comment = '' THEN ? "
                "ELSE comment || char(10) || ? END WHERE id = ?", (comment, comment, feedback_id))
            return cursor.rowcount == 1

    def all(self) -> list[FeedbackRecord]:
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT id, created, question, answer, rating, comment, citations FROM feedback ORDER BY id"
            ).fetchall()
        return [FeedbackRecord(*row[:6], citations=json.loads(row[6])) for row in rows]
