"""``creator-studio --self-test``: every check passes in a working checkout, and a broken install
names what is broken (exit 1). Run as the app runs it: ``python -m studio --self-test`` in a
child process with a fresh ``CREATOR_STUDIO_HOME``, which the self-test leaves untouched (it
works in a temporary profile of its own)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from studio import selftest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

CHECK_NAMES = [name for name, _ in selftest.CHECKS]
LINE = re.compile(r"^(?P<name>[a-z][a-z ]*): (?P<verdict>ok|FAILED)\b(?P<rest>.*)$")


def _self_test(home: Path, **extra: str) -> tuple[int, dict[str, tuple[str, str]], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREATOR_STUDIO_")}
    env.update(CREATOR_STUDIO_HOME=str(home), QT_QPA_PLATFORM="offscreen", **extra)
    done = subprocess.run(
        [sys.executable, "-m", "studio", "--self-test"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
    )
    lines = {}
    for line in done.stdout.splitlines():
        match = LINE.match(line)
        if match and match["name"] in CHECK_NAMES:
            lines[match["name"]] = (match["verdict"], match["rest"])
    return done.returncode, lines, done.stdout + done.stderr


def test_self_test_passes_in_a_fresh_profile_and_leaves_it_alone(tmp_path: Path) -> None:
    home = tmp_path / "home"
    code, lines, output = _self_test(home)
    assert code == 0, output
    assert list(lines) == CHECK_NAMES, output  # one line per check, in order
    assert all(verdict == "ok" for verdict, _ in lines.values()), output
    assert "render: ok (60 frames 360x640" in output
    assert "(forkserver)" in lines["plugins"][1] or "(spawn)" in lines["plugins"][1]
    assert "signed in as Demo account (local)" in lines["sync"][1]
    assert output.splitlines()[-1].startswith(f"self-test: all {len(CHECK_NAMES)} checks passed")
    # the temporary profile was its own: nothing was written to the caller's
    assert not home.exists() or not any(home.iterdir())


def test_missing_fonts_fail_the_self_test_and_name_the_check(tmp_path: Path) -> None:
    empty = tmp_path / "empty-resources"
    empty.mkdir()
    code, lines, output = _self_test(tmp_path / "home", CREATOR_STUDIO_RESOURCES=str(empty))
    assert code == 1, output
    verdict, reason = lines["resources"]
    assert verdict == "FAILED" and "fonts/DejaVuSans.ttf" in reason and str(empty) in reason, output
    assert lines["render"][0] == "FAILED", output  # the look (and the fonts) are gone for it too
    for name in ("drafts", "backend", "sync", "backend stop"):  # the rest still ran, and passed
        assert lines[name][0] == "ok", output
    assert re.search(r"^self-test: \d+ of 10 checks FAILED \(resources, render", output, re.M), output


def test_the_checks_run_in_a_temporary_profile_that_is_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREATOR_STUDIO_HOME", str(tmp_path / "mine"))
    monkeypatch.setenv("CREATOR_STUDIO_PROFILE", "work")
    seen: list[tuple[str | None, str | None]] = []

    def probe(ctx: selftest.Context) -> str:
        seen.append((os.environ.get("CREATOR_STUDIO_HOME"), os.environ.get("CREATOR_STUDIO_PROFILE")))
        return "looked"

    def broken(ctx: selftest.Context) -> str:
        raise ValueError("a bug")

    monkeypatch.setattr(selftest, "CHECKS", (("probe", probe), ("broken", broken)))
    printed: list[str] = []
    assert selftest.main(printed.append) == 1
    [(home, profile)] = seen
    assert home is not None and Path(home).parent.name.startswith("creator-studio-selftest-")
    assert profile is None
    assert not Path(home).parent.exists()  # removed afterwards
    assert os.environ["CREATOR_STUDIO_HOME"] == str(tmp_path / "mine")
    assert os.environ["CREATOR_STUDIO_PROFILE"] == "work"
    assert printed[1].startswith("probe: ok (looked, ")
    assert printed[2].startswith("broken: FAILED: ValueError: a bug (test_selftest.py:")
    assert printed[-1].startswith("self-test: 1 of 2 checks FAILED (broken)")
