"""One ONNX graph for a run of pure-maths built-ins (colour, LUT, vignette, blur).

On a GPU the whole run is one upload, one graph, one download; on a CPU the OpenCV path is
usually faster, so the chain measures both once per (filters, frame size) and keeps the winner
(:func:`choose`). The graph works on RGB floats:

* colour: RGB -> limited-range YCbCr (3x3 matrix), per-channel scale/shift (the same tables as
  the I420 path, which are affine), clip, back to RGB;
* LUT: 5-D ``GridSample`` (trilinear) on the (1, 3, N, N, N) table;
* vignette: multiply by the same gain mask as the I420 path;
* blur: edge padding, then a separable depthwise Gaussian ``Conv``.

Parameters are graph inputs, so keyframed values need no rebuild; only the structure (which
filters, the LUT file, the blur kernel size) is baked in.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from studio.effects.api import FilterContext

log = logging.getLogger(__name__)

FUSABLE = ("studio.color", "studio.lut", "studio.vignette", "studio.blur")

# BT.709 limited range, as studio.core.frame's I420 conversion.
_KR, _KB = 0.2126, 0.0722
_KG = 1 - _KR - _KB
RGB2YUV = np.array(
    [
        [_KR * 219 / 255, _KG * 219 / 255, _KB * 219 / 255],
        [-_KR / (2 * (1 - _KB)) * 224 / 255, -_KG / (2 * (1 - _KB)) * 224 / 255, 0.5 * 224 / 255],
        [0.5 * 224 / 255, -_KG / (2 * (1 - _KR)) * 224 / 255, -_KB / (2 * (1 - _KR)) * 224 / 255],
    ],
    np.float32,
)
YUV_OFFSET = np.array([16.0, 128.0, 128.0], np.float32)
YUV2RGB = np.linalg.inv(RGB2YUV).astype(np.float32)


def structure(filter_id: str, values: dict[str, Any], ctx: FilterContext) -> tuple[Any, ...]:
    """What of a filter's settings is baked into the graph."""
    if filter_id == "studio.lut":
        from studio.effects.builtins.lut import look_path

        return (filter_id, values["file"] or look_path(values["look"]))
    if filter_id == "studio.blur":
        return (filter_id, blur_kernel_size(values["radius"] * ctx.scale))
    return (filter_id,)


def blur_kernel_size(radius: float) -> int:
    return max(1, round(radius)) * 2 + 1


def gaussian(k: int) -> np.ndarray:
    sigma = max(0.3, (k - 1) / 4)
    x = np.arange(k, dtype=np.float64) - (k - 1) / 2
    g = np.exp(-(x**2) / (2 * sigma**2))
    return (g / g.sum()).astype(np.float32)


def build_graph(parts: Sequence[tuple[Any, ...]], width: int, height: int) -> bytes:
    """The serialized ONNX model for ``parts`` (from :func:`structure`), in order."""
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    inits: list[Any] = []
    inputs = [helper.make_tensor_value_info("image", TensorProto.UINT8, [1, height, width, 3])]

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(op: str, ins: list[str], out: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(op, ins, [out], **attrs))
        return out

    def param(name: str, shape: list[int]) -> str:
        inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
        return name

    x = node("Cast", ["image"], "x0", to=TensorProto.FLOAT)
    const("zero", np.float32(0.0))
    const("full", np.float32(255.0))
    for i, part in enumerate(parts):
        kind, p = part[0], f"s{i}_"
        if kind == "studio.color":
            m = node("MatMul", [x, const(p + "fwd", RGB2YUV.T.copy())], p + "m")
            yuv = node("Add", [m, const(p + "off", YUV_OFFSET)], p + "yuv")
            graded = node(
                "Add",
                [node("Mul", [yuv, param(p + "scale", [3])], p + "sc"), param(p + "shift", [3])],
                p + "g",
            )
            lo = const(p + "lo", np.array([16, 16, 16], np.float32))
            hi = const(p + "hi", np.array([235, 240, 240], np.float32))
            clipped = node("Min", [node("Max", [graded, lo], p + "mx"), hi], p + "cl")
            back = node("Sub", [clipped, p + "off"], p + "ub")
            x = node("MatMul", [back, const(p + "inv", YUV2RGB.T.copy())], p + "rgb")
        elif kind == "studio.lut":
            from studio.effects.cube import read_cube

            cube = read_cube(part[1])
            table = cube.table if cube.is_3d else _expand_1d(cube.table)
            lut = const(
                p + "table", np.ascontiguousarray(table.transpose(3, 0, 1, 2)[None]).astype(np.float32)
            )
            safe = node("Min", [node("Max", [x, "zero"], p + "a"), "full"], p + "b")
            grid = node(
                "Sub",
                [
                    node("Mul", [safe, const(p + "k", np.float32(2 / 255))], p + "c"),
                    const(p + "one", np.float32(1.0)),
                ],
                p + "d",
            )
            grid5 = node(
                "Reshape", [grid, const(p + "gs", np.array([1, 1, height, width, 3], np.int64))], p + "e"
            )
            sampled = node(
                "GridSample", [lut, grid5], p + "f", align_corners=1, mode="linear", padding_mode="border"
            )
            nhwc = node(
                "Transpose",
                [
                    node(
                        "Reshape",
                        [sampled, const(p + "os", np.array([1, 3, height, width], np.int64))],
                        p + "h",
                    )
                ],
                p + "i",
                perm=[0, 2, 3, 1],
            )
            looked = node("Mul", [nhwc, const(p + "255", np.float32(255.0))], p + "j")
            delta = node("Mul", [node("Sub", [looked, safe], p + "l"), param(p + "intensity", [1])], p + "m")
            x = node("Add", [safe, delta], p + "out")
        elif kind == "studio.vignette":
            x = node("Mul", [x, param(p + "gain", [1, height, width, 1])], p + "out")
        elif kind == "studio.blur":
            k = part[1]
            g = gaussian(k)
            nchw = node("Transpose", [x], p + "t", perm=[0, 3, 1, 2])
            wh = const(p + "wh", np.tile(g.reshape(1, 1, 1, k), (3, 1, 1, 1)))
            wv = const(p + "wv", np.tile(g.reshape(1, 1, k, 1), (3, 1, 1, 1)))
            pad = k // 2
            pads = const(p + "pads", np.array([0, 0, pad, pad, 0, 0, pad, pad], np.int64))
            padded = node("Pad", [nchw, pads], p + "pad", mode="edge")
            h1 = node("Conv", [padded, wh], p + "h1", group=3)
            v1 = node("Conv", [h1, wv], p + "v1", group=3)
            x = node("Transpose", [v1], p + "out", perm=[0, 2, 3, 1])
        else:
            raise ValueError(f"{kind} cannot be fused")
    out = node(
        "Cast",
        [node("Round", [node("Min", [node("Max", [x, "zero"], "fa"), "full"], "fb")], "fc")],
        "result",
        to=TensorProto.UINT8,
    )
    graph = helper.make_graph(
        nodes,
        "fused_look",
        inputs,
        [helper.make_tensor_value_info(out, TensorProto.UINT8, [1, height, width, 3])],
        inits,
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
            out[p + "scale"] = np.array([a, s, s], np.float32)
            out[p + "shift"] = np.array([b, 128 * (1 - s) + du, 128 * (1 - s) + dv], np.float32)
        elif part[0] == "studio.lut":
            out[p + "intensity"] = np.array([v["intensity"]], np.float32)
        elif part[0] == "studio.vignette":
            cx, cy = (round(c, 4) for c in v["center"])
            args = (round(v["amount"], 4), round(v["size"], 4), round(v["softness"], 4), cx, cy)
            out[p + "gain"] = _gain(width, height, args, vignette_mask)
    return out


@functools.lru_cache(maxsize=8)
def _gain(width: int, height: int, args: tuple[float, ...], fn: Callable[..., np.ndarray]) -> np.ndarray:
    return (fn(width, height, *args).astype(np.float32) / 255.0)[None, :, :, None]


class FusedLook:
    """A compiled run of fusable filters for one frame size."""

    def __init__(self, parts: tuple[tuple[Any, ...], ...], width: int, height: int) -> None:
        from studio.effects.onnx import Runner

        self.parts, self.width, self.height = parts, width, height
        self.runner = Runner(build_graph(parts, width, height))

    def run(self, rgb: np.ndarray, values: Sequence[dict[str, Any]]) -> np.ndarray:
        return self.runner.run(rgb[None], **feeds(self.parts, values, self.width, self.height))[0]


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
