"""The upload queue's database (``uploads.sqlite3``): jobs, their chunks and an audit log.

One writer thread (``studio.dbwriter``); every state change is one durable transaction that
also appends to the job's audit log, and is written before the network step it names. Upload
URLs carry a token, so they live in the vault, not here.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.dbwriter import Readers, Writer, create_schema, refuse_newer
from studio.upload import states as S

CURRENT_VERSION = 1


class QueueSchemaError(RuntimeError):
    pass


class AlreadyPublished(Exception):
    """The same video with the same caption was already posted from this account."""

    def __init__(self, job: Job) -> None:
        super().__init__(
            f"This video was already posted with this caption (job {job.id}"
            + (f", {job.share_url}" if job.share_url else "")
            + "). Post it again only if you mean to: use --again, or Publish again in Uploads."
        )
        self.job = job


SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs(
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    account_id TEXT NOT NULL,
    draft_id INTEGER,
    revision_id INTEGER,
    source TEXT NOT NULL DEFAULT '',
    file_path TEXT NOT NULL DEFAULT '',
    file_sha256 TEXT NOT NULL DEFAULT '',
    file_size INTEGER,
    caption TEXT NOT NULL DEFAULT '',
    privacy TEXT NOT NULL DEFAULT '',
    options TEXT NOT NULL DEFAULT '{}',
    mode TEXT NOT NULL DEFAULT 'direct',
    priority INTEGER NOT NULL DEFAULT 0,
    schedule_at REAL,
    state TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    paused INTEGER NOT NULL DEFAULT 0,
    publish_id TEXT NOT NULL DEFAULT '',
    chunk_size INTEGER,
    chunk_count INTEGER,
    uploaded_bytes INTEGER NOT NULL DEFAULT 0,
    post_id TEXT NOT NULL DEFAULT '',
    share_url TEXT NOT NULL DEFAULT '',
    attempts INTEGER NOT NULL DEFAULT 0,
    inits INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    ended_at REAL
);
CREATE INDEX IF NOT EXISTS jobs_key ON jobs(key);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
CREATE TABLE IF NOT EXISTS chunks(
    job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    first INTEGER NOT NULL,
    last INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    acked_at REAL NOT NULL,
    PRIMARY KEY(job_id, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events(
    id INTEGER PRIMARY KEY,
    job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    at REAL NOT NULL,
    state TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_job ON events(job_id, id);
"""

JOB_FIELDS = {
    "file_path",
    "file_sha256",
    "file_size",
    "detail",
    "reason",
    "paused",
    "publish_id",
    "chunk_size",
    "chunk_count",
    "uploaded_bytes",
    "post_id",
    "share_url",
    "attempts",
    "inits",
    "next_attempt_at",
    "schedule_at",
    "priority",
    "key",
    "caption",
    "privacy",
    "options",
    "revision_id",
}


@dataclass(frozen=True)
class Job:
    id: int
    key: str
    account_id: str
    draft_id: int | None
    revision_id: int | None
    source: str
    file_path: str
    file_sha256: str
    file_size: int | None
    caption: str
    privacy: str
    options: dict[str, Any]
    mode: str
    priority: int
    schedule_at: float | None
    state: str
    detail: str
    reason: str
    paused: bool
    publish_id: str
    chunk_size: int | None
    chunk_count: int | None
    uploaded_bytes: int
    post_id: str
    share_url: str
    attempts: int
    inits: int
    next_attempt_at: float | None
    created_at: float
    updated_at: float
    ended_at: float | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Job:
        d = dict(row)
        d["options"] = json.loads(d["options"] or "{}")
        d["paused"] = bool(d["paused"])
        return cls(**d)

    @property
    def label(self) -> str:
        return S.LABELS.get(self.state, self.state)

    @property
    def title(self) -> str:
        text = self.caption.strip().splitlines()[0] if self.caption.strip() else ""
        if text:
            return text[:60] + ("…" if len(text) > 60 else "")
        return Path(self.source).name if self.source else f"Draft {self.draft_id}"

    @property
    def progress(self) -> float | None:
        if self.state == S.UPLOADING and self.file_size:
            return self.uploaded_bytes / self.file_size
        if self.state in (S.PROCESSING, *S.ENDED) and self.state != S.FAILED:
            return 1.0
        return None


def _setup(conn: sqlite3.Connection) -> None:
    create_schema(conn, SCHEMA, CURRENT_VERSION, "uploads", QueueSchemaError)


class QueueStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.writer = Writer(
            path,
            _setup,
            name="uploads-writer",
            check=lambda c: refuse_newer(c, CURRENT_VERSION, "uploads", QueueSchemaError),
            label="uploads",
        )
        self.readers = Readers(path)
        self.on_change: Callable[[Job], None] | None = None  # every move/update, on the writing thread

    def _changed(self, job: Job) -> Job:
        if self.on_change is not None:
            self.on_change(job)
        return job

    def close(self) -> None:
        self.writer.close()
        self.readers.close()

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return list(self.readers.get().execute(sql, tuple(params)))

    # -- reads -------------------------------------------------------------------------------

    def job(self, job_id: int) -> Job:
        rows = self._rows("SELECT * FROM jobs WHERE id = ?", (job_id,))
        if not rows:
            raise KeyError(f"no publish job {job_id}")
        return Job.from_row(rows[0])

    def jobs(self, *, states: Iterable[str] | None = None, limit: int = 500) -> list[Job]:
        sql, params = "SELECT * FROM jobs", []
        if states is not None:
            wanted = list(states)
            sql += f" WHERE state IN ({','.join('?' * len(wanted))})"
            params += wanted
        return [Job.from_row(r) for r in self._rows(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))]

    def events(self, job_id: int) -> list[sqlite3.Row]:
        return self._rows("SELECT * FROM events WHERE job_id = ? ORDER BY id", (job_id,))

    def chunks(self, job_id: int) -> list[sqlite3.Row]:
        return self._rows("SELECT * FROM chunks WHERE job_id = ? ORDER BY idx", (job_id,))

    def runnable(self, now: float, exclude: Iterable[int] = ()) -> list[Job]:
        """Jobs a worker may take now: active, not paused, due; highest priority, then oldest."""
        skip = list(exclude)
        sql = (
            f"SELECT * FROM jobs WHERE state IN ({','.join('?' * len(S.ACTIVE))}) AND paused = 0"
            " AND COALESCE(schedule_at, 0) <= ? AND COALESCE(next_attempt_at, 0) <= ?"
        )
        params: list[Any] = [*S.ACTIVE, now, now]
        if skip:
            sql += f" AND id NOT IN ({','.join('?' * len(skip))})"
            params += skip
        return [Job.from_row(r) for r in self._rows(sql + " ORDER BY priority DESC, id", params)]

    def next_wake(self) -> float | None:
        rows = self._rows(
            f"SELECT MIN(MAX(COALESCE(schedule_at, 0), COALESCE(next_attempt_at, 0))) FROM jobs"
            f" WHERE state IN ({','.join('?' * len(S.ACTIVE))}) AND paused = 0",
            S.ACTIVE,
        )
        return None if not rows or rows[0][0] is None else float(rows[0][0])

    def posted_since(self, account_id: str, since: float, mode: str) -> int:
        """Posts this queue started for the account since ``since`` (the daily and inbox caps)."""
        states = (
            (S.PUBLISHED, S.PROCESSING, S.UPLOADING, S.INBOX)
            if mode == "direct"
            else (S.INBOX, S.UPLOADING, S.PROCESSING)
        )
        rows = self._rows(
            f"SELECT COUNT(*) FROM jobs WHERE account_id = ? AND mode = ? AND created_at >= ?"
            f" AND publish_id != '' AND state IN ({','.join('?' * len(states))})",
            (account_id, mode, since, *states),
        )
        return int(rows[0][0])

    # -- writes ------------------------------------------------------------------------------

    def add(self, fields: dict[str, Any], *, again: bool = False) -> tuple[Job, bool]:
        """Insert a job, or return the unresolved job with the same key (``attached=True``).
        A key that already published raises :class:`AlreadyPublished` unless ``again``."""
        now = time.time()

        def write(conn: sqlite3.Connection) -> tuple[int, bool]:
            conn.row_factory = sqlite3.Row
            try:
                rows = conn.execute(
                    "SELECT * FROM jobs WHERE key = ? ORDER BY id DESC", (fields["key"],)
                ).fetchall()
                for row in rows:
                    if row["state"] in S.UNRESOLVED:
                        conn.execute(
                            "INSERT INTO events(job_id, at, state, message) VALUES(?, ?, ?, ?)",
                            (
                                row["id"],
                                now,
                                row["state"],
                                "The same publish was asked for again: continuing this job.",
                            ),
                        )
                        return int(row["id"]), True
                published = [r for r in rows if r["state"] in (S.PUBLISHED, S.INBOX)]
                if published and not again:
                    raise AlreadyPublished(Job.from_row(published[0]))
            finally:
                conn.row_factory = None
            doc = {
                **fields,
                "options": json.dumps(fields.get("options") or {}),
                "state": S.QUEUED,
                "created_at": now,
                "updated_at": now,
            }
            cols = ", ".join(doc)
            job_id = conn.execute(
                f"INSERT INTO jobs({cols}) VALUES({', '.join('?' * len(doc))})", tuple(doc.values())
            ).lastrowid
            assert job_id is not None
            conn.execute(
                "INSERT INTO events(job_id, at, state, message) VALUES(?, ?, ?, ?)",
                (job_id, now, S.QUEUED, "Queued" + (" (posting again on purpose)" if again and rows else "")),
            )
            return int(job_id), False

        job_id, attached = self.writer.call(write)
        return self.job(job_id), attached

    def move(self, job_id: int, state: str, message: str, **fields: Any) -> Job:
        """Change state (checked) and fields, and log it, in one durable transaction."""
        bad = set(fields) - JOB_FIELDS
        if bad:
            raise ValueError(f"unknown job fields {sorted(bad)}")
        now = time.time()

        def write(conn: sqlite3.Connection) -> None:
            row = conn.execute("SELECT state FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise KeyError(f"no publish job {job_id}")
            if row[0] != state:
                S.check_move(row[0], state)
            values = {**fields, "state": state, "updated_at": now}
            if "options" in values:
                values["options"] = json.dumps(values["options"])
            if state in S.ENDED:
                values["ended_at"] = now
            conn.execute(
                f"UPDATE jobs SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                (*values.values(), job_id),
            )
            conn.execute(
                "INSERT INTO events(job_id, at, state, message) VALUES(?, ?, ?, ?)",
                (job_id, now, state, message),
            )

        self.writer.call(write)
        return self._changed(self.job(job_id))

    def update(self, job_id: int, message: str | None = None, **fields: Any) -> Job:
        """Change fields without a state change (progress, pause); logged when ``message``."""
        bad = set(fields) - JOB_FIELDS
        if bad:
            raise ValueError(f"unknown job fields {sorted(bad)}")
        now = time.time()

        def write(conn: sqlite3.Connection) -> None:
            values = {**fields, "updated_at": now}
            if "options" in values:
                values["options"] = json.dumps(values["options"])
            conn.execute(
                f"UPDATE jobs SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                (*values.values(), job_id),
            )
            if message:
                state = conn.execute("SELECT state FROM jobs WHERE id = ?", (job_id,)).fetchone()[0]
                conn.execute(
                    "INSERT INTO events(job_id, at, state, message) VALUES(?, ?, ?, ?)",
                    (job_id, now, state, message),
                )

        self.writer.call(write)
        return self._changed(self.job(job_id))

    def chunk_acked(self, job_id: int, index: int, first: int, last: int, sha256: str, uploaded: int) -> None:
        now = time.time()

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR REPLACE INTO chunks(job_id, idx, first, last, sha256, acked_at) VALUES(?, ?, ?, ?, ?, ?)",
                (job_id, index, first, last, sha256, now),
            )
            conn.execute(
                "UPDATE jobs SET uploaded_bytes = MAX(uploaded_bytes, ?), updated_at = ? WHERE id = ?",
                (uploaded, now, job_id),
            )

        self.writer.call(write)

    def forget_chunks(self, job_id: int) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM chunks WHERE job_id = ?", (job_id,))

        self.writer.call(write)
