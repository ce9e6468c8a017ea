"""The one HTTP client for the platform: envelope and OAuth errors become typed errors.

One ``httpx.Client`` per engine (connection reuse, HTTP keep-alive), bounded timeouts, a cap on
the size of any answer, client-side rate limits per account and endpoint, and retries with
jittered exponential backoff for idempotent reads only (tenacity: already a dependency, and its
``wait`` hook sees the exception, so a ``Retry-After`` can set the pause). Writes (the token
exchange, refresh, revoke, posting) are never retried blindly here: their callers decide.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
import tenacity

from studio.sync.errors import (
    ApiError,
    MissingScope,
    NeedsSignIn,
    Offline,
    Permanent,
    RateLimited,
    Retryable,
)
from studio.sync.platform import PlatformConfig
from studio.sync.ratelimit import RateLimiter

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_BODY = 4 * 1024 * 1024
TIMEOUT = httpx.Timeout(20.0, connect=5.0)
READ_ATTEMPTS = 5
USER_AGENT = "CreatorStudio/0.1 (+desktop)"


class TokenRejected(NeedsSignIn):
    """401 ``access_token_invalid``: refresh once and try again before asking to sign in."""


class BadResponse(Retryable):
    """An answer we cannot read: an HTML error page, broken JSON, a body far too large."""


# Envelope codes -> sentences (tiktok_api.md 2.1-2.7). Unknown codes keep the server's message.
_MESSAGES: dict[str, str] = {
    "scope_not_authorized": "The account did not grant the permission this needs.",
    "scope_permission_missed": "Some of the requested fields need a permission the account did not grant.",
    "rate_limit_exceeded": "The platform asked us to slow down.",
    "internal_error": "The platform had an internal error.",
    "invalid_params": "The platform refused the request's parameters.",
    "invalid_param": "The platform refused the request's parameters.",
    "spam_risk_too_many_posts": "This account reached the platform's daily posting limit.",
    "spam_risk_user_banned_from_posting": "The platform does not allow this account to post right now.",
    "spam_risk_too_many_pending_share": "Too many uploads are waiting in the TikTok inbox; post or delete some first.",
    "reached_active_user_cap": "This app reached the platform's limit of users posting today.",
    "privacy_level_option_mismatch": "That privacy option is not offered for this account.",
    "unaudited_client_can_only_post_to_private_accounts": "This app may only post to private accounts until the platform audits it.",
}
_OAUTH_MESSAGES: dict[str, str] = {
    "invalid_grant": "The sign-in has expired or was revoked; sign in again.",
    "invalid_client": "The app's client key or client secret is wrong; check Settings > Accounts.",
    "access_denied": "Access was denied.",
    "invalid_scope": "The app asked for a permission it is not allowed to request.",
    "unauthorized_client": "This app may not use that kind of sign-in.",
}


def _retry_after(response: httpx.Response, default: float = 60.0) -> float:
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, min(3600.0, float(value)))
    except ValueError:
        return default


def _read_body(response: httpx.Response, endpoint: str) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise BadResponse(
            f"The platform's answer to {endpoint} was larger than {MAX_BODY // 1024 // 1024} MB "
            f"({int(declared) // 1024} KB); is the API address right?",
            status=response.status_code,
            endpoint=endpoint,
        )
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_BODY:
            raise BadResponse(
                f"The platform's answer to {endpoint} was larger than {MAX_BODY // 1024 // 1024} MB; "
                "is the API address right?",
                status=response.status_code,
                endpoint=endpoint,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(response: httpx.Response, body: bytes, endpoint: str) -> Any:
    status = response.status_code
    ctype = response.headers.get("content-type", "")
    try:
        if "json" not in ctype and body.lstrip()[:1] not in (b"{", b"["):
            raise ValueError("not JSON")
        return json.loads(body)
    except ValueError:
        kind = "an error page" if b"<" in body[:200] else "an answer that is not JSON"
        message = f"The platform sent {kind} (HTTP {status}) for {endpoint}"
        if status == 429:
            raise RateLimited(
                message + ".", retry_after=_retry_after(response), status=status, endpoint=endpoint
            ) from None
        if status >= 500 or 200 <= status < 300:
            raise BadResponse(message + "; trying again later.", status=status, endpoint=endpoint) from None
        raise Permanent(message + "; is the API address right?", status=status, endpoint=endpoint) from None


def envelope_error(response: httpx.Response, doc: Any, endpoint: str) -> ApiError | None:
    """The typed error of an ``{data, error}`` answer, or None when it is ``ok``."""
    status = response.status_code
    err = doc.get("error") if isinstance(doc, dict) else None
    if not isinstance(err, dict):
        if status == 429:
            return RateLimited(
                "The platform asked us to slow down.",
                retry_after=_retry_after(response),
                status=status,
                endpoint=endpoint,
            )
        if status >= 500:
            return Retryable(f"The platform failed (HTTP {status}).", status=status, endpoint=endpoint)
        if status == 404:
            return Permanent(
                f"The platform has no {endpoint} here (HTTP 404).", status=status, endpoint=endpoint
            )
        return BadResponse(
            f"The platform's answer to {endpoint} had no error field (HTTP {status}).",
            status=status,
            endpoint=endpoint,
        )
    code = str(err.get("code") or "")
    if code == "ok" and 200 <= status < 300:
        return None
    log_id = str(err.get("log_id") or err.get("logid") or "")
    text = _MESSAGES.get(code) or str(err.get("message") or code or f"HTTP {status}")
    common: dict[str, Any] = {"code": code, "status": status, "log_id": log_id, "endpoint": endpoint}
    if code == "rate_limit_exceeded" or status == 429:
        return RateLimited(text, retry_after=_retry_after(response), **common)
    if code == "access_token_invalid":
        return TokenRejected("The sign-in is no longer valid; sign in again.", **common)
    if code in ("scope_not_authorized", "scope_permission_missed"):
        return MissingScope(text, scope="", **common)
    if code == "internal_error" or status >= 500:
        return Retryable(text, **common)
    return Permanent(text, **common)


def oauth_error(response: httpx.Response, doc: Any, endpoint: str) -> ApiError | None:
    """OAuth answers are flat; an ``error`` key means failure whatever the HTTP status."""
    status = response.status_code
    if isinstance(doc, dict) and "error" in doc and not isinstance(doc["error"], dict):
        code = str(doc.get("error") or "")
        if not code and 200 <= status < 300:
            return None
        text = _OAUTH_MESSAGES.get(code) or str(doc.get("error_description") or code)
        common: dict[str, Any] = {
            "code": code,
            "status": status,
            "log_id": str(doc.get("log_id") or ""),
            "endpoint": endpoint,
        }
        if code == "invalid_grant":
            return NeedsSignIn(text, **common)
        if status == 429:
            return RateLimited(text, retry_after=_retry_after(response), **common)
        if status >= 500:
            return Retryable(text, **common)
        return Permanent(text, **common)
    if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
        return envelope_error(response, doc, endpoint)
    if status >= 500:
        return Retryable(
            f"The platform's sign-in service failed (HTTP {status}).", status=status, endpoint=endpoint
        )
    if not 200 <= status < 300 or not isinstance(doc, dict):
        return Permanent(f"Unexpected sign-in answer (HTTP {status}).", status=status, endpoint=endpoint)
    return None


def _wait(state: tenacity.RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    backoff = tenacity.wait_random_exponential(multiplier=0.5, max=8.0)(state)
    if isinstance(exc, RateLimited):
        return max(exc.retry_after, backoff)
    return backoff


def _retry_read(exc: BaseException) -> bool:
    # Offline is not worth hammering: the engine pauses and probes on its own schedule.
    return isinstance(exc, Retryable) and not isinstance(exc, Offline)


class ApiClient:
    """Typed calls to one platform app. Thread-safe (httpx.Client is)."""

    def __init__(
        self,
        config: PlatformConfig,
        *,
        limiter: RateLimiter | None = None,
        http: httpx.Client | None = None,
        attempts: int = READ_ATTEMPTS,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.config = config
        self.limiter = limiter or RateLimiter()
        self.http = http or httpx.Client(
            timeout=TIMEOUT,
            trust_env=not config.stand_in,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=8, max_keepalive_connections=4),
        )
        self.attempts = attempts
        self.cancel = threading.Event()
        self._sleep = sleep or (lambda s: self.cancel.wait(s) and None)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        return self.config.api_base + path

    # -- transport ---------------------------------------------------------------------------

    def _send(self, method: str, path: str, endpoint: str, **kwargs: Any) -> tuple[httpx.Response, Any]:
        try:
            with self.http.stream(method, self.url(path), **kwargs) as response:
                body = _read_body(response, endpoint)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise Offline(
                f"Cannot reach {self.config.name} ({type(exc).__name__}).", endpoint=endpoint
            ) from None
        except httpx.TimeoutException as exc:
            raise Retryable(
                f"{self.config.name} did not answer in time ({type(exc).__name__}).", endpoint=endpoint
            ) from None
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise Retryable(
                f"The connection to {self.config.name} broke ({type(exc).__name__}).", endpoint=endpoint
            ) from None
        return response, _decode(response, body, endpoint)

    def _limited(self, account: str, bucket: str) -> None:
        from studio.sync.ratelimit import Cancelled

        try:
            self.limiter.acquire(account, bucket, self.cancel)
        except Cancelled:
            raise Retryable("The sync was stopped.", endpoint=bucket) from None

    def api(
        self,
        method: str,
        path: str,
        *,
        token: str,
        account: str,
        bucket: str,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """One enveloped call; returns ``data``. Idempotent reads are retried on Retryable."""

        def once() -> dict[str, Any]:
            self._limited(account, bucket)
            headers = {"Authorization": f"Bearer {token}"}
            kwargs: dict[str, Any] = {"params": params, "headers": headers}
            if body is not None:
                kwargs["json"] = body
            try:
                response, doc = self._send(method, path, bucket, **kwargs)
            except RateLimited as exc:
                self.limiter.block(account, bucket, exc.retry_after)
                raise
            error = envelope_error(response, doc, bucket)
            if isinstance(error, RateLimited):
                self.limiter.block(account, bucket, error.retry_after)
            if error is not None:
                raise error
            data = doc.get("data")
            return data if isinstance(data, dict) else {}

        if not idempotent:
            return once()
        return self._retrying(once)

    def _retrying(self, fn: Callable[[], T]) -> T:
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(_retry_read),
            wait=_wait,
            stop=tenacity.stop_after_attempt(self.attempts),
            sleep=self._sleep,
            reraise=True,
        )
        return retrying(fn)

    def oauth(self, path: str, form: dict[str, str], endpoint: str) -> dict[str, Any]:
        """A flat OAuth call (token, refresh, revoke): never retried here."""
        headers = {"Cache-Control": "no-cache"}
        response, doc = self._send("POST", path, endpoint, data=form, headers=headers)
        error = oauth_error(response, doc, endpoint)
        if error is not None:
            raise error
        return doc if isinstance(doc, dict) else {}

    # -- OAuth -------------------------------------------------------------------------------

    def exchange_code(self, code: str, redirect_uri: str, verifier: str) -> dict[str, Any]:
        return self._tokens(
            self.oauth(
                "/v2/oauth/token/",
                {
                    "client_key": self.config.client_key,
                    "client_secret": self.config.client_secret,
                    "code": code,
                    "grant_type": "authorization_code",
                    "redirect_uri": redirect_uri,
                    "code_verifier": verifier,
                },
                "oauth_token",
            )
        )

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        return self._tokens(
            self.oauth(
                "/v2/oauth/token/",
                {
                    "client_key": self.config.client_key,
                    "client_secret": self.config.client_secret,
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token,
                },
                "oauth_refresh",
            )
        )

    def revoke(self, access_token: str) -> None:
        self.oauth(
            "/v2/oauth/revoke/",
            {
                "client_key": self.config.client_key,
                "client_secret": self.config.client_secret,
                "token": access_token,
            },
            "oauth_revoke",
        )

    @staticmethod
    def _tokens(doc: dict[str, Any]) -> dict[str, Any]:
        try:
            out = {
                "open_id": str(doc["open_id"]),
                "scope": str(doc.get("scope") or ""),
                "access_token": str(doc["access_token"]),
                "expires_in": int(doc["expires_in"]),
                "refresh_token": str(doc["refresh_token"]),
                "refresh_expires_in": int(doc.get("refresh_expires_in") or 0),
            }
        except (KeyError, TypeError, ValueError):
            raise BadResponse("The platform's token answer was incomplete.", endpoint="oauth_token") from None
        if not out["access_token"] or not out["refresh_token"]:
            raise BadResponse("The platform's token answer was incomplete.", endpoint="oauth_token")
        return out

    # -- Display API -------------------------------------------------------------------------

    def user_info(self, token: str, account: str, fields: list[str]) -> dict[str, Any]:
        data = self.api(
            "GET",
            "/v2/user/info/",
            token=token,
            account=account,
            bucket="user_info",
            params={"fields": ",".join(fields)},
        )
        user = data.get("user")
        if not isinstance(user, dict):
            raise BadResponse("The platform's user/info answer had no user.", endpoint="user_info")
        return user

    def video_list(
        self, token: str, account: str, fields: list[str], cursor: int | None, max_count: int = 20
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"max_count": max_count}
        if cursor is not None:
            body["cursor"] = cursor
        data = self.api(
            "POST",
            "/v2/video/list/",
            token=token,
            account=account,
            bucket="video_list",
            params={"fields": ",".join(fields)},
            body=body,
        )
        videos = data.get("videos")
        return {
            "videos": [v for v in videos if isinstance(v, dict)] if isinstance(videos, list) else [],
            "cursor": data.get("cursor") if isinstance(data.get("cursor"), int) else None,
            "has_more": bool(data.get("has_more")),
        }

    def video_query(
        self, token: str, account: str, fields: list[str], ids: list[str]
    ) -> list[dict[str, Any]]:
        data = self.api(
            "POST",
            "/v2/video/query/",
            token=token,
            account=account,
            bucket="video_query",
            params={"fields": ",".join(fields)},
            body={"filters": {"video_ids": ids}},
        )
        videos = data.get("videos")
        return [v for v in videos if isinstance(v, dict)] if isinstance(videos, list) else []

    # -- the stand-in's insights extension (404 on the real platform) -------------------------

    def insights_account(self, token: str, account: str, days: int) -> dict[str, Any]:
        return self.api(
            "GET",
            "/_stub/insights/account",
            token=token,
            account=account,
            bucket="user_info",
            params={"days": days},
        )

    def insights_video(self, token: str, account: str, video_id: str, days: int) -> dict[str, Any]:
        return self.api(
            "GET",
            f"/_stub/insights/videos/{video_id}",
            token=token,
            account=account,
            bucket="video_query",
            params={"days": days},
        )

    def download(self, url: str, limit: int = 2 * 1024 * 1024) -> bytes:
        """A small public asset (avatar, cover) from a signed, expiring URL."""
        try:
            with self.http.stream("GET", url, timeout=TIMEOUT) as response:
                if response.status_code != 200:
                    raise Permanent(
                        f"The image URL answered HTTP {response.status_code}.", status=response.status_code
                    )
                data = bytearray()
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > limit:
                        raise Permanent("The image is larger than expected.")
                return bytes(data)
        except (httpx.ConnectError, httpx.ConnectTimeout):
            raise Offline(f"Cannot reach {self.config.name}.") from None
        except httpx.HTTPError as exc:
            raise Retryable(f"Could not download the image ({type(exc).__name__}).") from None
