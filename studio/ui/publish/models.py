"""What the publish widgets hand to the controller and get back from it (plain data)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from studio.upload.store import Job


@dataclass(frozen=True)
class PublishTarget:
    """What to publish: a video file, or a stored draft (rendered by the queue's worker).

    ``doc`` is the editor's project as shown; when it differs from the draft's head revision it
    is stored as the new head before queueing, so the export renders what the creator sees."""

    file: str | None = None
    draft_id: int | None = None
    title: str = ""
    draft_store: Any = None  # studio.drafts.DraftStore, needed for draft targets
    doc: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        if self.title:
            return self.title
        if self.file:
            return self.file.replace("\\", "/").rsplit("/", 1)[-1]
        return f"Draft {self.draft_id}"


@dataclass(frozen=True)
class EnqueueOutcome:
    job: Job | None = None
    attached: bool = False  # the same publish was already queued: it continues that job
    already: Job | None = None  # the same video and caption already published
    problem: str = ""


@dataclass(frozen=True)
class Transfer:
    """The last progress report of an uploading job."""

    sent: int
    speed: float  # bytes per second
    at: float  # monotonic time of the report


@dataclass(frozen=True)
class JobDetails:
    job: Job
    events: list[tuple[float, str, str]] = field(default_factory=list)  # (at, state, message)
    chunks: list[dict[str, Any]] = field(default_factory=list)  # acked: idx, first, last, sha256, acked_at


def draft_revision(target: PublishTarget) -> int | None:
    """In a job: the draft's head revision, after storing the editor's version when it differs."""
    store, draft_id = target.draft_store, target.draft_id
    if store is None or draft_id is None:
        return None
    if target.doc is not None:
        stored = store.get_project_doc(draft_id)
        if json.dumps(stored, sort_keys=True) != json.dumps(target.doc, sort_keys=True):
            return int(store.save(draft_id, target.doc, label="Published from the editor"))
    head = store.get_draft(draft_id).head_revision_id
    return int(head) if head is not None else None
