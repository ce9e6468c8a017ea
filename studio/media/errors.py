"""The one error type media code raises, worded for creators rather than developers."""

from __future__ import annotations

from pathlib import Path

MESSAGES: dict[str, str] = {
    "missing": "the file does not exist",
    "not_a_file": "this is a folder, not a media file",
    "unreadable": "the file cannot be read (check its permissions)",
    "empty": "the file is empty",
    "not_media": "this file is not a video",
    "truncated": "the file is cut short",
    "no_video": "this file has no picture (it is audio only)",
    "no_audio": "this file has no sound",
    "audio_damaged": "the audio stream is damaged; the video can still be used",
    "video_damaged": "the video stream is damaged",
    "unsupported": "this kind of video is not supported",
}


class MediaError(Exception):
    """A media file that cannot be used (or only in part).

    ``kind`` is a short code for programs, ``message`` one sentence for the creator, ``path`` the file.
    """

    def __init__(self, kind: str, path: str | Path | None = None, message: str | None = None) -> None:
        self.kind = kind
        self.path = str(path) if path is not None else None
        self.message = message or MESSAGES.get(kind, "the file cannot be used")
        super().__init__(self.message)

    def __str__(self) -> str:
        if self.path:
            return f"{Path(self.path).name}: {self.message}"
        return self.message

    def __reduce__(self) -> tuple[type[MediaError], tuple[str, str | None, str]]:
        return (MediaError, (self.kind, self.path, self.message))
