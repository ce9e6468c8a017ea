"""Display API (user/info, video/list, video/query), covers, avatars and share pages."""

from __future__ import annotations

import html
import re
import sqlite3
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from .auth import AuthFirstRoute, RequireToken
from .covers import AVATAR_TTL_S, COVER_TTL_S, draw, signed_url, verify
from .envelope import ApiError, ok
from .models import (
    UserEnvelope,
    VideoListBody,
    VideoListEnvelope,
    VideoQueryBody,
    VideoQueryEnvelope,
    api_responses,
)
from .processing import LISTED
from .state import Grant, StubState

router = APIRouter(tags=["display"], route_class=AuthFirstRoute)
FIELDS_400 = (
    "`invalid_params` (e.g. `fields`), `scope_permission_missed` (a field needs a scope not granted)."
)
USER_FIELDS: dict[str, str] = {
    "open_id": "user.info.basic",
    "union_id": "user.info.basic",
    "avatar_url": "user.info.basic",
    "avatar_url_100": "user.info.basic",
    "avatar_large_url": "user.info.basic",
    "display_name": "user.info.basic",
    "bio_description": "user.info.profile",
    "profile_deep_link": "user.info.profile",
    "is_verified": "user.info.profile",
    "username": "user.info.profile",
    "follower_count": "user.info.stats",
    "following_count": "user.info.stats",
    "likes_count": "user.info.stats",
    "video_count": "user.info.stats",
}
VIDEO_FIELDS = (
    "id",
    "create_time",
    "cover_image_url",
    "share_url",
    "video_description",
    "duration",
    "height",
    "width",
    "title",
    "embed_html",
    "embed_link",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
    "is_aigc",
)


def _state(request: Request) -> StubState:
    return request.app.state.stub


def fields_query(known: tuple[str, ...] | dict[str, str]) -> Any:
    """The required ``fields`` parameter: comma-separated names, no blanks; the schema lists them."""
    names = "|".join(re.escape(name) for name in known)
    return Query(
        pattern=f"^(?:{names})(?:,(?:{names}))*$",
        description=f"Comma-separated field names (no spaces) from: {', '.join(known)}.",
    )


def _fields(raw: str) -> list[str]:
    return list(dict.fromkeys(raw.split(",")))


def account_totals(stub: StubState, open_id: str, base_followers: int, now: float) -> dict[str, int]:
    audience = stub.audience(open_id)
    likes = followers = 0
    videos = stub.db.all("SELECT id, create_time_ms, duration FROM videos WHERE open_id = ?", (open_id,))
    for v in videos:
        c = stub.model.counters(v["id"], v["create_time_ms"] / 1000, audience, v["duration"], now)
        likes += int(c["like_count"])
        followers += int(c["new_followers"])
    return {"likes": likes, "followers": base_followers + followers, "videos": len(videos)}


@router.get("/v2/user/info/", responses=api_responses(UserEnvelope, e400=FIELDS_400))
def user_info(
    request: Request,
    grant: Annotated[Grant, Depends(RequireToken(("user.info.basic",), "user_info"))],
    fields: Annotated[str, fields_query(USER_FIELDS)],
) -> JSONResponse:
    stub = _state(request)
    names = _fields(fields)
    missing = sorted({USER_FIELDS[f] for f in names} - grant.scopes)
    if missing:
        raise ApiError(
            400,
            "scope_permission_missed",
            f"Fields need scopes the user did not grant: {', '.join(missing)}.",
        )
    acc = stub.db.one("SELECT * FROM accounts WHERE open_id = ?", (grant.open_id,))
    if acc is None:
        raise ApiError(401, "access_token_invalid", "The account no longer exists.")
    now = stub.now()
    base = str(request.base_url)
    values: dict[str, Any] = {
        "open_id": acc["open_id"],
        "union_id": acc["union_id"],
        "display_name": acc["display_name"],
        "bio_description": acc["bio"],
        "profile_deep_link": f"{base.rstrip('/')}/@{acc['username']}",
        "is_verified": bool(acc["is_verified"]),
        "username": acc["username"],
        "following_count": acc["following_count"],
    }
    for name in ("avatar_url", "avatar_url_100", "avatar_large_url"):
        values[name] = signed_url(base, stub.url_key, "avatars", acc["open_id"], now, AVATAR_TTL_S)
    if {"follower_count", "likes_count", "video_count"} & set(names):
        totals = account_totals(stub, acc["open_id"], acc["base_followers"], now)
        values.update(
            follower_count=totals["followers"], likes_count=totals["likes"], video_count=totals["videos"]
        )
    return ok({"user": {name: values[name] for name in names}})


def video_object(
    stub: StubState, request: Request, row: sqlite3.Row, names: list[str], now: float
) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/")
    username = stub.db.one("SELECT username FROM accounts WHERE open_id = ?", (row["open_id"],))
    share = f"{base}/@{username['username'] if username else 'user'}/video/{row['id']}"
    c = stub.model.counters(
        row["id"], row["create_time_ms"] / 1000, stub.audience(row["open_id"]), row["duration"], now
    )
    values: dict[str, Any] = {
        "id": row["id"],
        "create_time": row["create_time_ms"] // 1000,
        "cover_image_url": signed_url(base, stub.url_key, "covers", row["id"], now, COVER_TTL_S),
        "share_url": share,
        "video_description": row["title"][:150],
        "duration": row["duration"],
        "height": row["height"],
        "width": row["width"],
        "title": row["title"][:150],
        "embed_link": f"{base}/embed/v2/{row['id']}",
        "embed_html": (
            f'<blockquote class="tiktok-embed" cite="{html.escape(share)}" data-video-id="{row["id"]}">'
            f'<section><a href="{html.escape(share)}">{html.escape(row["title"][:150])}</a></section></blockquote>'
        ),
        "like_count": c["like_count"],
        "comment_count": c["comment_count"],
        "share_count": c["share_count"],
        "view_count": c["view_count"],
        "is_aigc": bool(row["is_aigc"]),
    }
    return {name: values[name] for name in names}


@router.post("/v2/video/list/", responses=api_responses(VideoListEnvelope, e400="`invalid_params`."))
def video_list(
    request: Request,
    grant: Annotated[Grant, Depends(RequireToken(("video.list",), "video_list"))],
    body: VideoListBody,
    fields: Annotated[str, fields_query(VIDEO_FIELDS)],
) -> JSONResponse:
    """Public posts, newest first; ``cursor`` is a UTC timestamp in ms (posts strictly before it)."""
    stub = _state(request)
    names = _fields(fields)
    now = stub.now()
    cursor = body.cursor if body.cursor is not None and body.cursor > 0 else int(now * 1000) + 1
    rows = stub.db.all(
        f"SELECT * FROM videos WHERE open_id = ? AND create_time_ms < ? AND create_time_ms <= ?"
        f" AND privacy_level IN ({','.join('?' * len(LISTED))}) ORDER BY create_time_ms DESC LIMIT ?",
        (grant.open_id, cursor, int(now * 1000), *LISTED, body.max_count + 1),
    )
    page = rows[: body.max_count]
    next_cursor = page[-1]["create_time_ms"] if page else cursor
    return ok(
        {
            "videos": [video_object(stub, request, r, names, now) for r in page],
            "cursor": next_cursor,
            "has_more": len(rows) > body.max_count,
        }
    )


@router.post("/v2/video/query/", responses=api_responses(VideoQueryEnvelope, e400="`invalid_params`."))
def video_query(
    request: Request,
    grant: Annotated[Grant, Depends(RequireToken(("video.list",), "video_query"))],
    body: VideoQueryBody,
    fields: Annotated[str, fields_query(VIDEO_FIELDS)],
) -> JSONResponse:
    """The caller's own videos by id (1 to 20); others' ids are silently left out."""
    stub = _state(request)
    names = _fields(fields)
    ids = list(dict.fromkeys(body.filters.video_ids))
    now = stub.now()
    rows = stub.db.all(
        f"SELECT * FROM videos WHERE open_id = ? AND id IN ({','.join('?' * len(ids))}) AND create_time_ms <= ?",
        (grant.open_id, *ids, int(now * 1000)),
    )
    order = {vid: i for i, vid in enumerate(ids)}
    rows.sort(key=lambda r: order[r["id"]])
    return ok({"videos": [video_object(stub, request, r, names, now) for r in rows]})


@router.get(
    "/_stub/{kind}/{ident}.jpg",
    response_model=None,
    tags=["stand-in assets"],
    response_class=FileResponse,
    responses={
        200: {"content": {"image/jpeg": {}}},
        403: {"description": "URL expired"},
        404: {"description": "unknown"},
    },
)
def image(
    request: Request,
    kind: str,
    ident: str,
    x_expires: Annotated[int, Query(alias="x-expires")] = 0,
    x_signature: Annotated[str, Query(alias="x-signature")] = "",
) -> FileResponse | JSONResponse:
    """Covers (6 h) and avatars (2 h) behind expiring signed URLs, drawn on first use."""
    stub = _state(request)
    if kind not in ("covers", "avatars") or not ident.lstrip("-").isalnum():
        return JSONResponse({"detail": "not found"}, status_code=404)
    if not verify(stub.url_key, kind, ident, x_expires, x_signature, stub.now()):
        return JSONResponse({"detail": "this URL has expired or is not signed"}, status_code=403)
    if kind == "covers":
        row = stub.db.one("SELECT title, cover_path FROM videos WHERE id = ?", (ident,))
        if row is None:
            return JSONResponse({"detail": "not found"}, status_code=404)
        if row["cover_path"]:
            return FileResponse(row["cover_path"], media_type="image/jpeg")
        label = row["title"]
    else:
        acc = stub.db.one("SELECT display_name FROM accounts WHERE open_id = ?", (ident,))
        if acc is None:
            return JSONResponse({"detail": "not found"}, status_code=404)
        label = acc["display_name"]
    path = stub.covers_dir / f"{kind}-{ident}.jpg"
    if not path.exists():
        draw(path, label, f"{stub.seed}:{ident}", (180, 320) if kind == "covers" else (100, 100))
    return FileResponse(path, media_type="image/jpeg")


@router.get("/@{username}/video/{video_id}", tags=["stand-in assets"], response_class=HTMLResponse)
@router.get("/embed/v2/{video_id}", tags=["stand-in assets"], response_class=HTMLResponse)
def share_page(request: Request, video_id: str, username: str = "") -> HTMLResponse:
    stub = _state(request)
    row = stub.db.one("SELECT title, privacy_level FROM videos WHERE id = ?", (video_id,))
    if row is None or row["privacy_level"] not in LISTED:
        return HTMLResponse(
            "<!doctype html><title>Not available</title><p>This video is not available.</p>", 404
        )
    return HTMLResponse(
        f"<!doctype html><title>{html.escape(row['title'])}</title><h1>{html.escape(row['title'])}</h1>"
    )
