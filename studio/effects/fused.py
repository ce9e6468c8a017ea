"""One ONNX graph for a run of pure-maths built-ins (colour, LUT, vignette, blur).

On a GPU the whole run is one upload, one graph, one download; on a CPU the OpenCV path is
usually faster, so the chain measures both once per (filters, frame size) and keeps the winner
(:func:`choose`). Because that choice depends on the machine, the graph computes what the
OpenCV path computes, in the same space, so the export's colours do not depend on which path
won: it takes and returns the I420 working-space buffer (``studio.core.colour``) and, filter by
filter, does the OpenCV path's maths on the same planes with the same rounding:

* colour: the affine luma / chroma maths of ``studio.color``'s tables, clipped to 16..235/240;
* vignette: ``(Y-16)*g+16`` and ``(C-128)*g+128`` with the same full- and half-size masks;
* blur: per plane, the same kernels as ``blur_plane`` (OpenCV's Gaussian up to 9 taps, two
  box passes - the stack-blur triangle - above), edges replicated, rounded after each pass;
* LUT: the frame's RGB exactly as ``Frame.as_rgb`` makes it (chroma repeated 2x2, BT.709
  matrix, rounded), 5-D ``GridSample`` (trilinear) on the table quantised to 8 bits like the
  OpenCV strip, the intensity mix, then back to I420 as ``Frame.as_i420`` does.

Each filter's result is rounded to 8 bits as the per-filter path's is. Parameters are graph
inputs, so keyframed values need no rebuild; only the structure (which filters, the LUT file,
the blur kernel sizes) is baked in. ``tests/effects/test_fused_paths.py`` holds each filter's
two paths within one code value.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from studio.core.colour import WORKING, rgb_to_yuv_matrix, yuv_to_rgb_matrix
from studio.effects.api import FilterContext

log = logging.getLogger(__name__)

FUSABLE = ("studio.color", "studio.lut", "studio.vignette", "studio.blur")
_FAR = -(2**62)


def structure(filter_id: str, values: dict[str, Any], ctx: FilterContext) -> tuple[Any, ...]:
    """What of a filter's settings is baked into the graph."""
    if filter_id == "studio.lut":
        from studio.effects.builtins.lut import look_path

        return (filter_id, values["file"] or look_path(values["look"]))
    if filter_id == "studio.blur":
        radius = values["radius"] * ctx.scale
        return (filter_id, blur_kernel_size(radius), blur_kernel_size(radius / 2))
    return (filter_id,)


def blur_kernel_size(radius: float) -> int:
    return round(radius) * 2 + 1


def gaussian(k: int) -> np.ndarray:
    """OpenCV's Gaussian kernel of ``k`` taps for sigma 0 (what ``cv2.GaussianBlur`` uses)."""
    import cv2

    return cv2.getGaussianKernel(k, 0).ravel().astype(np.float32)


class _Graph:
    """Node builder: constants, parameter inputs, named outputs."""

    def __init__(self) -> None:
        from onnx import TensorProto, helper

        self.helper, self.tp = helper, TensorProto
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.inputs: list[Any] = []
        self._n = 0

    def name(self, hint: str) -> str:
        self._n += 1
        return f"{hint}_{self._n}"

    def const(self, value: Any, hint: str = "c") -> str:
        from onnx import numpy_helper

        name = self.name(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, op: str, *ins: str, **attrs: Any) -> str:
        out = self.name(op.lower())
        self.nodes.append(self.helper.make_node(op, list(ins), [out], **attrs))
        return out

    def param(self, name: str, shape: list[int]) -> str:
        self.inputs.append(self.helper.make_tensor_value_info(name, self.tp.FLOAT, shape))
        return name

    def f(self, value: float) -> str:
        return self.const(np.float32(value), "f")

    def clip(self, x: str, lo: Any, hi: Any) -> str:
        return self.op(
            "Min",
            self.op("Max", x, self.const(np.asarray(lo, np.float32))),
            self.const(np.asarray(hi, np.float32)),
        )

    def round8(self, x: str) -> str:
        return self.op("Round", self.clip(x, 0.0, 255.0))

    def slice(self, x: str, start: int, end: int, axis: int, step: int = 1) -> str:
        c = self.const
        return self.op(
            "Slice", x, c(np.array([start], np.int64)), c(np.array([end], np.int64)),
            c(np.array([axis], np.int64)), c(np.array([step], np.int64)),
        )  # fmt: skip

    def pad_edge(self, x: str, before: tuple[int, int], after: tuple[int, int]) -> str:
        """Replicate-pad the last two axes of an NCHW tensor (rows, then columns)."""
        pads = np.array([0, 0, before[0], before[1], 0, 0, after[0], after[1]], np.int64)
        return self.op("Pad", x, self.const(pads), mode="edge")

    def conv(self, x: str, kernel: np.ndarray, channels: int, vertical: bool) -> str:
        k = len(kernel)
        shape = (channels, 1, k, 1) if vertical else (channels, 1, 1, k)
        w = self.const(np.tile(kernel.astype(np.float32).reshape(1, 1, -1), (channels, 1, 1)).reshape(shape))
        return self.op("Conv", x, w, group=channels)


def _blur_planes(g: _Graph, x: str, k: int, channels: int) -> str:
    """``blur_plane`` on NCHW planes: Gaussian (k <= 9) or two box passes; edges replicated."""
    if k <= 1:
        return x
    if k <= 9:
        half = k // 2
        padded = g.pad_edge(x, (half, half), (half, half))
        ker = gaussian(k)
        return g.round8(g.conv(g.conv(padded, ker, channels, False), ker, channels, True))
    r = k // 2
    n = r + 1
    box = np.full(n, 1.0 / n, np.float32)
    for anchor in (r // 2, r - r // 2):
        padded = g.pad_edge(x, (anchor, anchor), (n - 1 - anchor, n - 1 - anchor))
        x = g.round8(g.conv(g.conv(padded, box, channels, False), box, channels, True))
    return x


def _to_rgb(g: _Graph, y: str, c: str) -> str:
    """NHWC RGB 0..255 (rounded) from Y (1,1,H,W) and C (1,2,H/2,W/2): ``Frame.as_rgb``."""
    inv, off = yuv_to_rgb_matrix(WORKING)
    m = (inv * 255.0).astype(np.float32)
    up = g.op("Resize", c, "", g.const(np.array([1, 1, 2, 2], np.float32)), mode="nearest",
              coordinate_transformation_mode="asymmetric", nearest_mode="floor")  # fmt: skip
    yuv = g.op("Transpose", g.op("Concat", y, up, axis=1), perm=[0, 2, 3, 1])
    centred = g.op("Sub", yuv, g.const(off.astype(np.float32)))
    return g.round8(g.op("MatMul", centred, g.const(m.T.copy())))


def _to_i420_planes(g: _Graph, rgb: str) -> tuple[str, str]:
    """(Y, C) planes from NHWC RGB: ``Frame.as_i420`` (full-size Y'CbCr rounded, chroma the
    2x2 average rounded half up, as ``cv2.resize`` INTER_AREA does)."""
    m, off = rgb_to_yuv_matrix(WORKING)
    yuv = g.round8(
        g.op(
            "Add",
            g.op("MatMul", rgb, g.const((m / 255.0).T.astype(np.float32))),
            g.const(off.astype(np.float32)),
        )
    )
    nchw = g.op("Transpose", yuv, perm=[0, 3, 1, 2])
    y = g.slice(nchw, 0, 1, 1)
    chroma = g.slice(nchw, 1, 3, 1)
    pooled = g.op("AveragePool", chroma, kernel_shape=[2, 2], strides=[2, 2])
    c = g.op("Floor", g.op("Add", pooled, g.f(0.5)))
    return y, c


def _lut(g: _Graph, rgb: str, path: str, p: str, height: int, width: int) -> str:
    from studio.effects.cube import read_cube

    cube = read_cube(path)
    table = cube.table if cube.is_3d else _expand_1d(cube.table)
    table8 = np.clip(np.rint(table * 255.0), 0, 255)  # the OpenCV strip is 8-bit
    lut = g.const(np.ascontiguousarray(table8.transpose(3, 0, 1, 2)[None]).astype(np.float32), "table")
    # As the OpenCV path: bilinear in the blue slices below and above (red and green snapped to
    # 1/32 of a cell as cv2.remap's fixed point does, each slice rounded), then mixed by blue.
    n = table.shape[0]
    u = g.op("Mul", rgb, g.f((n - 1) / 255))
    snapped = g.op("Div", g.op("Round", g.op("Mul", u, g.f(32.0))), g.f(32.0))
    rg_mask = g.const(np.array([1, 1, 0], np.float32))
    b_mask = g.const(np.array([0, 0, 1], np.float32))
    blue = g.slice(u, 2, 3, 3)
    b0 = g.op("Floor", blue)
    b1 = g.op("Min", g.op("Add", b0, g.f(1.0)), g.f(n - 1.0))
    wb = g.op("Sub", blue, b0)
    slices = []
    for level in (b0, b1):
        coords = g.op("Add", g.op("Mul", snapped, rg_mask), g.op("Mul", level, b_mask))
        grid = g.op("Sub", g.op("Mul", coords, g.f(2 / (n - 1))), g.f(1.0))
        grid5 = g.op("Reshape", grid, g.const(np.array([1, 1, height, width, 3], np.int64)))
        sampled = g.op("GridSample", lut, grid5, align_corners=1, mode="linear", padding_mode="border")
        flat = g.op("Reshape", sampled, g.const(np.array([1, 3, height, width], np.int64)))
        slices.append(g.round8(g.op("Transpose", flat, perm=[0, 2, 3, 1])))
    blend = g.op("Add", slices[0], g.op("Mul", g.op("Sub", slices[1], slices[0]), wb))
    looked = g.round8(blend)
    mixed = g.op("Add", rgb, g.op("Mul", g.op("Sub", looked, rgb), g.param(p + "intensity", [1])))
    return g.round8(mixed)


def build_graph(parts: Sequence[tuple[Any, ...]], width: int, height: int) -> bytes:
    """The serialized ONNX model for ``parts`` (from :func:`structure`), in order: an I420
    uint8 (h*3/2, w) buffer in, the same out."""
    from onnx import TensorProto, helper

    g = _Graph()
    g.inputs.append(helper.make_tensor_value_info("image", TensorProto.UINT8, [height * 3 // 2, width]))
    x = g.op("Cast", "image", to=TensorProto.FLOAT)
    h2, w2 = height // 2, width // 2
    y = g.op("Reshape", g.slice(x, 0, height, 0), g.const(np.array([1, 1, height, width], np.int64)))
    c = g.op("Reshape", g.slice(x, height, height * 3 // 2, 0), g.const(np.array([1, 2, h2, w2], np.int64)))
    for i, part in enumerate(parts):
        kind, p = part[0], f"s{i}_"
        if kind == "studio.color":
            y = g.op("Add", g.op("Mul", y, g.param(p + "ya", [1])), g.param(p + "yb", [1]))
            y = g.op("Round", g.clip(y, 16.0, 235.0))
            c = g.op("Add", g.op("Mul", c, g.param(p + "cs", [1])), g.param(p + "cb", [1, 2, 1, 1]))
            c = g.op("Round", g.clip(c, 16.0, 240.0))
        elif kind == "studio.vignette":
            y = g.round8(
                g.op(
                    "Add",
                    g.op("Mul", g.op("Sub", y, g.f(16.0)), g.param(p + "gain", [1, 1, height, width])),
                    g.f(16.0),
                )
            )
            c = g.round8(
                g.op(
                    "Add",
                    g.op("Mul", g.op("Sub", c, g.f(128.0)), g.param(p + "gain_c", [1, 1, h2, w2])),
                    g.f(128.0),
                )
            )
        elif kind == "studio.blur":
            y = _blur_planes(g, y, part[1], 1)
            c = _blur_planes(g, c, part[2], 2)
        elif kind == "studio.lut":
            rgb = _lut(g, _to_rgb(g, y, c), part[1], p, height, width)
            y, c = _to_i420_planes(g, rgb)
        else:
            raise ValueError(f"{kind} cannot be fused")
    flat = g.op(
        "Concat",
        g.op("Reshape", y, g.const(np.array([height, width], np.int64))),
        g.op("Reshape", c, g.const(np.array([h2, width], np.int64))),
        axis=0,
    )
    out = g.op("Cast", g.round8(flat), to=TensorProto.UINT8)
    graph = helper.make_graph(
        g.nodes,
        "fused_look",
        g.inputs,
        [helper.make_tensor_value_info(out, TensorProto.UINT8, [height * 3 // 2, width])],
        g.inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 20)], producer_name="creator-studio"
    )
    model.ir_version = 10
    return model.SerializeToString()


def _expand_1d(table: np.ndarray) -> np.ndarray:
    n = table.shape[0]
    b, g, r = np.meshgrid(np.arange(n), np.arange(n), np.arange(n), indexing="ij")
    return np.stack([table[r, 0], table[g, 1], table[b, 2]], -1).astype(np.float32)


def feeds(
    parts: Sequence[tuple[Any, ...]], values: Sequence[dict[str, Any]], width: int, height: int
) -> dict[str, np.ndarray]:
    """The parameter inputs for one frame."""
    from studio.effects.builtins.color import chroma_shift, luma_affine
    from studio.effects.builtins.vignette import vignette_mask

    out: dict[str, np.ndarray] = {}
    for i, (part, v) in enumerate(zip(parts, values, strict=True)):
        p = f"s{i}_"
        if part[0] == "studio.color":
            a, b = luma_affine(v["exposure"], v["brightness"], v["contrast"])
            du, dv = chroma_shift(v["temperature"], v["tint"])
            s = v["saturation"]
            out[p + "ya"] = np.array([a], np.float32)
            out[p + "yb"] = np.array([b], np.float32)
            out[p + "cs"] = np.array([s], np.float32)
            out[p + "cb"] = np.array([128 * (1 - s) + du, 128 * (1 - s) + dv], np.float32).reshape(1, 2, 1, 1)
        elif part[0] == "studio.lut":
            out[p + "intensity"] = np.array([v["intensity"]], np.float32)
        elif part[0] == "studio.vignette":
            cx, cy = (round(c, 4) for c in v["center"])
            args = (round(v["amount"], 4), round(v["size"], 4), round(v["softness"], 4), cx, cy)
            out[p + "gain"] = _gain(width, height, args, vignette_mask)
            out[p + "gain_c"] = _gain(width // 2, height // 2, args, vignette_mask)
    return out


@functools.lru_cache(maxsize=8)
def _gain(width: int, height: int, args: tuple[float, ...], fn: Callable[..., np.ndarray]) -> np.ndarray:
    return (fn(width, height, *args).astype(np.float32) / 255.0)[None, None]


class FusedLook:
    """A compiled run of fusable filters for one frame size."""

    def __init__(self, parts: tuple[tuple[Any, ...], ...], width: int, height: int) -> None:
        from studio.effects.onnx import Runner

        self.parts, self.width, self.height = parts, width, height
        self.runner = Runner(build_graph(parts, width, height))

    def run(self, i420: np.ndarray, values: Sequence[dict[str, Any]]) -> np.ndarray:
        """The run applied to a working-space I420 buffer; a new I420 buffer."""
        return self.runner.run(i420, **feeds(self.parts, values, self.width, self.height))


_looks: dict[tuple[Any, ...], FusedLook | None] = {}
_choices: dict[tuple[Any, ...], str] = {}
_lock = threading.Lock()


def fused_look(parts: tuple[tuple[Any, ...], ...], width: int, height: int) -> FusedLook | None:
    """The cached compiled look, or None when it cannot be built here (logged once)."""
    key = (parts, width, height)
    with _lock:
        if key not in _looks:
            try:
                _looks[key] = FusedLook(parts, width, height)
            except Exception as exc:
                log.info("fused ONNX path unavailable for %s: %s", [p[0] for p in parts], exc)
                _looks[key] = None
        return _looks[key]


def choose(key: tuple[Any, ...], opencv: Callable[[], Any], onnx: Callable[[], Any], rounds: int = 3) -> str:
    """'onnx' or 'opencv': whichever ran faster (best of ``rounds``) for this key; remembered.

    The ONNX path stops early when its first run is already twice as slow, so the one-off
    cost of deciding stays small on a CPU, where it usually loses.
    """
    with _lock:
        if key in _choices:
            return _choices[key]
    timings = {"opencv": float("inf"), "onnx": float("inf")}
    for _ in range(rounds):
        started = time.perf_counter()
        opencv()
        timings["opencv"] = min(timings["opencv"], time.perf_counter() - started)
    onnx()  # first run includes ORT's lazy initialisation
    for _ in range(rounds):
        started = time.perf_counter()
        onnx()
        timings["onnx"] = min(timings["onnx"], time.perf_counter() - started)
        if timings["onnx"] > 2 * timings["opencv"]:
            break
    winner = "onnx" if timings["onnx"] < timings["opencv"] else "opencv"
    log.info(
        "fused filters %s: opencv %.2f ms, onnx %.2f ms -> %s",
        [p[0] for p in key[0]],
        timings["opencv"] * 1e3,
        timings["onnx"] * 1e3,
        winner,
    )
    with _lock:
        _choices[key] = winner
    return winner
