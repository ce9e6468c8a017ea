"""Bundled media belong to every draft that uses them: duplicates share them, deleting one keeps
the files the others (even trashed ones) still play, and the last one takes them along."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import av
import pytest
from drafts_docs import project

from studio.core.project import Project
from studio.drafts import DraftStore
from studio.drafts.bundle import export_bundle, import_bundle, import_project_file
from studio.drafts.schema import create_schema_version
from tests.media.fixtures import make_audio, make_video


@pytest.fixture
def store(tmp_path: Path) -> DraftStore:
    s = DraftStore(tmp_path / "store" / "drafts.sqlite3")
    yield s
    s.close()


def _bundle_with_real_media(store: DraftStore, tmp_path: Path) -> Path:
    """A .csdraft carrying two real video clips and a real audio clip (the originals are gone)."""
    shoot = tmp_path / "shoot"
    shoot.mkdir()
    make_video(shoot / "clip-a.mp4", seconds=0.4, audio=False)
    make_video(shoot / "clip-b.mp4", seconds=0.4, audio=False)
    make_audio(shoot / "music.m4a", seconds=0.4)
    (shoot / "project.json").write_text(json.dumps(project("Trip")))
    source_id = import_project_file(store, shoot / "project.json")
    out = export_bundle(store, source_id, tmp_path / "trip.csdraft", with_media=True)
    store.delete_forever(source_id)
    for f in shoot.iterdir():
        f.unlink()
    return out


def _clip_paths(store: DraftStore, draft_id: int) -> list[str]:
    """Every clip's file, resolved the way the renderer resolves them."""
    base = store.base_dir(draft_id)
    doc = store.get_project_doc(draft_id)
    return Project.from_dict(doc, base_dir=str(base) if base else None).sources()


def _assert_plays(store: DraftStore, draft_id: int) -> None:
    paths = _clip_paths(store, draft_id)
    assert len(paths) == 3
    for path in paths:
        with av.open(path) as container:
            stream = container.streams.video[0] if container.streams.video else container.streams.audio[0]
            frame = next(container.decode(stream))
            assert frame is not None, path


def test_a_duplicate_still_plays_after_the_original_is_deleted_forever(
    store: DraftStore, tmp_path: Path
) -> None:
    original = import_bundle(store, _bundle_with_real_media(store, tmp_path))
    folder = store.media_dir / str(original)
    copy = store.duplicate(original)
    assert _clip_paths(store, copy) == _clip_paths(store, original)  # shared, not copied
    library = store.media.items()

    store.delete_forever(original)

    assert folder.is_dir()
    _assert_plays(store, copy)
    assert store.media.items() == library  # the library entries are the copy's too
    store.delete_forever(copy)
    assert not folder.exists()  # the last user takes the files along


def test_a_trashed_duplicate_keeps_the_media_until_the_trash_is_emptied(
    store: DraftStore, tmp_path: Path
) -> None:
    original = import_bundle(store, _bundle_with_real_media(store, tmp_path))
    folder = store.media_dir / str(original)
    copy = store.duplicate(original)
    store.trash(copy)
    store.delete_forever(original)
    assert folder.is_dir()
    store.restore_from_trash(copy)
    _assert_plays(store, copy)

    again = store.duplicate(copy)
    store.delete_forever(copy)  # deleting a duplicate never costs the others their media
    _assert_plays(store, again)
    store.trash(again)
    assert store.empty_trash() == 1
    assert not folder.exists()


def test_a_clip_saved_into_another_draft_keeps_its_file(store: DraftStore, tmp_path: Path) -> None:
    bundled = import_bundle(store, _bundle_with_real_media(store, tmp_path))
    other = store.create_draft(project("Other"))
    doc = store.get_project_doc(other)
    doc["tracks"][0]["clips"][0]["source"] = _clip_paths(store, bundled)[0]
    store.save(other, doc)
    store.delete_forever(bundled)
    assert Path(store.get_project_doc(other)["tracks"][0]["clips"][0]["source"]).is_file()


def test_media_of_a_v4_database_stay_while_a_legacy_duplicate_uses_them(tmp_path: Path) -> None:
    """Before v5 a duplicate pointed into its original's folder without saying so."""
    db = tmp_path / "drafts.sqlite3"
    folder = tmp_path / "media" / "1"
    folder.mkdir(parents=True)
    clip = make_video(folder / "0-clip-a.mp4", seconds=0.4, audio=False)
    doc = project("Bundled")
    for track in doc["tracks"]:
        for item in track.get("clips", []):
            item["source"] = str(clip)
    text = json.dumps(doc)
    conn = sqlite3.connect(db)
    create_schema_version(conn, 4)
    for draft_id in (1, 2):
        conn.execute(
            "INSERT INTO drafts (id, title, created_at, updated_at, head_revision_id) VALUES (?, 'x', 1, 1, ?)",
            (draft_id, draft_id),
        )
        conn.execute(
            "INSERT INTO revisions (id, draft_id, created_at, kind, content, content_hash, size)"
            " VALUES (?, ?, 1, 'import', ?, 'h', 1)",
            (draft_id, draft_id, text),
        )
    conn.commit()
    conn.close()

    with DraftStore(db) as store:
        assert store.migrated_from == 4
        store.delete_forever(1)
        assert clip.is_file()
        _assert_legacy_plays(store, 2)
        store.delete_forever(2)
        assert not folder.exists()


def _assert_legacy_plays(store: DraftStore, draft_id: int) -> None:
    for path in _clip_paths(store, draft_id):
        with av.open(path) as container:
            assert next(container.decode(container.streams.video[0])) is not None
