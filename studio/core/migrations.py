"""Schema migrations of the project document, oldest first. Each step is a pure function from
a version-N document to a version-N+1 document; :func:`migrate` runs them in order."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from studio.core.errors import ProjectError

CURRENT_VERSION = 2


def _new_id() -> str:
    from studio.core.project import new_id

    return new_id()


def v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 1 (the first example files) -> version 2.

    - clips: ``in``/``out`` -> ``in_point``/``out_point``; ids added to tracks, clips, items;
    - filters: ``enabled: true``, ``version: 1``, a ``uid`` added;
    - audio clips without a role become ``"music"``;
    - text styles with a ``stroke`` colour but no width get ``stroke_width: 4`` (v1 drew a 4 px
      outline whenever a stroke colour was set);
    - canvas ``fps`` becomes a float.
    """
    out = copy.deepcopy(doc)
    canvas = out.get("canvas")
    if (
        isinstance(canvas, dict)
        and isinstance(canvas.get("fps"), int)
        and not isinstance(canvas["fps"], bool)
    ):
        canvas["fps"] = float(canvas["fps"])
    for track in out.get("tracks", []) if isinstance(out.get("tracks"), list) else []:
        if not isinstance(track, dict):
            continue
        track.setdefault("id", _new_id())
        for clip in track.get("clips", []) if isinstance(track.get("clips"), list) else []:
            if not isinstance(clip, dict):
                continue
            clip.setdefault("id", _new_id())
            for old, new in (("in", "in_point"), ("out", "out_point")):
                if old in clip:
                    clip.setdefault(new, clip.pop(old))
            if track.get("kind") == "audio":
                clip.setdefault("role", "music")
            for f in clip.get("filters", []) if isinstance(clip.get("filters"), list) else []:
                if isinstance(f, dict):
                    f.setdefault("enabled", True)
                    f.setdefault("version", 1)
                    f.setdefault("uid", _new_id())
        for item in track.get("items", []) if isinstance(track.get("items"), list) else []:
            if not isinstance(item, dict):
                continue
            item.setdefault("id", _new_id())
            style = item.get("style")
            if isinstance(style, dict) and style.get("stroke") and "stroke_width" not in style:
                style["stroke_width"] = 4.0
    out["schema_version"] = 2
    return out


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: v1_to_v2}


def migrate(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` brought to :data:`CURRENT_VERSION` (a new dict; the input is not changed).
    A document without ``schema_version`` is version 1."""
    version = doc.get("schema_version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ProjectError(f"schema_version must be a whole number from 1, got {version!r}", "project")
    if version > CURRENT_VERSION:
        raise ProjectError(
            f"this project was saved by a newer Creator Studio (format version {version}; this version "
            f"reads up to {CURRENT_VERSION}). Update the app to open it.",
            "project",
        )
    while version < CURRENT_VERSION:
        doc = MIGRATIONS[version](doc)
        version = doc["schema_version"]
    return doc
