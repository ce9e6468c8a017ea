"""Record a voice-over onto a new audio track at the playhead.

Record opens the microphone (``studio.audio.record.Recorder``) with a 3-2-1 countdown while the
level meter is already live; when the countdown ends the video plays (if a player was given) so
the creator can talk over it. Stop finishes the WAV in ``media_dir`` and adds it, as one undo
step, as a ``role="voiceover"`` clip on a new audio track starting at the playhead.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from studio.audio.device import AudioUnavailable, import_error, list_input_devices, resolve_device
from studio.audio.record import PunchIn, Recorder, RecorderState, RecordingResult
from studio.core.edits import AddClip, AddTrack, History, SetParams
from studio.core.errors import ProjectError
from studio.core.project import AudioClip, new_id
from studio.ui.editor.timeline.model import Group

log = logging.getLogger(__name__)

POLL_MS = 50  # countdown, meter and elapsed time refresh at 20 Hz
METER_FLOOR_DB = -60.0
TRACK_NAME = "Voice-over"


class Playable(Protocol):
    def play(self) -> None: ...

    def pause(self) -> None: ...


def take_path(media_dir: Path, now: datetime | None = None) -> Path:
    """``voiceover-YYYYmmdd-HHMMSS.wav`` in ``media_dir``; ``-2``, ``-3``... if that name is taken."""
    stem = f"voiceover-{(now or datetime.now()):%Y%m%d-%H%M%S}"
    path = media_dir / f"{stem}.wav"
    n = 2
    while path.exists():
        path = media_dir / f"{stem}-{n}.wav"
        n += 1
    return path


def meter_percent(db: float) -> int:
    """dBFS -> 0..100 on a linear-in-dB scale from ``METER_FLOOR_DB`` to 0 dB."""
    if not math.isfinite(db) or db <= METER_FLOOR_DB:
        return 0
    return round(100 * min(1.0, (db - METER_FLOOR_DB) / -METER_FLOOR_DB))


class VoiceoverDialog(QDialog):
    """Record a voice-over; emits ``recorded(path, clip_id)`` once the clip is on the timeline."""

    recorded = Signal(str, str)

    def __init__(
        self,
        history: History,
        playhead: float,
        media_dir: Path,
        parent: QWidget | None = None,
        *,
        player: Playable | None = None,
        countdown: float = 3.0,
        punch_clip: AudioClip | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Record Voice-over")
        self.history = history
        self.playhead = max(0.0, float(playhead))
        self.media_dir = Path(media_dir)
        self.player = player
        self.countdown = countdown
        self.punch_clip = punch_clip
        self.recorder: Recorder | None = None
        self.last_path: Path | None = None
        self._record_started: float | None = None
        self._player_playing = False

        self.device_combo = QComboBox()
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.countdown_label = QLabel()
        self.countdown_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = QFont(self.countdown_label.font())
        font.setPointSize(48)
        font.setBold(True)
        self.countdown_label.setFont(font)
        self.countdown_label.setMinimumHeight(90)
        self.meter = QProgressBar()
        self.meter.setRange(0, 100)
        self.meter.setTextVisible(False)
        self.meter.setToolTip(f"Input level ({METER_FLOOR_DB:g} to 0 dBFS)")
        self.level_label = QLabel("-inf dB")
        self.elapsed_label = QLabel("0:00.0")
        self.record_button = QPushButton("● Record")
        self.stop_button = QPushButton("■ Stop")
        self.close_button = QPushButton("Close")

        form = QFormLayout()
        form.addRow("Microphone", self.device_combo)
        form.addRow("Starts at", QLabel(f"{self.playhead:.2f} s on a new audio track"))
        self.punch_check = QCheckBox("Punch in: replace the selected voice-over from the playhead")
        self.punch_check.setToolTip(
            "Records over the take from the playhead on; the original file is kept and the clip "
            "switches to a new file, so undo brings the old take back."
        )
        self.punch_check.setVisible(punch_clip is not None)
        self.punch_check.setChecked(punch_clip is not None)
        form.addRow("", self.punch_check)
        meter_row = QHBoxLayout()
        meter_row.addWidget(self.meter, 1)
        meter_row.addWidget(self.level_label)
        form.addRow("Level", meter_row)
        form.addRow("Recorded", self.elapsed_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.record_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.countdown_label)
        layout.addWidget(self.message_label)
        layout.addLayout(buttons)

        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self._poll)
        self.record_button.clicked.connect(self.start_recording)
        self.stop_button.clicked.connect(self.stop_recording)
        self.close_button.clicked.connect(self.reject)
        self._fill_devices()
        self._set_idle()

    # ------------------------------------------------------------------ state

    @property
    def recording(self) -> bool:
        return self.recorder is not None

    def _fill_devices(self) -> None:
        try:
            devices = list_input_devices()
        except Exception as exc:  # PortAudio errors come in many types; the dialog must still open
            log.warning("listing input devices failed: %s", exc)
            devices = []
        self.device_combo.clear()
        for d in devices:
            self.device_combo.addItem(f"{d.name} ({d.hostapi})", d.index)
        if not devices:
            reason = import_error()
            why = f" ({reason})" if reason else ""
            self.device_combo.addItem("no input device")
            self.show_error(f"No input device: connect a microphone and open this window again{why}.")
            return
        try:
            preferred = resolve_device(None, "input").index
        except AudioUnavailable:
            return
        found = self.device_combo.findData(preferred)
        if found >= 0:
            self.device_combo.setCurrentIndex(found)

    @property
    def has_device(self) -> bool:
        return self.device_combo.currentData() is not None

    def _set_idle(self) -> None:
        self.record_button.setEnabled(self.has_device)
        self.device_combo.setEnabled(self.has_device)
        self.stop_button.setEnabled(False)
        self.close_button.setEnabled(True)
        self.meter.setValue(0)
        self.level_label.setText("-inf dB")

    def show_error(self, text: str) -> None:
        self.message_label.setStyleSheet("color: #d04040;")
        self.message_label.setText(text)

    def show_info(self, text: str) -> None:
        self.message_label.setStyleSheet("")
        self.message_label.setText(text)

    # ------------------------------------------------------------------ record / stop

    def start_recording(self) -> bool:
        """Open the microphone and start the countdown; False (with the reason shown) if it cannot."""
        if self.recording or not self.has_device:
            return False
        try:
            self.media_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.show_error(
                f"The folder for recordings cannot be made: {self.media_dir} ({exc.strerror or exc})."
            )
            return False
        path = take_path(self.media_dir)
        recorder = Recorder(
            path, device=self.device_combo.currentData(), countdown=self.countdown, punch=self._punch()
        )
        try:
            recorder.start()
        except AudioUnavailable as exc:
            self.show_error(str(exc))
            return False
        except Exception as exc:  # a PortAudio error that the engine did not turn into a sentence
            log.exception("recording could not start")
            self.show_error(f"The microphone could not be opened ({exc}).")
            return False
        self.recorder = recorder
        self.last_path = path
        self._record_started = None
        self._player_playing = False
        self.record_button.setEnabled(False)
        self.device_combo.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.close_button.setEnabled(False)
        self.elapsed_label.setText("0:00.0")
        self.show_info(f"Recording to {path.name}")
        self._poll()
        self.timer.start()
        return True

    def _poll(self) -> None:
        recorder = self.recorder
        if recorder is None:
            return
        peaks, _rms = recorder.meter.levels()
        peak = max(peaks, default=-math.inf)
        self.meter.setValue(meter_percent(peak))
        self.level_label.setText(f"{peak:.0f} dB" if math.isfinite(peak) else "-inf dB")
        left = recorder.countdown_remaining()
        if left is not None:
            self.countdown_label.setText(str(left))
            return
        if recorder.state is RecorderState.FAILED:
            self.stop_recording()
            return
        if recorder.state is RecorderState.RECORDING:
            if self._record_started is None:
                self._record_started = time.monotonic()
                self.countdown_label.setText("● REC")
                if self.player is not None and not self._player_playing:
                    self.player.play()
                    self._player_playing = True
            elapsed = time.monotonic() - self._record_started
            self.elapsed_label.setText(f"{int(elapsed // 60)}:{elapsed % 60:04.1f}")

    def stop_recording(self) -> str | None:
        """Stop and put the take on the timeline; the new clip's id, or None (reason shown)."""
        recorder = self.recorder
        if recorder is None:
            return None
        self.timer.stop()
        if self.player is not None and self._player_playing:
            self.player.pause()
            self._player_playing = False
        self.recorder = None
        self.countdown_label.setText("")
        self._set_idle()
        try:
            result = recorder.stop()
        except AudioUnavailable as exc:
            self.show_error(f"{exc} What was recorded so far is kept in {recorder.path}.")
            return None
        if result.frames == 0:
            recorder.path.unlink(missing_ok=True)
            self.show_info("Stopped before the countdown ended: nothing was recorded.")
            return None
        return self._add_take(result)

    def _punch(self) -> PunchIn | None:
        clip = self.punch_clip
        if clip is None or not self.punch_check.isChecked():
            return None
        return PunchIn(Path(clip.source), clip.source_time(self.playhead))

    def _add_take(self, result: RecordingResult) -> str | None:
        if self._punch() is not None:
            return self._replace_take(result)
        clip = AudioClip(new_id(), str(result.path), 0.0, result.duration, self.playhead, role="voiceover")
        add = AddTrack("audio", name=TRACK_NAME)
        try:
            self.history.do(Group([add, AddClip(add.track.id, clip)], "Record voice-over"))
        except ProjectError as exc:
            self.show_error(f"The take is saved as {result.path} but could not be added: {exc}")
            return None
        note = f" ({result.overflows} dropouts)" if result.overflows else ""
        self.show_info(f"Added {result.path.name}, {result.duration:.1f} s, at {self.playhead:.2f} s{note}.")
        self.recorded.emit(str(result.path), clip.id)
        return clip.id

    def _replace_take(self, result: RecordingResult) -> str | None:
        """Point the punched clip at the merged take (one undo step brings the old take back)."""
        clip = self.punch_clip
        assert clip is not None
        # the merged file is the old take with the insert laid over it from the punch point on
        out_point = max(clip.out_point, clip.source_time(self.playhead) + result.duration)
        try:
            self.history.do(
                SetParams(
                    clip.id, {"source": str(result.path), "out_point": out_point}, label="Punch in voice-over"
                )
            )
        except ProjectError as exc:
            self.show_error(f"The take is saved as {result.path} but could not replace the clip: {exc}")
            return None
        self.show_info(f"Punched in at {self.playhead:.2f} s: the clip now plays {result.path.name}.")
        self.recorded.emit(str(result.path), clip.id)
        return clip.id

    # ------------------------------------------------------------------ closing keeps the take

    def reject(self) -> None:
        self.stop_recording()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop_recording()
        super().closeEvent(event)

    def done(self, result: Any) -> None:
        self.stop_recording()
        super().done(result)
