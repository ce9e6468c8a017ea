"""The sync database's schema (``sync.sqlite3``), versioned with ``PRAGMA user_version``.

Counters are kept as append-only snapshots with their provenance: where they came from
(``source``: the endpoint), when the platform said so (``observed_at``, platform time) and when
we fetched them (``fetched_at``, wall time). Primary keys make every insert idempotent, so a
retried or duplicated sync adds nothing. Daily series from the stand-in's insights extension
are upserts that keep the newest answer (``as_of``), so an older answer arriving late never
overwrites a newer one. No token is ever stored here (they live in the vault).
"""

from __future__ import annotations

import sqlite3

from studio.dbwriter import create_schema, refuse_newer, transaction
from studio.sync import rollup

CURRENT_VERSION = 2


class SchemaError(RuntimeError):
    """The database was written by a newer app."""


SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS accounts(
    id TEXT PRIMARY KEY,
    platform_key TEXT NOT NULL,
    platform_name TEXT NOT NULL,
    stand_in INTEGER NOT NULL DEFAULT 0,
    open_id TEXT NOT NULL,
    username TEXT NOT NULL DEFAULT '',
    display_name TEXT NOT NULL DEFAULT '',
    avatar_file TEXT NOT NULL DEFAULT '',
    avatar_fetched_at REAL,
    scopes TEXT NOT NULL DEFAULT '',
    health TEXT NOT NULL DEFAULT 'ok',
    health_reason TEXT NOT NULL DEFAULT '',
    signed_in_at REAL NOT NULL,
    last_sync_at REAL,
    last_error TEXT NOT NULL DEFAULT '',
    active INTEGER NOT NULL DEFAULT 0,
    insights INTEGER,
    list_full_at REAL,
    created_at REAL NOT NULL,
    UNIQUE(platform_key, open_id)
);
CREATE TABLE IF NOT EXISTS account_snapshots(
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    observed_at REAL NOT NULL,
    source TEXT NOT NULL,
    follower_count INTEGER,
    following_count INTEGER,
    likes_count INTEGER,
    video_count INTEGER,
    fetched_at REAL NOT NULL,
    PRIMARY KEY(account_id, observed_at, source)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS videos(
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    video_id TEXT NOT NULL,
    create_time INTEGER NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    duration INTEGER,
    width INTEGER,
    height INTEGER,
    share_url TEXT NOT NULL DEFAULT '',
    first_seen_at REAL NOT NULL,
    last_seen_at REAL NOT NULL,
    last_polled_at REAL,
    next_poll_at REAL,
    listed INTEGER NOT NULL DEFAULT 1,
    insights_at REAL,
    PRIMARY KEY(account_id, video_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS videos_due ON videos(account_id, next_poll_at);
CREATE TABLE IF NOT EXISTS video_snapshots(
    account_id TEXT NOT NULL,
    video_id TEXT NOT NULL,
    observed_at REAL NOT NULL,
    source TEXT NOT NULL,
    view_count INTEGER,
    like_count INTEGER,
    comment_count INTEGER,
    share_count INTEGER,
    fetched_at REAL NOT NULL,
    PRIMARY KEY(account_id, video_id, observed_at, source),
    FOREIGN KEY(account_id, video_id) REFERENCES videos(account_id, video_id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS account_daily(
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    views INTEGER, likes INTEGER, comments INTEGER, shares INTEGER,
    new_followers INTEGER, net_new_followers INTEGER, followers INTEGER,
    data TEXT NOT NULL DEFAULT '{}',
    source TEXT NOT NULL,
    as_of REAL NOT NULL,
    PRIMARY KEY(account_id, day)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS video_daily(
    account_id TEXT NOT NULL,
    video_id TEXT NOT NULL,
    day TEXT NOT NULL,
    views INTEGER, likes INTEGER, comments INTEGER, shares INTEGER, new_followers INTEGER,
    data TEXT NOT NULL DEFAULT '{}',
    source TEXT NOT NULL,
    as_of REAL NOT NULL,
    PRIMARY KEY(account_id, video_id, day),
    FOREIGN KEY(account_id, video_id) REFERENCES videos(account_id, video_id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS video_totals(
    account_id TEXT NOT NULL,
    video_id TEXT NOT NULL,
    data TEXT NOT NULL,
    source TEXT NOT NULL,
    as_of REAL NOT NULL,
    PRIMARY KEY(account_id, video_id),
    FOREIGN KEY(account_id, video_id) REFERENCES videos(account_id, video_id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS account_facts(
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    data TEXT NOT NULL,
    source TEXT NOT NULL,
    as_of REAL NOT NULL,
    PRIMARY KEY(account_id, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS webhook_events(
    event_id TEXT PRIMARY KEY,
    event TEXT NOT NULL,
    user_openid TEXT NOT NULL DEFAULT '',
    create_time INTEGER NOT NULL DEFAULT 0,
    received_at REAL NOT NULL,
    handled_at REAL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def check_not_newer(conn: sqlite3.Connection) -> int:
    return refuse_newer(conn, CURRENT_VERSION, "sync", SchemaError)


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the schema, or bring an older one up to date in one transaction."""
    conn.execute("PRAGMA temp_store = MEMORY")
    found = refuse_newer(conn, CURRENT_VERSION, "sync", SchemaError)
    if found == 0:
        create_schema(conn, SCHEMA_V1 + ";" + rollup.TABLE, CURRENT_VERSION, "sync", SchemaError)
        return
    if found == CURRENT_VERSION:
        return
    with transaction(conn):
        if found < 2:  # v2: the per-quarter-hour rollup of counter changes, built from the history
            conn.execute(rollup.TABLE)
            rollup.rebuild(conn)
        conn.execute(f"PRAGMA user_version = {CURRENT_VERSION}")
