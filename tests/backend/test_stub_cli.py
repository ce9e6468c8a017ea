"""`python -m backend_stub` and `creator-studio backend` start the server and say where it is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx


def test_standalone_server_prints_url_and_serves(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "backend_stub",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path / "data"),
            "--seed",
            "3",
            "--auto-approve",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        second = proc.stdout.readline()
        assert first.startswith("backend stand-in at http://127.0.0.1:"), first + (
            proc.stderr.read() if proc.poll() is not None and proc.stderr else ""
        )
        base = first.split(" at ")[1].strip()
        apps = httpx.get(base + "/_stub/apps", trust_env=False).json()
        assert second.startswith(f"demo client key: {apps[0]['client_key']}")
        assert httpx.get(base + "/_stub/settings", trust_env=False).json()["auto_approve"] is True
        assert (
            "/v2/post/publish/video/init/"
            in httpx.get(base + "/openapi.json", trust_env=False).json()["paths"]
        )
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    assert (tmp_path / "data" / "backend_stub.sqlite3").exists()


def test_creator_studio_backend_rejects_a_bad_port(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("creator-studio")
    result = subprocess.run(
        [str(exe), "backend", "--port", "70000", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "backend: --port must be 0-65535, not 70000"
