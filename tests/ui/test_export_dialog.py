"""Export through the dialog (a worker process), compare with the CLI, cancel, fail, stay responsive."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer
from pytestqt.qtbot import QtBot

from studio.core.edits import History
from studio.core.project import Canvas, Project, TextItem, Track, VideoClip
from studio.projectfile import save_project
from studio.ui.editor.export_dialog import ExportDialog
from studio.ui.editor.window.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
EXPORT_TIMEOUT_MS = 90000


def small_project(clip: Path, seconds: float = 1.0) -> Project:
    """360x640 (the smallest the platform takes), one clip and a caption."""
    video = Track("v1", "video", clips=[VideoClip("c1", str(clip), 0.2, 0.2 + seconds, 0.0, fit="fill")])
    text = Track("t1", "text", items=[TextItem("t", "Hello", 0.0, seconds)])
    return Project(title="export", canvas=Canvas(360, 640, 30.0), tracks=[video, text])


def decode_gray(path: Path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as container:
        return [f.to_ndarray(format="gray").astype(np.float32) for f in container.decode(video=0)]


def start_export(qtbot: QtBot, dialog: ExportDialog, out: Path, preset: str = "canvas") -> None:
    dialog.output.setText(str(out))
    dialog.preset.setCurrentIndex(dialog.preset.findData(preset))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.running


def test_dialog_export_matches_a_cli_render_of_the_saved_project(
    qtbot: QtBot, ui_media: dict[str, Path], tmp_path: Path
) -> None:
    project = small_project(ui_media["clip"])
    dialog = ExportDialog(project, None)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "360×640" in dialog.preset.itemText(dialog.preset.findData("canvas"))
    assert "KB" in dialog.size_label.text() or "MB" in dialog.size_label.text()
    out = tmp_path / "dialog.mp4"
    with qtbot.waitSignal(dialog.finished_export, timeout=EXPORT_TIMEOUT_MS) as done:
        start_export(qtbot, dialog, out)
    assert done.args == [True, str(out)], dialog.status.text()
    assert dialog.progress.value() == 1000 and dialog.show_button.isVisible()

    saved = tmp_path / "saved.json"
    save_project(project, saved)
    cli_out = tmp_path / "cli.mp4"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "studio",
            "render",
            str(saved),
            "-o",
            str(cli_out),
            "--preset",
            "canvas",
            "--progress",
            "none",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    ours, theirs = decode_gray(out), decode_gray(cli_out)
    assert len(ours) == len(theirs) == 30
    diffs = [float(np.abs(a - b).mean()) for a, b in zip(ours, theirs, strict=True)]
    assert max(diffs) < 1.0, diffs
    assert float(np.abs(ours[0] - ours[-1]).mean()) > 1.0  # the frames do differ over time


def test_cancel_kills_the_worker_and_leaves_no_file(
    qtbot: QtBot, ui_media: dict[str, Path], tmp_path: Path
) -> None:
    clips = [VideoClip(f"c{i}", str(ui_media["clip"]), 0.0, 2.0, 2.0 * i) for i in range(15)]
    project = Project(canvas=Canvas(720, 1280, 30.0), tracks=[Track("v1", "video", clips=clips)])
    dialog = ExportDialog(project, None)
    qtbot.addWidget(dialog)
    out = tmp_path / "cancelled.mp4"
    start_export(qtbot, dialog, out, preset="canvas")
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=EXPORT_TIMEOUT_MS)
    with qtbot.waitSignal(dialog.finished_export, timeout=20000) as done:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert done.args == [False, "cancelled"]
    assert not dialog.running
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no hidden .part file either
    assert "cancelled" in dialog.status.text()


def test_a_failing_export_shows_the_reason(qtbot: QtBot, tmp_path: Path) -> None:
    missing = tmp_path / "gone.mp4"
    project = Project(
        canvas=Canvas(360, 640, 30.0),
        tracks=[Track("v1", "video", clips=[VideoClip("c", str(missing), 0.0, 1.0, 0.0)])],
    )
    dialog = ExportDialog(project, None)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.finished_export, timeout=EXPORT_TIMEOUT_MS) as done:
        start_export(qtbot, dialog, tmp_path / "out.mp4")
    assert done.args[0] is False
    assert "gone.mp4" in dialog.status.text() and "Traceback" not in dialog.status.text()
    assert not (tmp_path / "out.mp4").exists()


def test_the_gui_never_blocks_while_exporting_and_scrubbing(
    qtbot: QtBot, ui_media: dict[str, Path], tmp_path: Path
) -> None:
    window = MainWindow()
    window.confirm_unsaved = False
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.set_history(History(small_project(ui_media["clip"], seconds=1.6)), None)
    qtbot.waitUntil(
        lambda: window.player.info is not None and window.player.current_index >= 0, timeout=20000
    )

    positions = iter(np.tile(np.linspace(0.0, 1.5, 12), 200))
    scrubber = QTimer()
    scrubber.timeout.connect(lambda: window.timeline.view.move_playhead(float(next(positions))))

    dialog = window.show_export()
    dialog.output.setText(str(tmp_path / "while-scrubbing.mp4"))
    dialog.preset.setCurrentIndex(dialog.preset.findData("canvas"))
    frames_during_export: list[int] = []
    window.player.frameShown.connect(lambda index, _t: frames_during_export.append(index))
    scrubber.start(30)
    shown_before = window.player.current_index
    with qtbot.waitSignal(dialog.finished_export, timeout=EXPORT_TIMEOUT_MS) as done:
        dialog.start()
        assert dialog.process is not None and dialog.process.processId() not in (0, os.getpid())
    exported_while = len(frames_during_export)
    scrubber.stop()
    qtbot.waitUntil(lambda: "(" in dialog.encoder_label.text(), timeout=60000)
    assert "264" in dialog.encoder_label.text()  # probed in a child process, e.g. "libx264 (software)"
    dialog.close()
    window.close()
    assert done.args[0] is True, dialog.status.text()
    assert shown_before >= 0
    # what a creator sees: the preview kept following the scrub while the export ran in its own
    # process; that the GUI thread never waited meanwhile is the thread guard's job (conftest)
    assert exported_while >= 3, exported_while
    assert len(set(frames_during_export)) >= 2
