from __future__ import annotations

import numpy as np
from creator_studio_duotone import DuotoneFilter


def run(rgb: np.ndarray, **params: object) -> np.ndarray:
    f = DuotoneFilter()
    f.open(None)
    return f.process(rgb, 0.0, DuotoneFilter.validate(params))


def test_black_and_white_become_the_two_colours() -> None:
    rgb = np.zeros((4, 8, 3), np.uint8)
    rgb[:, 4:] = 255
    out = run(rgb, shadows="#102030", highlights="#f0e0d0")
    assert tuple(out[0, 0]) == (0x10, 0x20, 0x30)
    assert tuple(out[0, 7]) == (0xF0, 0xE0, 0xD0)


def test_version_1_parameter_names_are_migrated() -> None:
    params = DuotoneFilter.migrate({"dark": "#000000", "light": "#ff0000"}, 1)
    assert params == {"shadows": "#000000", "highlights": "#ff0000"}
