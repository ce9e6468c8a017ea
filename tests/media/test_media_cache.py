"""The one media cache: shared decodes, the memory bound, no stale entries, the disk layer."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from studio.media.cache import MediaCache, shared_cache, thumbnail
from tests.media.fixtures import make_video


def touch_file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_two_consumers_decode_a_thumbnail_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The media bin and the timeline poster ask for the same thumbnail: one decode."""
    clip = make_video(tmp_path / "clip.mp4", 72, 128, 30.0, 1.0, audio=False)
    import studio.media.thumbnails as thumbs

    decodes: list[str] = []
    real = thumbs.thumbnail

    def counting(path: str, t: float | None = None, max_size: tuple[int, int] = (180, 320)) -> np.ndarray:
        decodes.append(str(path))
        return real(path, t, max_size)

    monkeypatch.setattr(thumbs, "thumbnail", counting)
    cache = MediaCache(tmp_path / "cache")
    results: list[np.ndarray] = []
    workers = [threading.Thread(target=lambda: results.append(thumbnail(cache, clip))) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert len(decodes) == 1 and cache.makes == 1
    assert results[0] is results[1] and results[0].shape[2] == 3
    assert thumbnail(cache, clip, 0.5, (96, 48)).shape[0] <= 48  # other params: another entry
    assert len(decodes) == 2

    fresh = MediaCache(tmp_path / "cache")  # a new process: the disk copy, no decode
    assert np.array_equal(thumbnail(fresh, clip), results[0])
    assert len(decodes) == 2 and fresh.makes == 0


def test_memory_bound_holds(tmp_path: Path) -> None:
    files = [touch_file(tmp_path / f"{i}.bin", bytes([i])) for i in range(10)]
    cache = MediaCache(None, memory_limit=3 * 1000)
    for f in files:
        cache.get(f, "thumbnail", (), lambda _p: np.zeros(1000, np.uint8))
        assert cache.memory_bytes <= 3000
    assert len(cache) == 3
    assert cache.peek(files[-1], "thumbnail") is not None and cache.peek(files[0], "thumbnail") is None
    # the least recently *used* goes: touch the oldest kept one, add one more
    cache.get(files[7], "thumbnail", (), lambda _p: pytest.fail("must be a hit"))
    cache.get(files[0], "thumbnail", (), lambda _p: np.zeros(1000, np.uint8))
    assert cache.peek(files[7], "thumbnail") is not None and cache.peek(files[8], "thumbnail") is None
    big = cache.get(files[1], "thumbnail", (), lambda _p: np.zeros(10_000, np.uint8))
    assert big.nbytes == 10_000 and cache.memory_bytes <= 3000  # handed out, not kept


def test_changed_file_is_not_served_stale(tmp_path: Path) -> None:
    source = touch_file(tmp_path / "clip.mp4", b"first")
    cache = MediaCache(tmp_path / "cache")
    made: list[bytes] = []

    def make(path: str) -> np.ndarray:
        data = Path(path).read_bytes()
        made.append(data)
        return np.frombuffer(data, np.uint8).copy()

    assert bytes(cache.get(source, "thumbnail", (1,), make)) == b"first"
    assert bytes(cache.get(source, "thumbnail", (1,), make)) == b"first" and len(made) == 1
    st = source.stat()
    source.write_bytes(b"other")  # same size: only the mtime tells
    os.utime(source, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert bytes(cache.get(source, "thumbnail", (1,), make)) == b"other" and len(made) == 2
    source.write_bytes(b"longer content")  # size changed
    assert bytes(cache.get(source, "thumbnail", (1,), make)) == b"longer content" and len(made) == 3
    assert len(cache) == 1  # the old entries were dropped, from memory and disk
    assert len(list((tmp_path / "cache").rglob("*.npz"))) == 1
    fresh = MediaCache(tmp_path / "cache")
    assert bytes(fresh.get(source, "thumbnail", (1,), make)) == b"longer content" and len(made) == 3


def test_dict_values_disk_bound_and_missing_files(tmp_path: Path) -> None:
    source = touch_file(tmp_path / "song.m4a", b"x")
    cache = MediaCache(tmp_path / "cache", disk_limit=10_000)
    value = {"rate": np.array(48000), "b64": np.ones((10, 2), np.float32)}
    cache.get(source, "waveform", ("audio", 1), lambda _p: value)
    fresh = MediaCache(tmp_path / "cache")
    got = fresh.get(source, "waveform", ("audio", 1), lambda _p: pytest.fail("on disk"))
    assert isinstance(got, dict) and int(got["rate"]) == 48000 and got["b64"].shape == (10, 2)
    for i in range(20):
        f = touch_file(tmp_path / f"{i}.bin", b"y")
        cache.get(f, "thumbnail", (), lambda _p: np.zeros(2000, np.uint8))
    cache.prune_disk()
    assert cache.disk_bytes() <= 10_000
    with pytest.raises(OSError):
        cache.get(tmp_path / "gone.mp4", "thumbnail", (), lambda _p: np.zeros(1))
    assert shared_cache(tmp_path / "cache") is shared_cache(tmp_path / "cache")


def test_a_failed_make_lets_the_next_caller_try(tmp_path: Path) -> None:
    source = touch_file(tmp_path / "a.mp4", b"a")
    cache = MediaCache(None)

    def boom(_p: str) -> np.ndarray:
        raise ValueError("cannot decode")

    with pytest.raises(ValueError):
        cache.get(source, "thumbnail", (), boom)
    assert cache.get(source, "thumbnail", (), lambda _p: np.ones(3)).sum() == 3
