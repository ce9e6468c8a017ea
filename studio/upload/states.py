"""The publish job's states, what each means to a creator, and which moves are allowed.

A job's state is written *before* the network step it names, so after a crash the state says
what may have happened: ``initialising`` means an init may have reached the server, so a restart
never inits again blindly (it becomes ``unconfirmed`` and is reconciled, see worker.py).
"""

from __future__ import annotations

QUEUED = "queued"
EXPORTING = "exporting"
CHECKING = "checking"
INITIALISING = "initialising"
UPLOADING = "uploading"
PROCESSING = "processing"
PUBLISHED = "published"
INBOX = "inbox"
FAILED = "failed"
CANCELLED = "cancelled"
UNCONFIRMED = "unconfirmed"

ACTIVE = (QUEUED, EXPORTING, CHECKING, INITIALISING, UPLOADING, PROCESSING)
ENDED = (PUBLISHED, INBOX, FAILED, CANCELLED)
UNRESOLVED = (*ACTIVE, UNCONFIRMED)  # a second request for the same key attaches to these

LABELS: dict[str, str] = {
    QUEUED: "Waiting",
    EXPORTING: "Exporting the video",
    CHECKING: "Checking the file",
    INITIALISING: "Starting the upload",
    UPLOADING: "Uploading",
    PROCESSING: "Processing on TikTok",
    PUBLISHED: "Published",
    INBOX: "In your TikTok inbox",
    FAILED: "Failed",
    CANCELLED: "Cancelled",
    UNCONFIRMED: "Not confirmed: check your profile before posting again",
}

_NEXT: dict[str, tuple[str, ...]] = {
    QUEUED: (EXPORTING, CHECKING, CANCELLED, FAILED),
    EXPORTING: (CHECKING, FAILED, CANCELLED, QUEUED),
    CHECKING: (INITIALISING, FAILED, CANCELLED, QUEUED, EXPORTING),
    INITIALISING: (UPLOADING, CHECKING, FAILED, UNCONFIRMED, CANCELLED, QUEUED),
    UPLOADING: (UPLOADING, INITIALISING, CHECKING, PROCESSING, FAILED, UNCONFIRMED, CANCELLED),
    PROCESSING: (PUBLISHED, INBOX, FAILED, UNCONFIRMED, PROCESSING, UPLOADING),
    INBOX: (PUBLISHED, FAILED),
    UNCONFIRMED: (PUBLISHED, INBOX, FAILED, PROCESSING, UPLOADING, CHECKING, QUEUED, CANCELLED),
    FAILED: (QUEUED,),
    CANCELLED: (QUEUED,),
    PUBLISHED: (),
}


class StateError(RuntimeError):
    """A move the state machine does not allow (a bug, or a job changed elsewhere)."""


def check_move(old: str, new: str) -> None:
    if new not in _NEXT.get(old, ()):
        raise StateError(f"a publish job cannot go from {old} to {new}")
