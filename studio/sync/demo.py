"""The embedded local backend: the platform stand-in in a child process, on 127.0.0.1.

With no account configured the engine starts ``backend_stub`` (its own process: the stand-in
shares no code with the app, only HTTP) in the profile's data dir, with auto-approve and a clock
that runs an hour a minute while the app is open (``--pause-while-down``: it does not run while
the app is closed), so the demo creator's numbers move. The child reads its standard input and
exits when it closes, so it never outlives the app, even a killed one. A second engine of the same
profile (the app and ``creator-studio sync``) reuses a running child through ``backend.json``.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, Any

import httpx

from studio.process import worker_command
from studio.sync.platform import PlatformConfig, stand_in_config

log = logging.getLogger(__name__)

DEMO_CLOCK_SPEED = 60.0
START_TIMEOUT_S = 60.0


class DemoError(RuntimeError):
    """The local backend could not be started; the message says why."""


def _admin(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=10.0, trust_env=False)


def _probe(base_url: str) -> dict[str, Any] | None:
    try:
        with _admin(base_url) as http:
            clock = http.get("/_stub/clock")
            apps = http.get("/_stub/apps")
            if clock.status_code != 200 or apps.status_code != 200:
                return None
            listing = apps.json()
            if not listing:
                return None
            return {"clock": clock.json(), "app": listing[0]}
    except (httpx.HTTPError, ValueError):
        return None


class DemoBackend:
    """Start (or reuse) the stand-in for a profile; ``config`` is the app to sign in to."""

    def __init__(self, data_dir: Path, clock_speed: float = DEMO_CLOCK_SPEED) -> None:
        self.data_dir = data_dir
        self.clock_speed = clock_speed
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""
        self.config: PlatformConfig | None = None
        self.reused = False  # another engine of the profile started it (and receives its webhooks)

    @property
    def _state_file(self) -> Path:
        return self.data_dir / "backend.json"

    def start(self) -> PlatformConfig:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.reused = False
        found = self._reuse()
        if found is None:
            found = self._spawn()
        self.config = found
        return found

    def _reuse(self) -> PlatformConfig | None:
        try:
            saved = json.loads(self._state_file.read_text(encoding="utf-8"))
            base_url = f"http://127.0.0.1:{int(saved['port'])}"
        except (OSError, ValueError, KeyError, TypeError):
            return None
        info = _probe(base_url)
        if info is None:
            return None
        log.info("using the local backend already running at %s", base_url)
        self.base_url = base_url
        self.reused = True
        return stand_in_config(base_url, info["app"]["client_key"], info["app"]["client_secret"])

    def _spawn(self) -> PlatformConfig:
        command = worker_command(
            "--port",
            "0",
            "--data-dir",
            str(self.data_dir / "stand-in"),
            "--auto-approve",
            "--clock-speed",
            str(self.clock_speed),
            "--pause-while-down",
            "--exit-with-parent",
            module="backend_stub",
        )
        env = dict(os.environ)
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            raise DemoError(f"Cannot start the local backend: {exc}") from None
        self.process = process
        lines: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        assert process.stdout is not None and process.stderr is not None
        threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
        errors: list[bytes] = []
        threading.Thread(target=_drain, args=(process.stderr, errors), daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT_S
        base_url = ""
        while not base_url:
            try:
                line = lines.get(timeout=0.5).decode(errors="replace")
            except queue.Empty:
                if process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    tail = b"".join(errors).decode(errors="replace").strip().splitlines()[-3:]
                    raise DemoError(
                        "The local backend did not start" + (f": {' '.join(tail)}" if tail else ".")
                    ) from None
                continue
            if line.startswith("backend stand-in at "):
                base_url = line.split(" at ", 1)[1].strip()
        info = _probe(base_url)
        if info is None:
            self.stop()
            raise DemoError("The local backend started but does not answer.")
        self.base_url = base_url
        port = base_url.rsplit(":", 1)[1]
        tmp = self._state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"port": int(port), "pid": process.pid}), encoding="utf-8")
        os.replace(tmp, self._state_file)
        log.info("local backend started at %s (pid %d)", base_url, process.pid)
        return stand_in_config(base_url, info["app"]["client_key"], info["app"]["client_secret"])

    def platform_time(self) -> tuple[float, float] | None:
        """(now, speed) of the stand-in's clock, or None when it does not answer."""
        try:
            with _admin(self.base_url) as http:
                doc = http.get("/_stub/clock").json()
            return float(doc["now"]), float(doc["speed"])
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return None

    def set_time(self, when: float) -> None:
        with _admin(self.base_url) as http:
            http.post("/_stub/clock", json={"set_time": when})

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        return bool(self.base_url) and _probe(self.base_url) is not None

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        try:
            if process.stdin is not None:
                process.stdin.close()  # the child's parent watch stops it cleanly
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
        try:
            saved = json.loads(self._state_file.read_text(encoding="utf-8"))
            if saved.get("pid") == process.pid:
                self._state_file.unlink()
        except (OSError, ValueError):
            pass


def _pump(stream: IO[bytes], out: queue.SimpleQueue[bytes]) -> None:
    for line in stream:
        out.put(line)


def _drain(stream: IO[bytes], out: list[bytes]) -> None:
    for line in stream:
        out.append(line)
        del out[:-20]
