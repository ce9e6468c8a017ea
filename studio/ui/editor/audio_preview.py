"""The project's real sound in the preview: track stems in an ``AudioEngine`` that clocks the video.

:class:`ProjectAudio` brings a :class:`studio.audio.live_mix.LiveMix` (the export's mix, per
track, kept between edits so an edit re-decodes, re-renders and re-measures only what it
changed) to each new state in the job runner (at most every ``DEBOUNCE_MS``, the previous job
cancelled) and hands the stems to the engine, with the normalising gain as the mixer's
programme gain (so a loudness change never rescales whole stems). The project handed over
must be a snapshot nobody changes (``History.snapshot()``): nothing is copied here. The engine is created on first use, never on import: opening a device can take a
while and PortAudio may be missing. The player reads :meth:`ProjectAudio.time` as its clock
(``Player.attach_audio``); it is ``None`` whenever no device is really playing, so the player
keeps its own monotonic clock then.

``play``/``pause``/``seek``/``scrub``/``time`` are called from the player's worker thread; the
engine's methods are thread-safe. Signals are emitted only on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from studio.ui.jobs import Op

if TYPE_CHECKING:
    from studio.audio.live_mix import LiveMix, MixResult
    from studio.audio.playback import AudioEngine
    from studio.core.project import Project
    from studio.jobs.runner import JobContext, JobHandle, JobRunner

log = logging.getLogger(__name__)

RATE = 48000
DEBOUNCE_MS = 30  # coalesces a slider drag's edits; the mix itself costs what the edit changed
STATUS_POLL_MS = 1000


def _default_engine() -> AudioEngine:
    from studio.audio.playback import AudioEngine

    return AudioEngine()


def _silent_engine(reason: str) -> AudioEngine:
    from studio.audio.playback import AudioEngine

    engine = AudioEngine(silent=True)
    engine.status_message = reason
    return engine


def _mix(live: LiveMix, project: Project, ctx: JobContext) -> MixResult:
    ctx.check()
    return live.update(project, ctx.check)


class ProjectAudio(QObject):
    """Preview audio for one project: stems, transport, mixer and level meter."""

    statusChanged = Signal(str)
    stemsReady = Signal(float)  # seconds of sound now loaded in the engine
    failed = Signal(str)

    def __init__(
        self,
        runner: JobRunner,
        parent: QObject | None = None,
        *,
        engine_factory: Callable[[], AudioEngine] | None = None,
        debounce_ms: int = DEBOUNCE_MS,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._factory = engine_factory or _default_engine
        self._engine: AudioEngine | None = None
        self._engine_lock = threading.Lock()
        self._pending: Project | None = None
        self._job: JobHandle[Any] | None = None
        self._status = ""
        self._mutes: dict[str, bool] = {}
        self._solos: dict[str, bool] = {}
        self._master = 1.0
        self._live: LiveMix | None = None
        self.gain = 1.0  # the normalising gain of the stems (the export's loudness target)
        self.stems: dict[str, np.ndarray] = {}
        self.jobs_started = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self._recompute)
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(STATUS_POLL_MS)
        self._status_timer.timeout.connect(self._check_status)

    # ----------------------------------------------------------------- engine
    @property
    def engine(self) -> AudioEngine:
        """The engine, created on first use; a failure gives a silent one that says why."""
        with self._engine_lock:
            if self._engine is None:
                try:
                    engine = self._factory()
                except Exception as exc:
                    log.warning("audio engine failed to start: %s", exc)
                    engine = _silent_engine(f"Audio playback could not start ({exc}). Playback is silent.")
                for track_id, on in self._mutes.items():
                    engine.mixer.set_mute(track_id, on)
                for track_id, on in self._solos.items():
                    engine.mixer.set_solo(track_id, on)
                engine.mixer.set_master(self._master)
                engine.mixer.set_programme_gain(self.gain)
                if self.stems:
                    engine.set_tracks(self.stems, RATE)
                self._engine = engine
            return self._engine

    @property
    def started(self) -> bool:
        return self._engine is not None

    @property
    def status_message(self) -> str:
        """Why the preview is silent ("" while a device plays, or before the engine starts)."""
        engine = self._engine
        return engine.status_message if engine is not None else ""

    def _check_status(self) -> None:
        message = self.status_message
        if message != self._status:
            self._status = message
            self.statusChanged.emit(message)

    def start(self) -> None:
        """Open the device now (GUI thread) and report its status."""
        _ = self.engine
        self._check_status()
        if not self._status_timer.isActive():
            self._status_timer.start()

    # ----------------------------------------------------------------- stems
    def set_project(self, project: Project) -> None:
        """Mix this state of the project soon (a snapshot: it is not copied, never change it)."""
        self._pending = project
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Start the pending mix now instead of after the debounce."""
        if self._timer.isActive():
            self._timer.stop()
            self._recompute()

    @property
    def busy(self) -> bool:
        return self._timer.isActive() or (self._job is not None and not self._job.finished)

    def _recompute(self) -> None:
        project, self._pending = self._pending, None
        if project is None:
            return
        if self._job is not None:
            self._job.cancel()
        self.jobs_started += 1
        handle: JobHandle[Any] | None = None

        def loaded(result: MixResult) -> None:
            if handle is self._job:
                self._job = None
                self.gain = result.gain
                self._load(result.stems, project.duration)

        def failed(exc: BaseException) -> None:
            if handle is self._job:
                self._job = None
                message = f"The preview sound could not be mixed: {exc}"
                log.warning("%s", message)
                self.failed.emit(message)
                self.statusChanged.emit(message)

        if self._live is None:
            from studio.audio.live_mix import LiveMix

            self._live = LiveMix(RATE)
        live = self._live
        op = Op(self._runner, lambda ctx: _mix(live, project, ctx), name="Preview audio")
        handle = op.success(loaded).failure(failed).run()
        self._job = handle

    def _load(self, stems: dict[str, np.ndarray], duration: float) -> None:
        self.stems = stems
        if stems or self._engine is not None:  # a project without sound opens no device
            self.engine.mixer.set_programme_gain(self.gain)
            self.engine.set_tracks(stems, RATE)
            self.start()
        self.stemsReady.emit(duration)

    # ------------------------------------------------------------- transport
    def play(self, t: float) -> None:
        engine = self.engine
        engine.seek(t)
        engine.play()

    def pause(self) -> None:
        if self._engine is not None:
            self._engine.pause()

    def seek(self, t: float) -> None:
        self.engine.seek(t)

    def scrub(self, t: float) -> None:
        self.engine.scrub(t)

    def time(self) -> float | None:
        """The audio clock while a real device plays programme audio; otherwise ``None``."""
        engine = self._engine
        if engine is None or engine.silent or not engine.playing or engine.duration <= 0:
            return None
        return engine.clock.time()

    # ----------------------------------------------------------------- mixer
    def set_mute(self, track_id: str, on: bool) -> None:
        self._mutes[track_id] = on
        if self._engine is not None:
            self._engine.mixer.set_mute(track_id, on)

    def set_solo(self, track_id: str, on: bool) -> None:
        self._solos[track_id] = on
        if self._engine is not None:
            self._engine.mixer.set_solo(track_id, on)

    def set_master(self, gain: float) -> None:
        self._master = gain
        if self._engine is not None:
            self._engine.mixer.set_master(gain)

    def levels(self) -> tuple[list[float], list[float]]:
        """(peak_db, rms_db) per channel; silence before the engine starts."""
        if self._engine is None:
            return [-120.0, -120.0], [-120.0, -120.0]
        peak, rms = self._engine.meter.levels()
        return list(peak), list(rms)

    def close(self) -> None:
        self._timer.stop()
        self._status_timer.stop()
        if self._job is not None:
            self._job.cancel()
            self._job = None
        with self._engine_lock:
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.close()
