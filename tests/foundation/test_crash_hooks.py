"""Crashes are recorded: uncaught exceptions reach the log file, scrubbed; fatal errors reach crash.log."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio import logs
from studio.config import app_paths

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ("rft.s3cr3t", "act.t0ken", "hunter2", "0xC0FFEE")


@pytest.fixture
def studio_log() -> Iterator[Path]:
    """This test's profile logs to its own file, with the crash hooks installed; undone after."""
    logs.reset()
    logs.setup(to_file=True)
    logs.install_crash_hooks()
    path = logs.log_file()
    assert path is not None
    yield path
    logs.reset()


def test_a_thread_that_raises_is_logged_with_its_secrets_scrubbed(studio_log: Path) -> None:
    def refresh() -> None:
        raise RuntimeError(
            "refresh failed: refresh_token=rft.s3cr3t Authorization: Bearer act.t0ken "
            "client_secret=hunter2 access_token: 0xC0FFEE"
        )

    worker = threading.Thread(target=refresh, name="token-refresh")
    worker.start()
    worker.join()
    text = studio_log.read_text(encoding="utf-8")
    assert "uncaught RuntimeError in thread token-refresh" in text
    assert "Traceback (most recent call last)" in text and "in refresh" in text
    assert "refresh_token=***" in text and "Bearer ***" in text
    for secret in SECRETS:
        assert secret not in text


def test_format_exception_scrubs_the_message() -> None:
    try:
        raise ValueError("upload refused: {'client_secret': 'hunter2', 'token': 'act.t0ken'}")
    except ValueError as exc:
        text = logs.format_exception(type(exc), exc, exc.__traceback__)
    assert "ValueError" in text and "hunter2" not in text and "act.t0ken" not in text


COMMAND = """
def configure(parser):
    parser.add_argument("how")

def main(args):
    if args.how == "raise":
        raise RuntimeError("publish failed: refresh_token=rft.s3cr3t")
    import faulthandler
    faulthandler._sigsegv()
"""


def _cli(tmp_path: Path, how: str) -> subprocess.CompletedProcess[str]:
    """``creator-studio boom HOW`` as a real process entry, with a command that fails."""
    (tmp_path / "boom_command.py").write_text(COMMAND)
    code = (
        "import sys; from studio import cli; "
        "cli.COMMANDS['boom'] = ('boom_command', 'fails'); "
        f"sys.argv = ['creator-studio', 'boom', {how!r}]; raise SystemExit(cli.main())"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)])}
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )


def test_the_cli_logs_an_uncaught_exception_scrubbed(tmp_path: Path) -> None:
    result = _cli(tmp_path, "raise")
    assert result.returncode == 1
    text = (app_paths().logs / logs.LOG_NAME).read_text(encoding="utf-8")
    assert "uncaught RuntimeError" in text and "Traceback (most recent call last)" in text
    assert "refresh_token=***" in text and "rft.s3cr3t" not in text
    assert "rft.s3cr3t" not in result.stderr  # the console shows the same scrubbed traceback
    assert "PySide6" not in text


@pytest.mark.skipif(sys.platform == "win32", reason="a segfault ends the test run's own process tree")
def test_a_fatal_error_is_written_to_crash_log(tmp_path: Path) -> None:
    result = _cli(tmp_path, "segfault")
    assert result.returncode != 0
    crash = (app_paths().logs / logs.CRASH_NAME).read_text(encoding="utf-8")
    assert "Fatal Python error" in crash and "boom_command" in crash
