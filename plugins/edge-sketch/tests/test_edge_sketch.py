from __future__ import annotations

import numpy as np
from creator_studio_edge_sketch import EdgeSketchFilter

from studio.effects.api import FilterContext


def test_flat_areas_are_paper_and_edges_are_ink() -> None:
    rgb = np.zeros((32, 48, 3), np.uint8)
    rgb[:, 24:] = 255
    f = EdgeSketchFilter()
    f.open(FilterContext(48, 32))
    out = f.process(rgb, 0.0, EdgeSketchFilter.validate({"strength": 1.0}))
    assert out.shape == rgb.shape and out.dtype == np.uint8
    assert (out[:, :20] == 255).all() and (out[:, 28:] == 255).all()
    assert out[:, 23:25].max() < 100
