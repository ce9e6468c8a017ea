"""The platform stand-in in its own process, as the app embeds it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start(
    data_dir: Path, extra: list[str] | None = None, seed: int | None = None
) -> tuple[subprocess.Popen[str], str]:
    """``python -m backend_stub`` on a free loopback port; returns the process and its base URL."""
    command = [
        sys.executable,
        "-m",
        "backend_stub",
        "--port",
        "0",
        "--data-dir",
        str(data_dir),
        "--auto-approve",
        "--exit-with-parent",
    ]
    if seed is not None:
        command += ["--seed", str(seed)]
    proc = subprocess.Popen(
        [*command, *(extra or [])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("backend stand-in at "):
        proc.kill()
        raise SystemExit(
            f"the stand-in did not start ({line!r}); run python -m backend_stub --port 0 to see why"
        )
    return proc, line.split(" at ")[1].strip()


def stop(proc: subprocess.Popen[str]) -> None:
    """Closing its standard input stops it (``--exit-with-parent``)."""
    try:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.terminate()
        proc.wait(timeout=20)
