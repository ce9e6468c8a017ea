"""Display API, expiring covers, the engagement model and the insights extension."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
from stubkit import START, Session, sign_in

from backend_stub.engagement import EngagementModel
from backend_stub.server import StubServer

VIDEO_FIELDS = "id,create_time,cover_image_url,share_url,video_description,duration,height,width,title,embed_html,embed_link,like_count,comment_count,share_count,view_count"


def test_user_info_fields_are_filtered(session: Session) -> None:
    reply = session.api(
        "GET", "/v2/user/info/", params={"fields": "open_id,username,follower_count,is_verified,avatar_url"}
    )
    user = reply.json()["data"]["user"]
    assert set(user) == {"open_id", "username", "follower_count", "is_verified", "avatar_url"}
    assert (
        user["username"] == "demo.creator" and user["is_verified"] is True and user["follower_count"] > 12_400
    )
    assert reply.json()["error"]["code"] == "ok"
    for bad in ("", "open_id,nonsense"):
        wrong = session.api("GET", "/v2/user/info/", params={"fields": bad})
        assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid_params"


def test_video_list_pages_by_ms_cursor(session: Session) -> None:
    seen: list[dict[str, object]] = []
    cursor = None
    while True:
        body = {"max_count": 7} if cursor is None else {"max_count": 7, "cursor": cursor}
        data = session.api(
            "POST", "/v2/video/list/", params={"fields": "id,create_time,view_count"}, json=body
        ).json()["data"]
        assert len(data["videos"]) <= 7
        seen += data["videos"]
        cursor = data["cursor"]
        assert (
            data["videos"] == []
            or cursor == data["videos"][-1]["create_time"] * 1000
            or cursor // 1000 == data["videos"][-1]["create_time"]
        )
        if not data["has_more"]:
            break
    times = [v["create_time"] for v in seen]
    assert times == sorted(times, reverse=True) and len({v["id"] for v in seen}) == len(seen)
    private_row = session.server.state.db.one(
        "SELECT COUNT(*) AS n FROM videos WHERE open_id = ? AND privacy_level = 'SELF_ONLY'",
        (session.tokens["open_id"],),
    )
    listed = session.server.state.db.one(
        "SELECT COUNT(*) AS n FROM videos WHERE open_id = ? AND privacy_level = 'PUBLIC_TO_EVERYONE'",
        (session.tokens["open_id"],),
    )
    assert private_row is not None and listed is not None and len(seen) == listed["n"] >= 20
    assert (
        session.api("POST", "/v2/video/list/", params={"fields": "id"}, json={"max_count": 21}).json()[
            "error"
        ]["code"]
        == "invalid_params"
    )
    old = session.api(
        "POST",
        "/v2/video/list/",
        params={"fields": "id"},
        json={"cursor": int(START * 1000) - 200 * 86_400_000},
    ).json()["data"]
    assert old["videos"] == [] and old["has_more"] is False


def test_video_query_and_expiring_cover(
    stub: StubServer, http_for: Callable[[StubServer], httpx.Client]
) -> None:
    http = http_for(stub)
    s = sign_in(stub, http)
    other = sign_in(stub, http, account="demo.private")
    mine = [
        v["id"]
        for v in s.api("POST", "/v2/video/list/", params={"fields": "id"}, json={"max_count": 20}).json()[
            "data"
        ]["videos"]
    ]
    theirs = stub.state.db.one("SELECT id FROM videos WHERE open_id = ?", (other.tokens["open_id"],))
    assert theirs is not None
    too_many = s.api(
        "POST", "/v2/video/query/", params={"fields": "id"}, json={"filters": {"video_ids": [*mine, "1"]}}
    )
    assert len(mine) == 20 and too_many.json()["error"]["code"] == "invalid_params"
    got = s.api(
        "POST",
        "/v2/video/query/",
        params={"fields": VIDEO_FIELDS},
        json={"filters": {"video_ids": [mine[3], theirs["id"]]}},
    )
    videos = got.json()["data"]["videos"]
    assert [v["id"] for v in videos] == [mine[3]] and set(videos[0]) == set(VIDEO_FIELDS.split(","))
    cover = videos[0]["cover_image_url"]
    image = http.get(cover)
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    http.post("/_stub/clock", json={"advance_s": 6 * 3600 + 1})
    assert http.get(cover).status_code == 403
    assert http.get(cover.replace("x-signature=", "x-signature=0")).status_code == 403


def test_counters_grow_and_are_deterministic(
    tmp_path: Path, http_for: Callable[[StubServer], httpx.Client]
) -> None:
    def counts(folder: str, advance: float) -> list[tuple[str, int, int]]:
        with StubServer(tmp_path / folder, seed=11, clock=START, clock_speed=0) as server:
            http = http_for(server)
            if advance:
                http.post("/_stub/clock", json={"advance_s": advance})
            s = sign_in(server, http)
            videos = s.api(
                "POST",
                "/v2/video/list/",
                params={"fields": "id,view_count,like_count"},
                json={"max_count": 20},
            ).json()["data"]["videos"]
            return [(v["id"], v["view_count"], v["like_count"]) for v in videos]

    first, second, later = counts("a", 0), counts("b", 0), counts("c", 3 * 86_400)
    assert first == second
    assert all(b[1] >= a[1] and b[2] >= a[2] for a, b in zip(first, later, strict=True))
    assert sum(b[1] for b in later) > sum(a[1] for a in first)
    views = sorted(v for _, v, _ in first)
    assert views[-1] > 5 * views[len(views) // 2]  # heavy tail: the top post dwarfs the median


def test_posting_at_the_audience_peak_pays() -> None:
    model = EngagementModel(seed=3)
    monday = 1_789_430_400  # a Monday 00:00 UTC
    ids = [str(9_000 + i) for i in range(40)]

    def week_views(hour: int) -> float:
        t0 = monday + hour * 3600
        return float(np.sum([model.cumulative_views(i, t0, 5000, t0 + 7 * 86_400) for i in ids]))

    assert week_views(model.peak_hour) > 1.5 * week_views(4)
    best = max(model.best_hours(), key=lambda h: h["activity"])
    assert best["hour_utc"] == model.peak_hour


def test_insights_series_add_up(session: Session) -> None:
    vid = session.api(
        "POST", "/v2/video/list/", params={"fields": "id,view_count"}, json={"max_count": 1}
    ).json()["data"]["videos"][0]
    reply = session.api("GET", f"/_stub/insights/videos/{vid['id']}", params={"days": 90})
    data = reply.json()["data"]
    assert data["stand_in_extension"] is True and len(data["daily"]) == 90
    day_views = sum(d["views"] for d in data["daily"])
    assert (
        abs(day_views - data["totals"]["view_count"]) <= 1
        and data["totals"]["view_count"] == vid["view_count"]
    )
    for day in data["daily"]:
        assert sum(day["traffic_sources"].values()) == day["views"] == sum(day["territories"].values())
        assert 0 <= day["full_watch_rate"] <= 1
    account = session.api("GET", "/_stub/insights/account", params={"days": 7}).json()["data"]
    assert len(account["daily"]) == 7 and len(account["active_hours"]) == 168
    followers = [d["followers"] for d in account["daily"]]
    assert followers == sorted(followers)
    assert session.api("GET", "/_stub/insights/videos/123").json()["error"]["code"] == "invalid_params"
