"""The stand-in's own SQLite state. Secrets the platform hands out are stored only as hashes."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS apps (
    client_key TEXT PRIMARY KEY, client_secret TEXT NOT NULL, name TEXT NOT NULL,
    redirect_uris TEXT NOT NULL, scopes TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    open_id TEXT PRIMARY KEY, union_id TEXT NOT NULL, username TEXT UNIQUE NOT NULL,
    display_name TEXT NOT NULL, bio TEXT NOT NULL, is_private INTEGER NOT NULL,
    is_verified INTEGER NOT NULL, base_followers INTEGER NOT NULL, following_count INTEGER NOT NULL,
    max_duration_s INTEGER NOT NULL, banned INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS codes (
    code_hash TEXT PRIMARY KEY, client_key TEXT NOT NULL, open_id TEXT NOT NULL, scopes TEXT NOT NULL,
    redirect_uri TEXT NOT NULL, challenge TEXT NOT NULL, expires_at REAL NOT NULL,
    used_at REAL, grant_id INTEGER);
CREATE TABLE IF NOT EXISTS grants (
    id INTEGER PRIMARY KEY, client_key TEXT NOT NULL, open_id TEXT NOT NULL, scopes TEXT NOT NULL,
    created_at REAL NOT NULL, refresh_expires_at REAL NOT NULL, revoked_at REAL);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY, kind TEXT NOT NULL, grant_id INTEGER NOT NULL,
    expires_at REAL NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS tokens_grant ON tokens(grant_id);
CREATE TABLE IF NOT EXISTS publishes (
    publish_id TEXT PRIMARY KEY, grant_id INTEGER NOT NULL, open_id TEXT NOT NULL,
    client_key TEXT NOT NULL, mode TEXT NOT NULL, media TEXT NOT NULL, source TEXT NOT NULL,
    status TEXT NOT NULL, fail_reason TEXT NOT NULL DEFAULT '', video_size INTEGER NOT NULL DEFAULT 0,
    chunk_size INTEGER NOT NULL DEFAULT 0, total_chunks INTEGER NOT NULL DEFAULT 0,
    uploaded_bytes INTEGER NOT NULL DEFAULT 0, upload_id TEXT UNIQUE, upload_token_hash TEXT,
    upload_expires_at REAL, created_at REAL NOT NULL, post_info TEXT NOT NULL DEFAULT '{}',
    video_id TEXT, content_type TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS publishes_open_id ON publishes(open_id, created_at);
CREATE TABLE IF NOT EXISTS videos (
    id TEXT PRIMARY KEY, open_id TEXT NOT NULL, publish_id TEXT, create_time_ms INTEGER NOT NULL,
    title TEXT NOT NULL, duration INTEGER NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
    privacy_level TEXT NOT NULL, is_aigc INTEGER NOT NULL DEFAULT 0, cover_path TEXT);
CREATE INDEX IF NOT EXISTS videos_list ON videos(open_id, create_time_ms);
CREATE TABLE IF NOT EXISTS webhook_targets (client_key TEXT PRIMARY KEY, url TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webhook_events (
    id INTEGER PRIMARY KEY, client_key TEXT NOT NULL, event TEXT NOT NULL, body TEXT NOT NULL,
    created_at REAL NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL, last_error TEXT NOT NULL DEFAULT '', delivered_at REAL);
CREATE INDEX IF NOT EXISTS webhook_due ON webhook_events(state, next_attempt_at);
"""


def digest(secret: str) -> str:
    """What we keep of a token, code or upload token: its SHA-256."""
    return hashlib.sha256(secret.encode()).hexdigest()


class Database:
    """One connection shared by the event loop and the worker threads, serialised by a lock."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(SCHEMA)

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; commits on success, rolls back on error."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        with self._lock:
            return self._conn.execute(sql, params).fetchone()

    def all(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        with self._lock:
            return self._conn.execute(sql, params).rowcount

    def meta(self, key: str) -> str | None:
        row = self.one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    def set_meta(self, key: str, value: str) -> None:
        self.run(
            "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def close(self) -> None:
        with self._lock:
            self._conn.close()
