"""Delete forever leaves nothing of the draft readable in the database or WAL files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from drafts_docs import project

from studio.drafts import DraftStore

MARKER = "zq-private-marker-7f3a9c"


def _bytes_on_disk(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*") if p.is_file())


def test_delete_forever_scrubs_rows_revisions_and_files(tmp_path: Path) -> None:
    db = tmp_path / "drafts.sqlite3"
    with DraftStore(db) as store:
        keep = store.create_draft(project("Keep me"))
        secret = store.create_draft(project(f"Secret {MARKER}"))
        for i in range(20):
            store.autosave(secret, {**project(f"{MARKER} take {i}", clips=i), "note": MARKER * 50})
        store.set_publish(secret, caption=f"caption {MARKER}", hashtags=[MARKER])
        store.set_tags(secret, [MARKER])
        cover = store.set_cover(secret, np.zeros((32, 18, 3), np.uint8))
        private_clip = tmp_path / f"{MARKER}.mp4"
        private_clip.write_bytes(b"clip" * 100)
        shared_clip = tmp_path / "shared.mp4"
        shared_clip.write_bytes(b"shared" * 100)
        media = store.media.import_file(private_clip, draft_id=secret)
        thumb = store.media.thumbnail(media.id, lambda p: np.zeros((8, 8, 3), np.uint8))
        shared = store.media.import_file(shared_clip, draft_id=secret)
        store.media.import_file(shared_clip, draft_id=keep)
        assert MARKER.encode() in _bytes_on_disk(db)

        store.trash(secret)
        store.delete_forever(secret)

        assert not cover.exists() and not thumb.exists()
        assert [m.id for m in store.media.items()] == [shared.id]  # still used by the kept draft
        assert [d.id for d in store.list_drafts()] == [keep] and store.list_drafts(trashed=True) == []
        assert MARKER not in store.all_tags()
        on_disk = _bytes_on_disk(db)
        assert MARKER.encode() not in on_disk
        assert MARKER.encode("utf-16-le") not in on_disk
        assert store.get_project_doc(keep)["title"] == "Keep me"
        assert store.integrity_check() == ["ok"]
    assert MARKER.encode() not in _bytes_on_disk(db)
