""".csdraft bundles: export/import round trips, media unpacked next to the store, bad input."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from drafts_docs import project

from studio.drafts import DraftError, DraftStore
from studio.drafts.bundle import export_bundle, import_any, import_bundle, import_project_file


@pytest.fixture
def store(tmp_path: Path) -> DraftStore:
    s = DraftStore(tmp_path / "store" / "drafts.sqlite3")
    yield s
    s.close()


def _project_with_media(folder: Path) -> Path:
    folder.mkdir()
    for name, size in [("clip-a.mp4", 3000), ("clip-b.mp4", 5000), ("music.m4a", 700)]:
        (folder / name).write_bytes(bytes([len(name)]) * size)
    path = folder / "project.json"
    path.write_text(json.dumps(project("Trip")))
    return path


def test_round_trip_without_media_equals_the_original(store: DraftStore, tmp_path: Path) -> None:
    draft_id = store.create_draft(project("Round trip", clips=3))
    store.set_publish(draft_id, caption="hello", hashtags=["a"], privacy="public", toggles={"duet": True})
    store.set_tags(draft_id, ["x"])
    out = export_bundle(store, draft_id, tmp_path / "out" / "trip")
    assert out.name == "trip.csdraft"
    assert set(zipfile.ZipFile(out).namelist()) == {"manifest.json", "project.json"}
    new_id = import_bundle(store, out)
    assert new_id != draft_id
    assert store.get_project_doc(new_id) == store.get_project_doc(draft_id)
    a, b = store.get_draft(draft_id), store.get_draft(new_id)
    assert (b.title, b.caption, b.hashtags, b.privacy, b.toggles, b.tags) == (
        a.title,
        a.caption,
        a.hashtags,
        a.privacy,
        a.toggles,
        a.tags,
    )


def test_round_trip_with_media_rewrites_sources_into_the_store(store: DraftStore, tmp_path: Path) -> None:
    project_file = _project_with_media(tmp_path / "shoot")
    draft_id = import_project_file(store, project_file)
    assert store.base_dir(draft_id) == project_file.parent.resolve()
    out = export_bundle(store, draft_id, tmp_path / "trip.csdraft", with_media=True)
    for f in (tmp_path / "shoot").iterdir():
        f.unlink()  # the other machine has none of the original files
    new_id = import_any(store, out)
    original = store.get_project_doc(draft_id)
    imported = store.get_project_doc(new_id)
    sources = {}
    for track_a, track_b in zip(original["tracks"], imported["tracks"], strict=True):
        for clip_a, clip_b in zip(track_a.get("clips", []), track_b.get("clips", []), strict=True):
            sources[clip_a["source"]] = Path(clip_b["source"])
            assert {**clip_b, "source": clip_a["source"]} == clip_a
    assert {k: v for k, v in imported.items() if k != "tracks"} == {
        k: v for k, v in original.items() if k != "tracks"
    }
    for name, path in sources.items():
        assert path.is_file() and path.parent == store.media_dir / str(new_id)
        assert path.read_bytes() == bytes([len(name)]) * path.stat().st_size
    assert len(store.media.items()) == 3


def test_missing_media_and_bad_bundles_are_clear_errors(store: DraftStore, tmp_path: Path) -> None:
    draft_id = store.create_draft(project())
    with pytest.raises(DraftError, match=r"missing clip-a\.mp4"):
        export_bundle(store, draft_id, tmp_path / "x.csdraft", with_media=True)
    not_zip = tmp_path / "junk.csdraft"
    not_zip.write_bytes(b"hello")
    with pytest.raises(DraftError, match=r"not a \.csdraft bundle"):
        import_bundle(store, not_zip)
    evil = tmp_path / "evil.csdraft"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr(
            "manifest.json",
            json.dumps(
                {"format": "csdraft", "version": 1, "media": [{"source": "a", "file": "media/0-../../evil"}]}
            ),
        )
        zf.writestr("project.json", json.dumps(project()))
    with pytest.raises(DraftError, match="unsafe"):
        import_bundle(store, evil)
    assert store.count_drafts() == 1
    assert not any(p.name.startswith("incoming") for p in store.media_dir.glob("*"))
