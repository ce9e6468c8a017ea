"""A plugin that throws, is slow or returns the wrong shape never corrupts output or crashes."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from studio.effects.api import Filter, FilterError, FloatParam
from studio.effects.chain import build_chain
from studio.effects.registry import FOLDER, Registry, load_registry
from tests.effects.helpers import gradient, ref


class Brighten(Filter):
    id = "com.example.brighten"
    name = "Brighten"
    params = (FloatParam("amount", default=40.0, minimum=0, maximum=255),)

    def process(self, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray:
        return np.clip(image.astype(np.int16) + int(values["amount"]), 0, 255).astype(np.uint8)


class Throws(Filter):
    id = "com.example.throws"
    name = "Throws"

    def process(self, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray:
        raise RuntimeError("boom")


class Scribbles(Filter):
    """Tries to write into its input, then raises: the host's frame must stay intact."""

    id = "com.example.scribbles"

    def process(self, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray:
        image[:] = 0
        return image


class WrongShape(Filter):
    id = "com.example.wrong-shape"

    def process(self, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray:
        return image[::2, ::2].astype(np.float32)


class Slow(Filter):
    id = "com.example.slow"
    finished = threading.Event()

    def process(self, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray:
        time.sleep(1.0)
        Slow.finished.set()
        return image.copy()


def registry_with(*classes: type[Filter]) -> Registry:
    registry = load_registry(entry_points=False)
    for cls in classes:
        registry.register(cls, FOLDER, "test")
    return registry


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (Throws, "raised RuntimeError: boom"),
        (Scribbles, "raised ValueError"),
        (WrongShape, "returned (56, 32, 3) float32"),
    ],
)
def test_preview_goes_on_without_a_failing_plugin(bad: type[Filter], reason: str) -> None:
    registry = registry_with(bad, Brighten)
    frame = gradient()
    before = frame.as_rgb().copy()
    chain = build_chain([ref(bad.id), ref(Brighten.id)], width=64, height=112, fps=30, registry=registry)
    out = chain.process(frame, 0.0).as_rgb()
    assert np.array_equal(frame.as_rgb(), before), "the input frame was modified"
    assert np.array_equal(out, np.clip(before.astype(int) + 40, 0, 255)), (
        "the good filter did not run on clean input"
    )
    assert len(chain.problems) == 1 and reason in chain.problems[0]
    status = registry.status(bad.id)
    assert status is not None and not status.enabled and reason in status.error
    # Later frames skip it without another failure.
    chain.process(frame, 1 / 30)
    assert len(chain.problems) == 1
    chain.close()


def test_export_raises_filter_error_naming_the_plugin() -> None:
    registry = registry_with(Throws)
    chain = build_chain([ref(Throws.id)], width=64, height=112, fps=30, mode="export", registry=registry)
    with pytest.raises(FilterError) as info:
        chain.process(gradient(), 0.0)
    assert info.value.filter_id == Throws.id
    assert "boom" in str(info.value)


def test_a_slow_plugin_is_cut_off_at_its_time_budget() -> None:
    registry = registry_with(Slow)
    frame = gradient()
    chain = build_chain([ref(Slow.id)], width=64, height=112, fps=30, registry=registry, time_budget=0.05)
    Slow.finished.clear()
    out = chain.process(frame, 0.0)
    assert not Slow.finished.is_set()  # the chain answered without waiting for the plugin
    assert np.array_equal(out.as_rgb(), frame.as_rgb())
    assert "time budget" in chain.problems[0]
    assert not registry.status(Slow.id).enabled  # type: ignore[union-attr]
    with pytest.raises(FilterError, match="time budget"):
        registry.enable(Slow.id)
        export = build_chain(
            [ref(Slow.id)], width=64, height=112, fps=30, mode="export", registry=registry, time_budget=0.05
        )
        export.process(frame, 0.0)


def test_unknown_filter_is_skipped_in_preview_and_an_error_in_export() -> None:
    registry = registry_with()
    chain = build_chain([ref("com.example.missing")], width=64, height=112, fps=30, registry=registry)
    assert chain.is_empty and "not installed" in chain.problems[0]
    with pytest.raises(FilterError, match=r"com\.example\.missing"):
        build_chain(
            [ref("com.example.missing")], width=64, height=112, fps=30, mode="export", registry=registry
        )


PLUGIN_V1 = """
from studio.effects.api import Filter, FloatParam

class Fade(Filter):
    id = "com.example.fade"
    version = 1
    params = (FloatParam("strength", default=0.0, minimum=0, maximum=100),)

    def process(self, image, t, values):
        return (image * (1 - values["strength"] / 100)).astype("uint8")
"""

PLUGIN_V2 = """
from studio.effects.api import Filter, FloatParam

class Fade(Filter):
    id = "com.example.fade"
    version = 2
    params = (FloatParam("amount", default=0.0, minimum=0, maximum=1),)

    @classmethod
    def migrate(cls, params, from_version):
        if from_version < 2 and "strength" in params:
            params = dict(params)
            params["amount"] = params.pop("strength") / 100
        return params

    def process(self, image, t, values):
        return (image * (1 - values["amount"])).astype("uint8")
"""


def test_project_saved_with_version_1_still_renders_after_the_plugin_moves_to_version_2(
    tmp_path: Path,
) -> None:
    from studio.core.project import FilterRef

    saved = FilterRef.from_dict(
        {"id": "com.example.fade", "params": {"strength": 50}, "version": 1}, "clip.filters[0]"
    )
    frame = gradient()
    outputs = []
    for n, source in enumerate((PLUGIN_V1, PLUGIN_V2)):
        folder = tmp_path / f"plugins{n}"
        folder.mkdir()
        (folder / f"fade_v{n + 1}.py").write_text(source)
        registry = load_registry(plugins_dir=folder, entry_points=False)
        assert registry.status("com.example.fade").version == n + 1  # type: ignore[union-attr]
        chain = build_chain([saved], width=64, height=112, fps=30, mode="export", registry=registry)
        outputs.append(chain.process(frame, 0.0).as_rgb())
    assert np.array_equal(outputs[0], outputs[1])
    assert outputs[0].mean() < frame.as_rgb().mean() * 0.6


def test_folder_plugins_that_fail_to_import_are_listed_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("raise ImportError('needs torch')\n")
    (tmp_path / "good.py").write_text(PLUGIN_V1)
    registry = load_registry(plugins_dir=tmp_path, entry_points=False)
    broken = registry.status("broken.py")
    assert broken is not None and not broken.enabled and "needs torch" in broken.error
    assert registry.get("com.example.fade") is not None


def test_safe_mode_loads_no_third_party_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from studio import config
    from studio.effects.registry import default_registry

    plugins = config.app_paths().plugins
    plugins.mkdir(parents=True)
    (plugins / "fade.py").write_text(PLUGIN_V1)
    assert default_registry(refresh=True).get("com.example.fade") is not None
    monkeypatch.setenv("CREATOR_STUDIO_SAFE_MODE", "1")
    safe = default_registry(refresh=True)
    assert safe.get("com.example.fade") is None
    assert safe.get("studio.color") is not None
    default_registry(refresh=True)


def test_keyframed_values_reach_the_filter_resolved_for_t() -> None:
    from studio.core.project import FilterRef

    fref = FilterRef.from_dict(
        {"id": "studio.color", "params": {"exposure": 0.0},
         "keyframes": {"exposure": [{"t": 0.0, "value": 0.0}, {"t": 1.0, "value": 2.0}]}},
        "f",
    )  # fmt: skip
    frame = gradient()
    chain = build_chain([fref], width=64, height=112, fps=30)
    assert chain.process(frame, 0.0) is frame
    assert chain.process(frame, 1.0).as_rgb().mean() > frame.as_rgb().mean() + 30
