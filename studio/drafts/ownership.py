"""Who uses the media folders the store owns (``<store>/media/<folder>/``), and removing them.

Bundled media are unpacked into a folder of the store. A duplicate shares its original's folder
rather than copying the files, so a folder belongs to every draft that has ever named a file in
it (any revision, since an old one can be restored) or has it as its base folder: the
``draft_media_dirs`` table, one row per (draft, folder). Rows go only with their draft (when it is
deleted forever); a folder is deleted when no row names it any more, so a draft in the trash
keeps its media until the trash is emptied.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from studio.drafts.summary import iter_items

log = logging.getLogger(__name__)

# Folder names the store makes: a draft id, optionally with a suffix ("12", "12-3fa9c0d1").
_FOLDER = re.compile(r"^[0-9]+(-[0-9a-f]{1,32})?$")


def is_store_folder(name: str) -> bool:
    """A name the store would give a media folder (never a path, never ``..``)."""
    return bool(_FOLDER.match(name))


def _prefixes(media_dir: str | os.PathLike[str]) -> list[str]:
    plain = os.path.abspath(media_dir)
    real = os.path.realpath(media_dir)
    return [p + os.sep for p in dict.fromkeys([plain, real])]


def folder_of(path: str, prefixes: list[str]) -> str | None:
    """The store folder ``path`` lies in (its first component under ``media/``), if any."""
    candidate = os.path.abspath(path)
    for prefix in prefixes:
        if candidate.startswith(prefix):
            first = candidate[len(prefix) :].split(os.sep, 1)[0]
            return first if is_store_folder(first) else None
    return None


def folders_used(
    doc: dict[str, Any], media_dir: str | os.PathLike[str], base_dir: str | os.PathLike[str] | None
) -> set[str]:
    """The store folders a document uses: those its clip sources lie in, and its base folder."""
    prefixes = _prefixes(media_dir)
    found: set[str] = set()
    base = os.fspath(base_dir) if base_dir else None
    if base:
        folder = folder_of(base, prefixes)
        if folder:
            found.add(folder)
    for item in iter_items(doc):
        source = item.get("source")
        if not isinstance(source, str) or not source or "://" in source:
            continue
        path = source if os.path.isabs(source) or base is None else os.path.join(base, source)
        folder = folder_of(path, prefixes)
        if folder:
            found.add(folder)
    return found


def mentions(text: str, media_dir: str | os.PathLike[str]) -> bool:
    """Whether JSON ``text`` could name a file under ``media_dir`` (a cheap test before parsing)."""
    for prefix in _prefixes(media_dir):
        plain = prefix.rstrip(os.sep)
        forms = {plain, json.dumps(plain)[1:-1], json.dumps(plain, ensure_ascii=False)[1:-1]}
        if any(form in text for form in forms):
            return True
    return False


def register(conn: sqlite3.Connection, draft_id: int, folders: Iterable[str]) -> None:
    """Record that ``draft_id`` uses ``folders`` (in the caller's write transaction)."""
    conn.executemany(
        "INSERT OR IGNORE INTO draft_media_dirs (draft_id, folder) VALUES (?, ?)",
        [(draft_id, f) for f in sorted(set(folders)) if is_store_folder(f)],
    )


def share(conn: sqlite3.Connection, from_draft: int, to_draft: int) -> None:
    """``to_draft`` (a duplicate) uses every folder and library entry ``from_draft`` uses."""
    conn.execute(
        "INSERT OR IGNORE INTO draft_media_dirs (draft_id, folder)"
        " SELECT ?, folder FROM draft_media_dirs WHERE draft_id = ?",
        (to_draft, from_draft),
    )
    conn.execute(
        "INSERT OR IGNORE INTO draft_media (draft_id, media_id)"
        " SELECT ?, media_id FROM draft_media WHERE draft_id = ?",
        (to_draft, from_draft),
    )


def in_use(conn: sqlite3.Connection, folder: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM draft_media_dirs WHERE folder = ? LIMIT 1", (folder,)).fetchone()
        is not None
    )


def used_by(conn: sqlite3.Connection, draft_ids: list[int]) -> list[str]:
    marks = ",".join("?" * len(draft_ids))
    return [
        r[0]
        for r in conn.execute(
            f"SELECT DISTINCT folder FROM draft_media_dirs WHERE draft_id IN ({marks}) ORDER BY folder",
            draft_ids,
        ).fetchall()
    ]


def unused(conn: sqlite3.Connection, folders: Iterable[str]) -> list[str]:
    """Those of ``folders`` no draft uses any more (call after deleting the drafts' rows)."""
    return [f for f in folders if not in_use(conn, f)]


def remove_folders(media_dir: Path, folders: Iterable[str]) -> None:
    """Delete store folders (only direct children of ``media_dir`` with a store name; a symlink
    is unlinked, never followed)."""
    for name in folders:
        if not is_store_folder(name):
            continue
        path = media_dir / name
        if path.is_symlink():
            path.unlink(missing_ok=True)
        elif path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
            if path.exists():
                log.warning("could not remove all of %s", path)
