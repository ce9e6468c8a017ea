"""Private sound servers for the audio tests: a JACK dummy server and a PulseAudio null sink.

Both run under names/paths unique to this test process, so parallel workers and other people's
servers never meet. PortAudio only sees a server that is running when it initialises, so every
start is followed by ``studio.audio.device.rescan()``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from studio.audio import device

JACK_ENV = {"JACK_NO_AUDIO_RESERVATION": "1"}


def _wait(check, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {timeout} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _restore_env(saved: dict[str, str | None]) -> None:
    """Put back the variables a server fixture changed, and let PortAudio see the change."""
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    device.rescan()


@contextmanager
def jack_dummy(rate: int = 48000, period: int = 1024, tag: str = "") -> Iterator[subprocess.Popen[bytes]]:
    """``jackd --no-realtime -d dummy``; yields the server process. Its name is set as
    JACK_DEFAULT_SERVER, which is where PortAudio's JACK host API connects."""
    name = f"studio-test-{os.getpid()}{tag}"
    env = {**os.environ, **JACK_ENV, "JACK_DEFAULT_SERVER": name}
    proc = subprocess.Popen(
        ["jackd", "--no-realtime", "-n", name, "-d", "dummy", "-r", str(rate), "-p", str(period)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    saved = {k: os.environ.get(k) for k in (*JACK_ENV, "JACK_DEFAULT_SERVER")}
    try:
        _wait(
            lambda: (
                proc.poll() is None
                and subprocess.run(
                    ["jack_lsp", "-s", name], env=env, capture_output=True, timeout=5
                ).returncode
                == 0
            ),
            10,
            "jackd",
        )
        os.environ.update({**JACK_ENV, "JACK_DEFAULT_SERVER": name})
        device.rescan()
        yield proc
    finally:
        _restore_env(saved)
        _stop(proc)


@contextmanager
def pulse_null_sink(rate: int = 48000) -> Iterator[dict[str, str]]:
    """A private PulseAudio daemon whose default sink is a null sink; its monitor is the default
    source, so what is played comes back on recording. Yields the client environment."""
    root = Path(tempfile.mkdtemp(prefix="studio-pulse-"))
    (root / "home").mkdir()
    (root / "run").mkdir(mode=0o700)
    client_env = {
        "PULSE_SERVER": f"unix:{root / 'run' / 'pulse' / 'native'}",
        "PULSE_COOKIE": str(root / "cookie"),
    }
    server_env = {**os.environ, "HOME": str(root / "home"), "XDG_RUNTIME_DIR": str(root / "run")}
    server_env.pop("PULSE_SERVER", None)
    proc = subprocess.Popen(
        [
            "pulseaudio",
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--disallow-exit",
            "--use-pid-file=no",
            "-n",
            "--log-target=stderr",
            f"--load=module-null-sink sink_name=studio_null rate={rate} channels=2",
            f"--load=module-native-protocol-unix auth-anonymous=1 socket={root / 'run' / 'pulse' / 'native'}",
        ],
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    saved = {k: os.environ.get(k) for k in client_env}
    try:
        pactl_env = {**os.environ, **client_env}
        _wait(
            lambda: (
                proc.poll() is None
                and subprocess.run(
                    ["pactl", "info"], env=pactl_env, capture_output=True, timeout=5
                ).returncode
                == 0
            ),
            10,
            "pulseaudio",
        )
        os.environ.update(client_env)
        device.rescan()
        yield client_env
    finally:
        _restore_env(saved)
        _stop(proc)
        shutil.rmtree(root, ignore_errors=True)
