"""Stand-in extensions under /_stub/: clock, faults, settings, webhooks, inbox, insights.

None of this is part of the platform's public API; the app only uses it against the stand-in.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from .auth import AuthFirstRoute, RequireToken
from .engagement import iso_day
from .envelope import ApiError, ok
from .models import (
    ClockBody,
    DisconnectBody,
    Envelope,
    InboxPostBody,
    RedirectUrisBody,
    ReplayBody,
    WebhookTargetBody,
    api_responses,
)
from .posting import privacy_options
from .processing import LISTED, publish_video
from .redirects import RedirectUriError, check_registration
from .state import Grant, StubState, publish_type
from .webhooks import check_target

router = APIRouter(
    prefix="/_stub", tags=["stand-in admin (not part of the platform API)"], route_class=AuthFirstRoute
)
JSON_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "JSON"},
    400: {"description": "bad input"},
}


def _state(request: Request) -> StubState:
    return request.app.state.stub


def _bad(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status)


@router.get("/clock")
def get_clock(request: Request) -> dict[str, float]:
    stub = _state(request)
    return {"now": stub.now(), "speed": stub.clock.speed}


@router.post("/clock", responses=JSON_RESPONSES)
def set_clock(request: Request, body: ClockBody) -> Any:
    """``{"advance_s": 86400}`` moves forward; ``{"set_time": epoch}`` jumps; ``{"speed": 60}`` speeds up."""
    stub = _state(request)
    if body.set_time is not None and body.set_time > 32_503_680_000:
        return _bad("set_time is beyond the year 3000")
    if body.advance_s is not None and body.advance_s > 3_153_600_000:
        return _bad("advance_s is more than 100 years")
    if body.speed is not None and body.speed > 1_000_000:
        return _bad("speed is at most 1,000,000")
    if body.set_time is not None or body.speed is not None:
        stub.clock.set(body.set_time, body.speed)
    if body.advance_s:
        stub.clock.advance(body.advance_s)
    stub.save_clock()
    return {"now": stub.now(), "speed": stub.clock.speed}


@router.get("/faults")
def get_faults(request: Request) -> dict[str, Any]:
    return _state(request).faults.to_dict()


@router.post("/faults", responses=JSON_RESPONSES)
async def set_faults(request: Request) -> Any:
    """Set any of error_rate, error_status, latency_ms, drop_rate, burst_429, webhook_duplicate_rate,
    paths; ``{"clear": true}`` resets; ``expire_tokens_now`` / ``expire_upload_urls_now`` act at once."""
    stub = _state(request)
    try:
        body = await request.json()
    except ValueError:
        return _bad("send a JSON object")
    if not isinstance(body, dict):
        return _bad("send a JSON object")
    now = stub.now()
    if body.pop("clear", False) is True:
        stub.faults.update(
            {
                "error_rate": 0.0,
                "latency_ms": 0,
                "drop_rate": 0.0,
                "burst_429": 0,
                "webhook_duplicate_rate": 0.0,
            }
        )
    expired: dict[str, int] = {}
    if body.pop("expire_tokens_now", False) is True:
        expired["access_tokens"] = stub.db.run(
            "UPDATE tokens SET expires_at = ? WHERE kind = 'access' AND expires_at > ?", (now - 1, now - 1)
        )
    if body.pop("expire_upload_urls_now", False) is True:
        expired["upload_urls"] = stub.db.run(
            "UPDATE publishes SET upload_expires_at = ? WHERE status = 'PROCESSING_UPLOAD'", (now - 1,)
        )
    try:
        stub.faults.update(body)
    except ValueError as exc:
        return _bad(str(exc))
    return {**stub.faults.to_dict(), "expired": expired}


@router.get("/settings")
def get_settings(request: Request) -> dict[str, Any]:
    return _state(request).settings.to_dict()


@router.post("/settings", responses=JSON_RESPONSES)
async def set_settings(request: Request) -> Any:
    """Partial update, e.g. ``{"auto_approve": true, "access_token_ttl_s": 60}``."""
    stub = _state(request)
    try:
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("send a JSON object")
        stub.settings.update(body)
    except ValueError as exc:
        return _bad(str(exc))
    return stub.settings.to_dict()


@router.get("/apps")
def apps(request: Request) -> list[dict[str, Any]]:
    """Registered apps with their secrets: the stand-in is loopback-only and this is its portal."""
    rows = _state(request).db.all("SELECT * FROM apps ORDER BY rowid")
    return [
        {
            "client_key": r["client_key"],
            "client_secret": r["client_secret"],
            "name": r["name"],
            "redirect_uris": json.loads(r["redirect_uris"]),
            "scopes": r["scopes"].split(","),
        }
        for r in rows
    ]


@router.put(
    "/apps/{client_key}/redirect_uris", responses={**JSON_RESPONSES, 404: {"description": "unknown app"}}
)
def set_redirect_uris(request: Request, client_key: str, body: RedirectUrisBody) -> Any:
    stub = _state(request)
    if not 1 <= len(body.redirect_uris) <= 10:
        return _bad("register 1 to 10 redirect URIs")
    try:
        uris = [check_registration(u) for u in body.redirect_uris]
    except RedirectUriError as exc:
        return _bad(str(exc))
    if (
        stub.db.run("UPDATE apps SET redirect_uris = ? WHERE client_key = ?", (json.dumps(uris), client_key))
        != 1
    ):
        return _bad("unknown client_key", 404)
    return {"client_key": client_key, "redirect_uris": uris}


@router.get("/accounts")
def accounts(request: Request) -> list[dict[str, Any]]:
    rows = _state(request).db.all(
        "SELECT open_id, username, display_name, is_private, banned FROM accounts ORDER BY rowid"
    )
    return [{**dict(r), "is_private": bool(r["is_private"]), "banned": bool(r["banned"])} for r in rows]


@router.post(
    "/accounts/{open_id}/disconnect", responses={**JSON_RESPONSES, 404: {"description": "unknown account"}}
)
def disconnect(request: Request, open_id: str, body: DisconnectBody) -> Any:
    """The user removes the app in the platform's app: grants revoked, ``authorization.removed`` sent."""
    stub = _state(request)
    if stub.db.one("SELECT 1 FROM accounts WHERE open_id = ?", (open_id,)) is None:
        return _bad("unknown account", 404)
    return {"revoked_grants": stub.revoke_grants("open_id = ?", (open_id,), body.reason)}


@router.post(
    "/inbox/{publish_id}/post", responses={**JSON_RESPONSES, 404: {"description": "unknown publish"}}
)
def post_from_inbox(request: Request, publish_id: str, body: InboxPostBody) -> Any:
    """The creator opens the inbox notification in the app and posts: SEND_TO_USER_INBOX -> PUBLISH_COMPLETE."""
    stub = _state(request)
    row = stub.db.one("SELECT * FROM publishes WHERE publish_id = ?", (publish_id,))
    if row is None:
        return _bad("unknown publish_id", 404)
    if row["status"] != "SEND_TO_USER_INBOX":
        return _bad(f"the publish is {row['status']}, not waiting in the inbox", 409)
    account = stub.db.one("SELECT * FROM accounts WHERE open_id = ?", (row["open_id"],))
    if account is None or body.privacy_level not in privacy_options(account):
        return _bad("privacy_level is not one of the creator's options")
    video_id = publish_video(stub, row, json.loads(row["post_info"]), body.privacy_level, body.title)
    if video_id is None:
        return _bad("the publish moved on meanwhile", 409)
    return {"publish_id": publish_id, "post_id": video_id}


@router.post(
    "/videos/{video_id}/takedown", responses={**JSON_RESPONSES, 404: {"description": "unknown video"}}
)
def takedown(request: Request, video_id: str) -> Any:
    """Moderation hides a post: it leaves video/list and the app hears about it."""
    stub = _state(request)
    row = stub.db.one(
        "SELECT v.id, v.open_id, v.privacy_level, p.publish_id, p.client_key, p.mode FROM videos v"
        " LEFT JOIN publishes p ON p.publish_id = v.publish_id WHERE v.id = ?",
        (video_id,),
    )
    if row is None:
        return _bad("unknown video", 404)
    stub.db.run("UPDATE videos SET privacy_level = 'SELF_ONLY' WHERE id = ?", (video_id,))
    if row["publish_id"] and row["privacy_level"] in LISTED:
        stub.webhooks.emit(
            row["client_key"],
            "post.publish.no_longer_publicaly_available",
            row["open_id"],
            {"publish_id": row["publish_id"], "post_id": video_id, "publish_type": publish_type(row["mode"])},
        )
    return {"video_id": video_id, "privacy_level": "SELF_ONLY"}


@router.get("/webhooks")
def get_webhooks(request: Request) -> list[dict[str, str]]:
    return [dict(r) for r in _state(request).db.all("SELECT client_key, url FROM webhook_targets")]


@router.post("/webhooks", responses=JSON_RESPONSES)
def register_webhook(request: Request, body: WebhookTargetBody) -> Any:
    """Register the app's callback URL (loopback only); the demo app when client_key is left out."""
    stub = _state(request)
    try:
        url = check_target(body.url)
    except ValueError as exc:
        return _bad(str(exc))
    key = body.client_key or stub.demo_app()["client_key"]
    if stub.db.one("SELECT 1 FROM apps WHERE client_key = ?", (key,)) is None:
        return _bad("unknown client_key")
    stub.db.run(
        "INSERT INTO webhook_targets(client_key, url) VALUES(?, ?) ON CONFLICT(client_key) DO UPDATE SET url = excluded.url",
        (key, url),
    )
    return {"client_key": key, "url": url}


@router.delete("/webhooks")
def remove_webhook(request: Request, client_key: str | None = None) -> dict[str, int]:
    stub = _state(request)
    key = client_key or stub.demo_app()["client_key"]
    return {"removed": stub.db.run("DELETE FROM webhook_targets WHERE client_key = ?", (key,))}


@router.get("/webhooks/events")
def webhook_events(
    request: Request,
    state: Annotated[str | None, Query(pattern="^(pending|delivered|dead)$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Delivery log; ``state=dead`` is the dead-letter table."""
    sql = "SELECT id, client_key, event, body, state, attempts, last_error, created_at, delivered_at FROM webhook_events"
    params: tuple[Any, ...] = ()
    if state:
        sql += " WHERE state = ?"
        params = (state,)
    return [dict(r) for r in _state(request).db.all(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))]


@router.get("/webhooks/dead")
def dead_letters(request: Request) -> list[dict[str, Any]]:
    return webhook_events(request, "dead", 1000)


@router.post("/webhooks/dead/replay")
def replay(request: Request, body: ReplayBody) -> dict[str, int]:
    """Queue dead letters again: ``{"ids": [..]}`` or ``{}`` for all."""
    return {"replayed": _state(request).webhooks.replay(body.ids)}


def _days(stub: StubState, days: int) -> list[int]:
    today = math.floor(stub.now() / 86_400)
    return list(range(today - days + 1, today + 1))


@router.get("/insights/videos/{video_id}", responses=api_responses(Envelope, e400="`invalid_params`."))
def video_insights(
    request: Request,
    grant: Annotated[Grant, Depends(RequireToken(("video.list",), "video_query"))],
    video_id: str,
    days: Annotated[int, Query(ge=1, le=365)] = 28,
) -> JSONResponse:
    """Daily series for one of the caller's videos (stand-in for TikTok Studio's per-post analytics)."""
    stub = _state(request)
    row = stub.db.one("SELECT * FROM videos WHERE id = ? AND open_id = ?", (video_id, grant.open_id))
    if row is None:
        raise ApiError(400, "invalid_params", "Unknown video id for this user.")
    now = stub.now()
    created = row["create_time_ms"] / 1000
    audience = stub.audience(row["open_id"])
    totals = stub.model.counters(row["id"], created, audience, row["duration"], now)
    series = stub.model.daily(row["id"], created, audience, row["duration"], _days(stub, days), now)
    return ok(
        {
            "video_id": video_id,
            "as_of": int(now),
            "totals": totals,
            "daily": series,
            "stand_in_extension": True,
        }
    )


@router.get("/insights/account", responses=api_responses(Envelope, e400="`invalid_params`."))
def account_insights(
    request: Request,
    grant: Annotated[Grant, Depends(RequireToken(("user.info.stats",), "user_info"))],
    days: Annotated[int, Query(ge=1, le=365)] = 28,
) -> JSONResponse:
    """Account-level daily series plus the audience's active hours (TikTok Studio's Followers tab)."""
    stub = _state(request)
    acc = stub.db.one("SELECT * FROM accounts WHERE open_id = ?", (grant.open_id,))
    if acc is None:
        raise ApiError(401, "access_token_invalid", "The account no longer exists.")
    audience = stub.audience(acc["open_id"])
    day_list = _days(stub, days)
    keys = ("views", "likes", "comments", "shares", "new_followers")
    sums = [dict.fromkeys(keys, 0) for _ in day_list]
    videos = stub.db.all(
        "SELECT id, create_time_ms, duration FROM videos WHERE open_id = ?", (acc["open_id"],)
    )
    running = int(acc["base_followers"])
    for v in videos:
        created = v["create_time_ms"] / 1000
        running += int(
            stub.model.counters(v["id"], created, audience, v["duration"], day_list[0] * 86_400)[
                "new_followers"
            ]
        )
        for i, day in enumerate(
            stub.model.daily(v["id"], created, audience, v["duration"], day_list, stub.now())
        ):
            for k in keys:
                sums[i][k] += int(day[k])
    series = []
    for day, s in zip(day_list, sums, strict=True):
        running += s["new_followers"]
        series.append(
            {"date": iso_day(day), **s, "net_new_followers": s["new_followers"], "followers": running}
        )
    return ok(
        {
            "open_id": acc["open_id"],
            "daily": series,
            "active_hours": stub.model.best_hours(),
            "stand_in_extension": True,
        }
    )
