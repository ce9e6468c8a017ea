"""`creator-studio drafts ...` end to end, in the profile given by CREATOR_STUDIO_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from drafts_docs import MINIMAL, project

from studio.cli import main
from studio.drafts import open_store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(["drafts", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_import_list_export_revisions_delete_restore(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "project.json"
    src.write_text(json.dumps(MINIMAL))
    rc, out, _ = run(capsys, "import", str(src))
    assert rc == 0
    draft_id = int(out.strip())
    rc, out, _ = run(capsys, "list", "--json")
    [listed] = json.loads(out)
    assert listed["id"] == draft_id and listed["title"] == "Minimal example" and listed["duration"] == 8.0
    rc, out, _ = run(capsys, "list")
    assert "Minimal example" in out and "0:08" in out

    bundle = tmp_path / "out.csdraft"
    assert run(capsys, "export", str(draft_id), "-o", str(bundle))[0] == 0
    rc, out, _ = run(capsys, "import", str(bundle))
    copy_id = int(out.strip())
    with open_store() as store:
        assert store.get_project_doc(copy_id) == MINIMAL
        store.save(copy_id, project("Second version"))
        first_rev = store.revisions(copy_id)[-1].id

    rc, out, _ = run(capsys, "revisions", str(copy_id))
    assert rc == 0 and "current" in out and str(first_rev) in out
    assert run(capsys, "restore", str(copy_id), str(first_rev))[0] == 0
    with open_store() as store:
        assert store.get_project_doc(copy_id)["title"] == "Minimal example"

    assert run(capsys, "delete", str(draft_id))[0] == 0
    rc, out, _ = run(capsys, "list", "--json", "--trash")
    assert [d["id"] for d in json.loads(out)] == [draft_id]
    assert run(capsys, "restore", str(draft_id))[0] == 0
    assert run(capsys, "delete", str(draft_id), "--forever")[0] == 0
    rc, out, _ = run(capsys, "list", "--json")
    assert [d["id"] for d in json.loads(out)] == [copy_id]


def test_user_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    exe = Path(sys.executable).with_name("creator-studio")
    for argv in (
        ["import", str(bad)],
        ["export", "77", "-o", str(tmp_path / "x.csdraft")],
        ["import", "/nonexistent"],
    ):
        proc = subprocess.run(
            [str(exe), "drafts", *argv], capture_output=True, text=True, env=os.environ, timeout=60
        )
        assert proc.returncode == 1
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
