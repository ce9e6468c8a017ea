"""Reading and writing project files (.json): the only place the project model meets the disk.

``load_project`` resolves sources relative to the file's folder; ``save_project`` writes them
relative to it again and replaces the file atomically (temporary file, fsync, rename), so a
crash mid-save leaves the previous version intact.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from studio.core.errors import ProjectError
from studio.core.project import Project


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
    try:
        return Project.from_dict(doc, base_dir=str(p.resolve().parent))
    except ProjectError as e:
        raise ProjectError(e.message, f"{p}: {e.where}" if e.where else str(p)) from None


def save_project(project: Project, path: str | os.PathLike[str]) -> None:
    """Validate and write ``project`` to ``path`` atomically, sources relative to its folder."""
    p = Path(path)
    project.validate()
    folder = p.resolve().parent
    if not folder.is_dir():
        raise ProjectError("the folder to save into does not exist", str(folder))
    data = json.dumps(project.to_dict(relative_to=str(folder)), indent=2, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
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
