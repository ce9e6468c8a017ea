"""Where the shipped looks (.cube) and stickers (.png) live.

In a source checkout that is ``resources/`` at the repository root; a packaged app sets
``CREATOR_STUDIO_RESOURCES`` to the folder it unpacked them into.
"""

from __future__ import annotations

import os
from pathlib import Path

RESOURCES_ENV = "CREATOR_STUDIO_RESOURCES"


def resources_dir() -> Path:
    override = os.environ.get(RESOURCES_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "resources"


def shipped(kind: str, suffix: str) -> dict[str, Path]:
    """Name -> path of the shipped files in ``resources/<kind>`` with ``suffix``."""
    folder = resources_dir() / kind
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob(f"*{suffix}"))}
