"""Finding moved media: which sources are missing, and where in a folder they went.

A candidate is found by file name first and confirmed by content: when the project file recorded
a fingerprint of the source (size + fast hash, see :func:`studio.projectfile.save_project`), a
candidate must have the same size and hash, and a file renamed since is found among the files of
the same size by its hash alone. Without a fingerprint the same name (and size, when known) is
taken, but only when exactly one file in the folder has it. Nothing here touches the project:
the caller turns the answer into a :class:`studio.core.relink.RelinkSources` edit.

The hash function is passed in (``hasher(path) -> str``; the app passes
``studio.drafts.hashing.fast_hash``), so this module stays free of the drafts store.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Hasher = Callable[[str], str]
Check = Callable[[], None]

MAX_FILES = 100_000  # a scan stops after this many files (the creator picked their home folder)


@dataclass(frozen=True)
class Wanted:
    """A missing source: the path the project names, and its fingerprint when one was saved."""

    path: str
    size: int | None = None
    hash: str | None = None

    @property
    def name(self) -> str:
        return Path(self.path).name


@dataclass(frozen=True)
class Candidate:
    path: str
    name: str
    size: int


@dataclass
class FolderIndex:
    """The files under a folder, by lower-case name and by size; hashes computed at most once."""

    folder: str
    by_name: dict[str, list[Candidate]] = field(default_factory=dict)
    by_size: dict[int, list[Candidate]] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    truncated: bool = False

    def hash_of(self, path: str, hasher: Hasher) -> str | None:
        if path not in self.hashes:
            try:
                self.hashes[path] = hasher(path)
            except OSError:
                return None
        return self.hashes[path]


def is_local(source: str) -> bool:
    return "://" not in source


def missing_sources(
    sources: Iterable[str], fingerprints: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Wanted]:
    """The local ``sources`` that are not files, each with its saved fingerprint if any."""
    prints = fingerprints or {}
    out: list[Wanted] = []
    for source in dict.fromkeys(sources):
        if not is_local(source) or os.path.isfile(source):
            continue
        fp = prints.get(source) or {}
        size = fp.get("size")
        digest = fp.get("hash")
        out.append(
            Wanted(
                source,
                size if isinstance(size, int) else None,
                digest if isinstance(digest, str) and digest else None,
            )
        )
    return out


def index_folder(
    folder: str | os.PathLike[str], *, check: Check | None = None, max_files: int = MAX_FILES
) -> FolderIndex:
    """Every regular file under ``folder`` (hidden folders skipped, links not followed)."""
    index = FolderIndex(str(folder))
    count = 0
    for root, dirs, files in os.walk(folder, followlinks=False):
        if check is not None:
            check()
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = os.path.join(root, name)
            try:
                st = os.stat(path, follow_symlinks=False)
            except OSError:
                continue
            if not os.path.isfile(path):
                continue
            cand = Candidate(path, name, st.st_size)
            index.by_name.setdefault(name.casefold(), []).append(cand)
            index.by_size.setdefault(st.st_size, []).append(cand)
            count += 1
            if count >= max_files:
                index.truncated = True
                return index
    return index


def confirms(path: str, want: Wanted, hasher: Hasher) -> bool:
    """Whether the file at ``path`` is ``want`` by its fingerprint (True when none was saved)."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return False
    if want.size is not None and size != want.size:
        return False
    if want.hash is None:
        return True
    try:
        return hasher(path) == want.hash
    except OSError:
        return False


def find_one(index: FolderIndex, want: Wanted, hasher: Hasher, *, check: Check | None = None) -> str | None:
    """Where ``want`` is in ``index``: same name first, then (with a saved hash) same content."""
    named = index.by_name.get(want.name.casefold(), [])
    if want.hash is not None:
        for cand in named:
            if (want.size is None or cand.size == want.size) and index.hash_of(
                cand.path, hasher
            ) == want.hash:
                return cand.path
        if want.size is None:
            return None
        for cand in index.by_size.get(want.size, []):
            if check is not None:
                check()
            if index.hash_of(cand.path, hasher) == want.hash:
                return cand.path
        return None
    fits = [c for c in named if want.size is None or c.size == want.size]
    return fits[0].path if len(fits) == 1 else None


def search_folder(
    folder: str | os.PathLike[str],
    wanted: Iterable[Wanted],
    hasher: Hasher,
    *,
    check: Check | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> dict[str, str]:
    """``{missing path: found path}`` for every ``wanted`` file found under ``folder``."""
    wants = list(wanted)
    if not wants:
        return {}
    index = index_folder(folder, check=check)
    found: dict[str, str] = {}
    for i, want in enumerate(wants):
        if check is not None:
            check()
        if progress is not None:
            progress(i / len(wants), want.name)
        path = find_one(index, want, hasher, check=check)
        if path is not None:
            found[want.path] = path
    return found
