"""Media library: dedupe by content, relink moved files, caches rebuilt on change, LRU bounded."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from drafts_docs import project

from studio.drafts import DraftError, DraftStore
from studio.drafts.bundle import import_project_file
from studio.drafts.hashing import WINDOW, fast_hash


@pytest.fixture
def store(tmp_path: Path) -> DraftStore:
    s = DraftStore(tmp_path / "store" / "drafts.sqlite3", cache_limit_bytes=10_000)
    yield s
    s.close()


def _media(path: Path, seed: int, size: int = 4096) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes())
    return path


def test_fast_hash_covers_start_middle_and_end(tmp_path: Path) -> None:
    big = _media(tmp_path / "big.bin", 1, 5 * WINDOW)
    original = fast_hash(big)
    data = bytearray(big.read_bytes())
    for offset in (10, len(data) // 2, len(data) - 10):
        changed = bytearray(data)
        changed[offset] ^= 0xFF
        big.write_bytes(changed)
        assert fast_hash(big) != original
    big.write_bytes(data)
    assert fast_hash(big) == original


def test_same_file_imported_twice_is_one_entry(store: DraftStore, tmp_path: Path) -> None:
    a = _media(tmp_path / "a" / "clip.mp4", 1)
    copy = tmp_path / "b" / "renamed.mp4"
    copy.parent.mkdir()
    shutil.copy(a, copy)
    first = store.media.import_file(a)
    assert store.media.import_file(a).id == first.id
    assert store.media.import_file(copy).id == first.id
    other = store.media.import_file(_media(tmp_path / "c.mp4", 2))
    assert other.id != first.id and len(store.media.items()) == 2
    assert store.media.ensure_full_hash(first.id).startswith("b2:")
    with pytest.raises(DraftError, match="does not exist"):
        store.media.import_file(tmp_path / "nope.mp4")


def test_moved_media_is_detected_and_relinked_in_drafts(store: DraftStore, tmp_path: Path) -> None:
    shoot = tmp_path / "shoot"
    clip = _media(shoot / "clip-a.mp4", 3)
    _media(shoot / "clip-b.mp4", 4)
    (shoot / "p.json").write_text(json.dumps(project("Moved")))
    draft_id = import_project_file(store, shoot / "p.json")
    item = store.media.import_file(clip, draft_id=draft_id)
    decoy_dir = tmp_path / "archive" / "2026"
    _media(decoy_dir / "clip-a.mp4", 99)  # same name, different content
    os.makedirs(decoy_dir / "deeper")
    shutil.move(clip, decoy_dir / "deeper" / "clip-a.mp4")
    assert [m.id for m in store.media.check()] == [item.id]
    relinked = store.media.relink_missing(tmp_path / "archive")
    new_path = (decoy_dir / "deeper" / "clip-a.mp4").resolve()
    assert relinked == {item.id: str(new_path)}
    assert not store.media.get(item.id).missing
    doc = store.get_project_doc(draft_id)
    assert doc["tracks"][0]["clips"][0]["source"] == str(new_path)
    assert doc["tracks"][0]["clips"][1]["source"] == "clip-b.mp4"
    assert store.revisions(draft_id)[0].kind == "relink"


def test_relink_finds_a_renamed_file_by_content_only(store: DraftStore, tmp_path: Path) -> None:
    item = store.media.import_file(_media(tmp_path / "orig.mp4", 5))
    shutil.move(tmp_path / "orig.mp4", tmp_path / "renamed.mp4")
    _media(tmp_path / "sub" / "orig.mp4", 6)
    assert store.media.relink(item.id, tmp_path).path == str((tmp_path / "renamed.mp4").resolve())


def test_thumbnails_are_cached_rebuilt_on_change_and_evicted_lru(store: DraftStore, tmp_path: Path) -> None:
    calls: list[str] = []

    def make(path: str) -> np.ndarray:
        calls.append(path)
        return np.random.default_rng(len(calls)).integers(0, 256, (40, 24, 3), dtype=np.uint8)

    clip = _media(tmp_path / "clip.mp4", 7)
    item = store.media.import_file(clip)
    thumb = store.media.thumbnail(item.id, make)
    assert thumb.is_file() and thumb.parent.parent == store.cache_dir
    assert store.media.thumbnail(item.id, make) == thumb and len(calls) == 1
    _media(clip, 8, size=5000)  # the source changed: rebuild
    rebuilt = store.media.thumbnail(item.id, make)
    assert len(calls) == 2 and rebuilt.is_file() and not thumb.exists()
    wave = store.media.waveform(item.id, lambda p: np.linspace(0, 1, 100, dtype=np.float32))
    assert np.load(wave).shape == (100,)
    # fill past the 10 kB limit: least recently used files go first
    items = [store.media.import_file(_media(tmp_path / f"m{i}.mp4", 20 + i)) for i in range(6)]
    paths = [store.media.thumbnail(m.id, make) for m in items]
    assert store.media.cache_bytes() <= 10_000
    assert paths[-1].is_file() and not rebuilt.exists()
