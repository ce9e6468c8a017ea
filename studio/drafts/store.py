"""The drafts store: drafts, their project JSON revisions, publish metadata, tags, trash.

A draft's project document lives in ``revisions``; ``drafts.head_revision_id`` points at the
version the creator last saved (or restored). Autosaves are revisions *after* the head: they do
not change what the draft is until the creator saves, and after a crash they are what recovery
offers. Nothing here overwrites a revision: restoring an old version adds a new one.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from studio.dbwriter import ReadConnection
from studio.drafts import ownership, retention
from studio.drafts.metadata import PRIVACY_LEVELS, DraftMetadata
from studio.drafts.models import _DRAFT_COLUMNS, DraftError, DraftInfo, RevisionInfo, _draft_from_row, dumps
from studio.drafts.schema import content_hash, ensure_schema
from studio.drafts.summary import summarize
from studio.drafts.writer import Readers, Writer

if TYPE_CHECKING:
    from studio.config import AppPaths
    from studio.drafts.media import MediaLibrary

log = logging.getLogger(__name__)
T = TypeVar("T")

SORT_COLUMNS = {
    "updated": "updated_at",
    "created": "created_at",
    "title": "title COLLATE NOCASE",
    "duration": "duration",
}
REVISION_KINDS = ("save", "autosave", "restore", "import", "relink", "migrated", "rename")

__all__ = ["PRIVACY_LEVELS", "DraftError", "DraftInfo", "DraftStore", "RevisionInfo", "dumps", "open_store"]


class DraftStore(DraftMetadata):
    """Offline drafts in one SQLite file (WAL). Thread-safe: writes are queued to one writer
    thread, reads use a connection per calling thread."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        cache_limit_bytes: int = 512 * 1024 * 1024,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.root = self.path.parent
        self.covers_dir = self.root / "covers"
        self.media_dir = self.root / "media"
        self.cache_dir = Path(cache_dir) if cache_dir is not None else self.root / "cache"
        self.cache_limit_bytes = cache_limit_bytes
        self.migrated_from: int | None = None

        def setup(conn: sqlite3.Connection) -> None:
            self.migrated_from = ensure_schema(conn)

        self._writer = Writer(self.path, setup)
        self._readers = Readers(self.path)
        self._media: MediaLibrary | None = None

    # -- plumbing -------------------------------------------------------------------------
    def close(self) -> None:
        self._writer.close()
        self._readers.close()

    def __enter__(self) -> DraftStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self) -> ReadConnection:
        return self._readers.get()

    def reader(self) -> ReadConnection:
        """This thread's read-only connection (rows are :class:`sqlite3.Row`)."""
        return self._readers.get()

    def write(self, fn: Callable[[sqlite3.Connection], T], *, durable: bool = True) -> T:
        """Run ``fn(conn)`` in one transaction on the store's writer thread and return its result."""
        return self._writer.call(fn, durable=durable)

    def write_soon(self, fn: Callable[[sqlite3.Connection], Any]) -> None:
        """Queue ``fn(conn)`` without waiting (bookkeeping such as cache access times)."""
        self._writer.submit(fn, durable=False)

    @property
    def media(self) -> MediaLibrary:
        if self._media is None:
            from studio.drafts.media import MediaLibrary

            self._media = MediaLibrary(self)
        return self._media

    # -- drafts ---------------------------------------------------------------------------
    def create_draft(
        self,
        doc: dict[str, Any],
        *,
        title: str | None = None,
        base_dir: str | os.PathLike[str] | None = None,
        kind: str = "import",
        label: str = "",
    ) -> int:
        """Store a new draft whose first (head) revision is ``doc``; returns the draft id."""
        if not isinstance(doc, dict):
            raise DraftError("a project must be a JSON object")
        doc = dict(doc)
        if title is not None:
            doc["title"] = title
        base = str(Path(base_dir).resolve()) if base_dir is not None else None
        return self._writer.call(
            lambda conn: self.insert_draft(conn, doc, base_dir=base, kind=kind, label=label)
        )

    def insert_draft(
        self,
        conn: sqlite3.Connection,
        doc: dict[str, Any],
        *,
        base_dir: str | None = None,
        kind: str = "import",
        label: str = "",
        draft_id: int | None = None,
    ) -> int:
        """Insert a draft with ``doc`` as its head, inside a write job (see :meth:`write`);
        ``draft_id`` picks the id (one :meth:`next_draft_id` gave in the same job)."""
        text = dumps(doc)
        info = summarize(doc)
        now = time.time()
        cur = conn.execute(
            "INSERT INTO drafts (id, title, created_at, updated_at, duration, canvas_json, track_count,"
            " clip_count, base_dir) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                draft_id,
                info.title,
                now,
                now,
                info.duration,
                json.dumps(info.canvas),
                info.track_count,
                info.clip_count,
                base_dir,
            ),
        )
        new_id = int(cur.lastrowid or 0)
        rev = self._insert_revision(conn, new_id, text, kind, label, now)
        conn.execute("UPDATE drafts SET head_revision_id = ? WHERE id = ?", (rev, new_id))
        ownership.register(conn, new_id, ownership.folders_used(doc, self.media_dir, base_dir))
        return new_id

    @staticmethod
    def next_draft_id(conn: sqlite3.Connection) -> int:
        """The id the next inserted draft gets (stable within one write job)."""
        return int(conn.execute("SELECT coalesce(max(id), 0) + 1 FROM drafts").fetchone()[0])

    def create_drafts(self, docs: Iterable[dict[str, Any]], *, kind: str = "import") -> list[int]:
        """Store many new drafts in one transaction (bulk import); returns their ids in order."""
        now = time.time()
        prepared = [
            (dumps(doc), summarize(doc), ownership.folders_used(doc, self.media_dir, None)) for doc in docs
        ]

        def job(conn: sqlite3.Connection) -> list[int]:
            ids = []
            for text, info, folders in prepared:
                cur = conn.execute(
                    "INSERT INTO drafts (title, created_at, updated_at, duration, canvas_json, track_count,"
                    " clip_count) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        info.title,
                        now,
                        now,
                        info.duration,
                        json.dumps(info.canvas),
                        info.track_count,
                        info.clip_count,
                    ),
                )
                draft_id = int(cur.lastrowid or 0)
                rev = self._insert_revision(conn, draft_id, text, kind, "", now)
                conn.execute("UPDATE drafts SET head_revision_id = ? WHERE id = ?", (rev, draft_id))
                ownership.register(conn, draft_id, folders)
                ids.append(draft_id)
            return ids

        return self._writer.call(job)

    def get_draft(self, draft_id: int) -> DraftInfo:
        conn = self._read()
        row = conn.execute(f"SELECT {_DRAFT_COLUMNS} FROM drafts WHERE id = ?", (draft_id,)).fetchone()
        if row is None:
            raise DraftError(f"there is no draft {draft_id}")
        tags = [
            r[0]
            for r in conn.execute(
                "SELECT t.name FROM draft_tags dt JOIN tags t ON t.id = dt.tag_id WHERE dt.draft_id = ?"
                " ORDER BY t.name COLLATE NOCASE",
                (draft_id,),
            ).fetchall()
        ]
        return _draft_from_row(row, tags)

    def _where(self, search: str | None, trashed: bool) -> tuple[str, list[Any]]:
        clauses = ["deleted_at IS NOT NULL" if trashed else "deleted_at IS NULL"]
        params: list[Any] = []
        if search:
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            clauses.append(
                "(title LIKE ? ESCAPE '\\' OR caption LIKE ? ESCAPE '\\' OR id IN (SELECT dt.draft_id FROM"
                " draft_tags dt JOIN tags t ON t.id = dt.tag_id WHERE t.name LIKE ? ESCAPE '\\'))"
            )
            params += [pattern, pattern, pattern]
        return " AND ".join(clauses), params

    def list_drafts(
        self,
        *,
        search: str | None = None,
        sort: str = "updated",
        descending: bool = True,
        trashed: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[DraftInfo]:
        """Drafts (or the trash) matching ``search`` in title, caption or tags, sorted."""
        if sort not in SORT_COLUMNS:
            raise DraftError(f"cannot sort drafts by '{sort}'; use one of {', '.join(SORT_COLUMNS)}")
        where, params = self._where(search, trashed)
        order = (
            f"{SORT_COLUMNS[sort]} {'DESC' if descending else 'ASC'}, id {'DESC' if descending else 'ASC'}"
        )
        tags = (
            "(SELECT group_concat(t.name, char(10)) FROM draft_tags dt JOIN tags t ON t.id = dt.tag_id"
            " WHERE dt.draft_id = drafts.id) AS tag_names"
        )
        sql = f"SELECT {_DRAFT_COLUMNS}, {tags} FROM drafts WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
        rows = self._read().execute(sql, (*params, -1 if limit is None else limit, offset)).fetchall()
        return [
            _draft_from_row(
                row, sorted(row["tag_names"].split("\n"), key=str.lower) if row["tag_names"] else []
            )
            for row in rows
        ]

    def count_drafts(self, *, search: str | None = None, trashed: bool = False) -> int:
        where, params = self._where(search, trashed)
        return int(self._read().execute(f"SELECT count(*) FROM drafts WHERE {where}", params).fetchone()[0])

    def get_project_doc(self, draft_id: int, revision_id: int | None = None) -> dict[str, Any]:
        """The draft's project document: its head revision, or ``revision_id`` of it."""
        conn = self._read()
        if revision_id is None:
            row = conn.execute(
                "SELECT r.content FROM drafts d JOIN revisions r ON r.id = d.head_revision_id WHERE d.id = ?",
                (draft_id,),
            ).fetchone()
            if row is None:
                self.get_draft(draft_id)
                raise DraftError(f"draft {draft_id} has no saved project")
        else:
            row = conn.execute(
                "SELECT content FROM revisions WHERE id = ? AND draft_id = ?", (revision_id, draft_id)
            ).fetchone()
            if row is None:
                raise DraftError(f"draft {draft_id} has no revision {revision_id}")
        return json.loads(row[0])

    def base_dir(self, draft_id: int) -> Path | None:
        """The folder relative clip sources of this draft are resolved against (``None``: absolute)."""
        base = self.get_draft(draft_id).base_dir
        return Path(base) if base else None

    def latest_revision(self, draft_id: int) -> RevisionInfo | None:
        revisions = self.revisions(draft_id, limit=1)
        return revisions[0] if revisions else None

    # -- revisions ------------------------------------------------------------------------
    @staticmethod
    def _insert_revision(
        conn: sqlite3.Connection, draft_id: int, text: str, kind: str, label: str, now: float
    ) -> int:
        cur = conn.execute(
            "INSERT INTO revisions (draft_id, created_at, kind, label, content, content_hash, size)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (draft_id, now, kind, label, text, content_hash(text), len(text.encode("utf-8"))),
        )
        return int(cur.lastrowid or 0)

    def _set_head(
        self, conn: sqlite3.Connection, draft_id: int, rev_id: int, doc: dict[str, Any], now: float
    ) -> None:
        info = summarize(doc)
        conn.execute(
            "UPDATE drafts SET head_revision_id = ?, title = ?, duration = ?, canvas_json = ?, track_count = ?,"
            " clip_count = ?, updated_at = ? WHERE id = ?",
            (
                rev_id,
                info.title,
                info.duration,
                json.dumps(info.canvas),
                info.track_count,
                info.clip_count,
                now,
                draft_id,
            ),
        )

    def _check_exists(self, conn: sqlite3.Connection, draft_id: int) -> None:
        if conn.execute("SELECT 1 FROM drafts WHERE id = ?", (draft_id,)).fetchone() is None:
            raise DraftError(f"there is no draft {draft_id}")

    def save(self, draft_id: int, doc: dict[str, Any], *, kind: str = "save", label: str = "") -> int:
        """Store ``doc`` as the draft's new head revision (an explicit save); returns its id."""
        text = dumps(doc)
        now = time.time()
        folders = self._folders_used(draft_id, doc)

        def job(conn: sqlite3.Connection) -> int:
            self._check_exists(conn, draft_id)
            rev = self._insert_revision(conn, draft_id, text, kind, label, now)
            self._set_head(conn, draft_id, rev, doc, now)
            ownership.register(conn, draft_id, folders)
            return rev

        return self._writer.call(job)

    def autosave(self, draft_id: int, doc: dict[str, Any] | str) -> int | None:
        """Append an autosave revision (the head is unchanged); ``None`` when nothing changed
        since the draft's newest revision. ``doc`` may be pre-serialized JSON text."""
        text = doc if isinstance(doc, str) else dumps(doc)
        folders: set[str] = set()
        if ownership.mentions(text, self.media_dir):
            try:
                parsed = doc if isinstance(doc, dict) else json.loads(text)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                folders = self._folders_used(draft_id, parsed)
        return self._writer.call(
            lambda conn: self._autosave_job(conn, draft_id, text, folders), durable=False
        )

    def _folders_used(self, draft_id: int, doc: dict[str, Any]) -> set[str]:
        """The store media folders ``doc`` (a new version of the draft) uses."""
        try:
            base = self.get_draft(draft_id).base_dir
        except DraftError:
            return set()  # the write job says the draft does not exist
        return ownership.folders_used(doc, self.media_dir, base)

    def _autosave_job(
        self, conn: sqlite3.Connection, draft_id: int, text: str, folders: Iterable[str] = ()
    ) -> int | None:
        digest = content_hash(text)
        newest = conn.execute(
            "SELECT content_hash FROM revisions WHERE draft_id = ? ORDER BY id DESC LIMIT 1", (draft_id,)
        ).fetchone()
        if newest is not None and newest[0] == digest:
            return None
        now = time.time()
        cur = conn.execute(
            "INSERT INTO revisions (draft_id, created_at, kind, content, content_hash, size)"
            " SELECT id, ?, 'autosave', ?, ?, ? FROM drafts WHERE id = ?",
            (now, text, digest, len(text.encode("utf-8")), draft_id),
        )
        if cur.rowcount != 1:
            raise DraftError(f"there is no draft {draft_id}")
        conn.execute("UPDATE drafts SET updated_at = ? WHERE id = ?", (now, draft_id))
        ownership.register(conn, draft_id, folders)
        return int(cur.lastrowid or 0)

    def revisions(self, draft_id: int, *, limit: int | None = None) -> list[RevisionInfo]:
        """Newest first."""
        conn = self._read()
        head = conn.execute("SELECT head_revision_id FROM drafts WHERE id = ?", (draft_id,)).fetchone()
        if head is None:
            raise DraftError(f"there is no draft {draft_id}")
        rows = conn.execute(
            "SELECT id, draft_id, created_at, kind, label, content_hash, size, dismissed FROM revisions"
            " WHERE draft_id = ? ORDER BY id DESC LIMIT ?",
            (draft_id, -1 if limit is None else limit),
        ).fetchall()
        return [
            RevisionInfo(
                r["id"],
                r["draft_id"],
                r["created_at"],
                r["kind"],
                r["label"],
                r["content_hash"],
                r["size"],
                bool(r["dismissed"]),
                r["id"] == head[0],
            )
            for r in rows
        ]

    def restore_revision(self, draft_id: int, revision_id: int, *, kind: str = "restore") -> int:
        """Make an old version current again by adding a new head revision with its content."""
        now = time.time()

        def job(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                "SELECT content, created_at FROM revisions WHERE id = ? AND draft_id = ?",
                (revision_id, draft_id),
            ).fetchone()
            if row is None:
                raise DraftError(f"draft {draft_id} has no revision {revision_id}")
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row[1]))
            rev = self._insert_revision(
                conn, draft_id, row[0], kind, f"Restored revision {revision_id} ({stamp})", now
            )
            self._set_head(conn, draft_id, rev, json.loads(row[0]), now)
            conn.execute(
                "UPDATE revisions SET dismissed = 1 WHERE draft_id = ? AND id <= ? AND kind = 'autosave'",
                (draft_id, rev),
            )
            return rev

        return self._writer.call(job)

    def dismiss_autosaves(self, draft_id: int, up_to_revision: int | None = None) -> None:
        """Stop offering autosaves (up to a revision) for crash recovery; they stay in history."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE revisions SET dismissed = 1 WHERE draft_id = ? AND kind = 'autosave' AND id <= ?",
                (draft_id, up_to_revision if up_to_revision is not None else 1 << 62),
            )

        self._writer.call(job)

    def pending_autosaves(self) -> list[tuple[int, int]]:
        """``(draft_id, newest_autosave_id)`` for drafts whose newest revision is an autosave
        made after the head and not dismissed: the work a crash may have left unsaved."""
        rows = (
            self._read()
            .execute(
                "SELECT d.id, r.id FROM drafts d JOIN revisions r"
                " ON r.id = (SELECT max(id) FROM revisions WHERE draft_id = d.id)"
                " WHERE d.deleted_at IS NULL AND r.kind = 'autosave' AND r.dismissed = 0"
                " AND (d.head_revision_id IS NULL OR r.id > d.head_revision_id) ORDER BY r.created_at DESC"
            )
            .fetchall()
        )
        return [(int(a), int(b)) for a, b in rows]

    def prune_revisions(
        self, draft_id: int, *, now: float | None = None, per_bucket: int = retention.PER_BUCKET
    ) -> int:
        """Thin out old revisions by the time-bucket policy; returns how many were deleted."""
        now = time.time() if now is None else now

        def job(conn: sqlite3.Connection) -> int:
            rows = conn.execute(
                "SELECT id, created_at, kind, dismissed FROM revisions WHERE draft_id = ?", (draft_id,)
            ).fetchall()
            if not rows:
                return 0
            head = conn.execute("SELECT head_revision_id FROM drafts WHERE id = ?", (draft_id,)).fetchone()
            keep = retention.revisions_to_keep(((r[0], r[1]) for r in rows), now, per_bucket)
            keep.add(max(r[0] for r in rows))
            if head and head[0] is not None:
                keep.add(head[0])
                keep.update(r[0] for r in rows if r[2] == "autosave" and not r[3] and r[0] > head[0])
            doomed = [(r[0],) for r in rows if r[0] not in keep]
            conn.executemany("DELETE FROM revisions WHERE id = ?", doomed)
            return len(doomed)

        return self._writer.call(job)

    # -- metadata -------------------------------------------------------------------------
    def rename(self, draft_id: int, title: str) -> int:
        """Rename the draft: a new head revision whose document carries the new title."""
        title = title.strip()
        if not title:
            raise DraftError("a draft needs a title")
        doc = self.get_project_doc(draft_id)
        doc["title"] = title
        return self.save(draft_id, doc, kind="rename", label=f"Renamed to {title}")

    def duplicate(self, draft_id: int, *, title: str | None = None, revision_id: int | None = None) -> int:
        """A new draft with the same project (head, or ``revision_id``), metadata and tags."""
        source = self.get_draft(draft_id)
        doc = self.get_project_doc(draft_id, revision_id)
        doc["title"] = title if title is not None else f"{source.title or 'Untitled'} (copy)"
        updates = self.publish_updates(
            caption=source.caption,
            hashtags=source.hashtags,
            privacy=source.privacy,
            toggles=source.toggles,
            schedule_at=source.schedule_at,
        )

        def job(conn: sqlite3.Connection) -> int:
            # One transaction: the copy exists with everything, sharing the original's media
            # folders and library entries (counted uses, so deleting either keeps the files).
            self._check_exists(conn, draft_id)
            new_id = self.insert_draft(
                conn, doc, base_dir=source.base_dir, kind="import", label=f"Copied from draft {draft_id}"
            )
            ownership.share(conn, draft_id, new_id)
            self.apply_updates(conn, new_id, updates)
            self.apply_tags(conn, new_id, source.tags)
            return new_id

        new_id = self._writer.call(job)
        if source.cover_path and Path(source.cover_path).is_file():
            self.set_cover(new_id, source.cover_path)
        return new_id

    # -- trash and deletion ---------------------------------------------------------------
    def trash(self, draft_id: int) -> None:
        self._set_deleted(draft_id, time.time())

    def restore_from_trash(self, draft_id: int) -> None:
        self._set_deleted(draft_id, None)

    def _set_deleted(self, draft_id: int, when: float | None) -> None:
        def job(conn: sqlite3.Connection) -> None:
            self._check_exists(conn, draft_id)
            conn.execute("UPDATE drafts SET deleted_at = ? WHERE id = ?", (when, draft_id))

        self._writer.call(job)

    def delete_forever(self, draft_ids: int | Iterable[int]) -> None:
        """Remove drafts, their revisions, tags, cover and the bundled media no other draft uses
        (see :mod:`studio.drafts.ownership`), and scrub the file:
        ``secure_delete`` zeroes freed pages, VACUUM rewrites the database and a TRUNCATE
        checkpoint empties the WAL, so none of the draft's text stays readable on disk."""
        ids = [draft_ids] if isinstance(draft_ids, int) else list(draft_ids)
        drafts = [self.get_draft(i) for i in ids]
        marks = ",".join("?" * len(ids))

        def job(conn: sqlite3.Connection) -> tuple[list[str], list[str]]:
            folders = ownership.used_by(conn, ids)
            # media only these drafts used go too, with their thumbnails and waveforms
            only_ours = (
                f"SELECT media_id FROM draft_media WHERE draft_id IN ({marks}) EXCEPT"
                f" SELECT media_id FROM draft_media WHERE draft_id NOT IN ({marks})"
            )
            cached = [
                r[0]
                for r in conn.execute(
                    f"SELECT path FROM media_cache WHERE media_id IN ({only_ours})", (*ids, *ids)
                )
            ]
            conn.execute(f"DELETE FROM media WHERE id IN ({only_ours})", (*ids, *ids))
            conn.execute(f"DELETE FROM drafts WHERE id IN ({marks})", ids)
            conn.execute("DELETE FROM tags WHERE id NOT IN (SELECT tag_id FROM draft_tags)")
            # a media folder goes only when no remaining draft (trashed ones included) uses it
            return cached, ownership.unused(conn, folders)

        cached, unused_folders = self._writer.call(job)
        for path in cached:
            Path(path).unlink(missing_ok=True)
        for draft in drafts:
            if draft.cover_path and Path(draft.cover_path).parent == self.covers_dir:
                Path(draft.cover_path).unlink(missing_ok=True)
        ownership.remove_folders(self.media_dir, unused_folders)
        self.scrub()

    def empty_trash(self) -> int:
        ids = [d.id for d in self.list_drafts(trashed=True)]
        if ids:
            self.delete_forever(ids)
        return len(ids)

    def scrub(self) -> None:
        """Checkpoint, VACUUM and truncate the WAL (see :meth:`delete_forever`)."""

        def job(conn: sqlite3.Connection) -> None:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

        self._writer.call(job, transaction=False)

    def integrity_check(self) -> list[str]:
        return [r[0] for r in self._read().execute("PRAGMA integrity_check").fetchall()]


def open_store(paths: AppPaths | None = None) -> DraftStore:
    """The profile's drafts store (``<data>/drafts/drafts.sqlite3``, caches under ``<cache>/drafts``)."""
    from studio.config import app_paths

    paths = (paths or app_paths()).ensure()
    return DraftStore(paths.data / "drafts" / "drafts.sqlite3", cache_dir=paths.cache / "drafts")
