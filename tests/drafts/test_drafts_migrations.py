"""Real databases written with every earlier schema open, migrate, and keep their contents."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from studio.drafts.hashing import fast_hash
from studio.drafts.schema import CURRENT_VERSION, SCHEMAS, SchemaError, create_schema_version
from studio.drafts.store import DraftStore

PROJECT = {
    "schema_version": 1,
    "title": "Old draft",
    "canvas": {"width": 1080, "height": 1920, "fps": 30},
    "tracks": [
        {"kind": "video", "clips": [{"source": "a.mp4", "in": 1.0, "out": 5.0, "start": 2.0, "speed": 2.0}]},
        {"kind": "text", "items": [{"text": "hi", "start": 0.0, "end": 7.5}]},
    ],
}


def _write_old(path: Path, version: int) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    create_schema_version(conn, version)
    return conn


def test_every_earlier_version_has_a_migration() -> None:
    assert sorted(SCHEMAS) == list(range(1, CURRENT_VERSION + 1))


def test_v1_database_migrates_with_drafts_and_history(tmp_path: Path) -> None:
    db = tmp_path / "drafts.sqlite3"
    conn = _write_old(db, 1)
    older = {**PROJECT, "title": "Older"}
    conn.execute("INSERT INTO drafts VALUES (7, 'Old draft', 100.0, 200.0, ?)", (json.dumps(PROJECT),))
    conn.execute("INSERT INTO revisions VALUES (1, 7, 150.0, ?)", (json.dumps(older),))
    conn.execute("INSERT INTO revisions VALUES (2, 7, 200.0, ?)", (json.dumps(PROJECT),))
    conn.commit()
    conn.close()

    with DraftStore(db) as store:
        assert store.migrated_from == 1
        draft = store.get_draft(7)
        assert draft.title == "Old draft"
        assert draft.duration == pytest.approx(7.5)
        assert draft.canvas == {"width": 1080, "height": 1920, "fps": 30}
        assert (draft.track_count, draft.clip_count) == (2, 2)
        assert store.get_project_doc(7) == PROJECT
        assert draft.head_revision_id == 2
        assert [r.id for r in store.revisions(7)] == [2, 1]
        assert store.get_project_doc(7, 1) == older
        # the upgraded file works: cascade deletes reach the migrated revisions
        store.delete_forever(7)
        assert store.integrity_check() == ["ok"]
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == CURRENT_VERSION
    assert conn.execute("SELECT count(*) FROM revisions").fetchone()[0] == 0
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_v1_project_json_without_matching_revision_becomes_the_head(tmp_path: Path) -> None:
    db = tmp_path / "drafts.sqlite3"
    conn = _write_old(db, 1)
    conn.execute("INSERT INTO drafts VALUES (1, 'Old draft', 100.0, 300.0, ?)", (json.dumps(PROJECT),))
    conn.execute("INSERT INTO revisions VALUES (1, 1, 150.0, ?)", (json.dumps({**PROJECT, "title": "x"}),))
    conn.commit()
    conn.close()
    with DraftStore(db) as store:
        assert store.get_project_doc(1) == PROJECT
        revisions = store.revisions(1)
        assert len(revisions) == 2 and revisions[0].is_head and revisions[0].kind == "save"


def test_v2_database_migrates_trash_tags_and_media(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x01" * 5000)
    db = tmp_path / "drafts.sqlite3"
    conn = _write_old(db, 2)
    conn.execute(
        "INSERT INTO drafts (id, title, created_at, updated_at, project_json, duration, canvas_json, deleted_at)"
        " VALUES (1, 'Binned', 1.0, 2.0, ?, 7.5, '{}', 50.0)",
        (json.dumps(PROJECT),),
    )
    conn.execute(
        "INSERT INTO revisions (id, draft_id, created_at, content, kind) VALUES (1, 1, 2.0, ?, 'save')",
        (json.dumps(PROJECT),),
    )
    conn.execute("INSERT INTO tags VALUES (1, 'travel')")
    conn.execute("INSERT INTO draft_tags VALUES (1, 1)")
    conn.execute("INSERT INTO media VALUES (1, ?, 'abc123', 10000, 5.0, 6.0)", (str(clip),))
    conn.execute("INSERT INTO media VALUES (2, '/nowhere/gone.mp4', 'def456', 10, 5.0, 6.0)")
    conn.commit()
    conn.close()

    with DraftStore(db) as store:
        assert store.migrated_from == 2
        assert store.list_drafts() == []
        [binned] = store.list_drafts(trashed=True)
        assert binned.title == "Binned" and binned.tags == ["travel"]
        assert store.get_project_doc(1) == PROJECT
        present, gone = store.media.items()
        assert present.fast_hash == fast_hash(clip) and present.full_hash == "b2:abc123"
        assert gone.missing and gone.path == "/nowhere/gone.mp4"
        assert store.media.import_file(clip).id == 1


def test_database_from_a_newer_app_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "drafts.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE future (x)")
    conn.execute(f"PRAGMA user_version = {CURRENT_VERSION + 1}")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    with pytest.raises(SchemaError, match="newer Creator Studio"):
        DraftStore(db)
    assert db.read_bytes() == before
