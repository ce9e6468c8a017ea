"""Child process for the crash test: plays a tone into the PulseAudio null sink, records its
monitor to argv[1], prints "recording" once argv[2] seconds are on disk, then waits to be killed."""

from __future__ import annotations

import sys
import time

import numpy as np

from studio.audio.playback import AudioEngine
from studio.audio.record import Recorder


def main() -> None:
    path, seconds = sys.argv[1], float(sys.argv[2])
    t = np.arange(48000 * 60) / 48000
    mono = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    engine = AudioEngine("pulse")
    engine.set_tracks({"tone": np.stack([mono, mono], axis=1)})
    engine.play()
    recorder = Recorder(path, device="pulse", channels=1, countdown=0, sample_width=2)
    recorder.start()
    while recorder.frames_written < seconds * recorder.rate:
        time.sleep(0.05)
    print("recording", flush=True)
    time.sleep(60)


if __name__ == "__main__":
    main()
