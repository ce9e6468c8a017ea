"""The filter API that built-ins and third-party plugins implement (stable, versioned).

One description per filter drives validation, the inspector widgets and the docs: a filter
class lists typed, frozen parameter descriptions; the host owns keyframes and hands
``process`` the values resolved for time ``t``. Lifecycle: ``open(ctx)`` once per chain,
``process(image, t, values)`` per frame, ``close()`` at the end.

A filter declares the layout it wants: ``RGB`` (HxWx3 uint8, the default for plugins) or
``I420`` (one (h*3/2, w) uint8 buffer: Y, then U, then V, BT.709 limited range) for pure
luma/chroma maths. The input array is read-only; ``process`` returns a new array of the same
shape and dtype.

A built-in I420 filter that sets ``deep = True`` also runs in the HDR export: there the same
buffer is uint16 holding 10-bit codes of the deep working space (BT.2020, HLG, limited range:
Y 64..940, chroma 64..960 around 512; ``studio.media.hlg``) and ``process`` returns uint16 of the
same shape. Third-party filters run in a worker process on 8-bit frames only.

Compatibility: ``API_VERSION`` grows only by additions. A filter may state the
``api_version`` it was written for; the host refuses filters asking for a newer one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol

import numpy as np

API_VERSION = 1

RGB = "rgb"
I420 = "i420"
Layout = Literal["rgb", "i420"]
Mode = Literal["preview", "export"]

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$")
_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


class FilterError(Exception):
    """A filter failed. ``filter_id`` names it; the message is meant for the creator."""

    def __init__(self, filter_id: str, message: str) -> None:
        super().__init__(f"{filter_id}: {message}")
        self.filter_id = filter_id
        self.message = message


class ParamError(ValueError):
    """A parameter value that cannot be used, with a sentence for the creator."""


@dataclass(frozen=True)
class Param:
    """Common fields of every parameter description."""

    name: str
    label: str = ""
    help: str = ""
    animates: bool = False
    kind: ClassVar[str] = "param"

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    @property
    def default_value(self) -> Any:
        return getattr(self, "default", None)

    def validate(self, value: Any) -> Any:
        return value

    def range_text(self) -> str:
        return ""


@dataclass(frozen=True)
class FloatParam(Param):
    """A number. ``minimum``/``maximum`` are hard limits (values are clamped); the display
    range is what a slider shows by default."""

    default: float = 0.0
    minimum: float = -math.inf
    maximum: float = math.inf
    display_min: float | None = None
    display_max: float | None = None
    step: float = 0.01
    unit: str = ""
    animates: bool = True
    kind: ClassVar[str] = "float"

    def validate(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParamError(f"'{self.title}' needs a number, got {value!r}")
        if not math.isfinite(value):
            raise ParamError(f"'{self.title}' needs a finite number, got {value!r}")
        return float(min(max(value, self.minimum), self.maximum))

    @property
    def slider_range(self) -> tuple[float, float]:
        low = self.display_min if self.display_min is not None else self.minimum
        high = self.display_max if self.display_max is not None else self.maximum
        return low, high

    def range_text(self) -> str:
        low, high = self.slider_range
        return f"{low:g} .. {high:g}{(' ' + self.unit) if self.unit else ''}"


@dataclass(frozen=True)
class IntParam(Param):
    default: int = 0
    minimum: int = -(2**31)
    maximum: int = 2**31 - 1
    display_min: int | None = None
    display_max: int | None = None
    unit: str = ""
    animates: bool = False
    kind: ClassVar[str] = "int"

    def validate(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ParamError(f"'{self.title}' needs a whole number, got {value!r}")
        return int(min(max(round(value), self.minimum), self.maximum))

    def range_text(self) -> str:
        low = self.display_min if self.display_min is not None else self.minimum
        high = self.display_max if self.display_max is not None else self.maximum
        return f"{low} .. {high}{(' ' + self.unit) if self.unit else ''}"


@dataclass(frozen=True)
class BoolParam(Param):
    default: bool = False
    kind: ClassVar[str] = "bool"

    def validate(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if value in (0, 1):
            return bool(value)
        raise ParamError(f"'{self.title}' is on or off (true/false), got {value!r}")

    def range_text(self) -> str:
        return "on / off"


@dataclass(frozen=True)
class ChoiceParam(Param):
    default: str = ""
    choices: tuple[str, ...] = ()
    kind: ClassVar[str] = "choice"

    def validate(self, value: Any) -> str:
        if value not in self.choices:
            raise ParamError(f"'{self.title}' must be one of {', '.join(self.choices)}; got {value!r}")
        return str(value)

    def range_text(self) -> str:
        return " | ".join(self.choices)


@dataclass(frozen=True)
class ColorParam(Param):
    """An sRGB colour written ``#rrggbb``; ``parse_color`` turns it into (r, g, b)."""

    default: str = "#000000"
    kind: ClassVar[str] = "color"

    def validate(self, value: Any) -> str:
        if isinstance(value, list | tuple) and len(value) == 3:
            value = "#" + "".join(f"{max(0, min(255, int(c))):02x}" for c in value)
        if not isinstance(value, str) or not _COLOR_RE.match(value):
            raise ParamError(f"'{self.title}' needs a colour like #33cc55, got {value!r}")
        return value.lower()

    def range_text(self) -> str:
        return "#rrggbb"


@dataclass(frozen=True)
class FileParam(Param):
    """A path to a file; an empty string means none. ``extensions`` like ``(".cube",)``."""

    default: str = ""
    extensions: tuple[str, ...] = ()
    kind: ClassVar[str] = "file"

    def validate(self, value: Any) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ParamError(f"'{self.title}' needs a file path, got {value!r}")
        if value and self.extensions and not value.lower().endswith(tuple(self.extensions)):
            raise ParamError(f"'{self.title}' needs a {' or '.join(self.extensions)} file, got {value!r}")
        return value

    def range_text(self) -> str:
        return " ".join(f"*{e}" for e in self.extensions) or "any file"


@dataclass(frozen=True)
class PointParam(Param):
    """A point in frame coordinates, (0, 0) top left to (1, 1) bottom right."""

    default: tuple[float, float] = (0.5, 0.5)
    animates: bool = True
    kind: ClassVar[str] = "point"

    def validate(self, value: Any) -> tuple[float, float]:
        if isinstance(value, Mapping):
            value = (value.get("x"), value.get("y"))
        try:
            x, y = (float(v) for v in value)
        except (TypeError, ValueError):
            raise ParamError(f"'{self.title}' needs a point (x, y), got {value!r}") from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise ParamError(f"'{self.title}' needs a finite point, got {value!r}")
        return (min(max(x, -1.0), 2.0), min(max(y, -1.0), 2.0))

    def range_text(self) -> str:
        return "(x, y), 0..1 of the frame"


def parse_color(value: str) -> tuple[int, int, int]:
    """``#rrggbb`` -> (r, g, b)."""
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


class DeepHost(Protocol):
    """The conversions a host with deep (10-bit HLG) frames lends the filters that mix SDR
    colours in (``FilterContext.deep``); the render's are in ``studio.media.hlg``."""

    def from_sdr(self, rgb: np.ndarray) -> np.ndarray:
        """HxWx3 uint8 SDR R'G'B' -> HxWx3 float32 deep Y'CbCr codes (BT.2408 placement,
        unrounded, chroma at full size): a sticker or a background colour for deep frames."""
        ...

    def sdr_chroma(self, i420: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A deep I420 buffer -> the working-space Cb, Cr (float32 8-bit codes, chroma size)
        that the SDR preview's tone mapping gives it: to match an SDR colour (a chroma key)."""
        ...


@dataclass(frozen=True)
class FilterContext:
    """What a filter learns when it opens: the frame size it will see, the rate, where it runs.

    ``clip_key`` identifies the clip (source + in/out) so analysis (face tracks) can be cached
    and shared between preview and export; ``cache_dir`` is where such caches may be stored.
    ``deep``, set by a host whose frames may be deep (the HDR export): its conversions between
    the SDR working space and the deep frames (:class:`DeepHost`).
    """

    width: int
    height: int
    fps: float = 30.0
    device: str = "cpu"
    mode: Mode = "preview"
    clip_key: str = ""
    cache_dir: str = ""
    extras: Mapping[str, Any] = field(default_factory=dict)
    deep: DeepHost | None = None

    @property
    def scale(self) -> float:
        """The frame's short side relative to 1080 px: multiply sizes given "in pixels at 1080"."""
        return min(self.width, self.height) / 1080.0


class Filter:
    """Base class of every filter. Subclasses set the class attributes and ``process``."""

    id: ClassVar[str] = ""
    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    category: ClassVar[str] = "Look"
    version: ClassVar[int] = 1
    api_version: ClassVar[int] = API_VERSION
    params: ClassVar[tuple[Param, ...]] = ()
    layout: ClassVar[Layout] = RGB
    temporal: ClassVar[bool] = False
    deep: ClassVar[bool] = False  # also takes 10-bit HLG I420 (uint16) in the HDR export

    def open(self, ctx: FilterContext) -> None:
        self.ctx = ctx

    def process(self, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray:
        raise FilterError(self.id, "this filter does not define process()")

    def close(self) -> None:
        return None

    def is_identity(self, values: Mapping[str, Any]) -> bool:
        """True when ``values`` leave every frame unchanged, so the host can skip the call."""
        return False

    @classmethod
    def migrate(cls, params: dict[str, Any], from_version: int) -> dict[str, Any]:
        """Turn parameters saved by ``from_version`` of this filter into this version's."""
        return params

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        return {p.name: p.default_value for p in cls.params}

    @classmethod
    def validate(cls, values: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults overlaid with ``values``, each checked; unknown names are dropped."""
        out = cls.defaults()
        by_name = {p.name: p for p in cls.params}
        for name, value in values.items():
            param = by_name.get(name)
            if param is not None:
                out[name] = param.validate(value)
        return out


def check_filter_class(cls: Any) -> None:
    """Raise ``ValueError`` with the reason when ``cls`` is not a usable filter class."""
    if not (isinstance(cls, type) and issubclass(cls, Filter)):
        raise ValueError(f"{cls!r} is not a studio.effects.api.Filter subclass")
    if not _ID_RE.match(cls.id or ""):
        raise ValueError(f"filter id {cls.id!r} must be reverse-DNS like 'com.example.my-look'")
    if not isinstance(cls.version, int) or cls.version < 1:
        raise ValueError(f"{cls.id}: version must be a whole number >= 1")
    if cls.api_version > API_VERSION:
        raise ValueError(f"{cls.id} needs filter API {cls.api_version}; this app provides {API_VERSION}")
    if cls.layout not in (RGB, I420):
        raise ValueError(f"{cls.id}: layout must be 'rgb' or 'i420'")
    names = [p.name for p in cls.params]
    if len(set(names)) != len(names):
        raise ValueError(f"{cls.id}: parameter names repeat")
    for param in cls.params:
        param.validate(param.default_value)


def describe(cls: type[Filter]) -> dict[str, Any]:
    """A JSON-able description of a filter: what the inspector and ``plugins info`` show."""
    params = []
    for p in cls.params:
        entry: dict[str, Any] = {
            "name": p.name,
            "kind": p.kind,
            "label": p.title,
            "default": p.default_value,
            "animates": p.animates,
            "help": p.help,
            "range": p.range_text(),
        }
        if isinstance(p, FloatParam | IntParam):
            entry.update(minimum=p.minimum, maximum=p.maximum)
            entry.update(display_min=p.display_min, display_max=p.display_max, unit=p.unit)
        if isinstance(p, ChoiceParam):
            entry["choices"] = list(p.choices)
        if isinstance(p, FileParam):
            entry["extensions"] = list(p.extensions)
        params.append(entry)
    return {
        "id": cls.id,
        "name": cls.name or cls.id,
        "description": cls.description,
        "category": cls.category,
        "version": cls.version,
        "api_version": cls.api_version,
        "layout": cls.layout,
        "temporal": cls.temporal,
        "deep": cls.deep,
        "params": params,
    }


def describe_markdown(classes: Sequence[type[Filter]]) -> str:
    """The built-in parameter reference of docs/plugins.md, generated from the descriptions."""
    lines: list[str] = []
    for cls in sorted(classes, key=lambda c: c.id):
        d = describe(cls)
        flags = ", ".join(
            f
            for f in (
                "temporal" if cls.temporal else "",
                f"layout {cls.layout}",
                "10-bit HDR" if cls.deep else "",
            )
            if f
        )
        lines += [f"### {d['name']} — `{cls.id}` (v{cls.version}; {flags})", "", d["description"], ""]
        if d["params"]:
            lines += [
                "| parameter | kind | default | range | animates | what it does |",
                "|---|---|---|---|---|---|",
            ]
            for p in d["params"]:
                default = p["default"]
                shown = f"`{default!r}`" if not isinstance(default, str) else f"`{default or '(none)'}`"
                lines.append(
                    f"| `{p['name']}` | {p['kind']} | {shown} | {p['range']} | "
                    f"{'yes' if p['animates'] else 'no'} | {p['help']} |"
                )
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
