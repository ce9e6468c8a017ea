"""Adobe/Resolve ``.cube`` LUTs: parse, write, and apply fast to uint8 RGB frames.

A 3D LUT of size N is laid out as one N x N*N "strip" image (rows: green, columns: blue slice
then red), so ``cv2.remap`` does the bilinear red/green interpolation inside two neighbouring
blue slices and ``cv2.blendLinear`` mixes them by the blue fraction: trilinear interpolation
in four OpenCV calls, all map coordinates coming from 256-entry tables.

Frames in the working space's I420 (what the decoder gives and the encoder takes) skip the RGB
round trip: :meth:`CubeApplier.apply_i420` looks every pixel up in a **YUV -> YUV table** of
all 256^3 (Y, U, V) codes (16384 x 1024 x 3 uint8, 48 MiB, built once per LUT in about a second
by running the RGB path above on every code; cached with the applier), one ``cv2.remap`` INTER_NEAREST whose integer map
comes from 256-entry tables, then the chroma 2x2 average. Each table entry is exactly what
``rgb_to_i420(apply(i420_to_rgb(frame)))`` computes for that pixel before chroma averaging, so at
full intensity the result is **bit-identical** to the RGB path; below full intensity the look is
mixed in Y'CbCr with the original's R'G'B' round trip (a second, shared table) instead of in
R'G'B' (linear either way; only the rounding order differs): within 1 code value, mean under
0.3 (``tests/effects/test_lut_yuv_table.py``). About 6x faster than the RGB path at 1080x1920.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
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
        self._yuv_table: np.ndarray | None = None
        self._table_lock = threading.Lock()
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

    def yuv_table(self) -> np.ndarray:
        """The (1024, 16384, 3) uint8 table: entry [V + 256*(U >> 6), Y + 256*(U & 63)] is the
        full-size Y'CbCr (rounded, as ``rgb_to_i420`` computes before averaging chroma) of the
        look applied to the R'G'B' of (Y, U, V). Built on first use, then kept."""
        with self._table_lock:
            if self._yuv_table is None:
                self._yuv_table = self._build_yuv_table()
            return self._yuv_table

    def _build_yuv_table(self) -> np.ndarray:
        return _yuv_table(self.apply)

    def apply_i420(self, buf: np.ndarray, width: int, height: int, intensity: float = 1.0) -> np.ndarray:
        """The look on a working-space I420 buffer (a new one), through :meth:`yuv_table`."""
        from studio.core.colour import i420_planes, repeat_2x2

        table = self.yuv_table()
        y, u, v = i420_planes(buf, width, height)
        # map (x, y) = (Y + 256*(U & 63), V + 256*(U >> 6)): chroma part at chroma size, repeated
        # 2x2 (as i420_to_rgb does), plus luma
        chroma = cv2.merge([cv2.LUT(u, _U_COLUMN), cv2.add(cv2.LUT(u, _U_ROW), cv2.LUT(v, _CODE16))])
        coords = repeat_2x2(chroma)
        coords = cv2.add(coords, cv2.merge([cv2.LUT(y, _CODE16), np.zeros((height, width), np.int16)]))
        looked = cv2.remap(table, coords, None, cv2.INTER_NEAREST)
        out = np.empty_like(buf)
        oy, ou, ov = i420_planes(out, width, height)
        if intensity < 1.0:
            # mixed with the original as the RGB path mixes it: with its R'G'B' round trip
            # (clipped to 0..255), from the shared identity table
            original = cv2.remap(_round_trip_table(), coords, None, cv2.INTER_NEAREST)
            looked = cv2.addWeighted(looked, intensity, original, 1.0 - intensity, 0.0)
        small = cv2.resize(looked, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
        cv2.extractChannel(looked, 0, oy)
        cv2.extractChannel(small, 1, ou)
        cv2.extractChannel(small, 2, ov)
        return out


def _yuv_table(look: Callable[[np.ndarray], np.ndarray] | None) -> np.ndarray:
    """The YUV -> YUV table of ``look`` (an RGB -> RGB function; None: the plain round trip)."""
    from studio.core.colour import WORKING, _to_rgb_transform, _to_yuv_transform

    to_rgb, to_yuv = _to_rgb_transform(WORKING), _to_yuv_transform(WORKING)
    codes = np.arange(256, dtype=np.uint8)
    table = np.empty((1024, 16384, 3), np.uint8)
    block = np.empty((256, 64, 256, 3), np.uint8)  # [v, u & 63, y]
    block[..., 0] = codes[None, None, :]
    block[..., 2] = codes[:, None, None]
    for high in range(4):
        block[..., 1] = (high * 64 + np.arange(64, dtype=np.uint8))[None, :, None]
        rgb = cv2.transform(block.reshape(256, 16384, 3), to_rgb)
        cv2.transform(rgb if look is None else look(rgb), to_yuv, dst=table[high * 256 : (high + 1) * 256])
    return table


@functools.lru_cache(maxsize=1)
def _round_trip_table() -> np.ndarray:
    """Each (Y, U, V) code's Y'CbCr after R'G'B' (clipped) and back: what a LUT at part
    intensity mixes with."""
    return _yuv_table(None)


_CODE16 = np.arange(256, dtype=np.int16)
_U_COLUMN = (256 * (np.arange(256) & 63)).astype(np.int16)
_U_ROW = (256 * (np.arange(256) >> 6)).astype(np.int16)


@functools.lru_cache(maxsize=6)  # a 3D LUT used on I420 frames holds a 48 MiB table
def _applier_cached(path: str, mtime_ns: int, size: int) -> CubeApplier:
    return CubeApplier(read_cube(path))


def applier_for(path: str | os.PathLike[str]) -> CubeApplier:
    """A cached applier for ``path`` (re-read when the file changes)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise CubeError(f"LUT file not found: {path}") from None
    return _applier_cached(str(Path(path).resolve()), st.st_mtime_ns, st.st_size)
