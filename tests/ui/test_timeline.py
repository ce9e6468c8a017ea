"""The timeline driven with the mouse and keys: every change is a core edit that undoes."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from studio.core.edits import History
from studio.core.project import AudioClip, Project, TextItem, Track, VideoClip
from studio.ui.editor.timeline import ThumbnailCache, TimelineModel, TimelineView, TrackIndex, WaveformStore
from studio.ui.editor.timeline.view import HEADER_W, RULER_H
from studio.ui.jobs import make_gui_runner
from tests.media.fixtures import make_audio

LEFT = Qt.MouseButton.LeftButton


def two_clip_project(source: str) -> Project:
    video = Track(
        "v1", "video", clips=[VideoClip("a", source, 0.0, 1.0, 0.0), VideoClip("b", source, 0.0, 1.0, 2.0)]
    )
    text = Track("t1", "text", items=[TextItem("hello", "Hello", 0.5, 1.5)])
    return Project(tracks=[video, text])


def make_view(qtbot: QtBot, project: Project, **kwargs: object) -> TimelineView:
    model = TimelineModel(History(project))
    view = TimelineView(model, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(view)
    view.resize(900, 220)
    view.pps = 100.0
    view.show()
    qtbot.waitExposed(view)
    return view


def point(view: TimelineView, t: float, track_id: str) -> QPoint:
    index = view.model.row_of(track_id)
    rect = view.row_rect(index)
    return QPoint(round(view.time_to_x(t)), round(rect.center().y()))


def drag(
    qtbot: QtBot,
    view: TimelineView,
    start: QPoint,
    end: QPoint,
    mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    qtbot.mousePress(view, LEFT, mods, start)
    for k in range(1, 6):
        qtbot.mouseMove(view, start + (end - start) * k / 5)
    qtbot.mouseRelease(view, LEFT, mods, end)


def snapshot(project: Project) -> dict:
    return project.to_dict()


def test_visible_range_finds_overlapping_elements_by_binary_search() -> None:
    clips = [VideoClip(f"c{i}", "x.mp4", 0.0, 1.0, float(i)) for i in range(300)]
    clips.append(VideoClip("long", "x.mp4", 0.0, 160.0, 5.0))
    index = TrackIndex.build(Track("v", "video", clips=clips))
    seen = {e.id for e in index.visible(150.2, 152.0)}
    assert seen == {"c150", "c151", "long"}
    assert {e.id for e in index.visible(200.5, 201.0)} == {"c200"}
    assert index.visible(400, 500) == []


def test_drag_trim_split_undo_to_the_start_and_redo(qtbot: QtBot, ui_media: dict[str, Path]) -> None:
    project = two_clip_project(str(ui_media["clip"]))
    original = snapshot(project)
    view = make_view(qtbot, project)
    view.set_magnetic(False)  # free placement (the magnetic main track: below)
    history = view.model.history

    # drag clip b from 2.0 s to ~3.0 s (grabbed in its middle)
    drag(qtbot, view, point(view, 2.5, "v1"), point(view, 3.5, "v1"))
    assert project.clip("b").start == pytest.approx(3.0, abs=0.02)
    assert history.labels[-1] == "Move clip"

    # drag near the playhead (0 s): the clip's start snaps onto a's end (1.0 s)
    drag(qtbot, view, point(view, 3.5, "v1"), point(view, 1.55, "v1"))
    assert project.clip("b").start == pytest.approx(1.0, abs=1e-9)

    # trim b's out edge from 2.0 s back to ~1.6 s
    b = project.clip("b")
    drag(
        qtbot,
        view,
        QPoint(round(view.time_to_x(b.end)) - 2, point(view, 1.5, "v1").y()),
        point(view, 1.6, "v1"),
    )
    assert project.clip("b").end == pytest.approx(1.6, abs=0.02)
    assert history.labels[-1] == "Trim clip"

    # split a at the playhead with S
    view.move_playhead(0.4)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_S)
    video = project.track("v1")
    assert len(video.clips) == 3
    assert sorted(round(c.start, 3) for c in video.clips) == [0.0, 0.4, 1.0]

    # a marker with M
    qtbot.keyClick(view, Qt.Key.Key_M)
    assert view.model.markers == [pytest.approx(0.4)]

    assert history.labels == ["Move clip", "Move clip", "Trim clip", "Split clip", "Add marker"]
    while history.can_undo:
        history.undo()
    assert snapshot(project) == original
    while history.can_redo:
        history.redo()
    assert len(project.track("v1").clips) == 3 and project.extra["markers"] == [0.4]


def test_alt_drag_ripples_later_clips(qtbot: QtBot, ui_media: dict[str, Path]) -> None:
    project = two_clip_project(str(ui_media["clip"]))
    view = make_view(qtbot, project)
    y = point(view, 0, "v1").y()
    drag(
        qtbot,
        view,
        QPoint(round(view.time_to_x(1.0)) - 2, y),
        QPoint(round(view.time_to_x(0.5)), y),
        Qt.KeyboardModifier.AltModifier,
    )
    assert project.clip("a").end == pytest.approx(0.5, abs=0.02)
    assert project.clip("b").start == pytest.approx(1.5, abs=0.02)  # pulled left by the same amount


def test_multi_select_delete_ripple_delete_copy_paste(qtbot: QtBot, ui_media: dict[str, Path]) -> None:
    source = str(ui_media["clip"])
    clips = [VideoClip(f"c{i}", source, 0.0, 1.0, float(i)) for i in range(4)]
    project = Project(tracks=[Track("v1", "video", clips=clips)])
    view = make_view(qtbot, project)
    qtbot.mouseClick(view, LEFT, Qt.KeyboardModifier.NoModifier, point(view, 0.5, "v1"))
    qtbot.mouseClick(view, LEFT, Qt.KeyboardModifier.ControlModifier, point(view, 2.5, "v1"))
    assert view.selection == ["c0", "c2"]
    qtbot.mouseClick(view, LEFT, Qt.KeyboardModifier.ShiftModifier, point(view, 3.5, "v1"))
    qtbot.mouseClick(view, LEFT, Qt.KeyboardModifier.ControlModifier, point(view, 3.5, "v1"))
    assert view.selection == ["c0", "c2"]

    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    view.move_playhead(6.0)
    qtbot.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    starts = sorted(c.start for c in project.track("v1").clips)
    # on the magnetic main track: inserted end to end at the boundary nearest the playhead
    assert starts == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert view.model.history.labels[-1] == "Paste"
    view.model.history.undo()
    view.set_magnetic(False)
    qtbot.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    starts = sorted(c.start for c in project.track("v1").clips)
    assert starts == [0.0, 1.0, 2.0, 3.0, 6.0, 8.0]  # free placement: their spacing kept
    view.set_magnetic(True)

    view.model.history.undo()
    view.select(["c1"])
    qtbot.keyClick(view, Qt.Key.Key_Delete, Qt.KeyboardModifier.ShiftModifier)
    assert [c.start for c in project.track("v1").clips] == [0.0, 1.0, 2.0]  # later clips pulled left

    # rubber band over the first two clips from empty space below the track
    below = view.row_rect(0).bottom() + 20
    drag(
        qtbot,
        view,
        QPoint(round(view.time_to_x(0.2)), round(below)),
        QPoint(round(view.time_to_x(1.5)), round(view.row_rect(0).top()) + 5),
    )
    assert sorted(view.selection) == ["c0", "c2"]  # c2 now sits where c1 was
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert [c.id for c in project.track("v1").clips] == ["c3"]
    assert view.model.history.labels[-1] == "Delete 2 clips"
    view.model.history.undo()
    assert len(project.track("v1").clips) == 3


def test_ruler_click_moves_the_playhead_and_ctrl_wheel_zooms(qtbot: QtBot, ui_media: dict[str, Path]) -> None:
    view = make_view(qtbot, two_clip_project(str(ui_media["clip"])))
    moved: list[float] = []
    view.playheadMoved.connect(moved.append)
    qtbot.mouseClick(
        view, LEFT, Qt.KeyboardModifier.NoModifier, QPoint(round(view.time_to_x(1.5)), RULER_H // 2)
    )
    assert moved and moved[-1] == pytest.approx(1.5, abs=1 / 30)
    before = view.pps
    anchor = QPointF(HEADER_W + 300, 60)
    t_anchor = view.x_to_time(anchor.x())
    event = QWheelEvent(
        anchor, view.mapToGlobal(anchor), QPoint(), QPoint(0, 240), Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(view, event)
    assert view.pps > before * 1.4
    assert view.x_to_time(anchor.x()) == pytest.approx(
        t_anchor, abs=1e-6
    )  # zoom keeps the point under the mouse


def dominant(image: QImage, rect: object) -> np.ndarray:
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(rgb.constBits(), np.uint8).reshape(rgb.height(), rgb.bytesPerLine())
    arr = arr[:, : rgb.width() * 3].reshape(rgb.height(), rgb.width(), 3)
    return arr[int(rect.top()) + 4 : int(rect.bottom()) - 14, int(rect.left()) + 4 : int(rect.right()) - 4]


def test_thumbnails_and_waveforms_arrive_from_the_background(
    qtbot: QtBot, ui_media: dict[str, Path], tmp_path: Path
) -> None:
    song = make_audio(tmp_path / "tone.m4a", 1.5)
    project = Project(
        tracks=[
            Track("v1", "video", clips=[VideoClip("a", str(ui_media["clip"]), 0.0, 2.0, 0.0)]),
            Track("a1", "audio", clips=[AudioClip("m", str(song), 0.0, 1.5, 0.0)]),
        ]
    )
    runner = make_gui_runner()
    try:
        thumbs = ThumbnailCache(runner, 48)
        waves = WaveformStore(runner, tmp_path / "waves")
        view = make_view(qtbot, project, thumbnails=thumbs, waveforms=waves)
        view.grab()
        qtbot.waitUntil(lambda: len(thumbs) > 0 and waves.get(str(song)) is not None, timeout=20000)
        image = view.grab().toImage()
        clip_rect = view.element_rect(project.clip("a"), view.model.row_of("v1"))
        pixels = dominant(image, clip_rect)
        # the clip body shows picture content, not just the flat track colour
        assert pixels.reshape(-1, 3).std(axis=0).max() > 5
        wave_rect = view.element_rect(project.clip("m"), view.model.row_of("a1"))
        band = dominant(image, wave_rect)
        assert (band[..., 1] > 200).sum() > 50  # the green waveform pixels
    finally:
        runner.shutdown(wait=True)


def packed_project(source: str) -> Project:
    """Three 1 s clips end to end on the main track, one overlay clip, a text track."""
    main = Track(
        "v1",
        "video",
        clips=[VideoClip(n, source, 0.0, 1.0, float(i)) for i, n in enumerate("abc")],
    )
    overlay = Track("v2", "video", clips=[VideoClip("o", source, 0.0, 1.0, 0.5)])
    return Project(tracks=[main, overlay, Track("t1", "text", items=[TextItem("hi", "Hi", 0.0, 1.0)])])


def starts(project: Project, track_id: str) -> dict[str, float]:
    return {c.id: round(c.start, 3) for c in project.track(track_id).clips}


def test_the_magnetic_main_track_reorders_ripples_and_closes_gaps(
    qtbot: QtBot, ui_media: dict[str, Path]
) -> None:
    project = packed_project(str(ui_media["clip"]))
    original = snapshot(project)
    view = make_view(qtbot, project)
    assert view.model.magnetic
    history = view.model.history

    # drag c (2-3 s) to the front: it goes to 0 and a, b close up after it, one undo step
    drag(qtbot, view, point(view, 2.5, "v1"), point(view, 0.3, "v1"))
    assert starts(project, "v1") == {"c": 0.0, "a": 1.0, "b": 2.0}
    assert history.labels[-1] == "Move clip"
    # let go between two clips: the nearest boundary
    drag(qtbot, view, point(view, 0.5, "v1"), point(view, 1.6, "v1"))
    assert starts(project, "v1") == {"a": 0.0, "c": 1.0, "b": 2.0}

    # trim c's out edge from 2.0 s to 1.5 s without Alt: b follows, no gap opens
    y = point(view, 0, "v1").y()
    drag(qtbot, view, QPoint(round(view.time_to_x(2.0)) - 2, y), QPoint(round(view.time_to_x(1.5)), y))
    assert project.clip("c").end == pytest.approx(1.5, abs=0.02)
    assert project.clip("b").start == pytest.approx(project.clip("c").end, abs=1e-6)

    # drag a off the main track onto the overlay track: the main track closes its gap
    a_x = point(view, 0.5, "v1")
    drag(qtbot, view, a_x, QPoint(a_x.x() + round(view.pps * 2.5), point(view, 3.0, "v2").y()))
    assert "a" in starts(project, "v2") and project.clip("a").start == pytest.approx(2.5, abs=0.05)
    assert starts(project, "v1")["c"] == 0.0 and project.clip("b").start == pytest.approx(
        project.clip("c").end
    )

    # and back onto it, let go near the start: inserted at 0, the others ripple
    drag(qtbot, view, point(view, 3.0, "v2"), QPoint(round(view.time_to_x(0.1)), point(view, 0, "v1").y()))
    assert starts(project, "v1")["a"] == 0.0
    ordered = sorted(project.track("v1").clips, key=lambda c: c.start)
    for prev, nxt in itertools.pairwise(ordered):
        assert nxt.start == pytest.approx(prev.end, abs=1e-6)

    # a and c selected and dragged past b: they move as a block, in their order, after it
    ordered = [c.id for c in sorted(project.track("v1").clips, key=lambda c: c.start)]
    assert ordered == ["a", "c", "b"]
    view.select(["a", "c"])
    b = project.clip("b")
    drag(qtbot, view, point(view, 0.5, "v1"), point(view, 0.5 + b.end + 0.2, "v1"))
    assert [c.id for c in sorted(project.track("v1").clips, key=lambda c: c.start)] == ["b", "a", "c"]
    assert project.clip("b").start == 0.0
    history.undo()

    # the overlay and text tracks keep free placement
    drag(qtbot, view, point(view, 1.0, "v2"), point(view, 2.0, "v2"))
    assert project.clip("o").start == pytest.approx(1.5, abs=0.02)

    while history.can_undo:
        history.undo()
    assert snapshot(project) == original


def test_with_the_magnet_off_the_main_track_places_freely(qtbot: QtBot, ui_media: dict[str, Path]) -> None:
    project = packed_project(str(ui_media["clip"]))
    view = make_view(qtbot, project)
    view.actions_by_name["magnetic"].trigger()
    assert not view.model.magnetic
    drag(qtbot, view, point(view, 2.5, "v1"), point(view, 4.0, "v1"))
    assert starts(project, "v1") == {"a": 0.0, "b": 1.0, "c": 3.5}
    y = point(view, 0, "v1").y()
    drag(qtbot, view, QPoint(round(view.time_to_x(1.0)) - 2, y), QPoint(round(view.time_to_x(0.6)), y))
    assert project.clip("a").end == pytest.approx(0.6, abs=0.02) and project.clip("b").start == 1.0
    view.select(["b"])
    view.delete_selection()
    assert starts(project, "v1") == {"a": 0.0, "c": 3.5}  # the gap stays


def test_a_rippling_trim_draws_the_later_clips_where_they_will_go(
    qtbot: QtBot, ui_media: dict[str, Path]
) -> None:
    project = packed_project(str(ui_media["clip"]))
    view = make_view(qtbot, project)
    y = point(view, 0, "v1").y()
    start, end = QPoint(round(view.time_to_x(1.0)) - 2, y), QPoint(round(view.time_to_x(0.6)), y)
    x_28, x_50 = round(view.time_to_x(2.8)), round(view.time_to_x(5.0))
    before = view.grab().toImage()
    assert before.pixelColor(x_28, y) != before.pixelColor(x_50, y)  # inside c (2-3 s)
    qtbot.mousePress(view, LEFT, Qt.KeyboardModifier.NoModifier, start)
    for k in range(1, 6):
        qtbot.mouseMove(view, start + (end - start) * k / 5)
    track_id, after, shift = view.ripple_preview() or ("", 0.0, 0.0)
    assert (track_id, after) == ("v1", 1.0) and shift == pytest.approx(-0.4, abs=0.02)
    during = view.grab().toImage()
    # b and c are drawn 0.4 s earlier: c now ends at 2.6 s, so 2.8 s shows the empty row
    assert during.pixelColor(x_28, y) == during.pixelColor(x_50, y)
    qtbot.mouseRelease(view, LEFT, Qt.KeyboardModifier.NoModifier, end)
    assert view.ripple_preview() is None
    assert project.clip("b").start == pytest.approx(0.6, abs=0.02)


def test_dragging_along_the_main_track_draws_the_others_making_room(
    qtbot: QtBot, ui_media: dict[str, Path]
) -> None:
    project = packed_project(str(ui_media["clip"]))
    view = make_view(qtbot, project)
    start, end = point(view, 2.5, "v1"), point(view, 0.3, "v1")  # c to the front
    qtbot.mousePress(view, LEFT, Qt.KeyboardModifier.NoModifier, start)
    for k in range(1, 6):
        qtbot.mouseMove(view, start + (end - start) * k / 5)
    assert view.magnetic_preview() == {"a": pytest.approx(1.0), "b": pytest.approx(1.0)}
    y = start.y()
    x_25 = round(view.time_to_x(2.5))
    x_50 = round(view.time_to_x(5.0))
    frame = view.grab().toImage()
    # b is drawn at 2-3 s, where c was; nothing is drawn past 3 s
    assert frame.pixelColor(x_25, y) != frame.pixelColor(x_50, y)
    assert frame.pixelColor(round(view.time_to_x(3.5)), y) == frame.pixelColor(x_50, y)
    qtbot.mouseRelease(view, LEFT, Qt.KeyboardModifier.NoModifier, end)
    assert view.magnetic_preview() == {}
    assert starts(project, "v1") == {"c": 0.0, "a": 1.0, "b": 2.0}


def test_the_magnet_button_under_the_timeline_turns_the_magnetic_track_off_and_on(
    qtbot: QtBot, ui_media: dict[str, Path]
) -> None:
    from studio.ui.editor.timeline import TimelineWidget

    widget = TimelineWidget(TimelineModel(History(packed_project(str(ui_media["clip"])))))
    qtbot.addWidget(widget)
    widget.resize(900, 240)
    widget.show()
    qtbot.waitExposed(widget)
    button = widget.magnet_button
    assert button.text() == "Magnet" and button.isChecked() and widget.view.model.magnetic
    qtbot.mouseClick(button, LEFT)
    assert not button.isChecked() and not widget.view.model.magnetic
    qtbot.mouseClick(button, LEFT)
    assert button.isChecked() and widget.view.model.magnetic
