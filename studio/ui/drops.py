"""What a drag carries that the editor can import: shared by the media bin, the timeline and the
window, which all accept files dropped from the desktop."""

from __future__ import annotations

from PySide6.QtCore import QMimeData


def local_paths(mime: QMimeData) -> list[str]:
    """Local files carried by a drag (remote URLs are not importable)."""
    if not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]
