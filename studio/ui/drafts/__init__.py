"""Drafts in the UI: the session that autosaves the edited project (``session``), the drafts
browser (``browser``, its ``model`` and the history dialog ``revisions_dialog``), covers and
filmstrips, the change summary, the details dialog and crash recovery."""
