"""The recovery dialog and the revisions browser say what changed in words (the one change
summary of studio.core.changes), with the raw JSON diff hidden behind a Details toggle."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.core.changes import summarize_changes
from studio.drafts import DraftStore
from studio.drafts import recovery as rec
from studio.ui.drafts.recovery_dialog import RecoveryDialog
from studio.ui.drafts.revisions_dialog import RevisionsDialog

pytestmark = pytest.mark.gui


def project(clip_out: float = 6.0, texts: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "schema_version": 2,
        "title": "Beach day",
        "tracks": [
            {
                "id": "v1",
                "kind": "video",
                "clips": [
                    {
                        "id": "c1",
                        "source": "/m/city-walk.mp4",
                        "in_point": 0.0,
                        "out_point": clip_out,
                        "start": 0.0,
                    }
                ],
            },
            {
                "id": "t1",
                "kind": "text",
                "items": [
                    {"id": f"x{i}", "text": t, "start": float(i), "end": i + 1.0} for i, t in enumerate(texts)
                ],
            },
        ],
    }


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DraftStore]:
    s = DraftStore(tmp_path / "drafts.sqlite3")
    yield s
    s.close()


def test_recovery_dialog_lists_sentences_and_hides_the_diff(qtbot: QtBot, store: DraftStore) -> None:
    draft_id = store.create_draft(project())
    store.autosave(draft_id, project(clip_out=4.0, texts=("<b>Sale</b>",)))
    [offer] = rec.recovery_offers(store)
    dialog = RecoveryDialog(store, offer)
    qtbot.addWidget(dialog)
    dialog.show()
    view = dialog.summary_view
    assert view.sentences.text() == "• trimmed city-walk.mp4 to 0:00–0:04\n• added text '<b>Sale</b>' at 0:00"
    assert view.sentences.textFormat() == Qt.TextFormat.PlainText  # text items are not markup
    assert not view.details.isVisible() and not dialog.diff.isVisible()
    qtbot.mouseClick(view.details_button, Qt.MouseButton.LeftButton)
    assert view.details.isVisible() and dialog.diff.isVisible()
    assert '"out_point": 4.0' in dialog.diff.toPlainText()
    view.details_button.click()
    assert not view.details.isVisible()


def test_recovery_dialog_caps_a_long_list(qtbot: QtBot, store: DraftStore) -> None:
    draft_id = store.create_draft(project())
    store.autosave(draft_id, project(texts=tuple(f"Line {i}" for i in range(10))))
    [offer] = rec.recovery_offers(store)
    dialog = RecoveryDialog(store, offer)
    qtbot.addWidget(dialog)
    lines = dialog.summary_view.sentences.text().split("\n")
    assert len(lines) == 7 and lines[-1] == "• and 4 more changes"


def test_revisions_dialog_says_what_each_version_changed(qtbot: QtBot, store: DraftStore) -> None:
    first = project()
    second = project(texts=("Hello",))
    third = copy.deepcopy(second)
    third["title"] = "Beach day v2"
    draft_id = store.create_draft(first)
    store.save(draft_id, second)
    store.save(draft_id, third)
    dialog = RevisionsDialog(store, draft_id)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 3)  # read in the background
    column = [dialog.table.item(row, 3).text() for row in range(dialog.table.rowCount())]
    assert column == [
        "renamed the project from 'Beach day' to 'Beach day v2'",
        "added text 'Hello' at 0:00",
        "first version",
    ]
    view = dialog.summary_view
    assert view.sentences.text() == "• no changes"  # the current version is selected
    dialog.table.selectRow(2)
    expected = summarize_changes(third, first)
    assert view.summary == expected
    assert view.sentences.text() == (
        "• renamed the project from 'Beach day v2' to 'Beach day'\n• removed text 'Hello'"
    )
    assert not dialog.diff.isVisible()
    view.details_button.click()
    assert dialog.diff.isVisible() and '-          "text": "Hello"' in dialog.diff.toPlainText()
