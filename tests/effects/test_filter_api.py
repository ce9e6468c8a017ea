from __future__ import annotations

import math

import pytest

from studio.effects.api import (
    API_VERSION,
    BoolParam,
    ChoiceParam,
    ColorParam,
    FileParam,
    Filter,
    FloatParam,
    IntParam,
    ParamError,
    PointParam,
    check_filter_class,
    describe,
    describe_markdown,
)
from studio.effects.builtins import BUILTINS


def test_float_param_clamps_to_hard_limits_and_rejects_non_numbers() -> None:
    p = FloatParam("gain", default=1.0, minimum=0.0, maximum=2.0, display_max=1.5)
    assert p.validate(5) == 2.0
    assert p.validate(-1) == 0.0
    assert p.slider_range == (0.0, 1.5)
    for bad in ("loud", None, True, math.nan):
        with pytest.raises(ParamError, match="Gain"):
            p.validate(bad)


def test_other_param_kinds_validate() -> None:
    assert IntParam("n", minimum=1, maximum=9).validate(3.6) == 4
    assert BoolParam("on").validate(1) is True
    with pytest.raises(ParamError):
        BoolParam("on").validate("yes")
    assert ChoiceParam("mode", default="a", choices=("a", "b")).validate("b") == "b"
    with pytest.raises(ParamError, match="one of a, b"):
        ChoiceParam("mode", default="a", choices=("a", "b")).validate("c")
    assert ColorParam("c").validate("#A0B1C2") == "#a0b1c2"
    assert ColorParam("c").validate([255, 0, 16]) == "#ff0010"
    with pytest.raises(ParamError):
        ColorParam("c").validate("red")
    assert FileParam("f", extensions=(".cube",)).validate("x.CUBE") == "x.CUBE"
    with pytest.raises(ParamError, match=r"\.cube"):
        FileParam("f", extensions=(".cube",)).validate("x.png")
    assert PointParam("p").validate({"x": 0.2, "y": 0.3}) == (0.2, 0.3)


def test_params_are_frozen() -> None:
    p = FloatParam("a")
    with pytest.raises(AttributeError):
        p.default = 3.0  # type: ignore[misc]


def test_validate_fills_defaults_and_drops_unknown_names() -> None:
    class Look(Filter):
        id = "com.example.look"
        params = (FloatParam("amount", default=0.5, minimum=0, maximum=1),)

    assert Look.validate({"amount": 3, "bogus": 1}) == {"amount": 1.0}
    assert Look.validate({}) == {"amount": 0.5}


def test_bad_filter_classes_are_refused_with_a_reason() -> None:
    class NoDots(Filter):
        id = "nodots"

    class Future(Filter):
        id = "com.example.future"
        api_version = API_VERSION + 1

    with pytest.raises(ValueError, match="reverse-DNS"):
        check_filter_class(NoDots)
    with pytest.raises(ValueError, match="needs filter API"):
        check_filter_class(Future)
    with pytest.raises(ValueError, match=r"not a studio\.effects\.api\.Filter"):
        check_filter_class(object)


def test_every_builtin_is_valid_and_described() -> None:
    ids = set()
    for cls in BUILTINS:
        check_filter_class(cls)
        d = describe(cls)
        assert d["id"] == cls.id and d["params"], cls.id
        assert all(p["help"] for p in d["params"]), f"{cls.id} has a parameter without help"
        ids.add(cls.id)
    assert {"studio.color", "studio.lut", "studio.blur", "studio.vignette", "studio.grain"} <= ids


def test_markdown_reference_lists_every_parameter() -> None:
    text = describe_markdown(BUILTINS)
    for cls in BUILTINS:
        assert f"`{cls.id}`" in text
        for p in cls.params:
            assert f"`{p.name}`" in text
