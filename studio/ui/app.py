"""`creator-studio gui`: start the editor window.

The top level imports only the standard library (the CLI convention); Qt and the window are
imported inside :func:`main`. ``--quit-when-shown`` exits right after the window's first
paint (for the start-up bench and tests); ``--screenshot`` waits for imported files to be
thumbnailed and the first clip's frame to be shown, saves the window as PNG and exits. A normal
start opens the drafts store, starts the sync engine and then the publish queue after the first
paint (none of them for ``--quit-when-shown`` or ``--screenshot``) and stops them at exit.
Uncaught exceptions are logged (the crash hooks of :mod:`studio.logs`); one in a slot also
autosaves the open draft and shows :class:`~studio.ui.crash_dialog.CrashReporter`'s dialog.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studio.ui.accounts.controller import SyncController
    from studio.ui.editor.window.main_window import MainWindow
    from studio.ui.publish.controller import PublishController

log = logging.getLogger(__name__)

SCREENSHOT_TIMEOUT_S = 20.0


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="FILE", help="media files to import into the bin")
    parser.add_argument(
        "--quit-when-shown", action="store_true", help="exit as soon as the window is shown (start-up timing)"
    )
    parser.add_argument(
        "--screenshot",
        metavar="PNG",
        help="save the window as a PNG once the given files are loaded, then exit",
    )


def _no_display() -> bool:
    if sys.platform != "linux" or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    if _no_display():
        print(
            "creator-studio: no display found (DISPLAY/WAYLAND_DISPLAY unset); "
            "run it in a desktop session, or set QT_QPA_PLATFORM=offscreen for headless use",
            file=sys.stderr,
        )
        return 2
    screenshot = Path(args.screenshot).expanduser().absolute() if args.screenshot else None
    if screenshot is not None and not screenshot.parent.is_dir():
        print(f"creator-studio: cannot save the screenshot: no folder {screenshot.parent}", file=sys.stderr)
        return 2

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from studio.config import ConfigError, app_paths, load_settings

    try:
        paths = app_paths().ensure()
    except (ConfigError, OSError) as exc:
        print(f"creator-studio: {exc}", file=sys.stderr)
        return 2

    from studio import logs
    from studio.ui.crash_dialog import CrashReporter
    from studio.ui.editor.window.main_window import MainWindow
    from studio.ui.theme import ThemeController

    hooks_installed_here = logs.install_crash_hooks(paths.logs)
    _route_qt_messages()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    from studio import threadguard

    threadguard.mark_gui_thread()  # from here a database wait or a decode on this thread is logged
    app.setApplicationName("Creator Studio")
    app.setOrganizationName("Creator Studio")
    app.setDesktopFileName("creator-studio")

    settings = load_settings(paths)
    theme = ThemeController(app, settings.theme)
    log.info(
        "Creator Studio, profile %s: data %s, settings %s, cache %s, logs %s",
        paths.profile,
        paths.data,
        paths.config,
        paths.cache,
        paths.logs,
    )
    window = MainWindow(paths=paths, settings=settings, theme=theme)
    window.restore_layout(fill_screen=screenshot is None)  # a screenshot has the same size anywhere
    reporter = CrashReporter(window, logs.log_file() or paths.logs / logs.LOG_NAME)
    reporter.install()
    if settings.load_notice:
        window.firstPainted.connect(lambda: window.show_message(settings.load_notice))

    opened: list[str] = []

    def open_first(*_args: object) -> None:
        """Preview the first usable file in the order given, once the ones before it are read."""
        if opened:
            return
        for name in args.files:
            entry = window.bin.entry(name)
            if entry is None:
                continue
            if entry.state == "loading":
                return
            if entry.previewable:
                opened.append(entry.path)
                window.open_in_player(entry.path)
                return

    window.bin.imported.connect(open_first)
    window.bin.importFailed.connect(open_first)
    exit_code = [0]

    def shown() -> None:
        log.info("window shown %.0f ms after start", (time.perf_counter() - started) * 1000)
        if args.quit_when_shown and screenshot is None:
            QTimer.singleShot(0, window.close)
        elif screenshot is not None:
            _when_ready(window, bool(args.files), lambda: _save_screenshot(window, screenshot, exit_code))

    window.firstPainted.connect(shown)
    drafts: list[object] = []

    def start_drafts() -> None:
        """After the first paint: open the drafts store, take the lock, offer crash recovery."""
        from studio.ui.drafts import session as draft_session

        drafts.extend(draft_session.start(window))
        session = drafts[0]
        reporter.autosave = session.save_now if isinstance(session, draft_session.DraftSession) else None

    sync: list[object] = []

    def start_sync() -> None:
        """After the first paint: the sync engine (every engine call runs in a job)."""
        from studio.ui.accounts.controller import SyncController

        controller = SyncController.for_window(window)
        window.attach_sync(controller)
        window.attach_analytics(controller)  # queries nothing until its tab is shown
        sync.append(controller)
        controller.start()
        start_publish(controller)

    publish: list[PublishController] = []

    def start_publish(controller: SyncController) -> None:
        """The upload queue, made in a job once the sync engine is open."""
        from studio.ui.publish.controller import PublishController

        publisher = PublishController.for_window(window, controller)
        window.attach_publish(publisher)
        publish.append(publisher)
        publisher.start()

    if not args.quit_when_shown and screenshot is None:
        window.firstPainted.connect(lambda: QTimer.singleShot(0, start_drafts))
        window.firstPainted.connect(lambda: QTimer.singleShot(0, start_sync))
    if args.files:
        window.import_files(args.files)
    window.show()
    code = app.exec()
    for publisher in publish:
        publisher.shutdown()  # bounded wait; before the engine it uses
    for controller in sync:
        controller.shutdown()  # type: ignore[attr-defined]  # bounded wait for the engine
    _close_drafts(drafts)
    reporter.uninstall()
    if hooks_installed_here:
        logs.uninstall_crash_hooks()
    return exit_code[0] or int(code)


def _close_drafts(drafts: list[object]) -> None:
    """A clean exit: the last edit is on disk, the session lock is released."""
    if not drafts:
        return
    session, lock = drafts
    if session is not None:
        session.close()  # type: ignore[attr-defined]
        session.store.close()  # type: ignore[attr-defined]
    if lock is not None:
        lock.release()  # type: ignore[attr-defined]


_QT_NOISE = ("propagateSizeHints",)


def _route_qt_messages() -> None:
    """Qt's own warnings go to our log (and its secret filter) instead of raw stderr."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    qt_log = logging.getLogger("qt")
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }

    def handler(kind: QtMsgType, _context: object, message: str) -> None:
        level = levels.get(kind, logging.WARNING)
        if any(noise in message for noise in _QT_NOISE):
            level = logging.DEBUG
        qt_log.log(level, "%s", message)

    qInstallMessageHandler(handler)


def _when_ready(window: MainWindow, wait_for_files: bool, then: Callable[[], None]) -> None:
    """Call ``then`` once imports have finished and a previewed clip shows a frame."""
    from PySide6.QtCore import QTimer

    deadline = time.monotonic() + SCREENSHOT_TIMEOUT_S
    timer = QTimer(window)

    def poll() -> None:
        bin_, player = window.bin, window.player
        wants_frame = any(e.previewable for e in bin_.entries)
        ready = not wait_for_files or (not bin_.busy and (not wants_frame or player.current_index >= 0))
        if ready or time.monotonic() > deadline:
            timer.stop()
            if not ready:
                log.warning("screenshot taken before everything loaded")
            QTimer.singleShot(100, then)

    timer.timeout.connect(poll)
    timer.start(50)


def _save_screenshot(window: MainWindow, path: Path, exit_code: list[int]) -> None:
    pixmap = window.grab()
    if not pixmap.save(str(path), "PNG"):
        print(f"creator-studio: could not write the screenshot {path}", file=sys.stderr)
        exit_code[0] = 1
    else:
        print(f"saved {path}")
    window.close()
