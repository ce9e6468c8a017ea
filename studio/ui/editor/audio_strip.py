"""The audio strip under the player: master volume, a stereo level meter and per-track M/S.

Everything here is a *monitor* setting of :class:`~studio.ui.editor.audio_preview.ProjectAudio`: mute,
solo and the master volume change what the preview plays, never the project (the export and
undo history are untouched). The meter polls ``ProjectAudio.levels()`` at ~20 Hz only while the
strip is visible.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QHideEvent, QPainter, QPaintEvent, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from studio.core.project import Project, Track
    from studio.ui.editor.audio_preview import ProjectAudio

POLL_MS = 50
FLOOR_DB = -60.0
YELLOW_DB = -18.0
RED_DB = -6.0
PEAK_HOLD_S = 1.0
MASTER_MAX_PERCENT = 150

GREEN = QColor("#3ccf5a")
YELLOW = QColor("#e8c930")
RED = QColor("#e5483b")
TROUGH = QColor("#202226")

MONITOR_TIP = (
    "{what} for this preview only: it changes what you hear while editing, "
    "not the project or the export, and is not an undoable edit."
)


def percent_to_db_text(percent: int) -> str:
    if percent <= 0:
        return "-inf dB"
    db = 20.0 * math.log10(percent / 100.0)
    return f"{db:+.1f} dB"


def db_fraction(db: float) -> float:
    """dBFS -> 0..1 on a linear-in-dB scale from ``FLOOR_DB`` to 0 dB."""
    if not math.isfinite(db) or db <= FLOOR_DB:
        return 0.0
    return min(1.0, (db - FLOOR_DB) / -FLOOR_DB)


def zone_color(db: float) -> QColor:
    if db >= RED_DB:
        return RED
    if db >= YELLOW_DB:
        return YELLOW
    return GREEN


_PROBES = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audio-strip-probe")
_HAS_AUDIO: dict[str, bool] = {}  # source -> carries sound, learnt off the GUI thread


def _probe(paths: list[str]) -> dict[str, bool]:
    from studio.media.audio import has_audio

    found = {}
    for path in paths:
        try:
            found[path] = has_audio(path)
        except Exception:  # unreadable media: no sound row (the media bin says what is wrong)
            found[path] = False
    return found


def audio_tracks(project: Project, known: dict[str, bool]) -> tuple[list[Track], set[str]]:
    """Audio tracks, and video tracks whose clips are known to carry sound, in timeline order;
    and the sources not known yet (to probe in the background)."""
    out, unknown = [], set()
    for track in project.tracks:
        if track.kind == "audio":
            out.append(track)
        elif track.kind == "video":
            unknown.update(c.source for c in track.clips if c.source not in known)
            if any(known.get(c.source) for c in track.clips):
                out.append(track)
    return out, unknown


class LevelMeterWidget(QWidget):
    """Two horizontal bars (L, R): RMS bright, peak dimmer behind it, and a peak-hold tick held ~1 s."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.peak_db = [FLOOR_DB * 2, FLOOR_DB * 2]
        self.rms_db = [FLOOR_DB * 2, FLOOR_DB * 2]
        self._hold: list[tuple[float, float]] = [(FLOOR_DB * 2, 0.0), (FLOOR_DB * 2, 0.0)]
        self.setMinimumSize(120, 14)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip(f"Output level, left and right ({FLOOR_DB:g} to 0 dBFS); peak held {PEAK_HOLD_S:g} s")

    def set_levels(self, peak_db: list[float], rms_db: list[float]) -> None:
        now = time.monotonic()
        self.peak_db = list(peak_db[:2])
        self.rms_db = list(rms_db[:2])
        for ch, peak in enumerate(self.peak_db):
            held, since = self._hold[ch]
            if peak >= held or now - since > PEAK_HOLD_S:
                self._hold[ch] = (peak, now)
        self.update()

    def held_db(self, channel: int) -> float:
        return self._hold[channel][0]

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        w, h = self.width(), self.height()
        gap = 2.0
        bar_h = (h - gap) / 2
        for ch in range(2):
            y = ch * (bar_h + gap)
            painter.fillRect(QRectF(0, y, w, bar_h), TROUGH)
            self._paint_bar(painter, y, bar_h, w, self.peak_db[ch], dim=True)
            self._paint_bar(painter, y, bar_h, w, self.rms_db[ch], dim=False)
            held = self.held_db(ch)
            if db_fraction(held) > 0:
                x = db_fraction(held) * (w - 2)
                painter.fillRect(QRectF(x, y, 2, bar_h), zone_color(held))
        painter.end()

    @staticmethod
    def _paint_bar(painter: QPainter, y: float, bar_h: float, w: float, db: float, *, dim: bool) -> None:
        """Fill up to ``db`` in zones: green to -18 dB, yellow to -6 dB, red above."""
        end = db_fraction(db) * w
        start = 0.0
        for limit, color in ((YELLOW_DB, GREEN), (RED_DB, YELLOW), (0.0, RED)):
            stop = min(end, db_fraction(limit) * w)
            if stop > start:
                fill = color.darker(160) if dim else color
                painter.fillRect(QRectF(start, y, stop - start, bar_h), fill)
            start = max(start, stop)


class TrackRow(QWidget):
    """A track's name with its M (mute) and S (solo) monitor toggles."""

    def __init__(self, audio: ProjectAudio, track_id: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.track_id = track_id
        self.name_label = QLabel(name)
        self.mute_button = QToolButton()
        self.mute_button.setText("M")
        self.mute_button.setCheckable(True)
        self.mute_button.setToolTip(MONITOR_TIP.format(what=f"Mute '{name}'"))
        self.solo_button = QToolButton()
        self.solo_button.setText("S")
        self.solo_button.setCheckable(True)
        self.solo_button.setToolTip(MONITOR_TIP.format(what=f"Solo '{name}' (hear only soloed tracks)"))
        self.mute_button.toggled.connect(lambda on: audio.set_mute(track_id, on))
        self.solo_button.toggled.connect(lambda on: audio.set_solo(track_id, on))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.mute_button)
        layout.addWidget(self.solo_button)
        layout.addWidget(self.name_label, 1)


class AudioStrip(QWidget):
    """Master volume, level meter, status line and one M/S row per track with sound."""

    _probed = Signal(object)  # {source: has sound}, from the probe thread

    def __init__(self, audio: ProjectAudio, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.audio = audio
        self._project: Project | None = None
        self._probing = 0
        self._probed.connect(self._learnt)
        self.rows: dict[str, TrackRow] = {}
        self._mutes: dict[str, bool] = {}
        self._solos: dict[str, bool] = {}

        self.master_slider = QSlider(Qt.Orientation.Horizontal)
        self.master_slider.setRange(0, MASTER_MAX_PERCENT)
        self.master_slider.setValue(100)
        self.master_slider.setToolTip(MONITOR_TIP.format(what="Master volume (0-150 %)"))
        self.master_label = QLabel(percent_to_db_text(100))
        self.master_label.setMinimumWidth(60)
        self.meter = LevelMeterWidget()
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setVisible(False)
        self.rows_box = QVBoxLayout()
        self.rows_box.setContentsMargins(0, 0, 0, 0)

        master = QHBoxLayout()
        master.addWidget(QLabel("Volume"))
        master.addWidget(self.master_slider, 1)
        master.addWidget(self.master_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addLayout(master)
        layout.addWidget(self.meter)
        layout.addWidget(self.status_label)
        layout.addLayout(self.rows_box)

        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.master_slider.valueChanged.connect(self._master_changed)
        audio.statusChanged.connect(self.show_status)
        self.show_status(audio.status_message)

    def _master_changed(self, percent: int) -> None:
        self.master_label.setText(percent_to_db_text(percent))
        self.audio.set_master(percent / 100.0)

    def show_status(self, message: str) -> None:
        self.status_label.setText(message)
        self.status_label.setVisible(bool(message))

    def poll(self) -> None:
        peak, rms = self.audio.levels()
        self.meter.set_levels(peak, rms)

    def set_project(self, project: Project) -> None:
        """Rebuild the rows; a track that stays keeps its M/S state (the engine keeps it too).

        Whether a video clip carries sound is probed in the background (never PyAV on the GUI
        thread); its track's row appears when the answer comes."""
        self._project = project
        tracks, unknown = audio_tracks(project, _HAS_AUDIO)
        if unknown:
            self._probing += 1
            future = _PROBES.submit(_probe, sorted(unknown))
            future.add_done_callback(self._deliver)
        self._rebuild(tracks)

    def _deliver(self, future: Future[dict[str, bool]]) -> None:
        try:
            self._probed.emit(future.result())
        except RuntimeError:  # the strip was closed before the answer came
            pass

    def _learnt(self, found: dict[str, bool]) -> None:
        self._probing -= 1
        _HAS_AUDIO.update(found)
        if self._project is not None:
            tracks, _ = audio_tracks(self._project, _HAS_AUDIO)
            if [t.id for t in tracks] != list(self.rows):
                self._rebuild(tracks)

    @property
    def probing(self) -> bool:
        return self._probing > 0

    def _rebuild(self, tracks: list[Track]) -> None:
        for row in self.rows.values():
            self._mutes[row.track_id] = row.mute_button.isChecked()
            self._solos[row.track_id] = row.solo_button.isChecked()
            self.rows_box.removeWidget(row)
            row.deleteLater()
        self.rows = {}
        for track in tracks:
            row = TrackRow(self.audio, track.id, track.name or track.id, self)
            row.mute_button.setChecked(self._mutes.get(track.id, False))
            row.solo_button.setChecked(self._solos.get(track.id, False))
            self.rows_box.addWidget(row)
            self.rows[track.id] = row

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.timer.stop()
