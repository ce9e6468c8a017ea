"""The Effects panel and the generated parameter editors, driven as a creator would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QSlider
from pytestqt.qtbot import QtBot

from studio.core.edits import History
from studio.core.project import Project, Track, VideoClip
from studio.effects.api import (
    BoolParam,
    ChoiceParam,
    ColorParam,
    FileParam,
    FloatParam,
    IntParam,
    PointParam,
)
from studio.effects.registry import FOLDER, Registry, load_registry
from studio.ui.editor.effects.panel import EffectsPanel
from studio.ui.editor.effects.thumbnails import sample_image
from studio.ui.param_widgets import (
    BoolEditor,
    ChoiceEditor,
    ColorEditor,
    FileEditor,
    NumberEditor,
    ParamsForm,
    PointEditor,
)

CLIP = "clip1"


def make_history() -> History:
    clip = VideoClip(CLIP, "/media/dance.mp4", 0.0, 4.0, 1.0)
    return History(Project(tracks=[Track("v1", "video", clips=[clip])]))


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry(entry_points=False)


@pytest.fixture
def panel(qtbot: QtBot, registry: Registry) -> Iterator[EffectsPanel]:
    widget = EffectsPanel(registry, make_history())
    qtbot.addWidget(widget)
    widget.resize(420, 900)
    widget.show()
    yield widget
    widget.detach()


def qimage_rgb(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def clip_filters(panel: EffectsPanel) -> list:
    return panel.history.project.clip(CLIP).filters


def chain_names(panel: EffectsPanel) -> list[str]:
    return [panel.chain.item(i).text() for i in range(panel.chain.count())]


def slider(panel: EffectsPanel, name: str) -> QSlider:
    assert panel.form is not None
    editor = panel.form.editor(name)
    assert isinstance(editor, NumberEditor) and editor.slider is not None
    return editor.slider


def drag_slider(qtbot: QtBot, s: QSlider, fractions: list[float]) -> None:
    """Press the handle, move through ``fractions`` of the groove, release: a real mouse drag."""
    from PySide6.QtWidgets import QStyle, QStyleOptionSlider

    opt = QStyleOptionSlider()
    s.initStyleOption(opt)
    handle = s.style().subControlRect(
        QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderHandle, s
    )
    groove = s.style().subControlRect(
        QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderGroove, s
    )
    y = handle.center().y()
    qtbot.mousePress(s, Qt.MouseButton.LeftButton, pos=handle.center())
    assert s.isSliderDown()
    span = groove.width() - handle.width()
    for frac in fractions:
        x = groove.left() + handle.width() // 2 + round(frac * span)
        qtbot.mouseMove(s, QPoint(x, y))
    qtbot.mouseRelease(s, Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    assert not s.isSliderDown()


def test_add_drag_reorder_disable_remove_and_undo_everything(qtbot: QtBot, panel: EffectsPanel) -> None:
    history = panel.history
    assert not panel.add_button.isEnabled()
    panel.set_clip(CLIP, 0.5)

    item = panel.browser_item("studio.color")
    assert item is not None and item.text() == "Colour"
    panel.browser.setCurrentItem(item)
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    filters = clip_filters(panel)
    assert [f.id for f in filters] == ["studio.color"]
    assert filters[0].params["saturation"] == 1.0
    assert chain_names(panel) == ["Colour"]
    steps_after_add = len(history.labels)

    # a drag of the saturation slider: several values while held, then release -> one step
    s = slider(panel, "saturation")
    seen: list[float] = []
    stop = history.add_listener(lambda kind, edit: seen.append(clip_filters(panel)[0].params["saturation"]))
    drag_slider(qtbot, s, [0.55, 0.6, 0.7, 0.8, 0.9])
    stop()
    saturation = clip_filters(panel)[0].params["saturation"]
    assert saturation == pytest.approx(1.8, abs=0.05)
    assert len(set(seen)) >= 3, seen  # the picture followed the drag
    assert len(history.labels) == steps_after_add + 1
    assert history.undo_label == "Change saturation"
    spin = panel.form.editor("saturation").spin  # type: ignore[union-attr]
    assert spin.value() == pytest.approx(saturation)

    # a second drag of the same slider is a step of its own
    drag_slider(qtbot, s, [0.85, 0.5, 0.25])
    assert clip_filters(panel)[0].params["saturation"] == pytest.approx(0.5, abs=0.05)
    assert len(history.labels) == steps_after_add + 2
    history.undo()
    assert clip_filters(panel)[0].params["saturation"] == pytest.approx(saturation)
    assert spin.value() == pytest.approx(saturation)
    history.undo()
    assert clip_filters(panel)[0].params["saturation"] == 1.0
    assert s.value() == s.maximum() // 2  # the slider shows the restored value
    history.redo()
    assert clip_filters(panel)[0].params["saturation"] == pytest.approx(saturation)

    # a second filter, reorder with the buttons and by a drop in the list
    assert panel.add_filter("studio.vignette") is not None
    assert [f.id for f in clip_filters(panel)] == ["studio.color", "studio.vignette"]
    assert panel.chain.currentItem().text() == "Vignette"
    qtbot.mouseClick(panel.up_button, Qt.MouseButton.LeftButton)
    assert [f.id for f in clip_filters(panel)] == ["studio.vignette", "studio.color"]
    assert chain_names(panel) == ["Vignette", "Colour"]
    assert history.undo_label == "Reorder filters"
    panel.chain.model().moveRow(panel.chain.rootIndex(), 1, panel.chain.rootIndex(), 0)
    panel.chain.dropped.emit()
    assert [f.id for f in clip_filters(panel)] == ["studio.color", "studio.vignette"]

    # turn the colour filter off with its check box
    colour_item = panel.chain.item(0)
    colour_item.setCheckState(Qt.CheckState.Unchecked)
    assert clip_filters(panel)[0].enabled is False
    assert history.undo_label == "Turn filter off"

    # remove the vignette
    panel.chain.setCurrentRow(1)
    qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    assert [f.id for f in clip_filters(panel)] == ["studio.color"]
    assert chain_names(panel) == ["Colour"]

    # undo every step: back to a clip without filters, the panel following along
    while history.can_undo:
        history.undo()
        assert [panel.chain.item(i).data(Qt.ItemDataRole.UserRole) for i in range(panel.chain.count())] == [
            f.uid for f in clip_filters(panel)
        ]
    assert clip_filters(panel) == []
    assert panel.chain.count() == 0
    assert "No filters" in panel.clip_label.text()


def test_keyframe_toggle_adds_and_removes_a_keyframe_and_values_follow_time(
    qtbot: QtBot, panel: EffectsPanel
) -> None:
    panel.set_selection(["nope", CLIP], 1.0)  # what the timeline reports; the clip starts at 1 s
    assert panel.clip_id == CLIP and panel.local_time == 0.0
    uid = panel.add_filter("studio.color")
    assert uid is not None and panel.form is not None
    key = panel.form.key_buttons["exposure"]
    assert "brightness" in panel.form.key_buttons and "saturation" in panel.form.key_buttons

    qtbot.mouseClick(key, Qt.MouseButton.LeftButton)
    ref = clip_filters(panel)[0]
    assert [(k.t, k.value) for k in ref.keyframes["exposure"]] == [(0.0, 0.0)]
    assert key.isChecked()
    assert panel.history.undo_label == "Set keyframe"

    # at 2 s the toggle is off; moving the slider there adds a second keyframe (auto-key)
    panel.set_playhead(3.0)  # timeline seconds; the clip starts at 1 s
    assert panel.local_time == pytest.approx(2.0)
    assert not key.isChecked()
    spin = panel.form.editor("exposure").spin  # type: ignore[union-attr]
    steps = len(panel.history.labels)
    spin.setValue(0.7)
    spin.setValue(1.0)
    spin.editingFinished.emit()
    assert len(panel.history.labels) == steps + 1  # one step for the whole change
    ref = clip_filters(panel)[0]
    assert [(k.t, k.value) for k in ref.keyframes["exposure"]] == [(0.0, 0.0), (2.0, 1.0)]
    assert ref.params["exposure"] == 0.0
    assert key.isChecked()

    panel.set_local_time(1.0)
    assert spin.value() == pytest.approx(0.5)  # shown value is the keyframed one at 1 s
    assert not key.isChecked()

    panel.set_local_time(2.0)
    qtbot.mouseClick(key, Qt.MouseButton.LeftButton)
    assert [k.t for k in clip_filters(panel)[0].keyframes["exposure"]] == [0.0]
    assert not key.isChecked()


def test_editors_are_generated_for_every_filter_parameter(
    qtbot: QtBot, panel: EffectsPanel, registry: Registry
) -> None:
    classes = registry.classes()
    assert len(classes) >= 10
    kinds = {
        "float": NumberEditor,
        "int": NumberEditor,
        "bool": BoolEditor,
        "choice": ChoiceEditor,
        "color": ColorEditor,
        "file": FileEditor,
        "point": PointEditor,
    }
    panel.set_clip(CLIP, 0.0)
    for cls in classes:
        uid = panel.add_filter(cls.id)
        assert uid is not None, cls.id
        form = panel.form
        assert form is not None
        assert set(form.editors) == {p.name for p in cls.params}
        for p in cls.params:
            editor = form.editor(p.name)
            assert isinstance(editor, kinds[p.kind]), (cls.id, p.name)
            assert editor.value() == p.validate(p.default_value)
            assert p.help and p.help in editor.toolTip()
        assert cls.name in panel.filter_title.text()
    assert len(clip_filters(panel)) == len(classes)


def test_a_plain_param_list_builds_every_widget_kind_with_range_and_default(qtbot: QtBot) -> None:
    params = [
        FloatParam("gain", default=0.25, minimum=-1, maximum=1, step=0.05, unit="dB", help="Loudness."),
        IntParam("count", default=3, minimum=1, maximum=9, help="How many."),
        BoolParam("loop", default=True, help="Repeat."),
        ChoiceParam("mode", default="b", choices=("a", "b", "c"), help="Which."),
        ColorParam("tint", default="#112233", help="Colour."),
        FileParam("lut", extensions=(".cube",), help="A LUT."),
        PointParam("centre", default=(0.25, 0.75), help="Where."),
    ]
    form = ParamsForm(params)
    qtbot.addWidget(form)
    emitted: list[tuple[str, object, bool]] = []
    form.valueChanged.connect(lambda n, v, f: emitted.append((n, v, f)))
    assert form.values() == {
        "gain": 0.25, "count": 3, "loop": True, "mode": "b",
        "tint": "#112233", "lut": "", "centre": (0.25, 0.75),
    }  # fmt: skip
    gain = form.editor("gain")
    assert isinstance(gain, NumberEditor) and gain.slider is not None
    assert gain.spin.minimum() == -1 and gain.spin.maximum() == 1 and gain.spin.suffix() == " dB"
    assert gain.slider.maximum() == 40  # 2 / 0.05 steps
    assert "Range: -1 .. 1 dB" in gain.toolTip() and "Default: 0.25" in gain.toolTip()
    assert set(form.key_buttons) == {"gain"}  # numbers that animate

    form.editor("loop").check.click()  # type: ignore[attr-defined]
    form.editor("mode").combo.setCurrentIndex(2)  # type: ignore[attr-defined]
    form.editor("tint").pick("#AABBCC")  # type: ignore[attr-defined]
    form.editor("lut").pick("/looks/film.png")  # type: ignore[attr-defined]  # wrong type: refused
    assert "needs a .cube file" in form.editor("lut").toolTip()
    assert form.editor("lut").text.text() == ""  # type: ignore[attr-defined]
    form.editor("lut").pick("/looks/film.cube")  # type: ignore[attr-defined]
    assert emitted == [
        ("loop", False, True),
        ("mode", "c", True),
        ("tint", "#aabbcc", True),
        ("lut", "/looks/film.cube", True),
    ]
    assert form.editor("lut").value() == "/looks/film.cube"
    emitted.clear()
    centre = form.editor("centre")
    assert isinstance(centre, PointEditor)
    centre.x.setValue(0.5)
    centre.x.editingFinished.emit()
    assert emitted == [("centre", [0.5, 0.75], False), ("centre", [0.5, 0.75], True)]

    form.set_values({"gain": 5.0, "mode": "zzz"})  # out of range / unknown: clamped / default
    assert form.values()["gain"] == 1.0 and form.values()["mode"] == "b"


def test_thumbnails_show_each_filter_on_the_sample_then_on_the_current_frame(
    qtbot: QtBot, panel: EffectsPanel
) -> None:
    qtbot.waitUntil(lambda: panel.thumbnails_ready, timeout=20000)
    sample = sample_image()
    assert set(panel.thumbnails) >= {"studio.color", "studio.blur", "studio.vignette", "studio.lut"}
    assert "sample" in panel.thumb_source.text()

    def pixels(fid: str) -> np.ndarray:
        image = panel.thumbnails[fid].convertToFormat(panel.thumbnails[fid].Format.Format_RGB888)
        ptr = image.constBits()
        return np.frombuffer(ptr, np.uint8).reshape(image.height(), image.bytesPerLine())[
            :, : image.width() * 3
        ]

    for fid in ("studio.color", "studio.blur", "studio.vignette", "studio.lut"):
        assert not np.array_equal(pixels(fid).reshape(sample.shape), sample), fid
    assert not panel.browser_item("studio.blur").icon().isNull()  # type: ignore[union-attr]

    red = np.zeros((256, 144, 3), np.uint8)
    red[..., 0] = 200
    panel.set_frame(red)
    qtbot.waitUntil(
        lambda: panel.thumbnails_ready and "current frame" in panel.thumb_source.text(), timeout=20000
    )
    blurred = pixels("studio.blur").reshape(128, 72, 3)
    assert abs(int(blurred[64, 36, 0]) - 200) <= 3 and blurred[64, 36, 1] <= 3


def test_thumbnails_follow_the_selected_clip_frame_at_the_playhead(
    qtbot: QtBot, registry: Registry, ui_media: dict[str, Path]
) -> None:
    from studio.media.thumbnails import thumbnail
    from studio.ui.editor.effects.thumbnails import fit_thumbnail

    clip = VideoClip(CLIP, str(ui_media["clip"]), 0.0, 2.0, 1.0)
    widget = EffectsPanel(registry, History(Project(tracks=[Track("v1", "video", clips=[clip])])))
    qtbot.addWidget(widget)
    try:
        widget.set_selection([CLIP], 2.5)  # 1.5 s into the clip
        qtbot.waitUntil(
            lambda: widget.thumbnails_ready and "current frame" in widget.thumb_source.text(), timeout=20000
        )
        frame = fit_thumbnail(thumbnail(ui_media["clip"], 1.5, max_size=(144, 256)))
        blurred = qimage_rgb(widget.thumbnails["studio.blur"])
        assert blurred.shape == frame.shape
        assert np.abs(blurred.astype(float).mean((0, 1)) - frame.astype(float).mean((0, 1))).max() < 6
        sample = sample_image().astype(float).mean((0, 1))
        assert np.abs(blurred.astype(float).mean((0, 1)) - sample).max() > 10
    finally:
        widget.detach()


def test_a_failing_plugin_is_shown_as_disabled_with_its_reason(qtbot: QtBot) -> None:
    from studio.effects.api import Filter
    from studio.effects.chain import build_chain
    from tests.effects.helpers import gradient

    class Boom(Filter):
        id = "com.example.boom"
        name = "Boom"

        def process(self, image: np.ndarray, t: float, values: dict) -> np.ndarray:
            raise RuntimeError("kaboom")

    registry = load_registry(entry_points=False)
    registry.register(Boom, FOLDER, "boom.py")
    widget = EffectsPanel(registry, make_history())
    qtbot.addWidget(widget)
    try:
        qtbot.waitUntil(lambda: widget.thumbnails_ready, timeout=20000)
        assert "com.example.boom" not in widget.thumbnails and "studio.color" in widget.thumbnails
        assert registry.get("com.example.boom") is not None  # a failed thumbnail disables nothing
        widget.set_clip(CLIP, 0.0)
        assert widget.add_filter("com.example.boom") is not None
        assert "⚠" not in widget.chain.item(0).text()
        with build_chain(clip_filters(widget), width=64, height=112, fps=30, registry=registry) as chain:
            chain.process(gradient(), 0.0)
        widget._poll_registry()
        text = widget.chain.item(0).text()
        assert "Boom" in text and "kaboom" in text and "Disabled" in text
        assert "kaboom" in widget.problem_label.text() and not widget.problem_label.isHidden()
        assert widget.browser_item("com.example.boom") is None  # no longer offered

        colour = widget.add_filter("studio.color")
        widget.set_problems(["Colour (studio.color) has an unusable setting: 'Saturation' needs a number"])
        assert "unusable setting" in widget.chain.item(1).text()
        assert widget.chain.item(1).data(Qt.ItemDataRole.UserRole) == colour
    finally:
        widget.detach()
