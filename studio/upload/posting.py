"""The Content Posting API on top of the sync engine's client and tokens (tiktok_api.md 2).

``creator_info`` before every post; ``init`` (direct or inbox, never retried here: a lost answer
is the caller's to reconcile); ``put_chunk`` streams one chunk from disk (memory bounded by the
read size, SHA-256 computed on the way) with an inclusive ``Content-Range``; ``status``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from studio.sync.client import ApiClient
from studio.sync.errors import ApiError, Offline, Permanent, Retryable
from studio.sync.tokens import TokenManager

READ_SIZE = 1024 * 1024
PUT_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
CONTENT_TYPES = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm"}
_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+)")

# fail_reason / error code -> what a creator reads (tiktok_api.md 2.3, 2.7)
REASONS: dict[str, str] = {
    "file_format_check_failed": "TikTok could not read the video's format; export it as H.264 MP4 and try again.",
    "duration_check_failed": "The video is longer than this account may post.",
    "frame_rate_check_failed": "The video's frame rate is outside 23-60 fps.",
    "picture_size_check_failed": "The video's picture size is outside 360-4096 pixels.",
    "internal": "TikTok had an internal problem processing the video.",
    "publish_cancelled": "The upload was cancelled.",
    "auth_removed": "Creator Studio's access to the account was removed; sign in again.",
    "spam_risk_too_many_posts": "This account reached TikTok's daily posting limit; try again tomorrow.",
    "spam_risk_user_banned_from_posting": "TikTok does not allow this account to post right now.",
    "spam_risk_text": "TikTok refused the caption; change it and try again.",
    "spam_risk": "TikTok refused the post as a spam risk.",
    "spam_risk_too_many_pending_share": "Five uploads already wait in your TikTok inbox; post or delete some first.",
    "privacy_level_option_mismatch": "That privacy option is not offered for this account any more.",
    "unaudited_client_can_only_post_to_private_accounts": "This app may only post to private accounts until TikTok audits it.",
    "reached_active_user_cap": "This app reached TikTok's limit of users posting today.",
}


def reason_text(code: str, fallback: str = "") -> str:
    return REASONS.get(code) or fallback or f"TikTok refused the post ({code})."


@dataclass(frozen=True)
class CreatorInfo:
    nickname: str
    username: str
    privacy_options: tuple[str, ...]
    comment_disabled: bool
    duet_disabled: bool
    stitch_disabled: bool
    max_duration_s: int


@dataclass(frozen=True)
class PutResult:
    acked: int  # bytes the server has, from its progress header
    complete: bool
    sha256: str


class UploadUrlExpired(ApiError):
    """403 on a PUT: the hour is over (or the URL was refused)."""


class UploadGone(ApiError):
    """404 on a PUT: the publish was cancelled or failed, or the URL is wrong."""


def parse_range(header: str | None) -> tuple[int, int] | None:
    """``bytes 0-{last}/{total}`` or ``bytes */{total}`` -> (bytes received, total)."""
    if not header:
        return None
    m = _RANGE.search(header)
    if not m:
        return None
    total = int(m.group(3))
    return (0 if m.group(1) is None else int(m.group(2)) + 1), total


class PostingClient:
    def __init__(self, client: ApiClient, tokens: TokenManager) -> None:
        self.client = client
        self.tokens = tokens

    def creator_info(self, account_id: str) -> CreatorInfo:
        data = self.tokens.call(
            account_id,
            lambda t: self.client.api(
                "POST",
                "/v2/post/publish/creator_info/query/",
                token=t,
                account=account_id,
                bucket="creator_info",
                body={},
            ),
        )
        options = data.get("privacy_level_options")
        return CreatorInfo(
            nickname=str(data.get("creator_nickname") or ""),
            username=str(data.get("creator_username") or ""),
            privacy_options=tuple(str(o) for o in options) if isinstance(options, list) else (),
            comment_disabled=bool(data.get("comment_disabled")),
            duet_disabled=bool(data.get("duet_disabled")),
            stitch_disabled=bool(data.get("stitch_disabled")),
            max_duration_s=int(data.get("max_video_post_duration_sec") or 0),
        )

    def init(
        self, account_id: str, mode: str, source_info: dict[str, Any], post_info: dict[str, Any] | None
    ) -> tuple[str, str]:
        path = "/v2/post/publish/video/init/" if mode == "direct" else "/v2/post/publish/inbox/video/init/"
        body: dict[str, Any] = {"source_info": source_info}
        if mode == "direct":
            body["post_info"] = post_info or {}
        data = self.tokens.call(
            account_id,
            lambda t: self.client.api(
                "POST",
                path,
                token=t,
                account=account_id,
                bucket="video_init" if mode == "direct" else "inbox_init",
                body=body,
                idempotent=False,
            ),
        )
        publish_id, upload_url = data.get("publish_id"), data.get("upload_url")
        if not isinstance(publish_id, str) or not isinstance(upload_url, str) or not publish_id:
            raise Retryable("TikTok's answer to the upload start was incomplete.", endpoint="video_init")
        return publish_id, upload_url

    def status(self, account_id: str, publish_id: str) -> dict[str, Any]:
        return self.tokens.call(
            account_id,
            lambda t: self.client.api(
                "POST",
                "/v2/post/publish/status/fetch/",
                token=t,
                account=account_id,
                bucket="status_fetch",
                body={"publish_id": publish_id},
            ),
        )

    def put_chunk(
        self,
        upload_url: str,
        path: Path,
        first: int,
        last: int,
        total: int,
        on_bytes: Callable[[int], None] | None = None,
    ) -> PutResult:
        """PUT bytes ``first..last`` (inclusive) of ``path``; the server's progress header wins."""
        digest = hashlib.sha256()
        length = last - first + 1

        def body() -> Iterator[bytes]:
            with open(path, "rb") as f:
                f.seek(first)
                left = length
                while left:
                    data = f.read(min(READ_SIZE, left))
                    if not data:
                        raise Permanent(f"{path.name} became shorter while it was being uploaded.")
                    left -= len(data)
                    digest.update(data)
                    if on_bytes is not None:
                        on_bytes(len(data))
                    yield data

        headers = {
            "Content-Type": CONTENT_TYPES.get(path.suffix.lower(), "video/mp4"),
            "Content-Length": str(length),
            "Content-Range": f"bytes {first}-{last}/{total}",
        }
        try:
            response = self.client.http.put(upload_url, content=body(), headers=headers, timeout=PUT_TIMEOUT)
        except (httpx.ConnectError, httpx.ConnectTimeout):
            raise Offline("Cannot reach TikTok's upload server.", endpoint="upload") from None
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise Retryable(
                f"The upload connection broke ({type(exc).__name__}).", endpoint="upload"
            ) from None
        status = response.status_code
        progress = parse_range(response.headers.get("content-range"))
        if status in (200, 201, 206):
            acked = progress[0] if progress else last + 1
            return PutResult(acked, status == 201 or acked >= total, digest.hexdigest())
        if status == 416:
            acked = progress[0] if progress else 0
            return PutResult(acked, acked >= total, "")
        code = _code(response)
        if status == 403:
            raise UploadUrlExpired("The upload address expired.", code=code, status=status, endpoint="upload")
        if status == 404:
            raise UploadGone(
                "TikTok no longer expects this upload.", code=code, status=status, endpoint="upload"
            )
        if status == 429:
            from studio.sync.errors import RateLimited

            raise RateLimited(
                "TikTok asked us to slow down.", retry_after=_retry_after(response), status=status
            )
        if status >= 500:
            raise Retryable(
                f"TikTok's upload server failed (HTTP {status}).", status=status, endpoint="upload"
            )
        message = _message(response) or f"TikTok refused the chunk (HTTP {status})."
        raise Permanent(message, code=code, status=status, endpoint="upload")


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        doc = response.json()
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _code(response: httpx.Response) -> str:
    err = _json(response).get("error")
    return str(err.get("code") or "") if isinstance(err, dict) else ""


def _message(response: httpx.Response) -> str:
    err = _json(response).get("error")
    return str(err.get("message") or "") if isinstance(err, dict) else ""


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("retry-after", "5")))
    except ValueError:
        return 5.0
