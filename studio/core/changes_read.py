"""Reading two project documents for a change summary: tolerant of any stored version.

Documents are read as stored (schema 1 or 2, half-written, ids or not) into plain dicts with
the defaults filled in, so a key left out and a key at its default compare equal. Clip keyframes
are kept in source time, so a trim or speed change that shifts them with the content is not a
keyframe change. Elements are keyed by their ids when both documents have them, by position
otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from studio.core.project import Crop, Project, TextStyle, Transform

TOLERANCE = 1e-6
_CLIP_KEYS = {
    "id", "source", "in", "out", "in_point", "out_point", "start", "speed", "volume", "keyframes",
    "opacity", "fit", "transform", "crop", "filters", "transition_in", "fade_in", "fade_out", "role",
}  # fmt: skip
_TEXT_KEYS = {"id", "text", "start", "end", "style", "position", "fade_in", "fade_out", "reveal", "keyframes"}
_TRACK_KEYS = {"id", "kind", "name", "muted", "hidden", "locked", "clips", "items"}
_FILTER_KEYS = {"id", "uid", "params", "enabled", "version", "keyframes"}


@dataclass(frozen=True)
class Change:
    """One difference. ``kind`` is ``subject.action`` (see :data:`studio.core.changes.KINDS`),
    ``target`` the stable id it concerns, ``name`` what a creator calls it. Changes of one kind
    with the same non-empty ``group`` are told in one sentence, ``plural`` with ``{n}``."""

    kind: str
    target: str
    name: str
    sentence: str
    group: str = ""
    plural: str = ""


@dataclass
class TrackDoc:
    key: str
    kind: str
    label: str
    fields: dict[str, Any]
    keys: list[str] = field(default_factory=list)


@dataclass
class Doc:
    title: str
    canvas: dict[str, Any]
    audio: dict[str, Any]
    extra: dict[str, Any]
    tracks: list[TrackDoc]
    elements: dict[str, dict[str, Any]]

    def track(self, key: str) -> TrackDoc | None:
        return next((t for t in self.tracks if t.key == key), None)


def same(a: Any, b: Any) -> bool:
    """Equal, numbers within :data:`TOLERANCE` (recursively through dicts and lists)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (a == b and type(a) is type(b))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=0.0, abs_tol=TOLERANCE)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def number(value: Any, default: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return default
    return float(value)


def as_document(doc: Any) -> dict[str, Any]:
    if isinstance(doc, Project):
        return doc.to_dict()
    return doc if isinstance(doc, dict) else {}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


def _first(raw: dict[str, Any], *keys: str) -> Any:
    return next((raw[k] for k in keys if k in raw), None)


def _keys_in_source_time(raw: Any, in_point: float, speed: float) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for param, keys in _dict(raw).items():
        points = sorted(
            (in_point + number(k.get("t")) * speed, number(k.get("value")), k.get("interp", "linear"))
            for k in _list(keys)
        )
        if points:
            out[param] = points
    return out


def _raw_keys(raw: Any) -> dict[str, list[Any]]:
    return {p: keys for p, keys in _dict(raw).items() if isinstance(keys, list) and keys}


def _filters(raw: Any, in_point: float, speed: float) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for i, f in enumerate(_list(raw)):
        key = f["uid"] if isinstance(f.get("uid"), str) else f"#{i}"
        out[key] = {
            "id": str(f.get("id", "")),
            "params": _dict(f.get("params")),
            "enabled": f.get("enabled", True),
            "version": f.get("version", 1),
            "keyframes": _keys_in_source_time(f.get("keyframes"), in_point, speed),
            "extra": {k: v for k, v in f.items() if k not in _FILTER_KEYS},
        }
    return out


def _clip(raw: dict[str, Any], kind: str) -> dict[str, Any]:
    in_point = number(_first(raw, "in_point", "in"))
    speed = number(raw.get("speed"), 1.0) or 1.0
    clip: dict[str, Any] = {
        "source": str(raw.get("source", "")),
        "in_point": in_point,
        "out_point": number(_first(raw, "out_point", "out")),
        "start": number(raw.get("start")),
        "speed": speed,
        "volume": number(raw.get("volume"), 1.0),
        "keyframes": _keys_in_source_time(raw.get("keyframes"), in_point, speed),
        "extra": {k: v for k, v in raw.items() if k not in _CLIP_KEYS},
    }
    if kind == "audio":
        clip.update(
            fade_in=number(raw.get("fade_in")),
            fade_out=number(raw.get("fade_out")),
            role=raw.get("role", "music"),
        )
    else:
        clip.update(
            opacity=number(raw.get("opacity"), 1.0),
            fit=raw.get("fit", "fill"),
            transform={**Transform().to_dict(), **_dict(raw.get("transform"))},
            crop={**Crop().to_dict(), **_dict(raw.get("crop"))},
            filters=_filters(raw.get("filters"), in_point, speed),
            transition_in=raw.get("transition_in") if isinstance(raw.get("transition_in"), dict) else None,
        )
    return clip


def _text(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "text": str(raw.get("text", "")),
        "start": number(raw.get("start")),
        "end": number(raw.get("end")),
        "style": {**TextStyle().to_dict(), **_dict(raw.get("style"))},
        "position": {"x": 0.5, "y": 0.5, **_dict(raw.get("position"))},
        "fades": (number(raw.get("fade_in")), number(raw.get("fade_out"))),
        "reveal": raw.get("reveal", "none"),
        "keyframes": _raw_keys(raw.get("keyframes")),
        "extra": {k: v for k, v in raw.items() if k not in _TEXT_KEYS},
    }


def _elements(track: dict[str, Any]) -> list[dict[str, Any]]:
    return _list(track.get("items" if track.get("kind") == "text" else "clips"))


def has_ids(doc: dict[str, Any]) -> bool:
    tracks = _list(doc.get("tracks"))
    return all(isinstance(t.get("id"), str) for t in tracks) and all(
        isinstance(e.get("id"), str) for t in tracks for e in _elements(t)
    )


def _track_label(kind: str, name: str, number_of_kind: int) -> str:
    return f"the {kind} track '{name}'" if name else f"{kind} track {number_of_kind}"


def read(doc: dict[str, Any], use_ids: bool) -> Doc:
    tracks: list[TrackDoc] = []
    elements: dict[str, dict[str, Any]] = {}
    seen: dict[str, int] = {}
    for i, raw in enumerate(_list(doc.get("tracks"))):
        kind = str(raw.get("kind", "video"))
        seen[kind] = seen.get(kind, 0) + 1
        key = raw["id"] if use_ids else f"track#{i}"
        name = raw.get("name") if isinstance(raw.get("name"), str) else ""
        fields = {
            "name": name,
            "muted": raw.get("muted", False),
            "hidden": raw.get("hidden", False),
            "locked": raw.get("locked", False),
            "extra": {k: v for k, v in raw.items() if k not in _TRACK_KEYS},
        }
        track = TrackDoc(key, kind, _track_label(kind, name, seen[kind]), fields)
        for j, el in enumerate(_elements(raw)):
            el_key = el["id"] if use_ids else f"{key}/{j}"
            body = _text(el) if kind == "text" else _clip(el, kind)
            elements[el_key] = {**body, "_track": key, "_kind": "text" if kind == "text" else "clip"}
            track.keys.append(el_key)
        tracks.append(track)
    canvas = _dict(doc.get("canvas"))
    return Doc(
        title=doc.get("title") if isinstance(doc.get("title"), str) else "Untitled",
        canvas={
            "width": canvas.get("width", 1080),
            "height": canvas.get("height", 1920),
            "fps": number(canvas.get("fps"), 30.0),
            "background": canvas.get("background", "#000000"),
            "extra": {k: v for k, v in canvas.items() if k not in {"width", "height", "fps", "background"}},
        },
        audio=_dict(doc.get("audio")),
        extra={
            k: v for k, v in doc.items() if k not in {"schema_version", "title", "canvas", "tracks", "audio"}
        },
        tracks=tracks,
        elements=elements,
    )


def read_pair(before: Any, after: Any) -> tuple[Doc, Doc]:
    a, b = as_document(before), as_document(after)
    use_ids = has_ids(a) and has_ids(b)
    return read(a, use_ids), read(b, use_ids)


def clip_name(clip: dict[str, Any]) -> str:
    source = clip.get("source", "")
    return PurePosixPath(source.replace("\\", "/")).name or source or "a clip"


def text_name(item: dict[str, Any], width: int = 32) -> str:
    line = " ".join(item.get("text", "").split())
    return f"'{line if len(line) <= width else line[: width - 1] + '…'}'"


def fmt_time(t: float, decimals: int = 0) -> str:
    t = max(0.0, t)
    minutes, seconds = divmod(round(t, decimals), 60)
    if decimals == 0:
        return f"{int(minutes)}:{int(seconds):02d}"
    return f"{int(minutes)}:{seconds:0{3 + decimals}.{decimals}f}"


def fmt_times(*times: float) -> list[str]:
    """The times as m:ss, with tenths (or up to 3 decimals, where it takes that to tell them
    apart) on those that are not whole seconds."""
    out: list[str] = []
    for decimals in (1, 2, 3):
        step = 0.5 * 10**-decimals
        out = [fmt_time(t, 0 if abs(t - round(t)) < step else decimals) for t in times]
        if len(set(out)) == len({round(t, 3) for t in times}):
            break
    return out


def fmt_seconds(seconds: float) -> str:
    return f"{round(abs(seconds), 2):g} s"


def fmt_percent(a: float, b: float) -> tuple[str, str]:
    for decimals in (0, 1, 2):
        pa, pb = f"{a * 100:.{decimals}f}%", f"{b * 100:.{decimals}f}%"
        if pa != pb:
            break
    return pa, pb


def join_words(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
