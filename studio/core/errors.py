"""The one error type of the project model: a sentence a creator can act on."""

from __future__ import annotations


class ProjectError(Exception):
    """A project document or an edit is not valid.

    ``message`` is the creator-facing sentence; ``where`` says which part of the project it is
    about (``"tracks[0].clips[1]"``, ``"line 12"``, a file path), or is empty.
    """

    def __init__(self, message: str, where: str = "") -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)
