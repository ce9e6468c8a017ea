"""Tiny ONNX models the tests build themselves with onnx.helper."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save


def _save(graph: helper.GraphProto, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    save(model, str(path))
    return path


def red_subject_mask_model(path: Path, size: int = 32) -> Path:
    """NCHW RGB in 0..1 -> 1-channel mask: 1 where red beats green (the 'subject')."""
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, size, size])
    y = helper.make_tensor_value_info("mask", TensorProto.FLOAT, [1, 1, size, size])
    weights = numpy_helper.from_array(np.array([20.0, -20.0, 0.0], np.float32).reshape(1, 3, 1, 1), "w")
    nodes = [
        helper.make_node("Conv", ["input", "w"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["mask"]),
    ]
    return _save(helper.make_graph(nodes, "red_mask", [x], [y], [weights]), path)


def invert_model(path: Path, size: int = 32) -> Path:
    """NCHW RGB in 0..1 -> 1 - x: a 'look' model of kind image."""
    x = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, size, size])
    y = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, size, size])
    one = numpy_helper.from_array(np.array(1.0, np.float32), "one")
    return _save(
        helper.make_graph([helper.make_node("Sub", ["one", "input"], ["output"])], "invert", [x], [y], [one]),
        path,
    )
