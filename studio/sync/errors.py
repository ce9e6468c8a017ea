"""Typed errors of the platform API: what the caller should do, not what the server said.

Every answer the client cannot use becomes one of four kinds, so the engine, the publish queue
and the UI decide by type: try again later (:class:`Retryable`, :class:`RateLimited`,
:class:`Offline`), ask the creator to sign in (:class:`NeedsSignIn`), or give up with a sentence
(:class:`Permanent`). The message is always a sentence a creator can read; ``code`` and
``log_id`` are kept for the log and for support.
"""

from __future__ import annotations


class ApiError(Exception):
    """Base of every platform error. ``str(exc)`` is a readable sentence."""

    retryable = False

    def __init__(
        self, message: str, *, code: str = "", status: int | None = None, log_id: str = "", endpoint: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.log_id = log_id
        self.endpoint = endpoint

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r}, status={self.status})"


class Retryable(ApiError):
    """A temporary failure (5xx, a dropped connection, a timeout, a garbled answer)."""

    retryable = True


class Offline(Retryable):
    """The platform cannot be reached at all (no network, DNS, connection refused)."""


class RateLimited(Retryable):
    """429: wait ``retry_after`` seconds before asking that endpoint again."""

    def __init__(self, message: str, *, retry_after: float, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class NeedsSignIn(ApiError):
    """The account's authorisation is gone (revoked, expired refresh token): sign in again."""


class MissingScope(ApiError):
    """The creator did not grant the scope a feature needs."""

    def __init__(self, message: str, *, scope: str, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.scope = scope


class Permanent(ApiError):
    """The request itself is wrong or refused for good; retrying gives the same answer."""


class SignInError(Exception):
    """The sign-in flow did not finish: denied, cancelled, timed out, or a bad callback."""

    def __init__(self, message: str, *, reason: str = "failed") -> None:
        super().__init__(message)
        self.reason = reason
