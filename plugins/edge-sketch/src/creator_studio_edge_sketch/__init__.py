"""Edge sketch: a pencil-drawing look computed by a small ONNX graph.

The graph (grey -> Sobel edges -> ink on paper) is built with ``onnx.helper`` when the filter
opens, so the package ships no binary model. It runs through the host's ONNX Runtime wrapper
(:class:`studio.effects.onnx.Runner`), which picks the best working provider and uses I/O
binding.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from studio.effects.api import BoolParam, Filter, FilterContext, FloatParam


def build_model() -> bytes:
    """uint8 NHWC RGB (1, H, W, 3) + strength (1,) -> uint8 NHWC sketch."""
    from onnx import TensorProto, helper, numpy_helper

    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32)
    kernels = np.stack([sobel_x, sobel_x.T])[:, None]  # (2, 1, 3, 3)
    inits = [
        numpy_helper.from_array(np.array([0.299, 0.587, 0.114], np.float32).reshape(1, 1, 1, 3), "to_grey"),
        numpy_helper.from_array(kernels, "sobel"),
        numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads"),
        numpy_helper.from_array(np.array(255.0, np.float32), "white"),
        numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
    ]
    n = helper.make_node
    nodes = [
        n("Cast", ["image"], ["f"], to=TensorProto.FLOAT),
        n("Mul", ["f", "to_grey"], ["weighted"]),
        n("ReduceSum", ["weighted", "axis3"], ["grey"], keepdims=1),
        n("Transpose", ["grey"], ["grey_nchw"], perm=[0, 3, 1, 2]),
        n("Pad", ["grey_nchw", "pads"], ["padded"], mode="edge"),
        n("Conv", ["padded", "sobel"], ["grad"]),
        n("Mul", ["grad", "grad"], ["sq"]),
        n("ReduceSum", ["sq", "axis1"], ["mag2"], keepdims=1),
        n("Sqrt", ["mag2"], ["mag"]),
        n("Mul", ["mag", "strength"], ["ink"]),
        n("Sub", ["white", "ink"], ["paper"]),
        n("Clip", ["paper", "zero", "white"], ["clipped"]),
        n("Round", ["clipped"], ["rounded"]),
        n("Transpose", ["rounded"], ["nhwc"], perm=[0, 2, 3, 1]),
        n("Expand", ["nhwc", "rgb_shape"], ["rgb"]),
        n("Cast", ["rgb"], ["sketch"], to=TensorProto.UINT8),
    ]
    inits += [
        numpy_helper.from_array(np.array([3], np.int64), "axis3"),
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
        numpy_helper.from_array(np.array([1, 1, 1, 3], np.int64), "rgb_shape"),
    ]
    inputs = [
        helper.make_tensor_value_info("image", TensorProto.UINT8, [1, "h", "w", 3]),
        helper.make_tensor_value_info("strength", TensorProto.FLOAT, [1]),
    ]
    outputs = [helper.make_tensor_value_info("sketch", TensorProto.UINT8, [1, "h", "w", 3])]
    graph = helper.make_graph(nodes, "edge_sketch", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="edge-sketch")
    model.ir_version = 8
    return model.SerializeToString()


class EdgeSketchFilter(Filter):
    id = "org.creatorstudio.examples.edge-sketch"
    name = "Edge sketch"
    description = "Turns the picture into dark pencil lines on white paper (an ONNX graph)."
    category = "Look"
    params = (
        FloatParam(
            "strength", default=1.0, minimum=0.0, maximum=4.0, display_max=2.0, help="How dark the lines are."
        ),
        BoolParam("invert", default=False, help="White lines on black."),
    )

    def open(self, ctx: FilterContext) -> None:
        from studio.effects.onnx import Runner

        super().open(ctx)
        self.runner = Runner(build_model())

    def is_identity(self, values: Mapping[str, Any]) -> bool:
        return values["strength"] <= 0.0 and not values["invert"]

    def process(self, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray:
        strength = np.array([values["strength"] * 0.5], np.float32)
        sketch = self.runner.run(image[None], strength=strength)[0]
        return 255 - sketch if values["invert"] else sketch
