"""Offline drafts: a SQLite store of projects, revisions, autosave, crash recovery, media library."""

from studio.drafts.store import DraftError, DraftInfo, DraftStore, RevisionInfo, open_store

__all__ = ["DraftError", "DraftInfo", "DraftStore", "RevisionInfo", "open_store"]
