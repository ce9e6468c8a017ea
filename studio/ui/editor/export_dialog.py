"""Export dialog: preset, encoder, size estimate; the render runs in a worker process.

The project is written to a temporary JSON file and ``creator-studio render`` runs in a
``QProcess`` (the command from :func:`studio.process.worker_command`) with ``--progress json``;
its progress lines drive the bar and the ETA, so the GUI only reads pipes and stays responsive
(the Shotcut ``JobQueue`` shape, not OpenShot's export loop on the GUI thread). Cancel asks the
process to stop (SIGTERM: the CLI removes its temporary file) and kills it if it does not; a
failure shows the CLI's last stderr line.

"Keep HDR (HLG, 10-bit HEVC)" adds ``--hdr hlg``. Whether the project can keep HDR (an HDR clip,
no SDR-only looks, libx265 here: ``studio.render.hdr_export.unavailable_reason``) reads the media
files, so it is found on a worker thread; until then, and whenever it cannot, the box is off and
its tooltip and the line under it say why. The preview stays SDR either way.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QProcess, QProcessEnvironment, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.project import Project
from studio.jobs.runner import JobRunner
from studio.process import worker_command

log = logging.getLogger(__name__)

KILL_AFTER_MS = 4000
CLI_PREFIX = "creator-studio render: "
HDR_LABEL = "Keep HDR (HLG, 10-bit HEVC)"
HDR_CHECKING = "Checking whether this project can keep HDR…"
HDR_OFFERED = (
    "Exports 10-bit HLG HEVC tagged BT.2020 / HLG, for HDR phones and players. "
    "The preview shows SDR, since this display is SDR."
)


def format_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "estimating…"
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d} left"


def render_command(project_json: Path, output: Path, preset: str, hdr: bool = False) -> list[str]:
    """The worker process's command line (program first); ``hdr`` keeps HLG (``--hdr hlg``)."""
    return worker_command(
        "render",
        str(project_json),
        "-o",
        str(output),
        "--preset",
        preset,
        "--progress",
        "json",
        *(("--hdr", "hlg") if hdr else ()),
    )


class ExportDialog(QDialog):
    """Choose a preset and a file, export with progress/ETA/cancel, then show the file."""

    finished_export = Signal(bool, str)  # ok, path or reason
    hdr_checked = Signal(object)  # None (HDR offered) or the reason it is not

    def __init__(
        self,
        project: Project,
        runner: JobRunner | None,
        project_path: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        from studio.render.presets import DEFAULT_PRESET, PRESETS

        self.setWindowTitle("Export video")
        self.project = project
        self.runner = runner
        self.process: QProcess | None = None
        self.result_path: Path | None = None
        self.error = ""
        self._temp_dir: Path | None = None
        self._stdout_buffer = b""
        self._stderr_lines: list[str] = []
        self._started_at = 0.0
        self._started_wall = 0.0
        self._target = Path()
        self._cancelling = False
        self._probe: QProcess | None = None
        self.hdr_reason: str | None = HDR_CHECKING

        self.preset = QComboBox()
        canvas = project.canvas
        for name, preset in PRESETS.items():
            w, h = preset.output_size(canvas.width, canvas.height)
            self.preset.addItem(f"{name} — {w}×{h}, {preset.output_fps(canvas.fps):g} fps", name)
        self.preset.setCurrentIndex(max(0, self.preset.findData(DEFAULT_PRESET)))
        self.output = QLineEdit(str(self._default_output(project_path)))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        out_row = QHBoxLayout()
        out_row.addWidget(self.output, 1)
        out_row.addWidget(browse)
        self.hdr = QCheckBox(HDR_LABEL)
        self.hdr.setEnabled(False)
        self.hdr.setToolTip(HDR_CHECKING)
        self.hdr_label = QLabel(HDR_CHECKING)
        self.hdr_label.setWordWrap(True)
        self.hdr_label.setStyleSheet("color: gray")
        self.encoder_label = QLabel("checking encoders…")
        self.size_label = QLabel()
        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet("color: #d08000")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.eta_label = QLabel("")
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.export_button = QPushButton("Export")
        self.export_button.setDefault(True)
        self.cancel_button = QPushButton("Close")
        self.show_button = QPushButton("Show in Folder")
        self.show_button.setVisible(False)
        self.export_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._cancel_or_close)
        self.show_button.clicked.connect(self.show_in_folder)

        form = QFormLayout()
        form.addRow("Preset", self.preset)
        form.addRow("File", out_row)
        form.addRow("HDR", self.hdr)
        form.addRow("", self.hdr_label)
        form.addRow("Encoder", self.encoder_label)
        form.addRow("Estimated size", self.size_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.show_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.eta_label)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.preset.currentIndexChanged.connect(lambda _i: self._update_estimate())
        self._update_estimate()
        self.hdr_checked.connect(self._show_hdr)
        self._check_hdr()
        self._probe_encoders()
        self.resize(520, 300)

    # ------------------------------------------------------------------ set-up

    @staticmethod
    def _default_output(project_path: Path | None) -> Path:
        if project_path is not None:
            return project_path.with_suffix(".mp4")
        videos = Path.home() / "Videos"
        return (videos if videos.is_dir() else Path.home()) / "export.mp4"

    @property
    def preset_name(self) -> str:
        return str(self.preset.currentData())

    def _browse(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(self, "Export to", self.output.text(), "MP4 video (*.mp4)")
        if chosen:
            self.output.setText(chosen if chosen.lower().endswith(".mp4") else chosen + ".mp4")

    def _update_estimate(self) -> None:
        from studio.render.presets import get_preset, platform_problems

        preset = get_preset(self.preset_name)
        canvas = self.project.canvas
        w, h = preset.output_size(canvas.width, canvas.height)
        duration = self.project.duration
        estimate = preset.estimate_bytes(duration)
        self.size_label.setText(f"up to {format_bytes(estimate)} for {duration:.1f} s")
        problems = platform_problems(w, h, preset.output_fps(canvas.fps), duration, estimate)
        self.problems_label.setText("\n".join(f"⚠ {p}" for p in problems))
        self.problems_label.setVisible(bool(problems))
        self.export_button.setEnabled(duration > 0 and self.process is None)
        if duration <= 0:
            self.status.setText("The project is empty: add clips to the timeline first.")

    def _probe_encoders(self) -> None:
        """Which encoder the export will use, probed in a child process: opening encoders
        turns on FFmpeg's Python log callback process-wide, which must not happen while this
        process decodes thumbnails and previews on other threads."""
        if self.runner is None:
            self.encoder_label.setText("chosen when the export starts")
            return
        probe = QProcess(self)
        probe.setProcessEnvironment(self._environment())
        probe.finished.connect(lambda code, _status, p=probe: self._encoders_probed(p, code))
        self._probe = probe
        program, *arguments = worker_command("doctor", "--export-encoder")
        probe.start(program, arguments)

    def _encoders_probed(self, probe: QProcess, code: int) -> None:
        out = bytes(probe.readAllStandardOutput().data()).decode("utf-8", "replace").strip()
        try:
            found = json.loads(out.splitlines()[-1]) if code == 0 and out else None
        except ValueError:
            found = None
        if not isinstance(found, dict):
            err = bytes(probe.readAllStandardError().data()).decode("utf-8", "replace").strip()
            self._show_encoder(f"could not check the encoders: {(err.splitlines() or ['no answer'])[-1]}")
            return
        kind = "hardware" if found.get("hardware") else "software"
        self._show_encoder(f"{found.get('name')} ({kind})")

    def _check_hdr(self) -> None:
        """Whether the HDR option can be offered, found off the GUI thread (it probes the media
        files and loads the filter registry); the answer comes back through ``hdr_checked``."""
        project = self.project

        def check(_ctx: Any = None) -> str | None:
            from studio.render.hdr_export import unavailable_reason

            return unavailable_reason(project)

        def deliver(reason: str | None) -> None:
            with contextlib.suppress(RuntimeError):  # the dialog is gone: nobody to tell
                self.hdr_checked.emit(reason)

        def failed(exc: BaseException) -> None:
            deliver(f"Could not check the clips for HDR: {exc}")

        if self.runner is not None:
            self.runner.submit(check, name="check HDR export", on_success=deliver, on_failure=failed)
            return

        def run() -> None:
            try:
                reason = check()
            except Exception as exc:  # shown as the reason; the SDR export is unaffected
                failed(exc)
                return
            deliver(reason)

        threading.Thread(target=run, name="export-hdr-check", daemon=True).start()

    def _show_hdr(self, reason: str | None) -> None:
        try:
            self.hdr_reason = reason
            offered = reason is None
            if not offered:
                self.hdr.setChecked(False)
            self.hdr.setEnabled(offered and self.process is None)
            self.hdr.setToolTip(HDR_OFFERED if offered else reason)
            self.hdr_label.setText(
                "The preview stays SDR; the file keeps HDR." if offered else f"HDR is off: {reason}"
            )
        except RuntimeError:  # the dialog was closed before the check finished
            pass

    @staticmethod
    def _environment() -> QProcessEnvironment:
        """This environment as it is: the worker finds the app where this process did."""
        return QProcessEnvironment.systemEnvironment()

    def _show_encoder(self, text: str) -> None:
        try:
            self.encoder_label.setText(text)
        except RuntimeError:  # the dialog was closed before the probe finished
            pass

    # ------------------------------------------------------------------ export

    @property
    def running(self) -> bool:
        return self.process is not None

    def start(self) -> bool:
        """Save the project to a temporary JSON file and start the render worker."""
        if self.process is not None:
            return False
        output = Path(self.output.text()).expanduser()
        if not output.name or output.suffix.lower() != ".mp4":
            self._fail("Choose a file name ending in .mp4")
            return False
        if not output.parent.is_dir():
            self._fail(f"The folder {output.parent} does not exist")
            return False
        output = output.absolute()
        self._temp_dir = Path(tempfile.mkdtemp(prefix="studio-export-"))
        project_json = self._temp_dir / "project.json"
        project_json.write_text(json.dumps(self.project.to_dict(), ensure_ascii=False), encoding="utf-8")
        self.result_path, self.error = None, ""
        self._stdout_buffer, self._stderr_lines = b"", []
        self._cancelling = False
        self._target = output
        process = QProcess(self)
        process.setProcessEnvironment(self._environment())
        process.readyReadStandardOutput.connect(self._read_stdout)
        process.readyReadStandardError.connect(self._read_stderr)
        process.finished.connect(self._finished)
        process.errorOccurred.connect(self._process_error)
        self.process = process
        self._started_at = time.monotonic()
        self._started_wall = time.time()
        self.progress.setValue(0)
        self.status.setText(f"Exporting to {output.name}…")
        self.eta_label.setText(format_eta(None))
        self.show_button.setVisible(False)
        self.export_button.setEnabled(False)
        self.preset.setEnabled(False)
        self.output.setEnabled(False)
        keep_hdr = self.hdr.isChecked() and self.hdr_reason is None
        self.hdr.setEnabled(False)
        self.cancel_button.setText("Cancel")
        program, *arguments = render_command(project_json, output, self.preset_name, keep_hdr)
        log.info("export: %s %s", program, " ".join(arguments))
        process.start(program, arguments)
        return True

    def _read_stdout(self) -> None:
        if self.process is None:
            return
        self._stdout_buffer += bytes(self.process.readAllStandardOutput().data())
        *lines, self._stdout_buffer = self._stdout_buffer.split(b"\n")
        for line in lines:
            try:
                report = json.loads(line)
            except ValueError:
                continue
            if isinstance(report, dict):
                self._progress(report)

    def _progress(self, report: dict[str, Any]) -> None:
        total = report.get("total") or 0
        frame = report.get("frame") or 0
        if total:
            self.progress.setValue(round(1000 * min(1.0, frame / total)))
        if report.get("done"):
            self.eta_label.setText("")
            return
        fps = report.get("fps") or 0
        self.eta_label.setText(f"frame {frame}/{total} · {fps:.1f} fps · {format_eta(report.get('eta_s'))}")

    def _read_stderr(self) -> None:
        if self.process is None:
            return
        text = bytes(self.process.readAllStandardError().data()).decode("utf-8", "replace")
        self._stderr_lines += [line.strip() for line in text.splitlines() if line.strip()]
        self._stderr_lines = self._stderr_lines[-20:]

    def _reason(self) -> str:
        errors = [line for line in self._stderr_lines if "warning:" not in line]
        last = (errors or self._stderr_lines or ["the export stopped without a reason"])[-1]
        return last.removeprefix(CLI_PREFIX)

    def _finished(self, code: int, _status: QProcess.ExitStatus) -> None:
        self._read_stdout()
        self._read_stderr()
        self.process = None
        self._cleanup()
        self.preset.setEnabled(True)
        self.output.setEnabled(True)
        self.hdr.setEnabled(self.hdr_reason is None)
        self.export_button.setEnabled(True)
        self.cancel_button.setText("Close")
        if self._cancelling:
            self._remove_partials()
            self.progress.setValue(0)
            self.eta_label.setText("")
            self.status.setText("Export cancelled; nothing was written.")
            self.error = "cancelled"
            self.finished_export.emit(False, "cancelled")
            return
        if code == 0 and self._target.is_file():
            self.result_path = self._target
            self.progress.setValue(1000)
            seconds = time.monotonic() - self._started_at
            self.status.setText(
                f"Exported {self._target.name} ({format_bytes(self._target.stat().st_size)}) in {seconds:.1f} s"
            )
            self.show_button.setVisible(True)
            self.finished_export.emit(True, str(self._target))
        else:
            self._fail(f"Export failed: {self._reason()}")

    def _process_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.process = None
            self._cleanup()
            self.export_button.setEnabled(True)
            self.preset.setEnabled(True)
            self.output.setEnabled(True)
            self.hdr.setEnabled(self.hdr_reason is None)
            self._fail(f"The export worker could not start ({sys.executable})")

    def _fail(self, message: str) -> None:
        self.error = message
        self.status.setText(message)
        self.status.setStyleSheet("color: #d04040")
        self.finished_export.emit(False, message)

    def cancel(self) -> None:
        """Stop the worker: SIGTERM lets the CLI delete its temp file; kill if it hangs."""
        process = self.process
        if process is None:
            return
        self._cancelling = True
        self.status.setText("Cancelling…")
        process.terminate()
        QTimer.singleShot(KILL_AFTER_MS, lambda p=process: self._kill_if_running(p))

    def _kill_if_running(self, process: QProcess) -> None:
        try:
            if process.state() != QProcess.ProcessState.NotRunning:
                process.kill()
        except RuntimeError:
            pass

    def _remove_partials(self) -> None:
        """A killed worker cannot clean up: remove its hidden ``.NAME.*.part.mp4`` files."""
        target = self._target
        for leftover in target.parent.glob(f".{target.stem}.*.part.mp4"):
            try:
                if leftover.stat().st_mtime >= self._started_wall - 1:
                    leftover.unlink()
            except OSError as exc:
                log.warning("could not remove %s: %s", leftover, exc)

    def _cleanup(self) -> None:
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def _cancel_or_close(self) -> None:
        if self.process is not None:
            self.cancel()
        else:
            self.reject()

    def show_in_folder(self) -> bool:
        if self.result_path is None:
            return False
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.result_path.parent)))

    def wait_for_worker(self, msecs: int) -> bool:
        """For shutdown: block up to ``msecs`` for the worker to end."""
        return self.process is None or self.process.waitForFinished(msecs)

    def _stop_probe(self) -> None:
        probe, self._probe = self._probe, None
        if probe is not None and probe.state() != QProcess.ProcessState.NotRunning:
            probe.kill()
            probe.waitForFinished(2000)

    def closeEvent(self, event: Any) -> None:
        self._stop_probe()
        process = self.process
        if process is not None:
            self.cancel()
            process.waitForFinished(KILL_AFTER_MS + 1000)
        super().closeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Escape closes the dialog; while an export runs it only says how to stop it."""
        if event.matches(QKeySequence.StandardKey.Cancel) and self.process is not None:
            event.accept()
            self.status.setText("The export is still running: click Cancel to stop it.")
            return
        super().keyPressEvent(event)

    def reject(self) -> None:
        if self.process is not None:
            self.cancel()
            return
        self._stop_probe()
        super().reject()
