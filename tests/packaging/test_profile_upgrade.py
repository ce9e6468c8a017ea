"""A profile left by an older version opens in this one, as a user would open it.

The stores' own tests cover each migration step (tests/drafts/test_drafts_migrations.py,
tests/foundation/test_config.py, tests/core/test_project_migration.py); this one starts the real
command line on a whole old profile (v1 settings, a v1 drafts database, a v1 project file) and
checks that nothing is lost, nothing is set aside as unreadable and the upgraded files are
current afterwards. test_wheel.py runs the same profile through the installed wheel.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from old_profile import DRAFT_ID, OLD_SETTINGS, make_old_profile

from studio import config
from studio.drafts.schema import CURRENT_VERSION
from studio.process import worker_command

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CREATOR_STUDIO_HOME": str(home)}
    return subprocess.run(
        worker_command(*args), capture_output=True, text=True, timeout=120, env=env, cwd=ROOT
    )


def test_an_old_profile_opens_with_its_drafts_settings_and_projects(studio_home: Path) -> None:
    files = make_old_profile(studio_home)

    listed = run_cli("drafts", "list", "--json", home=studio_home)
    assert listed.returncode == 0, listed.stderr
    [draft] = json.loads(listed.stdout)
    assert (draft["id"], draft["title"]) == (DRAFT_ID, "Summer cut")
    assert draft["duration"] == pytest.approx(7.5) and draft["clip_count"] == 2
    revisions = run_cli("drafts", "revisions", str(DRAFT_ID), "--json", home=studio_home)
    assert revisions.returncode == 0, revisions.stderr
    assert [r["id"] for r in json.loads(revisions.stdout)] == [2, 1]
    conn = sqlite3.connect(files["drafts"])
    assert conn.execute("PRAGMA user_version").fetchone()[0] == CURRENT_VERSION
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()

    paths = config.app_paths()
    settings = config.load_settings(paths)
    assert settings.load_notice == ""  # read, not reset
    assert settings.theme == "dark"  # v1's "dark": true
    assert settings.recent_projects == OLD_SETTINGS["recent_projects"]
    assert settings.preview_scale == 0.25
    assert settings.extra == {"kept_from_another_version": {"x": 1}}
    assert not list(paths.config.glob("settings.json.bad-*"))
    config.save_settings(paths, settings)
    saved = json.loads(files["settings"].read_text(encoding="utf-8"))
    assert saved["schema_version"] == config.SETTINGS_VERSION and "dark" not in saved
    assert config.load_settings(paths) == settings

    from studio.projectfile import load_project

    project = load_project(files["project"])
    assert project.title == "Summer cut" and project.duration == pytest.approx(7.5)
