"""A profile as an older Creator Studio left it: v1 settings, a v1 drafts database, a v1 project.

Built with what the stores themselves provide for their migration tests
(``studio.drafts.schema.create_schema_version``), so it stays right as schemas move on.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

OLD_PROJECT = {
    "schema_version": 1,
    "title": "Summer cut",
    "canvas": {"width": 1080, "height": 1920, "fps": 30},
    "tracks": [
        {"kind": "video", "clips": [{"source": "a.mp4", "in": 1.0, "out": 5.0, "start": 2.0, "speed": 2.0}]},
        {"kind": "text", "items": [{"text": "hi", "start": 0.0, "end": 7.5}]},
    ],
}
OLD_SETTINGS = {
    "schema_version": 1,
    "dark": True,
    "recent_projects": ["/somewhere/summer.json"],
    "preview_scale": 0.25,
    "kept_from_another_version": {"x": 1},
}
DRAFT_ID = 7


def make_old_profile(home: Path, profile: str = "default") -> dict[str, Path]:
    """Write the old profile under ``CREATOR_STUDIO_HOME=home``; returns the files written."""
    from studio.drafts.schema import create_schema_version

    root = home / "profiles" / profile
    settings = root / "config" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps(OLD_SETTINGS), encoding="utf-8")

    db = root / "data" / "drafts" / "drafts.sqlite3"
    db.parent.mkdir(parents=True)
    conn = sqlite3.connect(db)
    create_schema_version(conn, 1)
    older = {**OLD_PROJECT, "title": "Summer cut (first try)"}
    conn.execute(
        "INSERT INTO drafts VALUES (?, 'Summer cut', 100.0, 200.0, ?)", (DRAFT_ID, json.dumps(OLD_PROJECT))
    )
    conn.execute("INSERT INTO revisions VALUES (1, ?, 150.0, ?)", (DRAFT_ID, json.dumps(older)))
    conn.execute("INSERT INTO revisions VALUES (2, ?, 200.0, ?)", (DRAFT_ID, json.dumps(OLD_PROJECT)))
    conn.commit()
    conn.close()

    project = home / "summer.json"
    project.write_text(json.dumps(OLD_PROJECT), encoding="utf-8")
    return {"settings": settings, "drafts": db, "project": project}
