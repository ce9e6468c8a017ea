"""Preview proxies: same frame at the same time as the source, a key that follows the file, no
half-written proxy ever visible, and a bounded folder."""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path

import pytest

from studio.media.decode import VideoDecoder
from studio.media.errors import MediaError
from studio.media.probe import probe
from studio.media.proxy import ProxyCache, ProxyCancelled, needs_proxy, proxy_size
from tests.media.fixtures import make_image, make_video, read_index


def _index_at(decoder: VideoDecoder, t: float) -> int:
    return read_index(decoder.frame_at(t).planes()[0])


def _same_frames(src: Path, proxy: Path, duration: float, seed: int) -> None:
    rnd = random.Random(seed)
    times = [rnd.uniform(0.0, duration) for _ in range(25)] + [0.0, duration - 0.01]
    with VideoDecoder(src) as a, VideoDecoder(proxy) as b:
        for t in times:
            assert _index_at(b, t) == _index_at(a, t), f"t={t:.3f}"


def test_proxy_shows_the_same_frame_as_the_source(tmp_path: Path) -> None:
    src = make_video(tmp_path / "clip.mp4", width=180, height=320, seconds=2.0, gop=60)
    cache = ProxyCache(tmp_path / "proxies", short_side=90, gop=8)
    seen: list[float] = []
    proxy = cache.build(src, progress=seen.append)
    assert proxy == cache.path_for(src) and cache.get(src) == proxy
    assert seen[-1] == 1.0
    info = probe(proxy)
    assert info.audio is None
    assert (info.video.display_width, info.video.display_height) == (90, 160)
    assert info.video.frame_count == 60
    _same_frames(src, proxy, 2.0, seed=1)


def test_proxy_of_a_variable_rate_clip_keeps_its_timestamps(tmp_path: Path) -> None:
    src = make_video(tmp_path / "vfr.mp4", width=180, height=320, seconds=2.0, vfr=True, gop=50)
    proxy = ProxyCache(tmp_path / "proxies", short_side=90).build(src)
    _same_frames(src, proxy, 2.0, seed=2)


def test_proxy_of_a_rotated_clip_is_upright(tmp_path: Path) -> None:
    src = make_video(tmp_path / "rot.mp4", width=320, height=180, seconds=1.0, rotation=90)
    proxy = ProxyCache(tmp_path / "proxies", short_side=90).build(src)
    info = probe(proxy).video
    assert info.rotation == 0 and (info.display_width, info.display_height) == (90, 160)
    _same_frames(src, proxy, 1.0, seed=3)


def test_the_key_follows_the_source_file(tmp_path: Path) -> None:
    src = make_video(tmp_path / "clip.mp4", audio=False)
    cache = ProxyCache(tmp_path / "proxies", short_side=36)
    first = cache.build(src)
    st = src.stat()
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    assert cache.path_for(src) != first
    assert cache.get(src) is None
    make_video(src, audio=False, seconds=0.5)
    assert cache.get(src) is None
    assert cache.build(src) != first


def test_a_cancelled_build_leaves_nothing(tmp_path: Path) -> None:
    src = make_video(tmp_path / "clip.mp4", width=180, height=320, seconds=2.0, audio=False)
    cache = ProxyCache(tmp_path / "proxies", short_side=90)
    cancel = threading.Event()

    def progress(fraction: float) -> None:
        if fraction > 0.2:
            cancel.set()

    with pytest.raises(ProxyCancelled):
        cache.build(src, cancel=cancel, progress=progress)
    assert cache.get(src) is None
    assert list(cache.dir.iterdir()) == []


def test_a_source_that_fails_midway_leaves_nothing(tmp_path: Path) -> None:
    src = make_video(tmp_path / "clip.mp4", audio=False)
    cache = ProxyCache(tmp_path / "proxies", short_side=36)

    def explode(fraction: float) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError):
        cache.build(src, progress=explode)
    assert list(cache.dir.iterdir()) == []
    with pytest.raises(MediaError):
        cache.build(tmp_path / "missing.mp4")


def test_stale_partial_files_are_removed_and_fresh_ones_kept(tmp_path: Path) -> None:
    folder = tmp_path / "proxies"
    folder.mkdir()
    old, fresh = folder / "abc.1234.part", folder / "def.5678.part"
    old.write_bytes(b"x" * 100)
    fresh.write_bytes(b"x" * 100)
    long_ago = time.time() - 3600
    os.utime(old, (long_ago, long_ago))
    ProxyCache(folder)
    assert not old.exists() and fresh.exists()


def test_the_folder_keeps_the_most_recently_used_proxies(tmp_path: Path) -> None:
    a = make_video(tmp_path / "a.mp4", audio=False)
    b = make_video(tmp_path / "b.mp4", audio=False, seconds=0.8)
    c = make_video(tmp_path / "c.mp4", audio=False, seconds=0.6)
    cache = ProxyCache(tmp_path / "proxies", short_side=36)
    pa, pb = cache.build(a), cache.build(b)
    now = time.time()
    os.utime(pa, (now - 100, now - 100))
    os.utime(pb, (now - 200, now - 200))
    assert cache.get(b) == pb  # b is now the most recently used
    pc = cache.build(c)
    cache.max_bytes = pb.stat().st_size + pc.stat().st_size
    assert cache.enforce_limit() == [pa]
    assert cache.get(a) is None and cache.get(b) == pb and cache.get(c) == pc


def test_which_sources_need_a_proxy(tmp_path: Path) -> None:
    small = probe(make_video(tmp_path / "small.mp4", audio=False))
    big = probe(make_video(tmp_path / "big.mp4", width=180, height=320, seconds=0.2, audio=False))
    image = probe(make_image(tmp_path / "still.png", 640, 1136))
    assert not needs_proxy(small, (540, 960))
    assert needs_proxy(big, (90, 160), short_side=90)
    assert not needs_proxy(big, (180, 320), short_side=90)
    assert not needs_proxy(big, (90, 160), short_side=540)
    assert not needs_proxy(image, (90, 160), short_side=90)
    assert proxy_size(1080, 1920) == (540, 960)
    assert proxy_size(3840, 2160) == (960, 540)
    assert proxy_size(72, 128) == (72, 128)
