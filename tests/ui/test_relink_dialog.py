"""Opening a project whose media moved: the relink dialog in the real main window (offscreen)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from studio.core.project import Canvas, Project, Track, VideoClip
from studio.projectfile import FINGERPRINTS, load_project, save_project
from studio.ui.editor.window.main_window import MainWindow
from tests.media.fixtures import make_video

pytestmark = pytest.mark.gui


def two_clip_project(folder: Path) -> tuple[Project, Path, Path]:
    first = make_video(folder / "beach.mp4", 72, 128, 30.0, 1.0, audio=False)
    second = make_video(folder / "sunset.mp4", 72, 128, 25.0, 1.0, audio=False)
    video = Track(
        "v1",
        "video",
        name="Video",
        clips=[VideoClip("c1", str(first), 0.0, 1.0, 0.0), VideoClip("c2", str(second), 0.0, 1.0, 1.0)],
    )
    project = Project(title="Moved media", canvas=Canvas(72, 128, 30.0), tracks=[video])
    return project, first, second


def test_moved_media_are_relinked_in_one_undoable_edit(
    qtbot: QtBot, studio_window: MainWindow, tmp_path: Path
) -> None:
    """Both clips moved (one renamed): the dialog lists both on open, one folder search finds
    both (the renamed one by content hash), Relink is one undo step, the project plays again."""
    originals = tmp_path / "shoot"
    originals.mkdir()
    project, first, second = two_clip_project(originals)
    path = tmp_path / "project" / "moved.json"
    path.parent.mkdir()
    save_project(project, path)
    assert set(load_project(path).extra[FINGERPRINTS]) == {str(first), str(second)}

    moved = tmp_path / "external drive"
    (moved / "clips").mkdir(parents=True)
    new_first = moved / "clips" / "beach.mp4"
    new_second = moved / "final-sunset-v2.mp4"  # renamed: only its content says what it is
    shutil.move(first, new_first)
    shutil.move(second, new_second)
    shutil.copy(new_first, moved / "sunset-other.mp4")  # same size class, wrong content: ignored
    (moved / "sunset.mp4").write_bytes(b"not the clip")  # same name, wrong content: ignored

    window = studio_window
    assert window.open_project(path)
    qtbot.waitUntil(lambda: window.relink_offer.dialog is not None, timeout=10000)
    dialog = window.relink_offer.dialog
    assert dialog.isVisible()
    assert dialog.listed() == [str(first), str(second)]
    assert not dialog.relink_button.isEnabled()

    dialog.search_folder(str(moved))  # what "Search folder…" does with the folder picked
    qtbot.waitUntil(lambda: not dialog.busy, timeout=20000)
    assert dialog.found == {str(first): str(new_first), str(second): str(new_second)}
    assert dialog.relink_button.isEnabled()

    labels_before = list(window.history.labels)
    dialog.relink_button.click()
    assert not dialog.isVisible()
    assert window.history.labels == [*labels_before, "Relink 2 files"]
    assert window.project.sources() == [str(new_first), str(new_second)]

    window.show_project()
    qtbot.waitUntil(lambda: window.player.info is not None, timeout=20000)
    assert window.player.info.duration == pytest.approx(2.0, abs=0.05)
    shown: list[float] = []
    window.player.frameShown.connect(lambda _i, t: shown.append(t))
    window.seek_project(1.5)
    qtbot.waitUntil(lambda: bool(shown), timeout=20000)
    assert not [p for p in window.source.problems if "sunset" in p or "beach" in p]

    window.undo()
    assert window.project.sources() == [str(first), str(second)]
    window.redo()
    assert window.project.sources() == [str(new_first), str(new_second)]


def test_locate_one_file_finds_the_others_in_its_folder(
    qtbot: QtBot, studio_window: MainWindow, tmp_path: Path
) -> None:
    originals = tmp_path / "shoot"
    originals.mkdir()
    project, first, second = two_clip_project(originals)
    path = tmp_path / "moved.json"
    save_project(project, path)
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.move(first, moved / "beach.mp4")
    shutil.move(second, moved / "sunset.mp4")

    window = studio_window
    assert window.open_project(path)
    qtbot.waitUntil(lambda: window.relink_offer.dialog is not None, timeout=10000)
    dialog = window.relink_offer.dialog
    dialog.locate(str(first), str(moved / "beach.mp4"))  # what "Locate…" does with the file picked
    qtbot.waitUntil(lambda: not dialog.busy, timeout=20000)
    assert dialog.found == {str(first): str(moved / "beach.mp4"), str(second): str(moved / "sunset.mp4")}
    assert dialog.warnings == {}
    dialog.apply()
    assert window.history.labels[-1] == "Relink 2 files"


def test_nothing_missing_offers_nothing(qtbot: QtBot, studio_window: MainWindow, tmp_path: Path) -> None:
    project, _first, _second = two_clip_project(tmp_path)
    path = tmp_path / "fine.json"
    save_project(project, path)
    window = studio_window
    assert window.open_project(path)
    qtbot.waitUntil(lambda: window.relink_offer.missing is not None, timeout=10000)
    assert window.relink_offer.missing == [] and window.relink_offer.dialog is None
