"""Errors the render engine raises; each carries a sentence a creator can act on."""

from __future__ import annotations


class RenderError(Exception):
    """A render that could not be done or finished; ``message`` is shown to the creator."""

    def __init__(self, message: str, *, kind: str = "failed") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


class ProjectRefused(RenderError):
    """The project cannot be exported as it stands; raised before any work starts."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("cannot export this project: " + "; ".join(self.problems), kind="refused")


class RenderCancelled(RenderError):
    """The creator cancelled the export; nothing was written under the final name."""

    def __init__(self) -> None:
        super().__init__("export cancelled", kind="cancelled")
