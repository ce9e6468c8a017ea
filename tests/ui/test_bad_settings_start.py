"""A settings file this version cannot read does not stop the editor from starting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from studio.config import app_paths

ROOT = Path(__file__).resolve().parents[2]


def test_the_app_starts_with_defaults_and_keeps_the_bad_file(studio_home: Path) -> None:
    paths = app_paths().ensure()
    paths.settings_file.write_text(json.dumps({"schema_version": 0, "theme": "dark"}))
    result = subprocess.run(
        [sys.executable, "-m", "studio", "gui", "--quit-when-shown"],
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    [kept] = paths.config.glob("settings.json.bad-*")
    assert json.loads(kept.read_text())["schema_version"] == 0
    assert json.loads(paths.settings_file.read_text())["theme"] == "system"  # the defaults, saved at exit
    assert kept.name in (paths.logs / "studio.log").read_text()
