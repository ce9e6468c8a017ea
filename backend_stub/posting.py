"""Content Posting API: creator_info, direct/inbox/photo init, status fetch, cancel."""

from __future__ import annotations

import json
import secrets
import sqlite3
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from .auth import AuthFirstRoute, RequireToken, require_scope
from .chunks import ChunkPlan, ChunkPlanError, validate_plan
from .covers import AVATAR_TTL_S, signed_url
from .db import digest
from .envelope import ApiError, error_body, ok
from .models import (
    ContentInit,
    CreatorInfoEnvelope,
    DirectPostInit,
    Envelope,
    FileUploadSource,
    InboxInit,
    InitEnvelope,
    PhotoInitEnvelope,
    PublishIdBody,
    PullFromUrlSource,
    StatusEnvelope,
    api_responses,
)
from .state import Grant, StubState, publish_type

router = APIRouter(tags=["content posting"], route_class=AuthFirstRoute)
INIT_400 = (
    "`invalid_params` (the request, or a chunk plan that breaks the arithmetic of the media transfer guide)."
)
INIT_403 = (
    "`privacy_level_option_mismatch`, `spam_risk_too_many_posts`, `spam_risk_user_banned_from_posting`,"
    " `unaudited_client_can_only_post_to_private_accounts`, `url_ownership_unverified` (PULL_FROM_URL)."
)
PUBLISH_ID_400 = "`invalid_params`, `invalid_publish_id`, `token_not_authorized_for_specified_publish_id`"
PUBLIC_OPTIONS = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
PRIVATE_OPTIONS = ["FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
VIDEO_SCOPES = ("video.upload", "video.publish")
UNFINISHED = ("PROCESSING_UPLOAD", "PROCESSING_DOWNLOAD", "SEND_TO_USER_INBOX")


def _state(request: Request) -> StubState:
    return request.app.state.stub


def privacy_options(account: sqlite3.Row) -> list[str]:
    return PRIVATE_OPTIONS if account["is_private"] else PUBLIC_OPTIONS


def _account(stub: StubState, grant: Grant) -> sqlite3.Row:
    row = stub.db.one("SELECT * FROM accounts WHERE open_id = ?", (grant.open_id,))
    if row is None:
        raise ApiError(401, "access_token_invalid", "The account no longer exists.")
    return row


def _posts_today(stub: StubState, open_id: str) -> int:
    row = stub.db.one(
        "SELECT COUNT(*) AS n FROM publishes WHERE open_id = ? AND mode = 'DIRECT_POST' AND created_at > ?"
        " AND NOT (status = 'FAILED' AND fail_reason = 'publish_cancelled')",
        (open_id, stub.now() - 86_400),
    )
    return int(row["n"]) if row else 0


def _posting_allowed(stub: StubState, account: sqlite3.Row) -> None:
    if account["banned"]:
        raise ApiError(403, "spam_risk_user_banned_from_posting", "The user is banned from posting.")
    if _posts_today(stub, account["open_id"]) >= stub.settings.daily_post_cap:
        raise ApiError(403, "spam_risk_too_many_posts", "The daily post cap of this creator is reached.")


@router.post("/v2/post/publish/creator_info/query/", responses=api_responses(CreatorInfoEnvelope))
def creator_info(
    request: Request, grant: Annotated[Grant, Depends(RequireToken(("video.publish",), "creator_info"))]
) -> JSONResponse:
    """Privacy options for the account type; posting-cap errors come back with HTTP 200 as documented."""
    stub = _state(request)
    account = _account(stub, grant)
    try:
        _posting_allowed(stub, account)
    except ApiError as exc:
        return JSONResponse(error_body(exc.code, exc.message), status_code=200)
    base = str(request.base_url)
    return ok(
        {
            "creator_avatar_url": signed_url(
                base, stub.url_key, "avatars", account["open_id"], stub.now(), AVATAR_TTL_S
            ),
            "creator_username": account["username"],
            "creator_nickname": account["display_name"],
            "privacy_level_options": privacy_options(account),
            "comment_disabled": False,
            "duet_disabled": False,
            "stitch_disabled": False,
            "max_video_post_duration_sec": account["max_duration_s"],
        }
    )


def _plan(source: FileUploadSource | PullFromUrlSource) -> ChunkPlan:
    if isinstance(source, PullFromUrlSource):
        raise ApiError(
            403, "url_ownership_unverified", "The domain or URL prefix of video_url is not verified."
        )
    try:
        return validate_plan(source.video_size, source.chunk_size, source.total_chunk_count)
    except ChunkPlanError as exc:
        raise ApiError(400, "invalid_params", str(exc)) from None


def _create_upload(
    stub: StubState, request: Request, grant: Grant, mode: str, plan: ChunkPlan, post_info: dict[str, Any]
) -> dict[str, str]:
    prefix = "v_pub_file~v2-1." if mode == "DIRECT_POST" else "v_inbox_file~v2."
    publish_id = f"{prefix}{stub.next_seq('publish'):09d}{secrets.randbelow(1000):03d}"
    upload_id = secrets.token_hex(10)
    upload_token = secrets.token_urlsafe(18)
    now = stub.now()
    stub.db.run(
        "INSERT INTO publishes(publish_id, grant_id, open_id, client_key, mode, media, source, status, video_size,"
        " chunk_size, total_chunks, upload_id, upload_token_hash, upload_expires_at, created_at, post_info)"
        " VALUES(?, ?, ?, ?, ?, 'VIDEO', 'FILE_UPLOAD', 'PROCESSING_UPLOAD', ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            publish_id,
            grant.id,
            grant.open_id,
            grant.client_key,
            mode,
            plan.video_size,
            plan.chunk_size,
            plan.total_chunk_count,
            upload_id,
            digest(upload_token),
            now + stub.settings.upload_url_ttl_s,
            now,
            json.dumps(post_info),
        ),
    )
    base = str(request.base_url).rstrip("/")
    return {
        "publish_id": publish_id,
        "upload_url": f"{base}/upload/?upload_id={upload_id}&upload_token={upload_token}",
    }


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@router.post(
    "/v2/post/publish/video/init/", responses=api_responses(InitEnvelope, e400=INIT_400, e403=INIT_403)
)
def direct_post_init(
    request: Request,
    body: DirectPostInit,
    grant: Annotated[Grant, Depends(RequireToken(("video.publish",), "video_init"))],
) -> JSONResponse:
    stub = _state(request)
    account = _account(stub, grant)
    info = body.post_info
    if _utf16_len(info.title) > 2200:
        raise ApiError(400, "invalid_params", "The title is longer than 2200 characters.")
    plan = _plan(body.source_info)
    if info.privacy_level not in privacy_options(account):
        raise ApiError(
            403, "privacy_level_option_mismatch", "privacy_level is not one of the creator's options."
        )
    post_info = info.model_dump()
    if not stub.settings.audited_client:
        if not account["is_private"]:
            raise ApiError(
                403,
                "unaudited_client_can_only_post_to_private_accounts",
                "This app is not audited yet: it can only post to private accounts.",
            )
        post_info["privacy_level"] = "SELF_ONLY"
    _posting_allowed(stub, account)
    return ok(_create_upload(stub, request, grant, "DIRECT_POST", plan, post_info))


@router.post(
    "/v2/post/publish/inbox/video/init/",
    responses=api_responses(
        InitEnvelope,
        e400=INIT_400,
        e403="`spam_risk_too_many_pending_share`, `spam_risk_user_banned_from_posting`, `url_ownership_unverified`.",
    ),
)
def inbox_init(
    request: Request,
    body: InboxInit,
    grant: Annotated[Grant, Depends(RequireToken(("video.upload",), "inbox_init"))],
) -> JSONResponse:
    stub = _state(request)
    account = _account(stub, grant)
    plan = _plan(body.source_info)
    if account["banned"]:
        raise ApiError(403, "spam_risk_user_banned_from_posting", "The user is banned from posting.")
    pending = stub.db.one(
        "SELECT COUNT(*) AS n FROM publishes WHERE open_id = ? AND mode = 'INBOX_SHARE' AND created_at > ?"
        " AND status IN ('PROCESSING_UPLOAD', 'SEND_TO_USER_INBOX')",
        (grant.open_id, stub.now() - 86_400),
    )
    if pending is not None and pending["n"] >= stub.settings.pending_inbox_cap:
        raise ApiError(403, "spam_risk_too_many_pending_share", "spam_risk_too_many_pending_share")
    return ok(_create_upload(stub, request, grant, "INBOX_SHARE", plan, {}))


@router.post(
    "/v2/post/publish/content/init/",
    responses=api_responses(PhotoInitEnvelope, e400="`invalid_params`.", e403=INIT_403),
)
def content_init(
    request: Request,
    body: ContentInit,
    grant: Annotated[Grant, Depends(RequireToken(VIDEO_SCOPES, "content_init"))],
) -> JSONResponse:
    """Photo posts: validated as documented; pulls need a verified domain, which the stand-in has none of."""
    stub = _state(request)
    # the token was checked (with either scope) before the body; the scope the mode needs now
    require_scope(grant, "video.publish" if body.post_mode == "DIRECT_POST" else "video.upload")
    account = _account(stub, grant)
    # the model holds photo_images to 1-35 https URLs; what OpenAPI cannot say is checked here
    if body.source_info.photo_cover_index >= len(body.source_info.photo_images):
        raise ApiError(400, "invalid_params", "photo_cover_index is out of range.")
    if _utf16_len(body.post_info.title) > 90 or _utf16_len(body.post_info.description) > 4000:
        raise ApiError(400, "invalid_params", "The title or description is too long.")
    if body.post_mode == "DIRECT_POST":
        if body.post_info.privacy_level not in privacy_options(account):
            raise ApiError(
                403, "privacy_level_option_mismatch", "privacy_level is not one of the creator's options."
            )
        _posting_allowed(stub, account)
    raise ApiError(403, "url_ownership_unverified", "The domain or URL prefix of the photos is not verified.")


def _own_publish(stub: StubState, grant: Grant, publish_id: str) -> sqlite3.Row:
    row = stub.db.one("SELECT * FROM publishes WHERE publish_id = ?", (publish_id,))
    if row is None:
        raise ApiError(400, "invalid_publish_id", "The publish_id does not exist.")
    if row["open_id"] != grant.open_id or row["client_key"] != grant.client_key:
        raise ApiError(
            400, "token_not_authorized_for_specified_publish_id", "This token cannot read this publish_id."
        )
    return row


@router.post(
    "/v2/post/publish/status/fetch/", responses=api_responses(StatusEnvelope, e400=PUBLISH_ID_400 + ".")
)
def status_fetch(
    request: Request,
    body: PublishIdBody,
    grant: Annotated[Grant, Depends(RequireToken(VIDEO_SCOPES, "status_fetch"))],
) -> JSONResponse:
    stub = _state(request)
    row = _own_publish(stub, grant, body.publish_id)
    post_ids: list[int] = []
    if row["video_id"] and row["status"] == "PUBLISH_COMPLETE":
        video = stub.db.one("SELECT privacy_level FROM videos WHERE id = ?", (row["video_id"],))
        if video is not None and video["privacy_level"] in ("PUBLIC_TO_EVERYONE", "FOLLOWER_OF_CREATOR"):
            post_ids = [int(row["video_id"])]
    data: dict[str, Any] = {
        "status": row["status"],
        "fail_reason": row["fail_reason"],
        "publicaly_available_post_id": post_ids,
    }
    if row["source"] == "FILE_UPLOAD":
        data["uploaded_bytes"] = row["uploaded_bytes"]
    else:
        data["downloaded_bytes"] = 0
    return ok(data)


@router.post(
    "/v2/post/publish/cancel/",
    responses=api_responses(Envelope, e400=PUBLISH_ID_400 + ", `publish_not_cancellable`."),
)
def cancel(
    request: Request,
    body: PublishIdBody,
    grant: Annotated[Grant, Depends(RequireToken(VIDEO_SCOPES, "cancel"))],
) -> JSONResponse:
    """Best effort: only a publish still receiving its file can be cancelled."""
    stub = _state(request)
    row = _own_publish(stub, grant, body.publish_id)
    if row["status"] != "PROCESSING_UPLOAD" or row["uploaded_bytes"] >= row["video_size"]:
        raise ApiError(400, "publish_not_cancellable", "The publish can no longer be cancelled.")
    changed = stub.db.run(
        "UPDATE publishes SET status = 'FAILED', fail_reason = 'publish_cancelled' WHERE publish_id = ? AND status = 'PROCESSING_UPLOAD'",
        (row["publish_id"],),
    )
    if changed != 1:
        raise ApiError(400, "publish_not_cancellable", "The publish can no longer be cancelled.")
    (stub.uploads_dir / f"{row['upload_id']}.part").unlink(missing_ok=True)
    stub.webhooks.emit(
        grant.client_key,
        "post.publish.failed",
        grant.open_id,
        {
            "publish_id": row["publish_id"],
            "reason": "publish_cancelled",
            "publish_type": publish_type(row["mode"]),
        },
    )
    return ok({})
