"""Against the real stand-in, synced, its clock advanced, synced again: our numbers are its own."""

from __future__ import annotations

import datetime as dt
import math

from studio.analytics.ranges import days_of, local_time
from tests.sync.records import stub_account, stub_videos

from .conftest import Synced, day_end, stub_day_sums, stub_followers_at, stub_views_at, utc_day

ADDITIVE = (
    ("views", "views"),
    ("likes", "likes"),
    ("comments", "comments"),
    ("shares", "shares"),
    ("net_new_followers", "new_followers"),
)


def test_overview_equals_the_stand_ins_daily_records(synced: Synced) -> None:
    a, acc, stub = synced.analytics, synced.account, synced.stub
    today = dt.datetime.fromtimestamp(stub.state.now(), dt.UTC).date()
    for spec in ("7d", "28d"):
        rng = a.range(acc.id, spec, "UTC")
        assert rng.last == today and rng.days == int(spec[:-1])
        ov = a.overview(acc.id, rng)
        assert ov.previous.last == rng.first - dt.timedelta(days=1) and ov.previous.days == rng.days
        for period, attr in ((rng, "value"), (ov.previous, "previous")):
            days = [utc_day(d) for d in days_of(period)]
            sums = stub_day_sums(stub, acc.open_id, days)
            for metric, key in ADDITIVE:
                assert getattr(ov.kpis[metric], attr) == sum(s[key] for s in sums.values()), (spec, metric)
            end = (days[-1] + 1) * 86_400
            assert getattr(ov.kpis["followers"], attr) == stub_followers_at(stub, acc.open_id, end)
        sums = stub_day_sums(stub, acc.open_id, [utc_day(d) for d in days_of(rng)])
        for metric, key in ADDITIVE:
            assert [p.value for p in ov.daily[metric]] == [sums[utc_day(d)][key] for d in days_of(rng)]
        followers = [stub_followers_at(stub, acc.open_id, (utc_day(d) + 1) * 86_400) for d in days_of(rng)]
        assert [p.value for p in ov.daily["followers"]] == followers
        assert [p.day for p in ov.daily["views"]] == days_of(rng)
        assert ov.daily["views"][-1].kind == "partial" and ov.daily["views"][0].kind == "actual"
        assert {k.source for m, k in ov.kpis.items() if m != "profile_views"} == {"platform daily series"}
        pv = ov.kpis["profile_views"]
        assert pv.value is None and pv.previous is None and pv.source.startswith("not available")
        assert ov.last_synced_at == synced.store.account(acc.id).last_sync_at  # type: ignore[union-attr]
    # the follower count now is the one user/info reports
    ov = a.overview(acc.id, a.range(acc.id, "7d", "UTC"))
    assert ov.kpis["followers"].value == stub_account(stub, acc.open_id)["follower_count"]


def test_overview_from_our_snapshots_alone_equals_the_stand_in(synced: Synced) -> None:
    """Without the platform's series (the real API): the changes between our two passes."""
    a, acc, stub, store = synced.analytics, synced.account, synced.stub, synced.store
    store.writer.call(lambda c: c.execute("DELETE FROM account_daily WHERE account_id = ?", (acc.id,)))
    a.invalidate(acc.id)
    t1, t2 = synced.times
    rng = a.range(acc.id, "7d", "UTC")
    ov = a.overview(acc.id, rng)
    audience = stub.state.audience(acc.open_id)
    rows = stub.state.db.all("SELECT * FROM videos WHERE open_id = ?", (acc.open_id,))
    listed = set(stub_videos(stub, acc.open_id))
    expected = {"view_count": 0, "comment_count": 0, "share_count": 0}
    for r in rows:
        if r["id"] not in listed:
            continue
        c1, c2 = (
            stub.state.model.counters(r["id"], r["create_time_ms"] / 1000, audience, r["duration"], t)
            for t in (t1, t2)
        )
        for k in expected:
            expected[k] += int(c2[k]) - int(c1[k])
    assert ov.kpis["views"].value == expected["view_count"]
    assert ov.kpis["comments"].value == expected["comment_count"]
    assert ov.kpis["shares"].value == expected["share_count"]
    before, after = stub_followers_at(stub, acc.open_id, t1), stub_followers_at(stub, acc.open_id, t2)
    assert ov.kpis["followers"].value == after == stub_account(stub, acc.open_id)["follower_count"]
    assert ov.kpis["net_new_followers"].value == after - before
    assert {k.source for m, k in ov.kpis.items() if m != "profile_views"} == {"our snapshots"}
    # the change counts on the day it was observed; the first observed day and the gap are unknown
    by_day = {p.day: p.value for p in ov.daily["views"]}
    day1 = dt.datetime.fromtimestamp(t1, dt.UTC).date()
    day2 = dt.datetime.fromtimestamp(t2, dt.UTC).date()
    assert by_day[day2] == expected["view_count"]
    assert all(v is None for d, v in by_day.items() if d != day2), by_day
    followers = {p.day: (p.value, p.kind) for p in ov.daily["followers"]}
    assert followers[day1] == (before, "actual")
    assert followers[day1 + dt.timedelta(days=1)] == (before, "carried_forward")
    assert ov.previous.last < day1 and ov.kpis["views"].previous is None


def test_every_post_row_equals_the_stand_ins_records(synced: Synced) -> None:
    a, acc, stub, store = synced.analytics, synced.account, synced.stub, synced.store
    t1, t2 = synced.times
    rows = {r.video_id: r for r in a.posts(acc.id)}
    expected = stub_videos(stub, acc.open_id)
    assert set(rows) == set(expected) and len(rows) >= 20
    audience = stub.state.audience(acc.open_id)
    checked_daily = checked_snapshot = 0
    for vid, row in rows.items():
        e = expected[vid]
        assert (row.views, row.likes, row.comments, row.shares) == (
            e["view_count"],
            e["like_count"],
            e["comment_count"],
            e["share_count"],
        )
        assert (
            row.engagement_rate == (e["like_count"] + e["comment_count"] + e["share_count"]) / e["view_count"]
        )
        video = stub.state.db.one("SELECT * FROM videos WHERE id = ?", (vid,))
        assert video is not None
        model = stub.state.model.counters(
            vid, video["create_time_ms"] / 1000, audience, video["duration"], t2
        )
        assert row.avg_watch_time_s == model["avg_watch_time_s"]
        assert row.full_watch_rate == model["full_watch_rate"]
        assert row.duration_s == video["duration"] and row.created_at == math.floor(
            video["create_time_ms"] / 1000
        )
        assert row.hashtags == tuple(t.lower() for t in _tags(video["title"]))
        for attr, hours in (("views_24h", 24), ("views_72h", 72), ("views_7d", 168)):
            mark = row.created_at + hours * 3600
            end = day_end(mark)
            mark_day = dt.datetime.fromtimestamp(mark, dt.UTC).date().isoformat()
            daily = [d for d in store.video_daily(acc.id, vid) if d["day"] == mark_day]
            value = getattr(row, attr)
            if daily and daily[0]["as_of"] >= end:
                assert value == stub_views_at(stub, video, end), (vid, attr)
                checked_daily += 1
            else:
                seen = [t for t in (t1, t2) if mark <= t < mark + 86_400]
                assert value == (stub_views_at(stub, video, seen[0]) if seen else None), (vid, attr)
                checked_snapshot += bool(seen)
    assert checked_daily > 20


def _tags(title: str) -> list[str]:
    import re

    return re.findall(r"#(\w+)", title)


def test_post_detail_and_top_posts(synced: Synced) -> None:
    a, acc = synced.analytics, synced.account
    top = a.top_posts(acc.id, a.range(acc.id, "all", "UTC"), n=5)
    assert len(top) == 5 and [r.views for r in top] == sorted((r.views or 0 for r in top), reverse=True)
    detail = a.post(acc.id, top[0].video_id, "UTC")
    assert detail.row == top[0] and detail.source == "platform daily series"
    values = [p.value for p in detail.views_since_posting]
    assert values == sorted(v or 0 for v in values)  # cumulative
    assert detail.views_since_posting[0].day == dt.datetime.fromtimestamp(top[0].created_at, dt.UTC).date()
    assert sum(detail.traffic_sources.values()) == sum(detail.territories.values()) == values[-1]
    assert set(detail.traffic_sources) >= {"for_you", "following"}


def test_heatmap_peak_audience_cell_is_the_stand_ins_peak_hour(synced: Synced) -> None:
    a, acc, stub = synced.analytics, synced.account, synced.stub
    tz = "Europe/Berlin"
    bt = a.best_time(acc.id, tz)
    assert len(bt.cells) == 168 and len(bt.audience) == 168 and bt.tz == tz
    peak = max(stub.state.model.best_hours(), key=lambda h: h["activity"])  # type: ignore[arg-type, return-value]
    assert int(peak["hour_utc"]) == stub.state.model.peak_hour  # type: ignore[call-overload]
    now = stub.state.now()
    day = int(now // 86_400)
    monday = day - (dt.date(1970, 1, 1) + dt.timedelta(days=day)).weekday()
    wd = ("mon", "tue", "wed", "thu", "fri", "sat", "sun").index(str(peak["weekday"]))
    local = local_time((monday + wd) * 86_400 + int(peak["hour_utc"]) * 3600, tz)  # type: ignore[call-overload]
    top = max(bt.audience, key=lambda c: c.value or 0.0)
    assert (top.weekday, top.hour) == (local.weekday(), local.hour)
    assert top.level == 1.0
    # the posts' own cells: every post counted once, in its local weekday and hour
    posts = a.posts(acc.id)
    assert sum(c.samples for c in bt.cells) == len(posts)
    for p in posts:
        t = local_time(p.created_at, tz)
        assert bt.cells[t.weekday() * 24 + t.hour].samples >= 1
    assert (bt.best and all(c.samples >= 2 for c in bt.best)) or all(c.samples == 1 for c in bt.best)
    slot = a.next_best_slot(acc.id, tz, now)
    assert slot is not None and now < slot <= now + 7 * 86_400 + 3600
    t = local_time(slot, tz)
    assert (t.weekday(), t.hour) in {(c.weekday, c.hour) for c in bt.best} and t.minute == 0


def test_hashtags_and_suggestions(synced: Synced) -> None:
    a, acc = synced.analytics, synced.account
    stats = a.hashtags(acc.id)
    posts = a.posts(acc.id)
    assert {s.tag for s in stats} == {t for p in posts for t in p.hashtags}
    assert sum(s.posts for s in stats) == sum(len(p.hashtags) for p in posts)
    assert [s.vs_account_views for s in stats] == sorted((s.vs_account_views for s in stats), reverse=True)
    first = stats[0].tag
    assert a.suggest_hashtags(acc.id, "#" + first[:1].upper())[0] == first
    assert a.suggest_hashtags(acc.id, "zzzz-none") == []


def test_cache_is_dropped_on_invalidate(synced: Synced) -> None:
    a, acc = synced.analytics, synced.account
    rng = a.range(acc.id, "7d", "UTC")
    first = a.overview(acc.id, rng)
    assert a.overview(acc.id, rng) is first
    a.invalidate(acc.id)
    again = a.overview(acc.id, rng)
    assert again is not first and again == first
    a.invalidate()
    assert a.posts(acc.id) == a.posts(acc.id)
