"""`creator-studio audio ...` through its configure/main pair (the CLI convention)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from studio.audio import cli
from studio.audio.wavio import read_wav

pytestmark = pytest.mark.audio


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    cli.configure(parser)
    return cli.main(parser.parse_args(argv))


def test_devices_json_lists_the_jack_device(jack_server: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["devices", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["available"] is True
    assert any(d["hostapi"] == "JACK Audio Connection Kit" for d in info["devices"])


def test_record_writes_a_take(jack_server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "take.wav"
    assert run(["record", str(out), "--seconds", "0.6", "--countdown", "0.3"]) == 0
    assert "wrote" in capsys.readouterr().out
    data, rate = read_wav(out)
    assert rate == 48000 and 0.4 * rate < len(data) < 1.5 * rate


def test_record_into_a_missing_folder_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["record", str(tmp_path / "nope" / "take.wav")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("The folder for the recording does not exist") and "\n" not in err


def test_tone_plays_to_the_end(jack_server: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["tone", "--seconds", "0.4"]) == 0
    assert "peak  -12.0 dBFS" in capsys.readouterr().out
