"""The Effects tab of the main window: filters go onto the selected clip, and undo takes them off."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from studio.core.edits import History
from studio.core.project import Canvas, Project, Track, VideoClip
from studio.ui.editor.window.main_window import MainWindow

pytestmark = pytest.mark.gui


def test_effects_tab_adds_a_filter_to_the_selected_clip(
    qtbot: QtBot, studio_window: MainWindow, ui_media: dict[str, Path]
) -> None:
    clip = VideoClip(id="clip1", source=str(ui_media["clip"]), in_point=0.0, out_point=1.0, start=0.0)
    project = Project(
        title="Effects", canvas=Canvas(width=180, height=320), tracks=[Track("v", "video", clips=[clip])]
    )
    studio_window.set_history(History(project), None)
    assert studio_window.effects is None  # nothing loaded until the tab is opened
    studio_window.timeline.view.select(["clip1"])
    studio_window.side_tabs.setCurrentIndex(1)
    panel = studio_window.effects
    assert panel is not None
    panel.add_filter("studio.color")
    assert [f.id for f in studio_window.project.clip("clip1").filters] == ["studio.color"]
    studio_window.undo()
    assert studio_window.project.clip("clip1").filters == []


def test_voiceover_action_opens_the_recorder_at_the_playhead(qtbot: QtBot, studio_window: MainWindow) -> None:
    from studio.ui.editor.voiceover_dialog import VoiceoverDialog

    studio_window.voiceover_action.trigger()
    dialogs = [w for w in studio_window.findChildren(VoiceoverDialog) if w.isVisible()]
    assert len(dialogs) == 1
    dialogs[0].close()
