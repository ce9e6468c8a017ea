"""Reading and writing project files (.json): the only place the project model meets the disk.

``load_project`` resolves sources relative to the file's folder; ``save_project`` writes them
relative to it again and replaces the file atomically (temporary file, fsync, rename), so a
crash mid-save leaves the previous version intact.

A saved project also records each local source's fingerprint under ``media_fingerprints``
(``{source as written: {"size", "mtime_ns", "hash"}}``, the hash being
``studio.drafts.hashing.fast_hash``: size + the first, middle and last MiB), so a source that was
moved and renamed can be found again by its content (:mod:`studio.media.relink`). A fingerprint
whose file still has the same size and mtime is reused instead of reading the file again.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from studio.core.errors import ProjectError
from studio.core.project import Project

FINGERPRINTS = "media_fingerprints"


def fingerprint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """``{"size", "mtime_ns", "hash"}`` of a media file (reads at most 3 MiB of it)."""
    from studio.drafts.hashing import fast_hash

    st = os.stat(path)
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "hash": fast_hash(path)}


def source_fingerprints(
    project: Project, base_dir: str | os.PathLike[str] | None
) -> dict[str, dict[str, Any]]:
    """The fingerprints the project file recorded, keyed by absolute source path (relative keys
    are resolved against ``base_dir``; in memory, after a load or save, they are absolute)."""
    raw = project.extra.get(FINGERPRINTS)
    if not isinstance(raw, Mapping):
        return {}
    out: dict[str, dict[str, Any]] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not isinstance(value, Mapping):
            continue
        path = key
        if base_dir is not None and not os.path.isabs(key) and "://" not in key:
            path = os.path.normpath(os.path.join(os.fspath(base_dir), key))
        out[path] = dict(value)
    return out


def _relative(source: str, folder: Path) -> str:
    if os.path.isabs(source):
        try:
            return Path(os.path.relpath(source, folder)).as_posix()
        except ValueError:
            return source
    return source


def _fingerprints_for_save(project: Project, folder: Path) -> dict[str, dict[str, Any]]:
    """A fingerprint per local source (keyed by its absolute path) that exists, reusing known
    ones whose file is unchanged; a missing source keeps the fingerprint it had (so it can still
    be relinked by content)."""
    known = source_fingerprints(project, None)
    out: dict[str, dict[str, Any]] = {}
    for source in project.sources():
        if "://" in source:
            continue
        old = known.get(source)
        try:
            st = os.stat(source)
        except OSError:
            if old is not None:
                out[source] = old
            continue
        if old is not None and old.get("size") == st.st_size and old.get("mtime_ns") == st.st_mtime_ns:
            out[source] = old
            continue
        try:
            out[source] = fingerprint(source)
        except OSError:
            continue
    return out


def load_project(path: str | os.PathLike[str]) -> Project:
    """Read, migrate and validate a project file; every problem is a :class:`ProjectError`."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ProjectError("the project file does not exist", str(p)) from None
    except IsADirectoryError:
        raise ProjectError("this is a folder, not a project file", str(p)) from None
    except OSError as e:
        raise ProjectError(f"the project file cannot be read ({e.strerror or e})", str(p)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProjectError("the project file is not UTF-8 text", str(p)) from None
    if not text.strip():
        raise ProjectError("the project file is empty", str(p))
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ProjectError(
            f"the project file is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}", str(p)
        ) from None
    base = str(p.resolve().parent)
    try:
        project = Project.from_dict(doc, base_dir=base)
    except ProjectError as e:
        raise ProjectError(e.message, f"{p}: {e.where}" if e.where else str(p)) from None
    if FINGERPRINTS in project.extra:
        project.extra[FINGERPRINTS] = source_fingerprints(project, base)
    return project


def save_project(project: Project, path: str | os.PathLike[str]) -> None:
    """Validate and write ``project`` to ``path`` atomically, sources relative to its folder."""
    p = Path(path)
    project.validate()
    folder = p.resolve().parent
    if not folder.is_dir():
        raise ProjectError("the folder to save into does not exist", str(folder))
    doc = project.to_dict(relative_to=str(folder))
    prints = _fingerprints_for_save(project, folder)
    if prints:
        doc[FINGERPRINTS] = {_relative(source, folder): fp for source, fp in prints.items()}
    else:
        doc.pop(FINGERPRINTS, None)
    data = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
        if prints:
            project.extra[FINGERPRINTS] = prints
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
