"""The command line entry: help lists commands, unknown ones fail clearly."""

from __future__ import annotations

import subprocess
import sys

from studio import cli


def test_help_lists_the_commands() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "studio", "--help"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    for name in ("gui", "probe", "render", "doctor", "backend"):
        assert name in out


def test_bad_profile_is_refused_with_one_line(capsys) -> None:  # type: ignore[no-untyped-def]
    code = cli.main(["--profile", "../x", "probe", "nothing.mp4"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "profile name" in err[0]
