"""The files that ship with the app (fonts, LUTs, stickers), found in one place.

They live in this package (``studio/resources/<kind>/``), so a source checkout, an installed
wheel and a frozen app (PyInstaller unpacks package data beside the modules) all find them
through :mod:`importlib.resources`. ``CREATOR_STUDIO_RESOURCES`` names another folder with the
same layout instead (read at each call, so a test or a packager can set it at any time).
Every user of a shipped file asks this module; nothing else builds a path to them.

Imports only the standard library: ``studio.core``-level code (effects, render) may use it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from functools import lru_cache
from importlib import resources as _resources
from importlib.resources.abc import Traversable
from pathlib import Path

RESOURCES_ENV = "CREATOR_STUDIO_RESOURCES"
KINDS = ("fonts", "luts", "stickers")


def resource_dir() -> Path:
    """The folder holding ``fonts/``, ``luts/`` and ``stickers/``."""
    override = os.environ.get(RESOURCES_ENV)
    if override:
        return Path(override).expanduser()
    return _packaged_dir()


def resource(*parts: str) -> Path:
    """The path of one shipped file, e.g. ``resource("fonts", "DejaVuSans.ttf")`` (it may not exist)."""
    return resource_dir().joinpath(*parts)


def shipped(kind: str, suffix: str) -> dict[str, Path]:
    """Name (file stem) -> path of the shipped files in ``<kind>/`` ending in ``suffix``."""
    folder = resource_dir() / kind
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob(f"*{suffix}"))}


@lru_cache(maxsize=1)
def _packaged_dir() -> Path:
    root = _resources.files(__name__)
    if isinstance(root, Path):  # on disk: a checkout, an installed wheel, a frozen app
        return root
    # Imported from a zip (zipapp, zipimport): Pillow and OpenCV need real files, so the
    # resources are copied once into a temporary folder removed at exit.
    target = Path(tempfile.mkdtemp(prefix="creator-studio-resources-"))
    atexit.register(shutil.rmtree, target, True)
    for kind in KINDS:
        _copy_tree(root / kind, target / kind)
    return target


def _copy_tree(source: Traversable, target: Path) -> None:
    if not source.is_dir():
        return
    target.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        if entry.is_dir():
            _copy_tree(entry, target / entry.name)
        else:
            (target / entry.name).write_bytes(entry.read_bytes())
