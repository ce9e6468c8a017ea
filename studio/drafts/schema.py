"""The drafts database schema, one version per ``PRAGMA user_version``, and the steps between them.

Every earlier schema is kept here verbatim (``SCHEMAS``) so tests can write a real old database
and migrate it. A migration step is SQL plus, where data must be reshaped, a Python function; a
whole upgrade runs in one transaction with foreign keys off (table rebuilds need that), followed
by ``PRAGMA foreign_key_check``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable

from studio.dbwriter import refuse_newer
from studio.drafts.summary import summarize

CURRENT_VERSION = 5

SCHEMA_V1 = """
CREATE TABLE drafts (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL,
  project_json TEXT NOT NULL
);
CREATE TABLE revisions (
  id INTEGER PRIMARY KEY,
  draft_id INTEGER NOT NULL REFERENCES drafts(id),
  created_at REAL NOT NULL,
  content TEXT NOT NULL
);
"""

_V1_TO_V2 = """
ALTER TABLE drafts ADD COLUMN duration REAL NOT NULL DEFAULT 0;
ALTER TABLE drafts ADD COLUMN canvas_json TEXT NOT NULL DEFAULT '{}';
ALTER TABLE drafts ADD COLUMN cover_path TEXT;
ALTER TABLE drafts ADD COLUMN deleted_at REAL;
ALTER TABLE revisions ADD COLUMN kind TEXT NOT NULL DEFAULT 'autosave';
CREATE TABLE media (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL,
  content_hash TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  mtime REAL NOT NULL,
  imported_at REAL NOT NULL
);
CREATE TABLE tags (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE
);
CREATE TABLE draft_tags (
  draft_id INTEGER NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
  tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  PRIMARY KEY (draft_id, tag_id)
);
"""

SCHEMA_V2 = SCHEMA_V1 + _V1_TO_V2

_CURRENT_TABLES = """
CREATE TABLE drafts (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL,
  duration REAL NOT NULL DEFAULT 0,
  canvas_json TEXT NOT NULL DEFAULT '{}',
  track_count INTEGER NOT NULL DEFAULT 0,
  clip_count INTEGER NOT NULL DEFAULT 0,
  cover_path TEXT,
  base_dir TEXT,
  head_revision_id INTEGER,
  deleted_at REAL,
  caption TEXT NOT NULL DEFAULT '',
  hashtags_json TEXT NOT NULL DEFAULT '[]',
  privacy TEXT NOT NULL DEFAULT 'private' CHECK (privacy IN ('public', 'friends', 'private')),
  toggles_json TEXT NOT NULL DEFAULT '{}',
  schedule_at REAL
);
CREATE TABLE revisions (
  id INTEGER PRIMARY KEY,
  draft_id INTEGER NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
  created_at REAL NOT NULL,
  kind TEXT NOT NULL,
  label TEXT NOT NULL DEFAULT '',
  content TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  size INTEGER NOT NULL,
  dismissed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE media (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL,
  fast_hash TEXT NOT NULL UNIQUE,
  full_hash TEXT,
  size INTEGER NOT NULL,
  mtime REAL NOT NULL,
  probe_json TEXT NOT NULL DEFAULT '{}',
  imported_at REAL NOT NULL,
  missing INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE media_cache (
  media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  path TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  source_size INTEGER NOT NULL,
  source_mtime REAL NOT NULL,
  last_access REAL NOT NULL,
  PRIMARY KEY (media_id, kind)
);
CREATE TABLE draft_media (
  draft_id INTEGER NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
  media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
  PRIMARY KEY (draft_id, media_id)
);
"""

_CURRENT_INDEXES = """
CREATE INDEX IF NOT EXISTS revisions_by_draft ON revisions(draft_id, id);
CREATE INDEX IF NOT EXISTS drafts_by_updated ON drafts(deleted_at, updated_at);
CREATE INDEX IF NOT EXISTS drafts_by_title ON drafts(deleted_at, title COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS media_by_size ON media(size);
CREATE INDEX IF NOT EXISTS media_cache_lru ON media_cache(last_access);
CREATE INDEX IF NOT EXISTS draft_media_by_media ON draft_media(media_id);
"""

_TAGS = """
CREATE TABLE tags (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE
);
CREATE TABLE draft_tags (
  draft_id INTEGER NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
  tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  PRIMARY KEY (draft_id, tag_id)
);
"""

SCHEMA_V3 = _CURRENT_TABLES + _TAGS + _CURRENT_INDEXES

# v4: where a draft was posted (the publish queue writes it when a post is confirmed)
_V3_TO_V4 = """
CREATE TABLE publications (
  id INTEGER PRIMARY KEY,
  draft_id INTEGER NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
  revision_id INTEGER,
  account TEXT NOT NULL DEFAULT '',
  post_id TEXT NOT NULL DEFAULT '',
  share_url TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  published_at REAL NOT NULL,
  UNIQUE (draft_id, post_id)
);
CREATE INDEX publications_by_draft ON publications(draft_id, published_at);
"""

SCHEMA_V4 = SCHEMA_V3 + _V3_TO_V4

# v5: which drafts use which store-owned media folder (``<store>/media/<folder>/``). A folder is
# removed only when its last row goes: duplicates share their original's media instead of
# copying it, and trashed drafts (which can still be restored) keep theirs.
_V4_TO_V5 = """
CREATE TABLE draft_media_dirs (
  draft_id INTEGER NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
  folder TEXT NOT NULL,
  PRIMARY KEY (draft_id, folder)
);
CREATE INDEX draft_media_dirs_by_folder ON draft_media_dirs(folder);
"""

SCHEMA_V5 = SCHEMA_V4 + _V4_TO_V5

SCHEMAS: dict[int, str] = {1: SCHEMA_V1, 2: SCHEMA_V2, 3: SCHEMA_V3, 4: SCHEMA_V4, 5: SCHEMA_V5}
CURRENT_SCHEMA = SCHEMAS[CURRENT_VERSION]


class SchemaError(RuntimeError):
    """The database cannot be used by this version of the app (message is for the creator)."""


def content_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _v1_to_v2(conn: _InTransaction) -> None:
    conn.executescript(_V1_TO_V2)
    for draft_id, text in conn.execute("SELECT id, project_json FROM drafts").fetchall():
        info = summarize(_loads(text))
        conn.execute(
            "UPDATE drafts SET duration = ?, canvas_json = ? WHERE id = ?",
            (info.duration, json.dumps(info.canvas), draft_id),
        )


def _loads(text: str) -> dict:
    try:
        doc = json.loads(text)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _v2_to_v3(conn: _InTransaction) -> None:
    """Rebuild drafts/revisions/media: project JSON moves into revisions (drafts point at their
    head revision), revisions get hashes and cascade on delete, media gets the fast/full hashes."""
    conn.executescript(
        "ALTER TABLE drafts RENAME TO drafts_v2;"
        "ALTER TABLE revisions RENAME TO revisions_v2;"
        "ALTER TABLE media RENAME TO media_v2;"
    )
    conn.executescript(_CURRENT_TABLES)
    conn.execute(
        "INSERT INTO drafts (id, title, created_at, updated_at, duration, canvas_json, cover_path, deleted_at)"
        " SELECT id, title, created_at, updated_at, duration, canvas_json, cover_path, deleted_at FROM drafts_v2"
    )
    for rev_id, draft_id, created, text, kind in conn.execute(
        "SELECT id, draft_id, created_at, content, kind FROM revisions_v2 ORDER BY id"
    ).fetchall():
        conn.execute(
            "INSERT INTO revisions (id, draft_id, created_at, kind, content, content_hash, size)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (rev_id, draft_id, created, kind or "autosave", text, content_hash(text), len(text.encode())),
        )
    for draft_id, text, updated in conn.execute(
        "SELECT id, project_json, updated_at FROM drafts_v2"
    ).fetchall():
        digest = content_hash(text)
        row = conn.execute(
            "SELECT id FROM revisions WHERE draft_id = ? AND content_hash = ? ORDER BY id DESC LIMIT 1",
            (draft_id, digest),
        ).fetchone()
        if row is None:
            cur = conn.execute(
                "INSERT INTO revisions (draft_id, created_at, kind, label, content, content_hash, size)"
                " VALUES (?, ?, 'save', 'Saved before upgrade', ?, ?, ?)",
                (draft_id, updated, text, digest, len(text.encode())),
            )
            head = cur.lastrowid
        else:
            head = row[0]
        info = summarize(_loads(text))
        conn.execute(
            "UPDATE drafts SET head_revision_id = ?, track_count = ?, clip_count = ? WHERE id = ?",
            (head, info.track_count, info.clip_count, draft_id),
        )
    from studio.drafts.hashing import fast_hash

    for media_id, path, full, size, mtime, imported in conn.execute(
        "SELECT id, path, content_hash, size, mtime, imported_at FROM media_v2"
    ).fetchall():
        missing = 0
        try:
            stat = os.stat(path)
            fast = fast_hash(path) if stat.st_size == size else f"v2:{full}"
        except OSError:
            fast, missing = f"v2:{full}", 1
        conn.execute(
            "INSERT OR IGNORE INTO media (id, path, fast_hash, full_hash, size, mtime, imported_at, missing)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (media_id, path, fast, f"b2:{full}" if ":" not in full else full, size, mtime, imported, missing),
        )
    conn.executescript("DROP TABLE drafts_v2; DROP TABLE revisions_v2; DROP TABLE media_v2;")


def _v3_to_v4(conn: _InTransaction) -> None:
    conn.executescript(_V3_TO_V4)


def _v4_to_v5(conn: _InTransaction) -> None:
    """Record who uses each bundled-media folder. Before v5 a folder ``media/<id>/`` belonged to
    draft ``<id>`` alone, and duplicates pointed into their original's folder without saying so;
    every revision that names a file under ``media/`` now counts as a use of that folder."""
    from studio.drafts import ownership

    conn.executescript(_V4_TO_V5)
    media_dir = _media_dir(conn)
    if media_dir is None or not os.path.isdir(media_dir):
        return
    drafts = conn.execute("SELECT id, base_dir FROM drafts").fetchall()
    bases = {int(draft_id): base for draft_id, base in drafts}
    uses: set[tuple[int, str]] = set()
    for draft_id in bases:
        if os.path.isdir(os.path.join(media_dir, str(draft_id))):
            uses.add((draft_id, str(draft_id)))
    for draft_id, text in conn.execute(
        "SELECT draft_id, content FROM revisions WHERE instr(content, ?) > 0", (os.path.basename(media_dir),)
    ).fetchall():
        doc = _loads(text)
        base = bases.get(int(draft_id))
        for folder in ownership.folders_used(doc, media_dir, base):
            uses.add((int(draft_id), folder))
    for draft_id, base in drafts:
        uses.update((int(draft_id), f) for f in ownership.folders_used({}, media_dir, base))
    for draft_id, folder in sorted(uses):
        conn.execute(
            "INSERT OR IGNORE INTO draft_media_dirs (draft_id, folder) VALUES (?, ?)", (draft_id, folder)
        )


def _media_dir(conn: _InTransaction) -> str | None:
    """``<folder of the database file>/media`` (``None`` for an in-memory database)."""
    for row in conn.execute("PRAGMA database_list").fetchall():
        if row[1] == "main" and row[2]:
            return os.path.join(os.path.dirname(row[2]), "media")
    return None


MIGRATIONS: dict[int, Callable[[_InTransaction], None]] = {
    1: _v1_to_v2,
    2: _v2_to_v3,
    3: _v3_to_v4,
    4: _v4_to_v5,
}


def check_not_newer(conn: sqlite3.Connection) -> int:
    return refuse_newer(conn, CURRENT_VERSION, "drafts", SchemaError)


def ensure_schema(conn: sqlite3.Connection) -> int:
    """Create or upgrade the schema on ``conn`` (autocommit mode); returns the version found."""
    found = check_not_newer(conn)
    if found == CURRENT_VERSION:
        return found
    empty = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] == 0
    conn.execute("PRAGMA foreign_keys = OFF")
    # Old tables are renamed aside without rewriting the references other tables hold to them.
    conn.execute("PRAGMA legacy_alter_table = ON")
    conn.execute("BEGIN IMMEDIATE")
    try:
        if found == 0 and empty:
            for statement in _statements(CURRENT_SCHEMA):
                conn.execute(statement)
        else:
            if found == 0:
                raise SchemaError("this file is not a Creator Studio drafts database (no schema version)")
            for version in range(found, CURRENT_VERSION):
                MIGRATIONS[version](_InTransaction(conn))
            for statement in _statements(_CURRENT_INDEXES):
                conn.execute(statement)
        if not empty:
            _verify_columns(conn)
        problems = conn.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            raise SchemaError(
                f"the drafts database has {len(problems)} broken references; it was not upgraded"
            )
        conn.execute(f"PRAGMA user_version = {CURRENT_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        conn.execute("PRAGMA legacy_alter_table = OFF")
        conn.execute("PRAGMA foreign_keys = ON")
    return found


def _columns(conn: sqlite3.Connection) -> dict[str, dict[str, str]]:
    import sqlite_utils

    db = sqlite_utils.Database(conn)
    return {name: {c: str(t) for c, t in db[name].columns_dict.items()} for name in db.table_names()}


def _verify_columns(conn: sqlite3.Connection) -> None:
    """After a migration the tables must match a freshly created current schema exactly."""
    fresh = sqlite3.connect(":memory:")
    try:
        fresh.executescript(CURRENT_SCHEMA)
        expected = _columns(fresh)
    finally:
        fresh.close()
    found = _columns(conn)
    if found != expected:
        wrong = sorted(k for k in expected.keys() | found.keys() if expected.get(k) != found.get(k))
        raise SchemaError(
            f"upgrading the drafts database went wrong (tables {', '.join(wrong)}); nothing was changed"
        )


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


class _InTransaction:
    """A connection view whose ``executescript`` runs statement by statement, because
    :meth:`sqlite3.Connection.executescript` would commit the migration's open transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, params)

    def executescript(self, script: str) -> None:
        for statement in _statements(script):
            self._conn.execute(statement)


def create_schema_version(conn: sqlite3.Connection, version: int) -> None:
    """Write the schema exactly as version ``version`` of the app did (tests and tools)."""
    conn.executescript(SCHEMAS[version])
    conn.execute(f"PRAGMA user_version = {version}")
