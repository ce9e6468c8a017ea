"""The preview renderer builds a proxy for a large source on its own, switches to it once it is
done, and shows the same frames as with the source; full scale and export never use proxies."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from studio.core.project import Project
from studio.media.proxy import ProxyCache
from studio.render.preview import PreviewRenderer
from tests.media.fixtures import make_video, read_index

W, H, SECONDS = 180, 320, 2.0


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("proxy-src")
    return make_video(folder / "clip.mp4", width=W, height=H, seconds=SECONDS, gop=60, audio=False)


def _project(source: Path) -> Project:
    doc = {
        "canvas": {"width": W, "height": H, "fps": 30},
        "tracks": [
            {
                "kind": "video",
                "clips": [
                    {"id": "c1", "source": str(source), "in_point": 0.0, "out_point": SECONDS, "start": 0.0}
                ],
            }
        ],
    }
    return Project.from_dict(doc)


def _index(preview: PreviewRenderer, t: float) -> int:
    return read_index(preview.frame_at(t).planes()[0])


def test_switches_to_the_proxy_once_built_and_shows_the_same_frames(source: Path, tmp_path: Path) -> None:
    cache = ProxyCache(tmp_path / "proxies", short_side=60)
    project = _project(source)
    times = [random.Random(5).uniform(0.0, SECONDS - 0.01) for _ in range(20)]
    with PreviewRenderer(project, scale=0.5, proxies=None) as plain:
        expected = [_index(plain, t) for t in times]
        assert plain.decoding("c1") == str(source)
    with PreviewRenderer(project, scale=0.5, proxies=cache) as preview:
        assert _index(preview, times[0]) == expected[0]
        assert preview.decoding("c1") == str(source)  # nothing to switch to yet
        assert preview.proxy_builder is not None and preview.proxy_builder.wait_idle(timeout=15)
        assert cache.get(source) is not None
        got = [_index(preview, t) for t in times]
        assert preview.decoding("c1") == str(cache.get(source))
        assert preview.size == (90, 160)
    assert got == expected
    # a new renderer finds the finished proxy straight away
    with PreviewRenderer(project, scale=0.5, proxies=cache) as again:
        assert _index(again, times[3]) == expected[3]
        assert again.decoding("c1") == str(cache.get(source))


def test_full_scale_always_reads_the_source(source: Path, tmp_path: Path) -> None:
    cache = ProxyCache(tmp_path / "proxies", short_side=60)
    cache.build(source)
    with PreviewRenderer(_project(source), scale=1.0, proxies=cache) as full:
        full.frame_at(0.5)
        assert full.proxy_builder is None
        assert full.decoding("c1") == str(source)


def test_auto_uses_the_profile_cache(source: Path, studio_home: Path) -> None:
    with PreviewRenderer(_project(source), scale=0.5, proxies="auto") as preview:
        assert preview.proxy_builder is not None
        assert preview.proxy_builder.cache.dir.is_relative_to(studio_home)
        assert preview.proxy_builder.cache.dir.name == "proxies"
        preview.frame_at(0.1)
        # 180x320 is below the 540 px proxy size: no proxy is worth building
        assert preview.proxy_builder.wait_idle(timeout=1)
        assert preview.decoding("c1") == str(source)
        assert list(preview.proxy_builder.cache.dir.glob("*.mp4")) == []


def test_closing_during_a_build_leaves_no_proxy(tmp_path: Path) -> None:
    long_source = make_video(tmp_path / "long.mp4", width=W, height=H, seconds=8.0, gop=60, audio=False)
    cache = ProxyCache(tmp_path / "proxies", short_side=60)
    preview = PreviewRenderer(_project(long_source), scale=0.5, proxies=cache)
    preview.frame_at(0.0)
    preview.close()
    assert cache.get(long_source) is None
    assert list(cache.dir.glob("*.part")) == []
