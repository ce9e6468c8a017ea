"""The drafts store's value types: what a draft and a revision look like to callers."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any


class DraftError(Exception):
    """A request the store cannot fulfil; the message is written for the creator."""


@dataclass(frozen=True)
class DraftInfo:
    id: int
    title: str
    created_at: float
    updated_at: float
    duration: float
    canvas: dict[str, Any]
    track_count: int
    clip_count: int
    cover_path: str | None
    base_dir: str | None
    head_revision_id: int | None
    deleted_at: float | None
    caption: str = ""
    hashtags: list[str] = field(default_factory=list)
    privacy: str = "private"
    toggles: dict[str, bool] = field(default_factory=dict)
    schedule_at: float | None = None
    tags: list[str] = field(default_factory=list)

    @property
    def in_trash(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True)
class RevisionInfo:
    id: int
    draft_id: int
    created_at: float
    kind: str
    label: str
    content_hash: str
    size: int
    dismissed: bool
    is_head: bool


_DRAFT_COLUMNS = (
    "id, title, created_at, updated_at, duration, canvas_json, track_count, clip_count, cover_path, "
    "base_dir, head_revision_id, deleted_at, caption, hashtags_json, privacy, toggles_json, schedule_at"
)


def dumps(doc: dict[str, Any]) -> str:
    """The stored form of a project document (compact; pretty-printed only for diffs)."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def _draft_from_row(row: sqlite3.Row, tags: list[str] | None = None) -> DraftInfo:
    return DraftInfo(
        id=row["id"],
        title=row["title"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        duration=row["duration"],
        canvas=json.loads(row["canvas_json"] or "{}"),
        track_count=row["track_count"],
        clip_count=row["clip_count"],
        cover_path=row["cover_path"],
        base_dir=row["base_dir"],
        head_revision_id=row["head_revision_id"],
        deleted_at=row["deleted_at"],
        caption=row["caption"],
        hashtags=json.loads(row["hashtags_json"] or "[]"),
        privacy=row["privacy"],
        toggles=json.loads(row["toggles_json"] or "{}"),
        schedule_at=row["schedule_at"],
        tags=tags or [],
    )
