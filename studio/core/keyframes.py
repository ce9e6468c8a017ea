"""Keyframes on numeric parameters and their interpolation.

A list of keyframes is evaluated at a time ``t`` (clip-local seconds): before the first key the
first value holds, after the last key the last value holds. Between key ``a`` and the next key
``b`` the curve is chosen by ``a.interp`` with ``p = (t - a.t) / (b.t - a.t)``:

- ``linear``: ``p``
- ``ease_in``: ``p**2`` (starts slow)
- ``ease_out``: ``1 - (1 - p)**2`` (ends slow)
- ``ease_in_out``: ``p*p*(3 - 2p)`` (smoothstep)
- ``hold``: ``a.value`` until ``b.t``, then jumps
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from studio.core.errors import ProjectError

INTERPOLATIONS = ("linear", "ease_in", "ease_out", "ease_in_out", "hold")


@dataclass
class Keyframe:
    t: float
    value: float
    interp: str = "linear"

    def to_dict(self) -> dict[str, Any]:
        return {"t": self.t, "value": self.value, "interp": self.interp}

    @classmethod
    def from_dict(cls, doc: Any, where: str = "") -> Keyframe:
        if not isinstance(doc, dict):
            raise ProjectError("a keyframe must be an object with t, value and interp", where)
        kf = cls(
            t=_number(doc.get("t"), "t", where),
            value=_number(doc.get("value"), "value", where),
            interp=doc.get("interp", "linear"),
        )
        kf.validate(where)
        return kf

    def validate(self, where: str = "") -> None:
        if self.interp not in INTERPOLATIONS:
            raise ProjectError(
                f"unknown keyframe interpolation {self.interp!r} (use one of {', '.join(INTERPOLATIONS)})",
                where,
            )
        if not math.isfinite(self.t) or not math.isfinite(self.value):
            raise ProjectError("keyframe time and value must be finite numbers", where)


def _number(value: Any, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProjectError(f"keyframe {name} must be a number, got {value!r}", where)
    return float(value)


def ease(interp: str, p: float) -> float:
    """The eased fraction for a segment fraction ``p`` in [0, 1]."""
    if interp == "linear":
        return p
    if interp == "ease_in":
        return p * p
    if interp == "ease_out":
        return 1.0 - (1.0 - p) * (1.0 - p)
    if interp == "ease_in_out":
        return p * p * (3.0 - 2.0 * p)
    if interp == "hold":
        return 0.0
    raise ProjectError(f"unknown keyframe interpolation {interp!r}")


def evaluate(keyframes: Sequence[Keyframe], t: float, default: float | None = None) -> float:
    """The value of a keyframed parameter at ``t``; ``default`` when there are no keyframes."""
    if not keyframes:
        if default is None:
            raise ProjectError("no keyframes to evaluate and no default value")
        return default
    keys = sorted(keyframes, key=lambda k: k.t)
    if t <= keys[0].t:
        return keys[0].value
    if t >= keys[-1].t:
        return keys[-1].value
    i = bisect.bisect_right([k.t for k in keys], t) - 1
    a, b = keys[i], keys[i + 1]
    span = b.t - a.t
    if span <= 0:
        return b.value
    return a.value + (b.value - a.value) * ease(a.interp, (t - a.t) / span)


def set_key(keyframes: list[Keyframe], key: Keyframe, tolerance: float = 1e-6) -> list[Keyframe]:
    """A new sorted list with ``key`` added, replacing a key at (nearly) the same time."""
    out = [k for k in keyframes if abs(k.t - key.t) > tolerance]
    out.append(key)
    out.sort(key=lambda k: k.t)
    return out
