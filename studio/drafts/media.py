"""The media library: every imported file once (by content hash), relinking, and caches.

Identity is the fast content hash (see :mod:`studio.drafts.hashing`), so the same clip imported
twice — or copied to another folder — is one entry. A file that is no longer at its path is
marked missing; :meth:`MediaLibrary.relink` searches a folder for it (same name and size first,
then any file of the same size) and accepts a candidate only if its hash matches, then points
every draft that used the old path at the new one (as a new revision).

Thumbnails and waveforms are files under the cache dir named by content hash; a cache entry
records the source's size and mtime and is rebuilt when they change. The total size is kept
under the store's ``cache_limit_bytes`` by evicting the least recently used files. How to make a
thumbnail or waveform is the caller's business (``make(path) -> numpy array``), so this module
never decodes media itself; by default it uses ``studio.media`` when that is installed.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.drafts.hashing import fast_hash, full_hash
from studio.drafts.store import DraftError
from studio.drafts.summary import iter_items

if TYPE_CHECKING:
    import numpy as np

    from studio.drafts.store import DraftStore

Maker = Callable[[str], "np.ndarray"]
Prober = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class PreparedFile:
    """What the library records of a file, read before the write job (see :meth:`MediaLibrary.link`)."""

    path: Path
    size: int
    mtime: float
    fast_hash: str
    probe: dict[str, Any]


@dataclass(frozen=True)
class MediaItem:
    id: int
    path: str
    fast_hash: str
    full_hash: str | None
    size: int
    mtime: float
    probe: dict[str, Any]
    imported_at: float
    missing: bool

    @property
    def name(self) -> str:
        return Path(self.path).name


_COLUMNS = "id, path, fast_hash, full_hash, size, mtime, probe_json, imported_at, missing"


def _item(row: sqlite3.Row | tuple) -> MediaItem:
    return MediaItem(
        row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6] or "{}"), row[7], bool(row[8])
    )


def _default_thumbnail(path: str) -> np.ndarray:
    from studio.drafts.images import check_still
    from studio.media.thumbnails import thumbnail

    check_still(path)  # a still's size is checked from its header before the decoder expands it
    return thumbnail(path)


def _default_waveform(path: str) -> np.ndarray:
    """Peak envelope: max |sample| per 10 ms, mono (uses ``studio.media.audio``)."""
    import numpy as np

    from studio.media.audio import decode_audio

    samples = np.abs(decode_audio(path, rate=8000)).max(axis=1)
    usable = len(samples) - len(samples) % 80
    return samples[:usable].reshape(-1, 80).max(axis=1).astype(np.float32)


class MediaLibrary:
    def __init__(self, store: DraftStore) -> None:
        self.store = store

    # -- entries --------------------------------------------------------------------------
    def get(self, media_id: int) -> MediaItem:
        row = (
            self.store.reader().execute(f"SELECT {_COLUMNS} FROM media WHERE id = ?", (media_id,)).fetchone()
        )
        if row is None:
            raise DraftError(f"there is no media item {media_id}")
        return _item(row)

    def items(self, *, missing_only: bool = False) -> list[MediaItem]:
        where = "WHERE missing = 1" if missing_only else ""
        rows = self.store.reader().execute(f"SELECT {_COLUMNS} FROM media {where} ORDER BY id").fetchall()
        return [_item(r) for r in rows]

    def find_by_path(self, path: str | os.PathLike[str]) -> MediaItem | None:
        row = (
            self.store.reader()
            .execute(f"SELECT {_COLUMNS} FROM media WHERE path = ?", (str(Path(path).resolve()),))
            .fetchone()
        )
        return _item(row) if row else None

    def import_file(
        self, path: str | os.PathLike[str], *, draft_id: int | None = None, probe: Prober | None = None
    ) -> MediaItem:
        """Add a file to the library, or return the entry that already has its content."""
        prepared = self.prepare(path, probe=probe)
        return self.get(self.store.write(lambda conn: self.link(conn, prepared, draft_id)))

    @staticmethod
    def prepare(path: str | os.PathLike[str], *, probe: Prober | None = None) -> PreparedFile:
        """Stat and hash a file (the slow part of an import, done outside the write job)."""
        source = Path(path).resolve()
        try:
            stat = source.stat()
            digest = fast_hash(source)
        except FileNotFoundError:
            raise DraftError(f"cannot import {source}: the file does not exist") from None
        except IsADirectoryError:
            raise DraftError(f"cannot import {source}: it is a folder, not a media file") from None
        except OSError as exc:
            raise DraftError(f"cannot read {source}: {exc.strerror or exc}") from None
        metadata = probe(str(source)) if probe is not None else {}
        return PreparedFile(source, stat.st_size, stat.st_mtime, digest, metadata)

    @staticmethod
    def link(
        conn: sqlite3.Connection,
        file: PreparedFile,
        draft_id: int | None = None,
        *,
        path: str | os.PathLike[str] | None = None,
    ) -> int:
        """Record ``file`` (at ``path`` if it has moved since :meth:`prepare`) inside a write
        job, used by ``draft_id``; returns the library entry's id."""
        source = str(Path(path).resolve()) if path is not None else str(file.path)
        metadata = json.dumps(file.probe)
        row = conn.execute("SELECT id, path FROM media WHERE fast_hash = ?", (file.fast_hash,)).fetchone()
        if row is None:
            cur = conn.execute(
                "INSERT INTO media (path, fast_hash, size, mtime, probe_json, imported_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (source, file.fast_hash, file.size, file.mtime, metadata, time.time()),
            )
            media_id = int(cur.lastrowid or 0)
        else:
            media_id = int(row[0])
            if row[1] != source and not Path(row[1]).is_file():
                conn.execute(
                    "UPDATE media SET path = ?, mtime = ?, missing = 0 WHERE id = ?",
                    (source, file.mtime, media_id),
                )
            if file.probe:
                conn.execute("UPDATE media SET probe_json = ? WHERE id = ?", (metadata, media_id))
        if draft_id is not None:
            conn.execute(
                "INSERT OR IGNORE INTO draft_media (draft_id, media_id) VALUES (?, ?)", (draft_id, media_id)
            )
        return media_id

    def ensure_full_hash(self, media_id: int) -> str:
        """The whole-file hash, computed on first request and stored."""
        item = self.get(media_id)
        if item.full_hash:
            return item.full_hash
        digest = full_hash(item.path)
        self.store.write(
            lambda conn: conn.execute("UPDATE media SET full_hash = ? WHERE id = ?", (digest, media_id))
        )
        return digest

    def check(self) -> list[MediaItem]:
        """Refresh the missing flags from the disk; returns the missing items."""
        states = []
        for item in self.items():
            missing = not Path(item.path).is_file()
            if not missing:
                stat = os.stat(item.path)
                if stat.st_size != item.size:
                    missing = True
            states.append((int(missing), item.id))

        def job(conn: sqlite3.Connection) -> None:
            conn.executemany("UPDATE media SET missing = ? WHERE id = ?", states)

        self.store.write(job)
        return self.items(missing_only=True)

    # -- relinking ------------------------------------------------------------------------
    def _matches(self, item: MediaItem, candidate: Path) -> bool:
        try:
            if candidate.stat().st_size != item.size or fast_hash(candidate) != item.fast_hash:
                return False
        except OSError:
            return False
        if candidate.name != item.name and item.full_hash:
            return full_hash(candidate) == item.full_hash
        return True

    def find_in_folder(self, item: MediaItem, folder: str | os.PathLike[str]) -> Path | None:
        """A file under ``folder`` with this item's content (same-name candidates first)."""
        same_name: list[Path] = []
        same_size: list[Path] = []
        for root, _dirs, files in os.walk(folder):
            for name in files:
                candidate = Path(root) / name
                try:
                    if candidate.stat().st_size != item.size:
                        continue
                except OSError:
                    continue
                (same_name if name == item.name else same_size).append(candidate)
        for candidate in [*same_name, *same_size]:
            if self._matches(item, candidate):
                return candidate.resolve()
        return None

    def relink(self, media_id: int, folder: str | os.PathLike[str]) -> MediaItem | None:
        """Find a moved file under ``folder``; on success update the library and every draft
        that used it. Returns the updated item, or ``None`` if it was not found."""
        item = self.get(media_id)
        found = self.find_in_folder(item, folder)
        if found is None:
            return None
        return self.relink_to(media_id, found)

    def relink_to(self, media_id: int, new_path: str | os.PathLike[str]) -> MediaItem:
        item = self.get(media_id)
        target = Path(new_path).resolve()
        if not self._matches(item, target):
            raise DraftError(f"{target.name} is not the same file as {item.name} (different content)")
        stat = target.stat()
        self.store.write(
            lambda conn: conn.execute(
                "UPDATE media SET path = ?, mtime = ?, missing = 0 WHERE id = ?",
                (str(target), stat.st_mtime, media_id),
            )
        )
        self._rewrite_drafts(item.path, str(target), media_id)
        return self.get(media_id)

    def relink_missing(self, folder: str | os.PathLike[str]) -> dict[int, str]:
        """Try :meth:`relink` for every missing item; returns ``{media_id: new path}``."""
        relinked = {}
        for item in self.check():
            updated = self.relink(item.id, folder)
            if updated is not None:
                relinked[item.id] = updated.path
        return relinked

    def _rewrite_drafts(self, old_path: str, new_path: str, media_id: int) -> list[int]:
        store = self.store
        linked = {
            r[0]
            for r in store.reader()
            .execute("SELECT draft_id FROM draft_media WHERE media_id = ?", (media_id,))
            .fetchall()
        }
        candidates = (
            linked | {d.id for d in store.list_drafts()} | {d.id for d in store.list_drafts(trashed=True)}
        )
        changed = []
        for draft_id in sorted(candidates):
            base = store.base_dir(draft_id)
            doc = store.get_project_doc(draft_id)
            hits = 0
            for clip in iter_items(doc):
                source = clip.get("source")
                if not isinstance(source, str):
                    continue
                resolved = Path(source) if os.path.isabs(source) or base is None else base / source
                if os.path.normpath(str(resolved)) == os.path.normpath(old_path):
                    clip["source"] = new_path
                    hits += 1
            if hits:
                store.save(draft_id, doc, kind="relink", label=f"Relinked {Path(old_path).name}")
                changed.append(draft_id)
        return changed

    # -- caches ---------------------------------------------------------------------------
    def thumbnail(self, media_id: int, make: Maker | None = None) -> Path:
        """A PNG thumbnail of the item, from the cache or made with ``make(path)`` (RGB uint8)."""

        def write(item: MediaItem, target: Path) -> None:
            from PIL import Image

            Image.fromarray((make or _default_thumbnail)(item.path), "RGB").save(target, format="PNG")

        return self._cached(media_id, "thumbnail", ".png", write)

    def waveform(self, media_id: int, make: Maker | None = None) -> Path:
        """A ``.npy`` waveform envelope of the item, from the cache or made with ``make(path)``."""

        def write(item: MediaItem, target: Path) -> None:
            import numpy as np

            with open(target, "wb") as fh:
                np.save(fh, (make or _default_waveform)(item.path))

        return self._cached(media_id, "waveform", ".npy", write)

    def _cached(
        self, media_id: int, kind: str, suffix: str, write: Callable[[MediaItem, Path], None]
    ) -> Path:
        item = self.get(media_id)
        try:
            stat = os.stat(item.path)
        except OSError:
            raise DraftError(f"{item.name} is missing; relink it to make a {kind}") from None
        row = (
            self.store.reader()
            .execute(
                "SELECT path, source_size, source_mtime FROM media_cache WHERE media_id = ? AND kind = ?",
                (media_id, kind),
            )
            .fetchone()
        )
        now = time.time()
        if row is not None and Path(row[0]).is_file() and row[1] == stat.st_size and row[2] == stat.st_mtime:
            self.store.write_soon(
                lambda conn: conn.execute(
                    "UPDATE media_cache SET last_access = ? WHERE media_id = ? AND kind = ?",
                    (now, media_id, kind),
                )
            )
            return Path(row[0])
        digest = item.fast_hash
        if row is not None and (row[1] != stat.st_size or row[2] != stat.st_mtime):
            digest = fast_hash(item.path)
        folder = self.store.cache_dir / f"{kind}s"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / (digest.replace(":", "-") + suffix)
        tmp = target.with_name(target.name + ".tmp")
        write(item, tmp)
        os.replace(tmp, target)
        if row is not None and row[0] != str(target):
            Path(row[0]).unlink(missing_ok=True)
        size = target.stat().st_size

        def job(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR REPLACE INTO media_cache (media_id, kind, path, bytes, source_size, source_mtime,"
                " last_access) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (media_id, kind, str(target), size, stat.st_size, stat.st_mtime, now),
            )
            if digest != item.fast_hash:
                conn.execute(
                    "UPDATE media SET fast_hash = ?, full_hash = NULL, size = ?, mtime = ? WHERE id = ?"
                    " AND NOT EXISTS (SELECT 1 FROM media WHERE fast_hash = ?)",
                    (digest, stat.st_size, stat.st_mtime, media_id, digest),
                )

        self.store.write(job)
        self.evict(keep=target)
        return target

    def cache_bytes(self) -> int:
        return int(
            self.store.reader().execute("SELECT coalesce(sum(bytes), 0) FROM media_cache").fetchone()[0]
        )

    def evict(self, limit: int | None = None, *, keep: Path | None = None) -> int:
        """Delete least-recently-used cache files until the total is under ``limit``."""
        limit = self.store.cache_limit_bytes if limit is None else limit
        rows = (
            self.store.reader()
            .execute("SELECT media_id, kind, path, bytes FROM media_cache ORDER BY last_access ASC")
            .fetchall()
        )
        total = sum(r[3] for r in rows)
        doomed = []
        for media_id, kind, path, size in rows:
            if total <= limit:
                break
            if keep is not None and path == str(keep):
                continue
            doomed.append((media_id, kind, path))
            total -= size
        if not doomed:
            return 0

        def job(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "DELETE FROM media_cache WHERE media_id = ? AND kind = ?", [d[:2] for d in doomed]
            )

        self.store.write(job)
        for _media_id, _kind, path in doomed:
            Path(path).unlink(missing_ok=True)
        return len(doomed)
