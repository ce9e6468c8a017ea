"""What the drafts store needs to know about a project document, read from its JSON.

The project model (``studio.core.project``) is the authority: when it can load the document its
``duration`` is used. The store must still list, open and recover drafts the model rejects (a
newer schema, a half-written edit), so every field also has a tolerant reading of the raw JSON.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

_ITEM_KEYS = ("clips", "items")


@dataclass(frozen=True)
class DocSummary:
    title: str
    duration: float
    canvas: dict[str, Any]
    track_count: int
    clip_count: int
    sources: list[str] = field(default_factory=list)


def _number(value: Any, default: float = 0.0) -> float:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return default
    return result if result == result and abs(result) != float("inf") else default


def _first(item: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in item:
            return item[key]
    return None


def item_end(item: dict[str, Any]) -> float:
    """End time on the timeline of a clip (``start + (out - in) / speed``) or a text item (``end``)."""
    start = _number(_first(item, "start", "start_time"))
    if "end" in item and not any(k in item for k in ("in", "out", "in_point", "out_point")):
        return _number(item["end"], start)
    in_point = _number(_first(item, "in", "in_point", "source_in"))
    out_point = _number(_first(item, "out", "out_point", "source_out"), in_point)
    speed = _number(item.get("speed", 1.0), 1.0) or 1.0
    return start + max(0.0, out_point - in_point) / abs(speed)


def iter_items(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    tracks = doc.get("tracks")
    if not isinstance(tracks, list):
        return
    for track in tracks:
        if not isinstance(track, dict):
            continue
        for key in _ITEM_KEYS:
            items = track.get(key)
            if isinstance(items, list):
                yield from (item for item in items if isinstance(item, dict))


def _model_duration(doc: dict[str, Any]) -> float | None:
    try:
        from studio.core.project import Project
    except ImportError:
        return None
    try:
        return float(Project.from_dict(doc, None).duration)
    except Exception as exc:  # a document the model rejects is still a draft worth listing
        log.debug("project model could not read the draft (%s); using the raw JSON", exc)
        return None


def summarize(doc: dict[str, Any], *, use_model: bool = True) -> DocSummary:
    items = list(iter_items(doc))
    duration = _model_duration(doc) if use_model else None
    if duration is None:
        duration = max((item_end(item) for item in items), default=0.0)
    canvas = doc.get("canvas") if isinstance(doc.get("canvas"), dict) else {}
    tracks = doc.get("tracks") if isinstance(doc.get("tracks"), list) else []
    sources = [item["source"] for item in items if isinstance(item.get("source"), str)]
    title = doc.get("title")
    return DocSummary(
        title=title if isinstance(title, str) else "",
        duration=max(0.0, duration),
        canvas=dict(canvas),
        track_count=len(tracks),
        clip_count=len(items),
        sources=sources,
    )


def rewrite_sources(doc: dict[str, Any], mapping: dict[str, str]) -> int:
    """Replace clip sources found in ``mapping`` in place; returns how many were changed."""
    changed = 0
    for item in iter_items(doc):
        source = item.get("source")
        if isinstance(source, str) and source in mapping:
            item["source"] = mapping[source]
            changed += 1
    return changed
