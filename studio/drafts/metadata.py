"""Publish metadata, publications, tags and covers of drafts (a part of :class:`DraftStore`).

The methods that end in a write job also come as ``publish_updates``/``apply_updates`` and
``apply_tags``, which run inside a caller's job, so a duplicate or an imported bundle gets its
metadata in the same transaction as its draft.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.drafts.models import DraftError

if TYPE_CHECKING:
    from studio.dbwriter import ReadConnection
    from studio.drafts.models import DraftInfo
    from studio.drafts.writer import Writer

PRIVACY_LEVELS = ("public", "friends", "private")


class DraftMetadata:
    """Mixed into :class:`studio.drafts.store.DraftStore`, which provides these."""

    covers_dir: Path
    _writer: Writer

    if TYPE_CHECKING:  # the store's own methods, declared for the type checker only

        def _read(self) -> ReadConnection: ...

        def _check_exists(self, conn: sqlite3.Connection, draft_id: int) -> None: ...

        def get_draft(self, draft_id: int) -> DraftInfo: ...

    def set_publish(
        self,
        draft_id: int,
        *,
        caption: str | None = None,
        hashtags: Iterable[str] | None = None,
        privacy: str | None = None,
        toggles: dict[str, bool] | None = None,
        schedule_at: float | bool | None = False,
    ) -> None:
        """Update publish metadata; arguments left out keep their value (``schedule_at=None``
        clears the schedule)."""
        updates = self.publish_updates(
            caption=caption, hashtags=hashtags, privacy=privacy, toggles=toggles, schedule_at=schedule_at
        )
        if not updates:
            return

        def job(conn: sqlite3.Connection) -> None:
            self._check_exists(conn, draft_id)
            self.apply_updates(conn, draft_id, updates)

        self._writer.call(job)

    @staticmethod
    def publish_updates(
        *,
        caption: str | None = None,
        hashtags: Iterable[str] | None = None,
        privacy: str | None = None,
        toggles: dict[str, bool] | None = None,
        schedule_at: float | bool | None = False,
    ) -> dict[str, Any]:
        """The ``drafts`` columns :meth:`set_publish` would change (checked; empty if none)."""
        updates: dict[str, Any] = {}
        if caption is not None:
            updates["caption"] = caption
        if hashtags is not None:
            tags = [h.strip().lstrip("#") for h in hashtags if h.strip().lstrip("#")]
            updates["hashtags_json"] = json.dumps(tags, ensure_ascii=False)
        if privacy is not None:
            if privacy not in PRIVACY_LEVELS:
                raise DraftError(f"privacy must be one of {', '.join(PRIVACY_LEVELS)}, not '{privacy}'")
            updates["privacy"] = privacy
        if toggles is not None:
            updates["toggles_json"] = json.dumps({str(k): bool(v) for k, v in toggles.items()})
        if schedule_at is not False:
            updates["schedule_at"] = schedule_at
        if updates:
            updates["updated_at"] = time.time()
        return updates

    @staticmethod
    def apply_updates(conn: sqlite3.Connection, draft_id: int, updates: dict[str, Any]) -> None:
        """Write :meth:`publish_updates` inside a write job."""
        if updates:
            assignments = ", ".join(f"{name} = ?" for name in updates)
            conn.execute(f"UPDATE drafts SET {assignments} WHERE id = ?", (*updates.values(), draft_id))

    def record_publication(
        self,
        draft_id: int,
        *,
        post_id: str,
        share_url: str,
        state: str,
        account: str = "",
        revision_id: int | None = None,
    ) -> None:
        """Where the draft was posted (from the publish queue, once the platform confirmed it)."""

        def job(conn: sqlite3.Connection) -> None:
            self._check_exists(conn, draft_id)
            conn.execute(
                "INSERT INTO publications (draft_id, revision_id, account, post_id, share_url, state, published_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (draft_id, post_id) DO UPDATE SET"
                " share_url = excluded.share_url, state = excluded.state",
                (draft_id, revision_id, account, post_id, share_url, state, time.time()),
            )

        self._writer.call(job)

    def publications(self, draft_id: int) -> list[dict[str, Any]]:
        rows = (
            self._read()
            .execute("SELECT * FROM publications WHERE draft_id = ? ORDER BY published_at", (draft_id,))
            .fetchall()
        )
        return [dict(r) for r in rows]

    def set_tags(self, draft_id: int, tags: Iterable[str]) -> None:
        def job(conn: sqlite3.Connection) -> None:
            self._check_exists(conn, draft_id)
            self.apply_tags(conn, draft_id, tags)

        self._writer.call(job)

    @staticmethod
    def apply_tags(conn: sqlite3.Connection, draft_id: int, tags: Iterable[str]) -> None:
        """Replace the draft's tags inside a write job (one spelling per tag, the first wins)."""
        unique: dict[str, str] = {}
        for tag in tags:
            if tag.strip():
                unique.setdefault(tag.strip().lower(), tag.strip())
        conn.execute("DELETE FROM draft_tags WHERE draft_id = ?", (draft_id,))
        for name in sorted(unique.values(), key=str.lower):
            conn.execute("INSERT OR IGNORE INTO tags (name) VALUES (?)", (name,))
            conn.execute(
                "INSERT OR IGNORE INTO draft_tags (draft_id, tag_id) SELECT ?, id FROM tags WHERE name = ?",
                (draft_id, name),
            )
        conn.execute("DELETE FROM tags WHERE id NOT IN (SELECT tag_id FROM draft_tags)")

    def all_tags(self) -> list[str]:
        return [r[0] for r in self._read().execute("SELECT name FROM tags ORDER BY name COLLATE NOCASE")]

    def set_cover(self, draft_id: int, image: Any) -> Path:
        """Set the cover thumbnail from an RGB ``uint8`` array or an image file path (a file is
        checked before it is decoded: see :mod:`studio.drafts.images`)."""
        from PIL import Image

        from studio.drafts import images

        if isinstance(image, str | os.PathLike):
            picture = images.cover_thumbnail(image, what=f"the picture {Path(image).name}")
        else:
            picture = Image.fromarray(image, "RGB")
            picture.thumbnail(images.COVER_SIZE)
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG")
        target = self.write_cover_file(draft_id, buffer.getvalue())
        old = self.get_draft(draft_id).cover_path

        def job(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE drafts SET cover_path = ? WHERE id = ?", (str(target), draft_id))

        self._writer.call(job)
        if old and Path(old).parent == self.covers_dir:
            Path(old).unlink(missing_ok=True)
        return target

    def write_cover_file(self, draft_id: int, png: bytes) -> Path:
        """Write a cover PNG into the covers folder (atomically); the caller records its path."""
        self.covers_dir.mkdir(parents=True, exist_ok=True)
        target = self.covers_dir / f"{draft_id}-{time.time_ns() // 1000}.png"
        tmp = target.with_suffix(".tmp")
        try:
            tmp.write_bytes(png)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return target
