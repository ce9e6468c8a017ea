"""Generate the looks that ship in studio/resources/luts (17-point 3D .cube files: smooth looks need no more).

Run: .venv/bin/python studio/resources/luts/make_luts.py
Each look is plain maths on the identity grid, so the files are reproducible and licence-free.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from studio.effects.cube import identity_table, write_cube

SIZE = 17
LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)


def s_curve(x: np.ndarray, strength: float) -> np.ndarray:
    """Steeper mid-tones, gentler ends; monotonic for strength < 1."""
    return x - strength * np.sin(2 * np.pi * x) / (2 * np.pi)


def teal_orange(rgb: np.ndarray) -> np.ndarray:
    luma = rgb @ LUMA
    shadows = np.clip(1 - luma * 2, 0, 1)[..., None]
    highlights = np.clip(luma * 2 - 1, 0, 1)[..., None]
    out = rgb + shadows * np.array([-0.06, 0.03, 0.08]) + highlights * np.array([0.08, 0.02, -0.07])
    return s_curve(np.clip(out, 0, 1), 0.15)


def warm_film(rgb: np.ndarray) -> np.ndarray:
    out = rgb * np.array([1.06, 1.0, 0.9]) + np.array([0.02, 0.01, 0.0])
    luma = (out @ LUMA)[..., None]
    out = luma + (out - luma) * 0.85
    return 0.04 + np.clip(out, 0, 1) * 0.93


def faded(rgb: np.ndarray) -> np.ndarray:
    luma = (rgb @ LUMA)[..., None]
    out = luma + (rgb - luma) * 0.7
    return 0.1 + out * 0.82 + np.array([0.0, 0.01, 0.03])


def mono_contrast(rgb: np.ndarray) -> np.ndarray:
    luma = rgb @ np.array([0.3, 0.59, 0.11], np.float32)
    return np.repeat(s_curve(luma, 0.35)[..., None], 3, axis=-1)


LOOKS = {"teal-orange": teal_orange, "warm-film": warm_film, "faded": faded, "mono-contrast": mono_contrast}


def main() -> None:
    folder = Path(__file__).resolve().parent
    grid = identity_table(SIZE)
    for name, look in LOOKS.items():
        write_cube(folder / f"{name}.cube", np.clip(look(grid), 0, 1), title=f"Creator Studio {name}")
        print(f"wrote {name}.cube")


if __name__ == "__main__":
    main()
