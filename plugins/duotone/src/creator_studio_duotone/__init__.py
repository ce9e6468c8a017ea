"""Duotone: maps brightness onto a gradient between two colours (pure numpy)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from studio.effects.api import ColorParam, Filter, FloatParam, parse_color


class DuotoneFilter(Filter):
    id = "org.creatorstudio.examples.duotone"
    name = "Duotone"
    description = "Two-colour poster look: shadows take one colour, highlights the other."
    category = "Look"
    version = 2
    params = (
        ColorParam("shadows", default="#1b1464", help="Colour of the darkest tones."),
        ColorParam("highlights", default="#ffcc33", help="Colour of the brightest tones."),
        FloatParam("intensity", default=1.0, minimum=0.0, maximum=1.0, help="Mix with the original."),
    )

    def is_identity(self, values: Mapping[str, Any]) -> bool:
        return values["intensity"] <= 0.0

    def open(self, ctx: Any) -> None:
        super().open(ctx)
        self._key: tuple[str, str] | None = None
        self._lut = np.zeros((256, 3), np.uint8)

    def process(self, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray:
        key = (values["shadows"], values["highlights"])
        if key != self._key:
            lo = np.array(parse_color(values["shadows"]), np.float32)
            hi = np.array(parse_color(values["highlights"]), np.float32)
            ramp = np.linspace(0.0, 1.0, 256, dtype=np.float32)[:, None]
            self._lut = np.rint(lo + (hi - lo) * ramp).astype(np.uint8)
            self._key = key
        luma = (
            image[..., 0] * np.uint16(54) + image[..., 1] * np.uint16(183) + image[..., 2] * np.uint16(19)
        ) >> 8
        toned = self._lut[luma.astype(np.uint8)]
        k = values["intensity"]
        if k >= 1.0:
            return toned
        return (toned * k + image * (1.0 - k)).round().astype(np.uint8)

    @classmethod
    def migrate(cls, params: dict[str, Any], from_version: int) -> dict[str, Any]:
        # Version 1 called the colours "dark" and "light".
        if from_version < 2:
            params = dict(params)
            if "dark" in params:
                params["shadows"] = params.pop("dark")
            if "light" in params:
                params["highlights"] = params.pop("light")
        return params
