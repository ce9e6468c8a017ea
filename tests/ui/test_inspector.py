"""The inspector: widgets generated from descriptions, every change an undoable core edit."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.core.edits import History
from studio.core.project import FilterRef, Project, TextItem, Track, VideoClip
from studio.effects.api import FloatParam
from studio.ui.editor.inspector import FIELDS, Inspector
from studio.ui.editor.timeline import TimelineModel


def make(qtbot: QtBot, project: Project, element_id: str) -> Inspector:
    inspector = Inspector(TimelineModel(History(project)))
    qtbot.addWidget(inspector)
    inspector.show()
    inspector.show_element(element_id)
    return inspector


def clip_project(source: str) -> Project:
    clip = VideoClip(
        "c", source, 0.0, 2.0, 1.0, filters=[FilterRef("studio.color", {"saturation": 1.0}, uid="col")]
    )
    return Project(
        tracks=[Track("v", "video", clips=[clip]), Track("t", "text", items=[TextItem("x", "Hi", 0.0, 1.0)])]
    )


def test_fields_come_from_the_core_model() -> None:
    opacity = next(p for p in FIELDS[VideoClip] if p.name == "opacity")
    assert isinstance(opacity, FloatParam) and opacity.default == 1.0 and opacity.animates
    assert next(p for p in FIELDS[VideoClip] if p.name == "fit").choices == ("fit", "fill", "crop")
    assert not next(p for p in FIELDS[VideoClip] if p.name == "speed").animates


def test_a_slider_drag_is_one_undo_step(qtbot: QtBot, ui_media: dict[str, Path]) -> None:
    project = clip_project(str(ui_media["clip"]))
    inspector = make(qtbot, project, "c")
    history = inspector.model.history
    editor = inspector.fields_form.editor("opacity")
    slider = editor.slider
    slider.setSliderDown(True)
    for fraction in (0.9, 0.7, 0.5):
        slider.setSliderPosition(round(slider.maximum() * fraction))
    slider.setSliderDown(False)
    assert project.clip("c").opacity == pytest.approx(0.5, abs=0.01)
    assert history.labels == ["Change opacity"]
    history.undo()
    assert project.clip("c").opacity == 1.0
    assert editor.value() == pytest.approx(1.0)  # the widget follows undo


def test_filter_params_keyframes_and_speed(qtbot: QtBot, ui_media: dict[str, Path]) -> None:
    project = clip_project(str(ui_media["clip"]))
    inspector = make(qtbot, project, "c")
    history = inspector.model.history
    form = inspector.filter_forms["col"]
    form.editor("saturation").spin.setValue(1.5)
    form.editor("saturation").spin.editingFinished.emit()
    assert project.clip("c").filters[0].params["saturation"] == pytest.approx(1.5)

    inspector.set_playhead(1.5)  # clip-local 0.5 s
    qtbot.mouseClick(inspector.fields_form.key_buttons["transform.scale"], Qt.MouseButton.LeftButton)
    keys = project.clip("c").keyframes["transform.scale"]
    assert [(k.t, k.value) for k in keys] == [(0.5, 1.0)]
    inspector.set_playhead(2.5)  # clip-local 1.5 s: a change here becomes a second keyframe
    spin = inspector.fields_form.editor("transform.scale").spin
    spin.setValue(2.0)
    spin.editingFinished.emit()
    keys = project.clip("c").keyframes["transform.scale"]
    assert [(k.t, k.value) for k in keys] == [(0.5, 1.0), (1.5, 2.0)]

    speed = inspector.fields_form.editor("speed").spin
    speed.setValue(2.0)
    speed.editingFinished.emit()
    assert project.clip("c").duration == pytest.approx(1.0)
    assert project.clip("c").keyframes["transform.scale"][1].t == pytest.approx(
        0.75
    )  # keys follow the content

    inspector.add_filter("studio.color")
    assert len(project.clip("c").filters) == 2 and len(inspector.filter_forms) == 2
    inspector.transition_form.editor("kind").set_value("crossfade")
    inspector.transition_form.editor("kind").edited.emit("crossfade", True)
    assert project.clip("c").transition_in is not None and project.clip("c").transition_in.kind == "crossfade"
    while history.can_undo:
        history.undo()
    assert project.to_dict() == clip_project(str(ui_media["clip"])).to_dict() | {
        "tracks": project.to_dict()["tracks"]
    }
    clip = project.clip("c")
    assert (
        clip.speed == 1.0 and clip.keyframes == {} and len(clip.filters) == 1 and clip.transition_in is None
    )
    assert clip.filters[0].params["saturation"] == 1.0


def test_text_fields_and_style_presets(qtbot: QtBot, ui_media: dict[str, Path]) -> None:
    project = clip_project(str(ui_media["clip"]))
    inspector = make(qtbot, project, "x")
    text = inspector.fields_form.editor("text").text
    text.setText("Hello there")
    text.editingFinished.emit()
    assert project.text_item("x").text == "Hello there"
    y = inspector.fields_form.editor("position.y").spin
    y.setValue(0.8)
    y.editingFinished.emit()
    assert project.text_item("x").position == (0.5, pytest.approx(0.8))
    assert inspector.apply_preset("Caption")
    assert project.text_item("x").style.background == "#00000099"
    assert inspector.model.history.labels[-1] == "Text style Caption"
