"""An uncaught exception in the GUI: autosave first, then one dialog that names what failed.

:class:`CrashReporter` listens to :mod:`studio.logs`' crash hooks (PySide6 hands exceptions
raised in slots to ``sys.excepthook``; the hook has logged the scrubbed traceback before the
reporter hears of it). On the GUI thread it saves the open draft now, then shows a dialog with
the error and an "Open log" button. While that dialog is open, later errors are only logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from studio import logs

log = logging.getLogger(__name__)


def what_failed(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> str:
    """The function the failure started in (a slot, usually) and the error, secrets scrubbed."""
    error = logs.scrub(f"{exc_type.__name__}: {exc}" if str(exc) else exc_type.__name__)
    if tb is None:
        return error
    code = tb.tb_frame.f_code
    module = tb.tb_frame.f_globals.get("__name__", "")
    where = f"{module}.{code.co_qualname}" if module else code.co_qualname
    return f"{where} failed with {error}"


class CrashReporter(QObject):
    """Owned by the main window; :meth:`install` once the window exists."""

    failed = Signal(object, object, object)  # exc_type, exc, traceback; queued from other threads

    def __init__(
        self,
        window: QWidget,
        log_file: Path | None,
        autosave: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.log_file = log_file
        self.autosave = autosave
        self.dialog: QMessageBox | None = None
        self._handling = False
        self.failed.connect(self._show)
        window.destroyed.connect(self.uninstall)

    def install(self) -> None:
        logs.add_crash_listener(self._heard)

    def uninstall(self) -> None:
        logs.remove_crash_listener(self._heard)

    def _heard(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        self.failed.emit(exc_type, exc, tb)

    def _show(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if self.dialog is not None or self._handling:
            return
        self._handling = True
        try:
            saved = self._save_now()
            self.dialog = self._dialog(
                what_failed(exc_type, exc, tb), saved, logs.format_exception(exc_type, exc, tb)
            )
            self.dialog.finished.connect(self._closed)
            self.dialog.open()
        except Exception:
            log.exception("could not show the error dialog")
        finally:
            self._handling = False

    def _save_now(self) -> bool | None:
        """True: the draft is on disk; False: saving failed; None: nothing to save."""
        if self.autosave is None:
            return None
        try:
            return bool(self.autosave())
        except Exception:
            log.exception("autosave after an error failed")
            return False

    def _dialog(self, what: str, saved: bool | None, details: str) -> QMessageBox:
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle("Something went wrong")
        box.setText(what)
        note = {
            True: "Your work was autosaved.",
            False: "Your work could not be autosaved: save it now if you can.",
            None: "",
        }[saved]
        box.setInformativeText(f"{note} The details are in the log.".strip())
        box.setDetailedText(details)
        if self.log_file is not None:
            button = box.addButton("Open log", QMessageBox.ButtonRole.ActionRole)
            button.setObjectName("openLog")
            button.clicked.connect(self.open_log)
        box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Close))
        return box

    def open_log(self) -> None:
        if self.log_file is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.log_file)))

    def _closed(self) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None
