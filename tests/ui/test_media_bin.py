"""Importing into the media bin: File > Import's path, drag-and-drop, thumbnails, damaged files."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from studio.ui.editor.window.main_window import MainWindow


def drop_files(target: QWidget, paths: list[Path]) -> bool:
    """Deliver a real drag-enter + drop of local files, as a file manager would."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPoint(target.width() // 2, target.height() // 2)
    enter = QDragEnterEvent(
        pos,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(
        QPointF(pos),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, drop)
    return drop.isAccepted()


def wait_loaded(qtbot: QtBot, window: MainWindow, path: Path) -> None:
    qtbot.waitUntil(lambda: (e := window.bin.entry(path)) is not None and e.state != "loading", timeout=15000)


def test_import_shows_thumbnail_duration_and_resolution(
    qtbot: QtBot, studio_window: MainWindow, ui_media: dict[str, Path]
) -> None:
    clip = ui_media["clip"]
    studio_window.import_files([str(clip)])
    item = studio_window.bin.item(clip)
    assert item is not None and "reading" in item.text()
    wait_loaded(qtbot, studio_window, clip)

    entry = studio_window.bin.entry(clip)
    assert entry is not None and entry.state == "ready", entry
    assert "dance.mp4" in item.text()
    assert "00:02.00" in item.text()
    assert "72×128" in item.text()
    thumb = entry.thumbnail
    assert thumb is not None and not thumb.isNull()
    assert thumb.height() > thumb.width()  # vertical clip, vertical thumbnail
    pixels = {thumb.pixel(x, y) for x in range(0, thumb.width(), 3) for y in range(0, thumb.height(), 3)}
    assert len(pixels) > 10  # a real picture (pattern + gradient), not a flat grey tile
    assert not item.icon().isNull()


def test_drop_on_the_bin_imports_every_file(
    qtbot: QtBot, studio_window: MainWindow, ui_media: dict[str, Path]
) -> None:
    files = [ui_media["clip"], ui_media["second"]]
    assert drop_files(studio_window.bin, files)
    for path in files:
        wait_loaded(qtbot, studio_window, path)
        assert studio_window.bin.entry(path).state == "ready"  # type: ignore[union-attr]
    assert studio_window.bin.list.count() == 2
    assert "intro.mp4" in studio_window.bin.item(files[1]).text()  # type: ignore[union-attr]


def test_drop_on_the_window_imports_too_and_non_files_are_refused(
    qtbot: QtBot, studio_window: MainWindow, ui_media: dict[str, Path]
) -> None:
    assert drop_files(studio_window, [ui_media["second"]])
    wait_loaded(qtbot, studio_window, ui_media["second"])
    mime = QMimeData()
    mime.setText("just some text")
    enter = QDragEnterEvent(
        QPoint(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(studio_window.bin, enter)
    assert not enter.isAccepted()


def test_damaged_files_show_their_reason_and_the_app_keeps_going(
    qtbot: QtBot, studio_window: MainWindow, ui_media: dict[str, Path]
) -> None:
    from studio.media.probe import probe

    bad = [ui_media["truncated"], ui_media["text"]]
    studio_window.import_files([str(p) for p in bad])
    reasons = {}
    for path in bad:
        wait_loaded(qtbot, studio_window, path)
        entry = studio_window.bin.entry(path)
        assert entry is not None and entry.state == "error"
        assert entry.thumbnail is None
        reasons[path] = entry.error
        item = studio_window.bin.item(path)
        assert entry.error in item.text() and "⚠" in item.text()  # type: ignore[union-attr]
    for path, reason in reasons.items():
        try:
            probe(path)
        except Exception as exc:
            assert reason == exc.message  # type: ignore[attr-defined]  # MediaError's own sentence
        else:
            raise AssertionError(f"{path} should not probe")
    assert "notes.mp4" in studio_window.statusBar().currentMessage() or "broken.mp4" in (
        studio_window.statusBar().currentMessage()
    )

    good = ui_media["clip"]
    studio_window.import_files([str(good)])
    wait_loaded(qtbot, studio_window, good)
    assert studio_window.bin.entry(good).state == "ready"  # type: ignore[union-attr]
    studio_window.bin.list.itemActivated.emit(studio_window.bin.item(bad[0]))
    assert reasons[bad[0]] in studio_window.statusBar().currentMessage()
    assert studio_window.isVisible()


def test_missing_file_is_an_error_entry(qtbot: QtBot, studio_window: MainWindow, tmp_path: Path) -> None:
    gone = tmp_path / "gone.mp4"
    studio_window.import_files([str(gone)])
    wait_loaded(qtbot, studio_window, gone)
    entry = studio_window.bin.entry(gone)
    assert entry is not None and entry.state == "error" and "does not exist" in entry.error
