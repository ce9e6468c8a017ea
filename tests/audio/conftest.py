"""Sound-server fixtures (session-wide; each test opens its own streams)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from studio.audio import device
from tests.audio.servers import jack_dummy, pulse_null_sink


@pytest.fixture(scope="session")
def jack_server() -> Iterator[str]:
    if shutil.which("jackd") is None:
        pytest.skip("jackd is not installed (apt install jackd2): no JACK dummy device to play to")
    if device.sounddevice() is None:
        pytest.skip(f"PortAudio is not available: {device.import_error()}")
    with jack_dummy():
        yield os.environ["JACK_DEFAULT_SERVER"]


@pytest.fixture(scope="session")
def pulse_server() -> Iterator[dict[str, str]]:
    if shutil.which("pulseaudio") is None:
        pytest.skip("pulseaudio is not installed: no null sink to loop a tone back through")
    if device.sounddevice() is None:
        pytest.skip(f"PortAudio is not available: {device.import_error()}")
    with pulse_null_sink() as env:
        yield env
