"""The project model: canvas, tracks, clips, text items, transitions, filters, keyframes.

Plain dataclasses, no I/O. ``Project.from_dict`` / ``Project.to_dict`` are the JSON document
(see docs/project-format.md); every ``from_dict`` validates and raises :class:`ProjectError`
with the place in the document. Times are seconds (float) on the timeline unless a name says
otherwise; *clip-local* time is ``timeline_t - clip.start`` (keyframes use it).

Transition timing: ``clip.transition_in`` with duration ``d`` makes the clip start ``d`` seconds
*early*, over the end of whatever plays before it on the same track. Its window is
``[clip.start - d, clip.start)`` (clipped to t >= 0); in that window the clip is pre-rolled from
before its in point (``source_time`` may go below ``in_point``, never below 0) and blended with
the previous clip by ``transition_progress(t)`` (0 -> 1). Clip positions, the previous clip's end
and the project duration do not move.
"""

from __future__ import annotations

import copy
import math
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import KW_ONLY, dataclass, field, fields
from pathlib import PurePath
from typing import Any, ClassVar

from studio.core.errors import ProjectError
from studio.core.keyframes import Keyframe, evaluate

SCHEMA_VERSION = 2

CANVAS_PRESETS: dict[str, tuple[int, int]] = {
    "1080x1920": (1080, 1920),
    "720x1280": (720, 1280),
    "1080x1080": (1080, 1080),
    "1920x1080": (1920, 1080),
}

TRACK_KINDS = ("video", "text", "audio")
FIT_MODES = ("fit", "fill", "crop")
TRANSITION_KINDS = ("crossfade", "dip_to_black", "slide")
SLIDE_DIRECTIONS = ("left", "right", "up", "down")
AUDIO_ROLES = ("music", "voiceover")
TEXT_ALIGNS = ("left", "center", "right")
REVEAL_MODES = ("none", "word")
MIN_SPEED = 0.25
MAX_SPEED = 4.0
EPS = 1e-9

_COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")


def new_id() -> str:
    """A short stable id for tracks, clips and text items (12 hex digits of a uuid4)."""
    return uuid.uuid4().hex[:12]


# ---------------------------------------------------------------------------- parsing helpers


def _obj(doc: Any, where: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise ProjectError(f"expected an object, got {type(doc).__name__}", where)
    return doc


def _num(doc: dict[str, Any], key: str, where: str, default: float | None = None) -> float:
    value = doc.get(key, default)
    if value is None:
        raise ProjectError(f"{key!r} is missing", where)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProjectError(f"{key!r} must be a number, got {value!r}", where)
    return float(value)


def _str(doc: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = doc.get(key, default)
    if value is None:
        raise ProjectError(f"{key!r} is missing", where)
    if not isinstance(value, str):
        raise ProjectError(f"{key!r} must be text, got {value!r}", where)
    return value


def _opt_str(doc: dict[str, Any], key: str, where: str) -> str | None:
    value = doc.get(key)
    if value is not None and not isinstance(value, str):
        raise ProjectError(f"{key!r} must be text or null, got {value!r}", where)
    return value


def _bool(doc: dict[str, Any], key: str, where: str, default: bool) -> bool:
    value = doc.get(key, default)
    if not isinstance(value, bool):
        raise ProjectError(f"{key!r} must be true or false, got {value!r}", where)
    return value


def _extra(doc: dict[str, Any], known: set[str]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in doc.items() if k not in known}


def _merge(out: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    for k, v in extra.items():
        out.setdefault(k, copy.deepcopy(v))
    return out


def _keyframes_from(doc: Any, where: str) -> dict[str, list[Keyframe]]:
    if doc is None:
        return {}
    doc = _obj(doc, where)
    out: dict[str, list[Keyframe]] = {}
    for param, keys in doc.items():
        if not isinstance(keys, list):
            raise ProjectError(f"keyframes for {param!r} must be a list", where)
        out[param] = sorted(
            (Keyframe.from_dict(k, f"{where}.{param}[{i}]") for i, k in enumerate(keys)),
            key=lambda k: k.t,
        )
    return out


def _keyframes_to(keyframes: dict[str, list[Keyframe]]) -> dict[str, Any]:
    return {p: [k.to_dict() for k in keys] for p, keys in keyframes.items() if keys}


def check_color(value: str | None, name: str, where: str, optional: bool = False) -> None:
    """Raise ProjectError unless ``value`` is ``#rrggbb`` or ``#rrggbbaa`` (or None if optional)."""
    if value is None and optional:
        return
    if not isinstance(value, str) or not _COLOR_RE.match(value):
        raise ProjectError(f"{name} {value!r} is not a colour; use #rrggbb or #rrggbbaa", where)


def _check_range(value: float, lo: float, hi: float, name: str, where: str) -> None:
    if not (lo - EPS <= value <= hi + EPS):
        raise ProjectError(f"{name} {value:g} is outside {lo:g}..{hi:g}", where)


def _source_in(value: str, base_dir: str | None) -> str:
    if base_dir and not os.path.isabs(value) and "://" not in value:
        return os.path.normpath(os.path.join(base_dir, value))
    return value


def _source_out(value: str, relative_to: str | None) -> str:
    if relative_to and os.path.isabs(value):
        try:
            return PurePath(os.path.relpath(value, relative_to)).as_posix()
        except ValueError:
            return value
    return value


# ---------------------------------------------------------------------------- value objects


@dataclass
class Canvas:
    width: int = 1080
    height: int = 1920
    fps: float = 30.0
    background: str = "#000000"
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def preset(cls, name: str, fps: float = 30.0) -> Canvas:
        if name not in CANVAS_PRESETS:
            raise ProjectError(f"unknown canvas preset {name!r} (use one of {', '.join(CANVAS_PRESETS)})")
        w, h = CANVAS_PRESETS[name]
        return cls(w, h, fps)

    def validate(self, where: str = "canvas") -> None:
        for name, v in (("width", self.width), ("height", self.height)):
            if not isinstance(v, int) or isinstance(v, bool) or not 16 <= v <= 8192 or v % 2:
                raise ProjectError(
                    f"canvas {name} must be an even whole number of pixels 16..8192, got {v!r}", where
                )
        _check_range(self.fps, 1.0, 240.0, "fps", where)
        check_color(self.background, "background", where)

    @classmethod
    def from_dict(cls, doc: Any, where: str = "canvas") -> Canvas:
        doc = _obj(doc, where)
        w, h = _num(doc, "width", where, 1080), _num(doc, "height", where, 1920)
        if w != int(w) or h != int(h):
            raise ProjectError("canvas width and height must be whole numbers", where)
        c = cls(
            width=int(w),
            height=int(h),
            fps=_num(doc, "fps", where, 30.0),
            background=_str(doc, "background", where, "#000000"),
            extra=_extra(doc, {"width", "height", "fps", "background"}),
        )
        c.validate(where)
        return c

    def to_dict(self) -> dict[str, Any]:
        out = {"width": self.width, "height": self.height, "fps": self.fps, "background": self.background}
        return _merge(out, self.extra)


@dataclass
class Transform:
    """Placement on the canvas: centre ``x``/``y`` as fractions of the canvas, ``scale`` on top
    of the fit mode's scale, ``rotation`` in degrees clockwise."""

    x: float = 0.5
    y: float = 0.5
    scale: float = 1.0
    rotation: float = 0.0

    def validate(self, where: str) -> None:
        if self.scale <= 0:
            raise ProjectError(f"scale must be above 0, got {self.scale:g}", where)

    @classmethod
    def from_dict(cls, doc: Any, where: str) -> Transform:
        doc = _obj(doc if doc is not None else {}, where)
        t = cls(
            x=_num(doc, "x", where, 0.5),
            y=_num(doc, "y", where, 0.5),
            scale=_num(doc, "scale", where, 1.0),
            rotation=_num(doc, "rotation", where, 0.0),
        )
        t.validate(where)
        return t

    def to_dict(self) -> dict[str, Any]:
        return {"x": self.x, "y": self.y, "scale": self.scale, "rotation": self.rotation}


@dataclass
class Crop:
    """Fractions of the source frame cut from each edge (used when ``fit == "crop"``)."""

    left: float = 0.0
    top: float = 0.0
    right: float = 0.0
    bottom: float = 0.0

    def validate(self, where: str) -> None:
        for name in ("left", "top", "right", "bottom"):
            _check_range(getattr(self, name), 0.0, 1.0, f"crop {name}", where)
        if self.left + self.right >= 1.0 or self.top + self.bottom >= 1.0:
            raise ProjectError("the crop removes the whole picture", where)

    @classmethod
    def from_dict(cls, doc: Any, where: str) -> Crop:
        doc = _obj(doc if doc is not None else {}, where)
        c = cls(**{k: _num(doc, k, where, 0.0) for k in ("left", "top", "right", "bottom")})
        c.validate(where)
        return c

    def to_dict(self) -> dict[str, Any]:
        return {"left": self.left, "top": self.top, "right": self.right, "bottom": self.bottom}


@dataclass
class Transition:
    """How a clip enters over the previous clip; see the module docstring for timing."""

    kind: str = "crossfade"
    duration: float = 0.5
    direction: str = "left"  # slide only: the way the incoming clip moves
    extra: dict[str, Any] = field(default_factory=dict)

    def validate(self, where: str) -> None:
        if self.kind not in TRANSITION_KINDS:
            raise ProjectError(
                f"unknown transition {self.kind!r} (use one of {', '.join(TRANSITION_KINDS)})", where
            )
        if not 0 < self.duration <= 10.0:
            raise ProjectError(
                f"transition duration must be above 0 and at most 10 s, got {self.duration:g}", where
            )
        if self.direction not in SLIDE_DIRECTIONS:
            raise ProjectError(f"unknown slide direction {self.direction!r}", where)

    @classmethod
    def from_dict(cls, doc: Any, where: str) -> Transition:
        doc = _obj(doc, where)
        t = cls(
            kind=_str(doc, "kind", where),
            duration=_num(doc, "duration", where),
            direction=_str(doc, "direction", where, "left"),
            extra=_extra(doc, {"kind", "duration", "direction"}),
        )
        t.validate(where)
        return t

    def to_dict(self) -> dict[str, Any]:
        return _merge({"kind": self.kind, "duration": self.duration, "direction": self.direction}, self.extra)


@dataclass
class FilterRef:
    """A filter applied to a clip: ``id`` names the filter (``"studio.color"``), ``uid`` names
    this use of it so edits can address it."""

    id: str
    params: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    version: int = 1
    keyframes: dict[str, list[Keyframe]] = field(default_factory=dict)
    uid: str = field(default_factory=new_id)
    extra: dict[str, Any] = field(default_factory=dict)

    def values_at(self, t: float) -> dict[str, Any]:
        """The params with keyframed ones resolved at clip-local time ``t``."""
        out = dict(self.params)
        for name, keys in self.keyframes.items():
            if keys:
                out[name] = evaluate(keys, t)
        return out

    def validate(self, where: str) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise ProjectError("a filter needs an id such as 'studio.color'", where)
        if not isinstance(self.params, dict):
            raise ProjectError("filter params must be an object", where)
        for name, keys in self.keyframes.items():
            for i, k in enumerate(keys):
                k.validate(f"{where}.keyframes.{name}[{i}]")

    @classmethod
    def from_dict(cls, doc: Any, where: str) -> FilterRef:
        doc = _obj(doc, where)
        params = doc.get("params", {})
        if not isinstance(params, dict):
            raise ProjectError("filter params must be an object", where)
        version = _num(doc, "version", where, 1)
        f = cls(
            id=_str(doc, "id", where),
            params=copy.deepcopy(params),
            enabled=_bool(doc, "enabled", where, True),
            version=int(version),
            keyframes=_keyframes_from(doc.get("keyframes"), f"{where}.keyframes"),
            uid=_str(doc, "uid", where, None) if "uid" in doc else new_id(),
            extra=_extra(doc, {"id", "params", "enabled", "version", "keyframes", "uid"}),
        )
        f.validate(where)
        return f

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "uid": self.uid,
            "params": copy.deepcopy(self.params),
            "enabled": self.enabled,
            "version": self.version,
        }
        if any(self.keyframes.values()):
            out["keyframes"] = _keyframes_to(self.keyframes)
        return _merge(out, self.extra)


# ---------------------------------------------------------------------------- clips


def _lookup(obj: Any, path: str) -> Any:
    cur = obj
    for seg in path.split("."):
        cur = cur[seg] if isinstance(cur, dict) else getattr(cur, seg)
    return cur


@dataclass
class _TimedClip:
    """What video and audio clips share: a source span placed on the timeline."""

    id: str
    source: str
    in_point: float
    out_point: float
    start: float
    speed: float = 1.0
    volume: float = 1.0
    _: KW_ONLY
    keyframes: dict[str, list[Keyframe]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    KEYFRAMABLE: ClassVar[tuple[str, ...]] = ("volume",)

    @property
    def duration(self) -> float:
        """Seconds on the timeline: ``(out_point - in_point) / speed``."""
        return (self.out_point - self.in_point) / self.speed

    @property
    def end(self) -> float:
        return self.start + self.duration

    def local_time(self, t: float) -> float:
        """Clip-local time (timeline seconds since the clip's start) for timeline time ``t``."""
        return t - self.start

    def source_time(self, t: float) -> float:
        """The time in the source file shown at timeline time ``t`` (speed applied, never < 0)."""
        return max(0.0, self.in_point + (t - self.start) * self.speed)

    def timeline_time(self, source_t: float) -> float:
        """The timeline time at which source time ``source_t`` plays."""
        return self.start + (source_t - self.in_point) / self.speed

    def value_at(self, param: str, local_t: float) -> float:
        """A numeric parameter (``"volume"``, ``"transform.x"``...) at clip-local time ``local_t``."""
        keys = self.keyframes.get(param)
        if keys:
            return evaluate(keys, local_t)
        if param not in self.KEYFRAMABLE:
            raise ProjectError(f"{param!r} is not a keyframable parameter of a clip")
        return float(_lookup(self, param))

    def _validate_common(self, where: str) -> None:
        if not isinstance(self.source, str) or not self.source:
            raise ProjectError("the clip has no source file", where)
        if self.in_point < 0 or self.out_point < 0 or self.start < 0:
            raise ProjectError(
                f"times cannot be negative (in {self.in_point:g}, out {self.out_point:g}, start {self.start:g})",
                where,
            )
        if self.in_point >= self.out_point:
            raise ProjectError(
                f"the in point ({self.in_point:g} s) must be before the out point ({self.out_point:g} s)",
                where,
            )
        if not MIN_SPEED - EPS <= self.speed <= MAX_SPEED + EPS:
            raise ProjectError(f"speed {self.speed:g}x is outside {MIN_SPEED:g}x..{MAX_SPEED:g}x", where)
        _check_range(self.volume, 0.0, 4.0, "volume", where)
        for name, keys in self.keyframes.items():
            if name not in self.KEYFRAMABLE:
                raise ProjectError(
                    f"{name!r} cannot be keyframed (use one of {', '.join(self.KEYFRAMABLE)})", where
                )
            for i, k in enumerate(keys):
                k.validate(f"{where}.keyframes.{name}[{i}]")

    @staticmethod
    def _common_from(doc: dict[str, Any], where: str, base_dir: str | None) -> dict[str, Any]:
        return {
            "id": _str(doc, "id", where, None) if "id" in doc else new_id(),
            "source": _source_in(_str(doc, "source", where), base_dir),
            "in_point": _num(doc, "in_point", where),
            "out_point": _num(doc, "out_point", where),
            "start": _num(doc, "start", where, 0.0),
            "speed": _num(doc, "speed", where, 1.0),
            "volume": _num(doc, "volume", where, 1.0),
            "keyframes": _keyframes_from(doc.get("keyframes"), f"{where}.keyframes"),
        }

    def _common_to(self, relative_to: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "source": _source_out(self.source, relative_to),
            "in_point": self.in_point,
            "out_point": self.out_point,
            "start": self.start,
            "speed": self.speed,
            "volume": self.volume,
        }
        if any(self.keyframes.values()):
            out["keyframes"] = _keyframes_to(self.keyframes)
        return out


_VIDEO_KEYS = {
    "id", "source", "in_point", "out_point", "start", "speed", "volume", "opacity", "fit",
    "transform", "crop", "filters", "transition_in", "keyframes",
}  # fmt: skip


@dataclass
class VideoClip(_TimedClip):
    """A video (or still image) clip. ``fit``: ``"fit"`` shows the whole frame (letterbox),
    ``"fill"`` covers the canvas (cuts the overflow), ``"crop"`` cuts ``crop`` from the source
    first and then covers the canvas. ``transform`` applies after the fit."""

    _: KW_ONLY
    opacity: float = 1.0
    fit: str = "fill"
    transform: Transform = field(default_factory=Transform)
    crop: Crop = field(default_factory=Crop)
    filters: list[FilterRef] = field(default_factory=list)
    transition_in: Transition | None = None

    KEYFRAMABLE: ClassVar[tuple[str, ...]] = (
        "volume", "opacity", "transform.x", "transform.y", "transform.scale", "transform.rotation",
    )  # fmt: skip

    @property
    def active_start(self) -> float:
        """When the clip first shows: its start, or earlier by its transition's duration."""
        if self.transition_in is None:
            return self.start
        return max(0.0, self.start - self.transition_in.duration)

    def transition_progress(self, t: float) -> float | None:
        """0..1 inside the transition window ``[start - d, start)``, else None."""
        if self.transition_in is None or not self.active_start <= t < self.start:
            return None
        d = self.transition_in.duration
        return min(1.0, max(0.0, (t - (self.start - d)) / d))

    def filter(self, uid: str) -> FilterRef:
        for f in self.filters:
            if f.uid == uid:
                return f
        raise ProjectError(f"no filter {uid!r} on clip {self.id}")

    def validate(self, where: str = "clip") -> None:
        self._validate_common(where)
        _check_range(self.opacity, 0.0, 1.0, "opacity", where)
        if self.fit not in FIT_MODES:
            raise ProjectError(f"unknown fit mode {self.fit!r} (use one of {', '.join(FIT_MODES)})", where)
        self.transform.validate(f"{where}.transform")
        self.crop.validate(f"{where}.crop")
        uids: set[str] = set()
        for i, f in enumerate(self.filters):
            f.validate(f"{where}.filters[{i}]")
            if f.uid in uids:
                raise ProjectError(f"two filters share the uid {f.uid!r}", where)
            uids.add(f.uid)
        if self.transition_in is not None:
            self.transition_in.validate(f"{where}.transition_in")

    @classmethod
    def from_dict(cls, doc: Any, where: str = "clip", base_dir: str | None = None) -> VideoClip:
        doc = _obj(doc, where)
        filters = doc.get("filters", [])
        if not isinstance(filters, list):
            raise ProjectError("'filters' must be a list", where)
        tr = doc.get("transition_in")
        clip = cls(
            **cls._common_from(doc, where, base_dir),
            opacity=_num(doc, "opacity", where, 1.0),
            fit=_str(doc, "fit", where, "fill"),
            transform=Transform.from_dict(doc.get("transform"), f"{where}.transform"),
            crop=Crop.from_dict(doc.get("crop"), f"{where}.crop"),
            filters=[FilterRef.from_dict(f, f"{where}.filters[{i}]") for i, f in enumerate(filters)],
            transition_in=None if tr is None else Transition.from_dict(tr, f"{where}.transition_in"),
            extra=_extra(doc, _VIDEO_KEYS),
        )
        clip.validate(where)
        return clip

    def to_dict(self, relative_to: str | None = None) -> dict[str, Any]:
        out = self._common_to(relative_to)
        out.update(
            opacity=self.opacity,
            fit=self.fit,
            transform=self.transform.to_dict(),
            crop=self.crop.to_dict(),
            filters=[f.to_dict() for f in self.filters],
            transition_in=None if self.transition_in is None else self.transition_in.to_dict(),
        )
        return _merge(out, self.extra)


_AUDIO_KEYS = {
    "id", "source", "in_point", "out_point", "start", "speed", "volume", "fade_in", "fade_out",
    "role", "keyframes",
}  # fmt: skip


@dataclass
class AudioClip(_TimedClip):
    """Music or voice-over. Fades are seconds at the clip's start and end (linear gain ramps)."""

    _: KW_ONLY
    fade_in: float = 0.0
    fade_out: float = 0.0
    role: str = "music"

    def gain_at(self, t: float) -> float:
        """Volume (keyframed or static) times the fade envelope at timeline time ``t``; 0 outside."""
        if not self.start <= t < self.end:
            return 0.0
        g = self.value_at("volume", t - self.start)
        if self.fade_in > 0:
            g *= min(1.0, (t - self.start) / self.fade_in)
        if self.fade_out > 0:
            g *= min(1.0, max(0.0, (self.end - t) / self.fade_out))
        return g

    def validate(self, where: str = "clip") -> None:
        self._validate_common(where)
        if self.fade_in < 0 or self.fade_out < 0:
            raise ProjectError("fades cannot be negative", where)
        if self.fade_in + self.fade_out > self.duration + 1e-6:
            raise ProjectError(
                f"fade in + fade out ({self.fade_in + self.fade_out:g} s) are longer than the clip "
                f"({self.duration:g} s)",
                where,
            )
        if self.role not in AUDIO_ROLES:
            raise ProjectError(
                f"unknown audio role {self.role!r} (use one of {', '.join(AUDIO_ROLES)})", where
            )

    @classmethod
    def from_dict(cls, doc: Any, where: str = "clip", base_dir: str | None = None) -> AudioClip:
        doc = _obj(doc, where)
        clip = cls(
            **cls._common_from(doc, where, base_dir),
            fade_in=_num(doc, "fade_in", where, 0.0),
            fade_out=_num(doc, "fade_out", where, 0.0),
            role=_str(doc, "role", where, "music"),
            extra=_extra(doc, _AUDIO_KEYS),
        )
        clip.validate(where)
        return clip

    def to_dict(self, relative_to: str | None = None) -> dict[str, Any]:
        out = self._common_to(relative_to)
        out.update(fade_in=self.fade_in, fade_out=self.fade_out, role=self.role)
        return _merge(out, self.extra)


# ---------------------------------------------------------------------------- text


_STYLE_KEYS = {
    "font", "size", "color", "stroke", "stroke_width", "background", "background_padding", "align",
    "bold", "italic", "line_spacing", "max_width",
}  # fmt: skip


@dataclass
class TextStyle:
    """How text looks. ``size`` is in canvas pixels; ``stroke``/``background`` are colours or
    None; ``max_width`` is the wrap width as a fraction of the canvas width."""

    font: str = "Inter"
    size: float = 64.0
    color: str = "#ffffff"
    stroke: str | None = None
    stroke_width: float = 0.0
    background: str | None = None
    background_padding: float = 16.0
    align: str = "center"
    bold: bool = False
    italic: bool = False
    line_spacing: float = 1.2
    max_width: float = 0.9
    extra: dict[str, Any] = field(default_factory=dict)

    def validate(self, where: str) -> None:
        if not isinstance(self.font, str) or not self.font:
            raise ProjectError("the font name is empty", where)
        _check_range(self.size, 1.0, 1000.0, "text size", where)
        check_color(self.color, "text colour", where)
        check_color(self.stroke, "stroke colour", where, optional=True)
        check_color(self.background, "background colour", where, optional=True)
        _check_range(self.stroke_width, 0.0, 100.0, "stroke width", where)
        _check_range(self.background_padding, 0.0, 500.0, "background padding", where)
        if self.align not in TEXT_ALIGNS:
            raise ProjectError(
                f"unknown alignment {self.align!r} (use one of {', '.join(TEXT_ALIGNS)})", where
            )
        _check_range(self.line_spacing, 0.5, 4.0, "line spacing", where)
        _check_range(self.max_width, 0.05, 1.0, "max width", where)

    @classmethod
    def from_dict(cls, doc: Any, where: str) -> TextStyle:
        doc = _obj(doc if doc is not None else {}, where)
        s = cls(
            font=_str(doc, "font", where, "Inter"),
            size=_num(doc, "size", where, 64.0),
            color=_str(doc, "color", where, "#ffffff"),
            stroke=_opt_str(doc, "stroke", where),
            stroke_width=_num(doc, "stroke_width", where, 0.0),
            background=_opt_str(doc, "background", where),
            background_padding=_num(doc, "background_padding", where, 16.0),
            align=_str(doc, "align", where, "center"),
            bold=_bool(doc, "bold", where, False),
            italic=_bool(doc, "italic", where, False),
            line_spacing=_num(doc, "line_spacing", where, 1.2),
            max_width=_num(doc, "max_width", where, 0.9),
            extra=_extra(doc, _STYLE_KEYS),
        )
        s.validate(where)
        return s

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        return _merge(out, self.extra)


_TEXT_KEYS = {"id", "text", "start", "end", "style", "position", "fade_in", "fade_out", "reveal", "keyframes"}


@dataclass
class TextItem:
    """Text on the canvas from ``start`` to ``end`` (timeline seconds). ``position`` is the
    centre of the text block as fractions of the canvas. ``reveal="word"`` shows the words one by
    one, evenly over the item's duration (captions)."""

    id: str
    text: str
    start: float
    end: float
    style: TextStyle = field(default_factory=TextStyle)
    position: tuple[float, float] = (0.5, 0.5)
    fade_in: float = 0.0
    fade_out: float = 0.0
    reveal: str = "none"
    keyframes: dict[str, list[Keyframe]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    KEYFRAMABLE: ClassVar[tuple[str, ...]] = ("position.x", "position.y", "style.size")

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def words(self) -> list[str]:
        return self.text.split()

    def is_visible(self, t: float) -> bool:
        return self.start <= t < self.end

    def opacity_at(self, t: float) -> float:
        """0..1 at timeline time ``t`` from the fades (linear); 0 outside ``[start, end)``."""
        if not self.is_visible(t):
            return 0.0
        a = 1.0
        if self.fade_in > 0:
            a = min(a, (t - self.start) / self.fade_in)
        if self.fade_out > 0:
            a = min(a, (self.end - t) / self.fade_out)
        return max(0.0, min(1.0, a))

    def visible_word_count(self, t: float) -> int:
        """How many words show at ``t``: all of them unless ``reveal == "word"``, where word ``i``
        (0-based, of ``n``) appears at ``start + i * duration / n``."""
        n = len(self.words)
        if self.reveal != "word" or t >= self.end:
            return n
        if t < self.start:
            return 0
        return max(0, min(n, math.floor((t - self.start) * n / self.duration + 1e-9) + 1))

    def visible_text(self, t: float) -> str:
        """The text up to the last visible word, line breaks kept."""
        n = self.visible_word_count(t)
        if n == 0:
            return ""
        ends = [m.end() for m in re.finditer(r"\S+", self.text)]
        return self.text[: ends[n - 1]] if n <= len(ends) else self.text

    def value_at(self, param: str, local_t: float) -> float:
        """``"position.x"``, ``"position.y"`` or ``"style.size"`` at ``local_t`` (seconds since start)."""
        keys = self.keyframes.get(param)
        if keys:
            return evaluate(keys, local_t)
        if param == "position.x":
            return self.position[0]
        if param == "position.y":
            return self.position[1]
        if param == "style.size":
            return self.style.size
        raise ProjectError(f"{param!r} is not a keyframable parameter of text")

    def validate(self, where: str = "text") -> None:
        if not isinstance(self.text, str):
            raise ProjectError("text must be a string", where)
        if self.start < 0 or self.end < 0:
            raise ProjectError("times cannot be negative", where)
        if self.start >= self.end:
            raise ProjectError(f"the text starts ({self.start:g} s) after it ends ({self.end:g} s)", where)
        if self.fade_in < 0 or self.fade_out < 0:
            raise ProjectError("fades cannot be negative", where)
        if self.fade_in + self.fade_out > self.duration + 1e-6:
            raise ProjectError("fade in + fade out are longer than the text is shown", where)
        if self.reveal not in REVEAL_MODES:
            raise ProjectError(
                f"unknown reveal {self.reveal!r} (use one of {', '.join(REVEAL_MODES)})", where
            )
        if len(self.position) != 2:
            raise ProjectError("position must be (x, y)", where)
        self.style.validate(f"{where}.style")
        for name, keys in self.keyframes.items():
            if name not in self.KEYFRAMABLE:
                raise ProjectError(f"{name!r} cannot be keyframed on text", where)
            for i, k in enumerate(keys):
                k.validate(f"{where}.keyframes.{name}[{i}]")

    @classmethod
    def from_dict(cls, doc: Any, where: str = "text") -> TextItem:
        doc = _obj(doc, where)
        pos = _obj(doc.get("position", {}), f"{where}.position")
        item = cls(
            id=_str(doc, "id", where, None) if "id" in doc else new_id(),
            text=_str(doc, "text", where),
            start=_num(doc, "start", where),
            end=_num(doc, "end", where),
            style=TextStyle.from_dict(doc.get("style"), f"{where}.style"),
            position=(_num(pos, "x", where, 0.5), _num(pos, "y", where, 0.5)),
            fade_in=_num(doc, "fade_in", where, 0.0),
            fade_out=_num(doc, "fade_out", where, 0.0),
            reveal=_str(doc, "reveal", where, "none"),
            keyframes=_keyframes_from(doc.get("keyframes"), f"{where}.keyframes"),
            extra=_extra(doc, _TEXT_KEYS),
        )
        item.validate(where)
        return item

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "style": self.style.to_dict(),
            "position": {"x": self.position[0], "y": self.position[1]},
            "fade_in": self.fade_in,
            "fade_out": self.fade_out,
            "reveal": self.reveal,
        }
        if any(self.keyframes.values()):
            out["keyframes"] = _keyframes_to(self.keyframes)
        return _merge(out, self.extra)


# ---------------------------------------------------------------------------- tracks


_TRACK_KEYS = {"id", "kind", "name", "muted", "hidden", "locked", "clips", "items"}


@dataclass
class Track:
    """A row of the timeline. Video and audio tracks hold ``clips`` (kept sorted by start),
    text tracks hold ``items``. Clips on one track may overlap; the later-starting one is drawn
    on top (that is how transitions overlap the previous clip)."""

    id: str
    kind: str
    clips: list[VideoClip | AudioClip] = field(default_factory=list)
    items: list[TextItem] = field(default_factory=list)
    name: str = ""
    muted: bool = False
    hidden: bool = False
    locked: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def elements(self) -> list[Any]:
        """The clips, or the items of a text track."""
        return self.items if self.kind == "text" else self.clips

    @property
    def end(self) -> float:
        return max((e.end for e in self.elements), default=0.0)

    def sort(self) -> None:
        self.elements.sort(key=lambda e: e.start)

    def clips_at(self, t: float) -> list[VideoClip | AudioClip]:
        """Clips that show or sound at ``t`` (transition pre-roll included), bottom first."""
        out: list[VideoClip | AudioClip] = []
        for c in self.clips:
            begin = c.active_start if isinstance(c, VideoClip) else c.start
            if begin <= t < c.end:
                out.append(c)
        return out

    def items_at(self, t: float) -> list[TextItem]:
        return [i for i in self.items if i.is_visible(t)]

    def previous_clip(self, clip: VideoClip | AudioClip) -> VideoClip | AudioClip | None:
        """The clip a transition on ``clip`` blends from: the one ending last at or before
        ``clip``'s end among those starting before it."""
        best = None
        for c in self.clips:
            if c is clip or c.start >= clip.start - EPS:
                continue
            if best is None or c.end > best.end:
                best = c
        return best

    def validate(self, where: str = "track") -> None:
        if self.kind not in TRACK_KINDS:
            raise ProjectError(
                f"unknown track kind {self.kind!r} (use one of {', '.join(TRACK_KINDS)})", where
            )
        if self.kind == "text" and self.clips:
            raise ProjectError("a text track holds items, not clips", where)
        if self.kind != "text" and self.items:
            raise ProjectError(f"a {self.kind} track holds clips, not text items", where)
        want = VideoClip if self.kind == "video" else AudioClip
        for i, c in enumerate(self.clips):
            if not isinstance(c, want):
                raise ProjectError(
                    f"a {self.kind} track cannot hold a {type(c).__name__}", f"{where}.clips[{i}]"
                )
            c.validate(f"{where}.clips[{i}]")
        for i, item in enumerate(self.items):
            item.validate(f"{where}.items[{i}]")

    @classmethod
    def from_dict(cls, doc: Any, where: str = "track", base_dir: str | None = None) -> Track:
        doc = _obj(doc, where)
        kind = _str(doc, "kind", where)
        if kind not in TRACK_KINDS:
            raise ProjectError(f"unknown track kind {kind!r} (use one of {', '.join(TRACK_KINDS)})", where)
        track = cls(
            id=_str(doc, "id", where, None) if "id" in doc else new_id(),
            kind=kind,
            name=_str(doc, "name", where, ""),
            muted=_bool(doc, "muted", where, False),
            hidden=_bool(doc, "hidden", where, False),
            locked=_bool(doc, "locked", where, False),
            extra=_extra(doc, _TRACK_KEYS),
        )
        if kind == "text":
            items = doc.get("items", [])
            if not isinstance(items, list):
                raise ProjectError("'items' must be a list", where)
            track.items = [TextItem.from_dict(d, f"{where}.items[{i}]") for i, d in enumerate(items)]
        else:
            clips = doc.get("clips", [])
            if not isinstance(clips, list):
                raise ProjectError("'clips' must be a list", where)
            make = VideoClip if kind == "video" else AudioClip
            track.clips = [make.from_dict(d, f"{where}.clips[{i}]", base_dir) for i, d in enumerate(clips)]
        track.sort()
        return track

    def to_dict(self, relative_to: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "muted": self.muted,
            "hidden": self.hidden,
            "locked": self.locked,
        }
        if self.kind == "text":
            out["items"] = [i.to_dict() for i in self.items]
        else:
            out["clips"] = [c.to_dict(relative_to) for c in self.clips]
        return _merge(out, self.extra)


# ---------------------------------------------------------------------------- audio settings


@dataclass
class Ducking:
    """Music-role clips turned down by ``amount_db`` while a voice-over-role clip speaks (its
    short-term level above ``threshold_db``)."""

    amount_db: float = 12.0
    threshold_db: float = -40.0

    @classmethod
    def from_dict(cls, doc: Any, where: str) -> Ducking:
        doc = _obj(doc, where)
        out = cls(_num(doc, "amount_db", where, 12.0), _num(doc, "threshold_db", where, -40.0))
        _check_range(out.amount_db, 0.0, 60.0, "amount_db", where)
        _check_range(out.threshold_db, -90.0, 0.0, "threshold_db", where)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"amount_db": self.amount_db, "threshold_db": self.threshold_db}


@dataclass
class NoiseGate:
    """Voice-over-role clips silenced where they are quieter than ``threshold_db``."""

    threshold_db: float = -45.0

    @classmethod
    def from_dict(cls, doc: Any, where: str) -> NoiseGate:
        doc = _obj(doc, where)
        out = cls(_num(doc, "threshold_db", where, -45.0))
        _check_range(out.threshold_db, -90.0, 0.0, "threshold_db", where)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"threshold_db": self.threshold_db}


@dataclass
class AudioSettings:
    """Project-wide mix settings; both off unless the project file turns them on."""

    ducking: Ducking | None = None
    noise_gate: NoiseGate | None = None

    @classmethod
    def from_dict(cls, doc: Any, where: str = "audio") -> AudioSettings:
        doc = _obj(doc, where)
        ducking, gate = doc.get("ducking"), doc.get("noise_gate")
        return cls(
            ducking=None if ducking is None else Ducking.from_dict(ducking, f"{where}.ducking"),
            noise_gate=None if gate is None else NoiseGate.from_dict(gate, f"{where}.noise_gate"),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.ducking is not None:
            out["ducking"] = self.ducking.to_dict()
        if self.noise_gate is not None:
            out["noise_gate"] = self.noise_gate.to_dict()
        return out


# ---------------------------------------------------------------------------- project


@dataclass
class Project:
    """A whole edit. ``tracks`` are listed bottom to top: later tracks are drawn over earlier
    ones, whatever their kind."""

    schema_version: int = SCHEMA_VERSION
    title: str = "Untitled"
    canvas: Canvas = field(default_factory=Canvas)
    tracks: list[Track] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    audio: AudioSettings = field(default_factory=AudioSettings)

    @property
    def duration(self) -> float:
        """Seconds until the last clip or text item ends (0 for an empty project)."""
        return max((t.end for t in self.tracks), default=0.0)

    def video_tracks(self) -> list[Track]:
        return [t for t in self.tracks if t.kind == "video"]

    def text_tracks(self) -> list[Track]:
        return [t for t in self.tracks if t.kind == "text"]

    def audio_tracks(self) -> list[Track]:
        return [t for t in self.tracks if t.kind == "audio"]

    def track(self, track_id: str) -> Track:
        for t in self.tracks:
            if t.id == track_id:
                return t
        raise ProjectError(f"no track with id {track_id!r}")

    def find(self, element_id: str) -> tuple[Track, Any]:
        """The track and the clip or text item with ``element_id``."""
        for t in self.tracks:
            for e in t.elements:
                if e.id == element_id:
                    return t, e
        raise ProjectError(f"no clip or text item with id {element_id!r}")

    def clip(self, clip_id: str) -> VideoClip | AudioClip:
        track, element = self.find(clip_id)
        if track.kind == "text":
            raise ProjectError(f"{clip_id!r} is a text item, not a clip")
        return element

    def text_item(self, item_id: str) -> TextItem:
        track, element = self.find(item_id)
        if track.kind != "text":
            raise ProjectError(f"{item_id!r} is a clip, not a text item")
        return element

    def iter_clips(self) -> Iterator[tuple[Track, VideoClip | AudioClip]]:
        for t in self.tracks:
            for c in t.clips:
                yield t, c

    def sources(self) -> list[str]:
        """Every media file the project uses, once, in order of first use."""
        return list(dict.fromkeys(c.source for _, c in self.iter_clips()))

    def validate(self) -> None:
        self.canvas.validate("canvas")
        seen: set[str] = set()
        for i, t in enumerate(self.tracks):
            where = f"tracks[{i}]"
            t.validate(where)
            for owner in [t, *t.elements]:
                if owner.id in seen:
                    raise ProjectError(f"the id {owner.id!r} is used twice", where)
                seen.add(owner.id)

    @classmethod
    def from_dict(cls, doc: Any, base_dir: str | None = None) -> Project:
        """Build (and validate) a project from its JSON document, migrating old schema versions.
        Relative sources are made absolute against ``base_dir`` (the project file's folder)."""
        from studio.core.migrations import migrate

        doc = migrate(_obj(doc, "project"))
        tracks = doc.get("tracks", [])
        if not isinstance(tracks, list):
            raise ProjectError("'tracks' must be a list", "project")
        project = cls(
            schema_version=SCHEMA_VERSION,
            title=_str(doc, "title", "project", "Untitled"),
            canvas=Canvas.from_dict(doc.get("canvas", {}), "canvas"),
            tracks=[Track.from_dict(t, f"tracks[{i}]", base_dir) for i, t in enumerate(tracks)],
            extra=_extra(doc, {"schema_version", "title", "canvas", "tracks", "audio"}),
            audio=AudioSettings.from_dict(doc.get("audio", {}), "audio"),
        )
        project.validate()
        return project

    def to_dict(self, relative_to: str | None = None) -> dict[str, Any]:
        """The JSON document; absolute sources are written relative to ``relative_to`` if given."""
        out: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "title": self.title,
            "canvas": self.canvas.to_dict(),
            "tracks": [t.to_dict(relative_to) for t in self.tracks],
        }
        audio = self.audio.to_dict()
        if audio:
            out["audio"] = audio
        return _merge(out, self.extra)
