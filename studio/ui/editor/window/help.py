"""The editor window's Help menu: About (version and the profile's folders) and the Doctor
report, run in a child process and shown as copyable text (a part of
:class:`~studio.ui.editor.window.main_window.MainWindow`)."""

from __future__ import annotations

import importlib.util
import json
from typing import Any

from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from studio.ui.editor.window.project_files import APP_TITLE
from studio.ui.jobs import Op


def app_version() -> str:
    from studio import __version__

    return __version__


def _doctor_in_child() -> dict[str, Any]:
    """Run the doctor in a child process: probing encoders turns on FFmpeg's Python log callback,
    which can deadlock a process that is decoding on other threads (the player)."""
    import json
    import subprocess

    from studio.process import worker_command

    done = subprocess.run(worker_command("doctor", "--json"), capture_output=True, text=True, timeout=120)
    try:
        return dict(json.loads(done.stdout))
    except ValueError:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"the doctor could not run ({reason})") from None


def doctor_available() -> bool:
    try:
        return importlib.util.find_spec("studio.doctor") is not None
    except ModuleNotFoundError:
        return False


class HelpMixin:
    """Mixed into MainWindow."""

    def show_about(self) -> None:
        p = self.paths
        QMessageBox.about(
            self,
            f"About {APP_TITLE}",
            f"<b>{APP_TITLE}</b> {app_version()}<br>Edit, export and publish short vertical videos."
            f"<p>Profile: {p.profile}<br>Data: {p.data}<br>Settings: {p.config}<br>"
            f"Cache: {p.cache}<br>Logs: {p.logs}</p>",
        )

    def show_doctor(self) -> None:
        from studio import doctor

        dialog = TextDialog("Doctor report", "Collecting versions, encoders and devices…", self)
        dialog.show()
        self._doctor_dialog = dialog
        Op(self.runner, lambda _ctx: _doctor_in_child(), name="Doctor report").success(
            lambda report: dialog.set_text(_doctor_text(doctor, report))
        ).failure(lambda exc: dialog.set_text(f"The doctor report failed: {exc}")).run()


def _doctor_text(doctor: Any, report: dict[str, Any]) -> str:
    """The doctor's own plain-text layout, with the full JSON below for bug reports."""
    try:
        text = "\n".join(doctor.report_lines(report))
    except (AttributeError, KeyError, TypeError):
        text = ""
    return (text + "\n\n" if text else "") + json.dumps(report, indent=2, default=str)


class TextDialog(QDialog):
    """A read-only, copyable text report."""

    def __init__(self, title: str, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.text = QPlainTextEdit(text)
        self.text.setReadOnly(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        copy = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QApplication.clipboard().setText(self.text.toPlainText()))
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(640, 480)

    def set_text(self, text: str) -> None:
        self.text.setPlainText(text)
