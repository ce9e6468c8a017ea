"""Audio engine: device output with a master clock, voice-over recording, waveforms, mixing DSP.

Qt-free. Heavy imports (sounddevice, av, scipy, pyloudnorm) happen inside functions, so importing
``studio.audio`` is cheap and never fails when PortAudio is missing.
"""

from __future__ import annotations

DEFAULT_RATE = 48_000
