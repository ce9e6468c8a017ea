from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from studio.core import ProjectError
from studio.projectfile import load_project, save_project
from tests.shared_files import EXAMPLE


def test_load_example_makes_sources_absolute(tmp_path: Path) -> None:
    path = tmp_path / "proj" / "my.json"
    path.parent.mkdir()
    shutil.copy(EXAMPLE, path)
    p = load_project(path)
    assert p.tracks[0].clips[0].source == str(path.parent / "clip-a.mp4")
    assert p.tracks[2].clips[0].source == str(path.parent / "music.m4a")


def test_save_writes_relative_sources_and_reloads_identically(tmp_path: Path) -> None:
    p = load_project(EXAMPLE)
    out = tmp_path / "saved.json"
    save_project(p, out)
    doc = json.loads(out.read_text())
    rel = os.path.relpath(EXAMPLE.parent / "clip-a.mp4", tmp_path)
    assert doc["schema_version"] == 2
    assert doc["tracks"][0]["clips"][0]["source"] == Path(rel).as_posix()
    again = load_project(out)
    assert again == p
    assert [f.name for f in tmp_path.iterdir()] == ["saved.json"]  # no temp file left


def test_save_replaces_atomically_and_keeps_old_file_on_failure(tmp_path: Path) -> None:
    p = load_project(EXAMPLE)
    out = tmp_path / "p.json"
    save_project(p, out)
    before = out.read_bytes()
    p.tracks[0].clips[0].speed = 9.0  # invalid: the save must refuse and leave the old file
    with pytest.raises(ProjectError, match="speed"):
        save_project(p, out)
    assert out.read_bytes() == before
    assert sorted(f.name for f in tmp_path.iterdir()) == ["p.json"]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="does not exist") as info:
        load_project(tmp_path / "nope.json")
    assert "nope.json" in str(info.value)


def test_bad_json_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "broken.json"
    f.write_text('{\n  "schema_version": 2,\n  "tracks": [\n    {"kind": "video",}\n  ]\n}\n')
    with pytest.raises(ProjectError, match=r"not valid JSON: .* at line 4"):
        load_project(f)


def test_empty_and_schema_problems(tmp_path: Path) -> None:
    f = tmp_path / "e.json"
    f.write_text("  \n")
    with pytest.raises(ProjectError, match="empty"):
        load_project(f)
    f.write_text(json.dumps({"schema_version": 2, "tracks": [{"kind": "video", "clips": [
        {"source": "a.mp4", "in_point": 0, "out_point": 1, "speed": 8}]}]}))  # fmt: skip
    with pytest.raises(ProjectError, match=r"tracks\[0\]\.clips\[0\]: speed 8x is outside") as info:
        load_project(f)
    assert str(f) in str(info.value)


def test_save_into_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="folder"):
        save_project(load_project(EXAMPLE), tmp_path / "nope" / "p.json")
