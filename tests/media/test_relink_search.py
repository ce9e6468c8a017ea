"""Finding moved media in a folder: by name, confirmed by content; renamed files by content."""

from __future__ import annotations

import os
from pathlib import Path

from studio.core.project import Canvas, Project, Track, VideoClip
from studio.drafts.hashing import fast_hash
from studio.media.relink import Wanted, missing_sources, search_folder
from studio.projectfile import FINGERPRINTS, fingerprint, load_project, save_project


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def wanted_for(path: Path) -> Wanted:
    fp = fingerprint(path)
    return Wanted(str(path), fp["size"], fp["hash"])


def test_found_by_name_and_by_content(tmp_path: Path) -> None:
    a = write(tmp_path / "old" / "a.mp4", b"A" * 5000)
    b = write(tmp_path / "old" / "b.mp4", b"B" * 5000)
    wants = [wanted_for(a), wanted_for(b)]
    new_a = write(tmp_path / "new" / "deep" / "a.mp4", a.read_bytes())
    write(tmp_path / "new" / "b.mp4", b"X" * 5000)  # same name and size, other content
    new_b = write(tmp_path / "new" / "renamed.mov", b.read_bytes())
    a.unlink()
    b.unlink()
    hashed: list[str] = []

    def hasher(path: str) -> str:
        hashed.append(path)
        return fast_hash(path)

    found = search_folder(tmp_path / "new", wants, hasher)
    assert found == {str(a): str(new_a), str(b): str(new_b)}
    assert len(hashed) == len(set(hashed))  # each candidate hashed at most once


def test_without_fingerprint_only_an_unambiguous_name(tmp_path: Path) -> None:
    write(tmp_path / "one" / "clip.mp4", b"1")
    write(tmp_path / "two" / "clip.mp4", b"2")
    only = write(tmp_path / "two" / "solo.mp4", b"3")
    wants = [Wanted("/gone/clip.mp4"), Wanted("/gone/solo.mp4"), Wanted("/gone/none.mp4")]
    assert search_folder(tmp_path, wants, fast_hash) == {"/gone/solo.mp4": str(only)}


def test_missing_sources_skip_existing_and_urls(tmp_path: Path) -> None:
    here = write(tmp_path / "here.mp4", b"x")
    prints = {"/gone/a.mp4": {"size": 3, "hash": "f1:3:abc"}}
    wants = missing_sources([str(here), "/gone/a.mp4", "https://example.com/v.mp4", "/gone/b.mp4"], prints)
    assert wants == [Wanted("/gone/a.mp4", 3, "f1:3:abc"), Wanted("/gone/b.mp4")]


def test_project_file_keeps_fingerprints(tmp_path: Path) -> None:
    clip = write(tmp_path / "media" / "a.mp4", b"A" * 1000)
    project = Project(
        title="p",
        canvas=Canvas(1080, 1920, 30.0),
        tracks=[Track("v1", "video", clips=[VideoClip("c1", str(clip), 0, 1, 0)])],
    )
    path = tmp_path / "p.json"
    save_project(project, path)
    import json

    doc = json.loads(path.read_text())
    assert doc[FINGERPRINTS] == {"media/a.mp4": fingerprint(clip)}
    loaded = load_project(path)
    assert loaded.extra[FINGERPRINTS] == {str(clip): fingerprint(clip)}
    clip.unlink()  # a missing source keeps its fingerprint through a save
    save_project(loaded, path)
    assert json.loads(path.read_text())[FINGERPRINTS] == doc[FINGERPRINTS]
    assert os.path.basename(next(iter(load_project(path).extra[FINGERPRINTS]))) == "a.mp4"
