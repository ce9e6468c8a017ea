"""The stand-in's own record of an account, read from its state (what our synced data must equal),
and a profile configured to use the stand-in as its platform."""

from __future__ import annotations

from typing import Any

from backend_stub.display import account_totals
from backend_stub.processing import LISTED
from backend_stub.server import StubServer
from studio.config import AppPaths, Settings, save_settings
from studio.sync.platform import secret_key
from studio.sync.vault import open_vault


def configure_stand_in(paths: AppPaths, stub: StubServer) -> None:
    """The profile's settings name ``stub`` as a custom platform (what a developer app's
    configuration looks like) and its client secret goes into the vault, as Settings > Accounts
    saves them; a ``SyncEngine(paths)`` then reads the platform as the CLI does."""
    save_settings(
        paths,
        Settings(
            extra={
                "platform": {
                    "mode": "custom",
                    "stand_in": True,
                    "name": "Stand-in",
                    "api_base": stub.base_url,
                    "authorize_url": stub.base_url + "/v2/auth/authorize/",
                    "client_key": stub.demo_client_key,
                }
            }
        ),
    )
    open_vault(paths).put(secret_key(stub.demo_client_key), stub.demo_client_secret)


def stub_videos(stub: StubServer, open_id: str) -> dict[str, dict[str, int]]:
    state = stub.state
    now = state.now()
    audience = state.audience(open_id)
    rows = state.db.all(
        f"SELECT * FROM videos WHERE open_id = ? AND privacy_level IN ({','.join('?' * len(LISTED))})"
        " AND create_time_ms <= ?",
        (open_id, *LISTED, int(now * 1000)),
    )
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        c = state.model.counters(r["id"], r["create_time_ms"] / 1000, audience, r["duration"], now)
        out[r["id"]] = {k: int(c[k]) for k in ("view_count", "like_count", "comment_count", "share_count")}
    return out


def stub_account(stub: StubServer, open_id: str) -> dict[str, Any]:
    acc = stub.state.db.one("SELECT * FROM accounts WHERE open_id = ?", (open_id,))
    assert acc is not None
    totals = account_totals(stub.state, open_id, acc["base_followers"], stub.state.now())
    return {
        "follower_count": totals["followers"],
        "likes_count": totals["likes"],
        "video_count": totals["videos"],
        "following_count": acc["following_count"],
        "display_name": acc["display_name"],
    }
