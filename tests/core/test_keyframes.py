from __future__ import annotations

import pytest

from studio.core import FilterRef, Keyframe, ProjectError, VideoClip, evaluate

KEYS = [
    Keyframe(0.0, 0.0, "linear"),
    Keyframe(2.0, 10.0, "ease_in"),
    Keyframe(4.0, 20.0, "hold"),
    Keyframe(6.0, 0.0),
]


@pytest.mark.parametrize(
    ("t", "value"),
    [(-1.0, 0.0), (0.0, 0.0), (0.5, 2.5), (1.0, 5.0), (2.0, 10.0), (3.0, 12.5), (3.5, 15.625),
     (4.0, 20.0), (5.9, 20.0), (6.0, 0.0), (9.0, 0.0)],
)  # fmt: skip
def test_linear_ease_in_hold(t: float, value: float) -> None:
    assert evaluate(KEYS, t) == pytest.approx(value)


def test_ease_out_and_in_out() -> None:
    out = [Keyframe(0, 0, "ease_out"), Keyframe(1, 1)]
    both = [Keyframe(0, 0, "ease_in_out"), Keyframe(1, 1)]
    assert evaluate(out, 0.5) == pytest.approx(0.75)
    assert evaluate(both, 0.25) == pytest.approx(0.15625)
    assert evaluate(both, 0.5) == pytest.approx(0.5)
    assert evaluate(list(reversed(both)), 0.5) == pytest.approx(0.5)  # order does not matter


def test_default_when_no_keys() -> None:
    assert evaluate([], 3.0, default=7.0) == 7.0
    with pytest.raises(ProjectError):
        evaluate([], 3.0)


def test_clip_and_filter_values_at() -> None:
    f = FilterRef(
        "studio.color",
        {"saturation": 1.0, "mode": "x"},
        keyframes={"saturation": [Keyframe(0, 0), Keyframe(2, 2)]},
    )
    assert f.values_at(1.0) == {"saturation": 1.0, "mode": "x"}
    assert f.values_at(1.5)["saturation"] == pytest.approx(1.5)
    clip = VideoClip(
        "c",
        "/a.mp4",
        0,
        4,
        10,
        keyframes={"transform.scale": [Keyframe(0, 1), Keyframe(1, 2, "hold"), Keyframe(2, 3)]},
    )
    assert clip.value_at("transform.scale", 0.5) == pytest.approx(1.5)
    assert clip.value_at("transform.scale", 1.5) == 2.0
    assert clip.value_at("volume", 1.0) == 1.0
    with pytest.raises(ProjectError, match="not a keyframable"):
        clip.value_at("speed", 0)


def test_bad_interp_rejected() -> None:
    with pytest.raises(ProjectError, match="unknown keyframe interpolation 'bounce'"):
        Keyframe.from_dict({"t": 0, "value": 1, "interp": "bounce"})
