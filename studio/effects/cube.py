"""Adobe/Resolve ``.cube`` LUTs: parse, write, and apply fast to uint8 RGB frames.

A 3D LUT of size N is laid out as one N x N*N "strip" image (rows: green, columns: blue slice
then red), so ``cv2.remap`` does the bilinear red/green interpolation inside two neighbouring
blue slices and ``cv2.blendLinear`` mixes them by the blue fraction: trilinear interpolation
in four OpenCV calls, all map coordinates coming from 256-entry tables.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np


class CubeError(ValueError):
    """A .cube file that cannot be used, with the reason for the creator."""


@dataclass(frozen=True)
class Cube:
    """``table`` is (N, N, N, 3) float32 indexed [b, g, r] for 3D, or (N, 3) for a 1D LUT."""

    title: str
    table: np.ndarray
    domain_min: tuple[float, float, float] = (0.0, 0.0, 0.0)
    domain_max: tuple[float, float, float] = (1.0, 1.0, 1.0)

    @property
    def is_3d(self) -> bool:
        return self.table.ndim == 4

    @property
    def size(self) -> int:
        return int(self.table.shape[0])


def parse_cube(text: str, name: str = "LUT") -> Cube:
    title, size3, size1 = "", 0, 0
    dmin, dmax = [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]
    rows: list[list[float]] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, rest = line.partition(" ")
        try:
            if key == "TITLE":
                title = rest.strip().strip('"')
            elif key == "LUT_3D_SIZE":
                size3 = int(rest)
            elif key == "LUT_1D_SIZE":
                size1 = int(rest)
            elif key == "DOMAIN_MIN":
                dmin = [float(v) for v in rest.split()]
            elif key == "DOMAIN_MAX":
                dmax = [float(v) for v in rest.split()]
            elif key[0].isdigit() or key[0] in "-+.":
                values = [float(v) for v in line.split()]
                if len(values) != 3:
                    raise ValueError("expected three numbers")
                rows.append(values)
            elif key.isupper():
                continue  # other keywords (LUT_3D_INPUT_RANGE, ...) do not change the table
            else:
                raise ValueError(f"unknown line {line[:40]!r}")
        except ValueError as exc:
            raise CubeError(f"{name}: line {lineno} is not valid .cube ({exc})") from None
    if size3 and size1:
        raise CubeError(f"{name}: declares both a 1D and a 3D size")
    if size3:
        if not 2 <= size3 <= 256:
            raise CubeError(f"{name}: LUT_3D_SIZE {size3} is out of range 2..256")
        if len(rows) != size3**3:
            raise CubeError(f"{name}: expected {size3**3} rows for a size-{size3} LUT, found {len(rows)}")
        table = np.asarray(rows, np.float32).reshape(size3, size3, size3, 3)
    elif size1:
        if len(rows) != size1 or size1 < 2:
            raise CubeError(f"{name}: expected {size1} rows for a 1D LUT, found {len(rows)}")
        table = np.asarray(rows, np.float32)
    else:
        raise CubeError(f"{name}: no LUT_3D_SIZE or LUT_1D_SIZE line; is this a .cube file?")
    if len(dmin) != 3 or len(dmax) != 3 or any(hi <= lo for lo, hi in zip(dmin, dmax, strict=True)):
        raise CubeError(f"{name}: DOMAIN_MIN/DOMAIN_MAX are not usable")
    return Cube(title, table, tuple(dmin), tuple(dmax))  # type: ignore[arg-type]


def read_cube(path: str | os.PathLike[str]) -> Cube:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise CubeError(f"LUT file not found: {path}") from None
    except OSError as exc:
        raise CubeError(f"cannot read LUT file {path}: {exc.strerror}") from None
    return parse_cube(text, path.name)


def write_cube(path: str | os.PathLike[str], table: np.ndarray, title: str = "") -> None:
    """Write a (N, N, N, 3) [b, g, r]-indexed table (values 0..1) as a 3D .cube file."""
    n = table.shape[0]
    lines = [f'TITLE "{title}"'] if title else []
    lines += [f"LUT_3D_SIZE {n}", "DOMAIN_MIN 0.0 0.0 0.0", "DOMAIN_MAX 1.0 1.0 1.0"]
    flat = np.clip(table.reshape(-1, 3), 0.0, 1.0)
    lines += [f"{r:.5f} {g:.5f} {b:.5f}" for r, g, b in flat]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def identity_table(n: int) -> np.ndarray:
    ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
    b, g, r = np.meshgrid(ramp, ramp, ramp, indexing="ij")
    return np.stack([r, g, b], axis=-1)


class CubeApplier:
    """Applies one LUT to uint8 RGB frames; build once, call per frame."""

    def __init__(self, cube: Cube) -> None:
        self.cube = cube
        ramp = np.arange(256, dtype=np.float64) / 255.0
        lo, hi = np.asarray(cube.domain_min), np.asarray(cube.domain_max)
        n = cube.size
        # Input 0..255 -> fractional grid coordinate per channel.
        coords = [np.clip((ramp - lo[c]) / (hi[c] - lo[c]), 0.0, 1.0) * (n - 1) for c in range(3)]
        if cube.is_3d:
            strip = cube.table.transpose(1, 0, 2, 3).reshape(n, n * n, 3)
            self._strip = np.clip(np.rint(strip * 255.0), 0, 255).astype(np.uint8)
            fb = coords[2]
            b0 = np.floor(fb)
            b1 = np.minimum(b0 + 1, n - 1)
            self._lut_x0r = coords[0].astype(np.float32)
            self._lut_b0 = (b0 * n).astype(np.float32)
            self._lut_b1 = (b1 * n).astype(np.float32)
            self._lut_gy = coords[1].astype(np.float32)
            self._lut_wb = (fb - b0).astype(np.float32)
        else:
            tables = []
            for c in range(3):
                xs = np.arange(n, dtype=np.float64)
                tables.append(np.interp(coords[c], xs, cube.table[:, c].astype(np.float64)))
            self._lut1d = (
                np.clip(np.rint(np.stack(tables, -1) * 255.0), 0, 255).astype(np.uint8).reshape(256, 1, 3)
            )

    def apply(self, rgb: np.ndarray, intensity: float = 1.0) -> np.ndarray:
        if not self.cube.is_3d:
            out = cv2.LUT(rgb, self._lut1d)
        else:
            r, g, b = cv2.split(rgb)
            mapy = cv2.LUT(g, self._lut_gy)
            xr = cv2.LUT(r, self._lut_x0r)
            map0 = cv2.add(xr, cv2.LUT(b, self._lut_b0))
            map1 = cv2.add(xr, cv2.LUT(b, self._lut_b1))
            wb = cv2.LUT(b, self._lut_wb)
            s0 = cv2.remap(self._strip, map0, mapy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            s1 = cv2.remap(self._strip, map1, mapy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            out = cv2.blendLinear(s0, s1, 1.0 - wb, wb)
        if intensity < 1.0:
            out = cv2.addWeighted(out, intensity, rgb, 1.0 - intensity, 0.0)
        return out


@functools.lru_cache(maxsize=16)
def _applier_cached(path: str, mtime_ns: int, size: int) -> CubeApplier:
    return CubeApplier(read_cube(path))


def applier_for(path: str | os.PathLike[str]) -> CubeApplier:
    """A cached applier for ``path`` (re-read when the file changes)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise CubeError(f"LUT file not found: {path}") from None
    return _applier_cached(str(Path(path).resolve()), st.st_mtime_ns, st.st_size)
