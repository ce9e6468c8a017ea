"""The store: drafts, head and autosave revisions, restore, metadata, trash, retention."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
from drafts_docs import MINIMAL, project

from studio.config import app_paths
from studio.drafts import DraftError, DraftStore, open_store
from studio.drafts.retention import DAY, HOUR, revisions_to_keep


@pytest.fixture
def store(tmp_path: Path) -> DraftStore:
    s = DraftStore(tmp_path / "drafts.sqlite3")
    yield s
    s.close()


def test_open_store_lives_in_the_profile_data_dir(studio_home: Path) -> None:
    with open_store() as store:
        draft_id = store.create_draft(project())
        assert store.path == app_paths().data / "drafts" / "drafts.sqlite3"
        assert store.path.is_file()
        assert store.get_project_doc(draft_id) == MINIMAL


def test_summary_fields_come_from_the_document(store: DraftStore) -> None:
    draft_id = store.create_draft(project(clips=3), base_dir="/tmp")
    draft = store.get_draft(draft_id)
    assert draft.title == "Minimal example"
    assert draft.duration == pytest.approx(12.0)  # last take ends at 9 + 2 + 1
    assert (draft.track_count, draft.clip_count) == (3, 7)
    assert draft.canvas["height"] == 1920
    assert store.base_dir(draft_id) == Path("/tmp").resolve()


def test_autosaves_do_not_move_the_head_until_saved(store: DraftStore) -> None:
    draft_id = store.create_draft(project())
    edited = project("Edited", clips=1)
    rev = store.autosave(draft_id, edited)
    assert rev is not None
    assert store.autosave(draft_id, edited) is None  # unchanged: no new revision
    assert store.get_project_doc(draft_id)["title"] == "Minimal example"
    assert store.get_project_doc(draft_id, rev) == edited
    assert store.pending_autosaves() == [(draft_id, rev)]
    saved = store.save(draft_id, edited)
    assert store.get_draft(draft_id).title == "Edited"
    assert store.pending_autosaves() == []
    assert [r.is_head for r in store.revisions(draft_id)] == [True, False, False]
    assert saved > rev


def test_restore_adds_a_revision_with_the_old_content(store: DraftStore) -> None:
    draft_id = store.create_draft(project("v1"))
    first = store.revisions(draft_id)[0].id
    store.save(draft_id, project("v2"))
    restored = store.restore_revision(draft_id, first)
    assert store.get_project_doc(draft_id)["title"] == "v1"
    history = store.revisions(draft_id)
    assert history[0].id == restored and len(history) == 3
    assert store.get_project_doc(draft_id, history[1].id)["title"] == "v2"
    with pytest.raises(DraftError, match="no revision"):
        store.restore_revision(draft_id, 999)


def test_rename_duplicate_publish_metadata_and_tags(store: DraftStore) -> None:
    draft_id = store.create_draft(project())
    store.rename(draft_id, "  Beach day ")
    store.set_publish(
        draft_id,
        caption="Sun!",
        hashtags=["#beach", "summer", " "],
        privacy="friends",
        toggles={"comments": True, "duet": False},
        schedule_at=1_900_000_000.0,
    )
    store.set_tags(draft_id, ["travel", "Travel", "2026"])
    store.set_cover(draft_id, np.full((64, 36, 3), 200, np.uint8))
    draft = store.get_draft(draft_id)
    assert draft.title == "Beach day" and store.get_project_doc(draft_id)["title"] == "Beach day"
    assert (draft.caption, draft.hashtags, draft.privacy) == ("Sun!", ["beach", "summer"], "friends")
    assert draft.toggles == {"comments": True, "duet": False} and draft.schedule_at == 1_900_000_000.0
    assert sorted(draft.tags) == ["2026", "travel"]
    assert draft.cover_path and Path(draft.cover_path).is_file()
    copy_id = store.duplicate(draft_id)
    copy = store.get_draft(copy_id)
    assert copy.title == "Beach day (copy)" and copy.tags == draft.tags and copy.caption == "Sun!"
    assert copy.cover_path != draft.cover_path and Path(copy.cover_path or "").is_file()
    with pytest.raises(DraftError, match="privacy"):
        store.set_publish(draft_id, privacy="everyone")
    with pytest.raises(DraftError, match="title"):
        store.rename(draft_id, "   ")


def test_search_sort_and_trash(store: DraftStore) -> None:
    ids = {name: store.create_draft(project(name)) for name in ["banana", "Apple", "cherry"]}
    store.set_tags(ids["cherry"], ["fruit-salad"])
    assert [d.title for d in store.list_drafts(sort="title", descending=False)] == [
        "Apple",
        "banana",
        "cherry",
    ]
    assert [d.title for d in store.list_drafts()] == ["cherry", "Apple", "banana"]
    assert [d.title for d in store.list_drafts(search="APP")] == ["Apple"]
    assert [d.title for d in store.list_drafts(search="salad")] == ["cherry"]
    assert store.list_drafts(search="%") == []
    store.trash(ids["banana"])
    assert store.count_drafts() == 2 and [d.title for d in store.list_drafts(trashed=True)] == ["banana"]
    store.restore_from_trash(ids["banana"])
    assert store.count_drafts() == 3
    assert [d.title for d in store.list_drafts(limit=1, offset=1, sort="title", descending=False)] == [
        "banana"
    ]
    with pytest.raises(DraftError, match="sort"):
        store.list_drafts(sort="colour")


def test_missing_draft_is_a_clear_error(store: DraftStore) -> None:
    with pytest.raises(DraftError, match="no draft 42"):
        store.get_project_doc(42)
    with pytest.raises(DraftError, match="no draft 42"):
        store.autosave(42, project())


def test_writes_from_many_threads_are_serialized(store: DraftStore) -> None:
    draft_id = store.create_draft(project())
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(20):
                store.autosave(draft_id, project(f"t{n}-{i}"))
                store.list_drafts()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.revisions(draft_id)) == 81
    assert store.integrity_check() == ["ok"]


def test_retention_policy_buckets() -> None:
    now = 1_000_000_000.0
    recent = [(i, now - i * 10) for i in range(300)]  # every 10 s for the last 50 minutes
    hourly = [(1000 + i, now - 2 * HOUR - i * 5) for i in range(50)]  # 50 inside one hour bucket
    daily = [(2000 + i, now - 5 * DAY - i) for i in range(30)]
    keep = revisions_to_keep([*recent, *hourly, *daily], now)
    assert all(i in keep for i, _ in recent)
    assert sum(1 for i, _ in hourly if i in keep) >= 20
    assert {1000 + i for i in range(20)} <= keep  # the newest of the bucket
    assert sum(1 for i, _ in daily if i in keep) == 20


def test_prune_keeps_head_and_pending_autosaves(store: DraftStore) -> None:
    draft_id = store.create_draft(project())
    for i in range(30):
        store.autosave(draft_id, project(f"old {i}"))
    store.save(draft_id, project("saved"))
    pending = store.autosave(draft_id, project("pending"))
    head = store.get_draft(draft_id).head_revision_id
    deleted = store.prune_revisions(draft_id, now=time.time() + 3 * HOUR)
    remaining = {r.id for r in store.revisions(draft_id)}
    assert deleted == 32 + 1 - len(remaining) and len(remaining) >= 20
    assert head in remaining and pending in remaining
