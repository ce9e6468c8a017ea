"""``studio.lut``: a 3D (or 1D) .cube LUT with an intensity, from a file or a shipped look."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from studio.effects.api import I420, ChoiceParam, FileParam, Filter, FloatParam, ParamError
from studio.effects.cube import CubeApplier, applier_for, identity_table
from studio.resources import resource, shipped

LOOKS = ("none", "teal-orange", "warm-film", "faded", "mono-contrast")


def look_path(name: str) -> str:
    path = shipped("luts", ".cube").get(name)
    if path is None:
        raise ParamError(
            f"the look '{name}' is not installed ({resource('luts', name + '.cube')} is missing)"
        )
    return str(path)


def is_identity_cube(applier: CubeApplier) -> bool:
    table = applier.cube.table
    if not applier.cube.is_3d:
        ramp = np.linspace(0.0, 1.0, table.shape[0], dtype=np.float32)[:, None]
        return bool(np.abs(table - ramp).max() < 1e-4)
    return bool(np.abs(table - identity_table(table.shape[0])).max() < 1e-4)


class LutFilter(Filter):
    id = "studio.lut"
    name = "LUT"
    description = "Applies a .cube colour look-up table (3D or 1D), blended with the original by intensity."
    category = "Colour"
    layout = I420  # the look is one lookup in a YUV -> YUV table (studio.effects.cube)
    params = (
        ChoiceParam("look", default="none", choices=LOOKS, help="A look that ships with the app (used when no file is set)."),
        FileParam("file", extensions=(".cube",), help="Your own .cube file; overrides the look."),
        FloatParam("intensity", default=1.0, minimum=0.0, maximum=1.0, help="0 leaves the frame, 1 is the full look."),
    )  # fmt: skip

    def _applier(self, values: Mapping[str, Any]) -> CubeApplier | None:
        path = values["file"] or (look_path(values["look"]) if values["look"] != "none" else "")
        return applier_for(path) if path else None

    def is_identity(self, values: Mapping[str, Any]) -> bool:
        if values["intensity"] <= 0.0 or (not values["file"] and values["look"] == "none"):
            return True
        applier = self._applier(values)
        return applier is None or is_identity_cube(applier)

    def process(self, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray:
        applier = self._applier(values)
        if applier is None:
            return image
        h, w = image.shape[0] * 2 // 3, image.shape[1]
        return applier.apply_i420(image, w, h, values["intensity"])
