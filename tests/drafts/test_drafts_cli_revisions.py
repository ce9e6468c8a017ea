"""`creator-studio drafts revisions ID` says in words what each revision changed against the one
before it: the same sentences as the change summary the dialogs show."""

from __future__ import annotations

import copy
import json

import pytest
from drafts_docs import MINIMAL

from studio.cli import main
from studio.core.changes import summarize_changes
from studio.drafts import open_store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    rc = main(["drafts", *argv])
    return rc, capsys.readouterr().out


def test_revisions_print_what_each_one_changed(capsys: pytest.CaptureFixture[str]) -> None:
    first = copy.deepcopy(MINIMAL)
    second = copy.deepcopy(first)
    second["tracks"][1]["items"].append({"text": "Your text", "start": 0.0, "end": 2.0})
    third = copy.deepcopy(second)
    third["title"] = "Renamed"
    third["tracks"][0]["clips"][1]["start"] = 5.0
    with open_store() as store:
        draft_id = store.create_draft(first)
        store.save(draft_id, second)
        store.autosave(draft_id, third)
        newest, middle, oldest = store.revisions(draft_id)

    rc, out = run(capsys, "revisions", str(draft_id))
    assert rc == 0
    blocks = out.split("\n")
    at = {line.split()[0]: i for i, line in enumerate(blocks) if line[:6].strip().isdigit()}
    assert blocks[at[str(newest.id)] + 1 : at[str(middle.id)]] == [
        "        - renamed the project from 'Minimal example' to 'Renamed'",
        "        - moved clip-b.mp4 from 0:04 to 0:05",
    ]
    assert blocks[at[str(middle.id)] + 1 : at[str(oldest.id)]] == ["        - added text 'Your text' at 0:00"]
    assert blocks[at[str(oldest.id)] + 1] == "        - first version"

    rc, out = run(capsys, "revisions", str(draft_id), "--json")
    rows = json.loads(out)
    assert [r["id"] for r in rows] == [newest.id, middle.id, oldest.id]
    assert rows[0]["changes"] == list(summarize_changes(second, third).sentences)
    assert rows[0]["change_kinds"] == ["clip.moved", "project.renamed"]
    assert rows[1]["change_kinds"] == ["text.added"] and rows[2]["changes"] == []
