"""Versions in pictures in the history dialog, and the filmstrip renderer underneath it: times,
the cache (memory and disk), frames past a version's end, covers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from studio.core.project import Project, TextItem, Track
from studio.drafts import DraftStore
from studio.render import filmstrip as fs
from studio.ui.drafts.revisions_dialog import RevisionsDialog

pytestmark = pytest.mark.gui


def _doc(*texts: tuple[str, float, float], title: str = "Run") -> dict[str, Any]:
    items = [{"id": f"x{i}", "text": t, "start": a, "end": b} for i, (t, a, b) in enumerate(texts)]
    return {"schema_version": 2, "title": title, "tracks": [{"id": "t1", "kind": "text", "items": items}]}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DraftStore]:
    s = DraftStore(tmp_path / "drafts.sqlite3")
    yield s
    s.close()


def _differs(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    assert a is not None and b is not None
    return int(np.abs(a.astype(np.int16) - b.astype(np.int16)).max()) > 40


def test_history_shows_the_chosen_version_beside_the_current_one_at_the_same_moments(
    qtbot: QtBot, store: DraftStore
) -> None:
    draft_id = store.create_draft(_doc(("Hello", 0.0, 4.0)))
    store.save(draft_id, _doc(("Hello", 0.0, 4.0), ("Second line", 2.0, 4.0)))
    dialog = RevisionsDialog(store, draft_id)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2, timeout=10000)
    assert [dialog.table.item(r, 4).text() for r in range(2)] == ["0:04.0", "0:04.0"]  # each one's length
    qtbot.waitUntil(lambda: dialog.comparison.is_loaded, timeout=30000)  # the current version, twice
    dialog.table.selectRow(1)  # the first version
    qtbot.waitUntil(lambda: dialog.comparison.is_loaded, timeout=30000)
    current, chosen = dialog.strips
    assert current.caption.text().startswith("Current version of ") and current.caption.text().endswith(
        "0:04.0"
    )
    assert chosen.caption.text().startswith("Version of ")
    assert current.times == chosen.times == fs.strip_times(4.0)
    for t, a, b in zip(current.times, current.frames, chosen.frames, strict=True):
        assert _differs(a, b) == (t >= 2.0), t  # the second line shows from 2 s on
    assert dialog.restore_button.isEnabled()

    dialog.table.selectAll()  # two versions chosen: compared with each other, nothing to restore
    assert dialog.summary_view.heading.text() == RevisionsDialog.BETWEEN
    assert not dialog.restore_button.isEnabled()
    assert "added text 'Second line'" in dialog.summary_view.sentences.text()
    qtbot.waitUntil(lambda: dialog.comparison.is_loaded, timeout=30000)
    older, newer = dialog.strips
    assert _differs(older.frames[-1], newer.frames[-1]) and not _differs(older.frames[0], newer.frames[0])


def test_strip_times_are_evenly_spaced_inside_the_duration() -> None:
    assert fs.strip_times(8.0, 4) == [1.0, 3.0, 5.0, 7.0]
    assert fs.strip_times(0.0) == [] and len(fs.strip_times(600.0)) == fs.STRIP_FRAMES


def test_a_strip_is_cached_in_memory_and_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = Project.from_dict(_doc(("Hello", 0.0, 2.0)))
    cache = fs.FilmstripCache(tmp_path / "strips")
    seen: list[int] = []
    strip = fs.render_filmstrip(
        project, [0.5, 1.5, 2.5], cache=cache, on_frame=lambda i, _t, _f: seen.append(i)
    )
    assert seen == [0, 1, 2] and strip.frames[2] is None  # 2.5 s is past the end
    assert strip.size == (54, 96) and strip.frames[0] is not None and strip.frames[0].max() > 100
    assert len(list((tmp_path / "strips").glob("*.npz"))) == 1

    def no_render(*_a: object, **_k: object) -> None:
        raise AssertionError("rendered again")

    monkeypatch.setattr(fs, "open_renderer", no_render)
    fresh = fs.FilmstripCache(tmp_path / "strips")  # a new process: from the disk
    again = fs.render_filmstrip(project, [0.5, 1.5, 2.5], cache=fresh)
    assert again.key == strip.key and again.frames[2] is None
    assert np.array_equal(again.frames[0], strip.frames[0])
    changed = Project.from_dict(_doc(("Hello!", 0.0, 2.0)))
    assert fs.filmstrip_key(changed, [0.5], 96) != fs.filmstrip_key(project, [0.5], 96)


def test_a_cover_skips_black_and_an_empty_project_has_none() -> None:
    late = Project(tracks=[Track("t1", "text", items=[TextItem("x", "Late", 1.0, 3.0)])])
    found = fs.cover_frame(late, height=192)
    assert found is not None and found[1] == 1.0 and not fs.is_black(found[0])
    assert fs.cover_frame(Project()) is None
