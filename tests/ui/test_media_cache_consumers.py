"""The media bin, the timeline and the effects panel share one media cache: a thumbnail the bin
made is not decoded again for the timeline (real widgets, offscreen, decodes counted)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

import studio.media.thumbnails as thumbs
from studio.media.cache import MediaCache
from studio.ui.editor.media_bin import MediaBin
from studio.ui.editor.timeline import ThumbnailCache
from studio.ui.editor.window.main_window import MainWindow
from studio.ui.jobs import make_gui_runner

pytestmark = pytest.mark.gui


def test_bin_and_timeline_decode_the_poster_once(
    qtbot: QtBot, ui_media: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decodes: list[float | None] = []
    real = thumbs.thumbnail

    def counting(path: str, t: float | None = None, max_size: tuple[int, int] = (180, 320)) -> np.ndarray:
        decodes.append(t)
        return real(path, t, max_size)

    monkeypatch.setattr(thumbs, "thumbnail", counting)
    cache = MediaCache(tmp_path / "media-cache")
    runner = make_gui_runner()
    try:
        media_bin = MediaBin(runner, cache=cache)
        qtbot.addWidget(media_bin)
        clip = str(ui_media["clip"])
        with qtbot.waitSignal(media_bin.imported, timeout=20000):
            media_bin.import_paths([clip])
        assert decodes == [None]  # the bin's thumbnail is the poster

        tiles = ThumbnailCache(runner, 48, cache=cache)
        assert tiles.get(clip, 0.0) is None  # requested: the poster and the tile
        qtbot.waitUntil(lambda: cache.makes == 2 and len(tiles) == 1, timeout=20000)
        assert sorted(decodes, key=lambda t: -1 if t is None else t) == [None, 0.0]  # the poster once
        assert tiles.get(clip, 0.0) is not None
    finally:
        runner.shutdown(wait=True)


def test_main_window_parts_use_one_cache(studio_window: MainWindow) -> None:
    window = studio_window
    cache = window.bin.media_cache
    assert window.thumbnails.media_cache is cache and window.waveforms.media_cache is cache
    assert window.ensure_effects_panel().media_cache is cache
    assert cache.folder == window.paths.cache / "media"
