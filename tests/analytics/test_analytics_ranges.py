"""Range arithmetic and the snapshot-only queries: DST, a post at 23:59, one post, no posts."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from studio.analytics.export import to_csv
from studio.analytics.models import DateRange
from studio.analytics.queries import Analytics
from studio.analytics.ranges import (
    day_bounds,
    local_tz,
    offset_changes,
    parse_range,
    previous_period,
)
from studio.sync.store import SyncStore

from .conftest import add_account

BERLIN = "Europe/Berlin"
TODAY = dt.date(2026, 11, 30)


def at(tz: str, *parts: int) -> float:
    return dt.datetime(*parts, tzinfo=ZoneInfo(tz)).timestamp()  # type: ignore[misc]


def utc(*parts: int) -> float:
    return dt.datetime(*parts, tzinfo=dt.UTC).timestamp()  # type: ignore[misc]


def test_presets_all_and_custom_ranges() -> None:
    r = parse_range("7d", today=TODAY, tz=BERLIN, first_day=None)
    assert (r.first, r.last, r.days, r.label, r.tz) == (
        dt.date(2026, 11, 24),
        TODAY,
        7,
        "Last 7 days",
        BERLIN,
    )
    for spec, n in (("28d", 28), ("60D", 60), (" 365d ", 365)):
        assert parse_range(spec, today=TODAY, tz="UTC", first_day=None).days == n
    r = parse_range("all", today=TODAY, tz="UTC", first_day=dt.date(2025, 1, 5))
    assert (r.first, r.last, r.label) == (dt.date(2025, 1, 5), TODAY, "All time")
    assert parse_range("all", today=TODAY, tz="UTC", first_day=None).days == 1
    r = parse_range("2026-11-01..2026-11-30", today=TODAY, tz="UTC", first_day=None)
    assert (r.first, r.last, r.days) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30), 30)
    p = previous_period(r)
    assert (p.first, p.last, p.days, p.tz) == (dt.date(2026, 10, 2), dt.date(2026, 10, 31), 30, "UTC")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5w", "unknown range '5w'"),
        ("2026-13-01..2026-12-01", "bad start date '2026-13-01'"),
        ("2026-11-01..soon", "bad end date 'soon'"),
        ("2026-11-30..2026-11-01", "ends before it starts"),
        ("", "unknown range"),
    ],
)
def test_bad_ranges_say_why(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_range(text, today=TODAY, tz="UTC", first_day=None)


def test_unknown_zone_is_named() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Base'"):
        parse_range("7d", today=TODAY, tz="Mars/Base", first_day=None)


def test_local_tz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    assert local_tz() == "Asia/Tokyo"
    monkeypatch.setenv("TZ", "Not/AZone")
    ZoneInfo(local_tz())  # falls back to the system's zone or UTC, always a valid name


def test_days_across_dst_changes_are_23_and_25_hours() -> None:
    lengths = {d: day_bounds(dt.date(2026, 3, d), BERLIN) for d in (28, 29, 30)}
    assert [round((e - s) / 3600) for s, e in lengths.values()] == [24, 23, 24]
    s, e = day_bounds(dt.date(2026, 10, 25), BERLIN)
    assert (e - s) / 3600 == 25 and s == utc(2026, 10, 24, 22)
    changes = offset_changes(BERLIN, utc(2026, 3, 20), utc(2026, 11, 1))
    assert changes == [(utc(2026, 3, 20), 3600), (utc(2026, 3, 29, 1), 7200), (utc(2026, 10, 25, 1), 3600)]


def _video(vid: str, created: float, views: int, title: str = "") -> dict[str, Any]:
    return {
        "id": vid,
        "create_time": int(created),
        "title": title,
        "video_description": title,
        "duration": 20,
        "view_count": views,
        "like_count": views // 10,
        "comment_count": views // 50,
        "share_count": views // 100,
    }


def test_a_range_across_the_spring_change_buckets_by_local_day(empty_store: SyncStore) -> None:
    store = empty_store
    acc = add_account(store)
    for ts, followers in (
        (at(BERLIN, 2026, 3, 27, 12), 100),
        (utc(2026, 3, 29, 21, 30), 110),
        (utc(2026, 3, 29, 22, 30), 115),
    ):
        store.record_user(
            acc.id, {"follower_count": followers, "likes_count": followers * 3}, ts, "user/info"
        )
    created = at(BERLIN, 2026, 3, 28, 23, 59)  # 23:59 local on Saturday, the night before the change
    for ts, views in (
        (utc(2026, 3, 29, 0, 30), 10),  # 01:30 CET, Sunday
        (utc(2026, 3, 29, 21, 30), 50),  # 23:30 CEST, Sunday
        (utc(2026, 3, 29, 22, 30), 70),  # 00:30 CEST, Monday (still Sunday in UTC)
        (utc(2026, 3, 30, 6), 80),  # 08:00 Monday
        (utc(2026, 3, 31, 10), 100),  # 12:00 Tuesday
    ):
        store.record_videos(
            acc.id, [_video("v1", created, views, "late night #Nacht #über_Berlin")], ts, "video/list", {}
        )
    a = Analytics(store)
    rng = DateRange(dt.date(2026, 3, 28), dt.date(2026, 3, 31), "spring", BERLIN)
    ov = a.overview(acc.id, rng)
    assert [p.value for p in ov.daily["views"]] == [
        None,
        50,
        30,
        20,
    ]  # first views count: a post seen from its start
    assert ov.kpis["views"].value == 100 and ov.kpis["views"].previous is None
    assert [p.value for p in ov.daily["followers"]] == [100, 110, 115, 115]
    assert [p.kind for p in ov.daily["followers"]][:2] == ["carried_forward", "actual"]
    assert [p.value for p in ov.daily["net_new_followers"]] == [None, 10, 5, None]
    assert ov.kpis["followers"].value == 115 and ov.kpis["followers"].previous == 100
    assert ov.kpis["likes"].value == 45 and ov.kpis["net_new_followers"].value == 15
    # in UTC the same observations fall on other days
    utc_rng = DateRange(dt.date(2026, 3, 28), dt.date(2026, 3, 31), "spring", "UTC")
    assert [p.value for p in a.overview(acc.id, utc_rng).daily["views"]] == [None, 70, 10, 20]
    # the post made at 23:59 local is Saturday's, in Saturday's 23:00 cell
    [row] = a.posts(acc.id, DateRange(dt.date(2026, 3, 28), dt.date(2026, 3, 28), "sat", BERLIN))
    assert a.posts(acc.id, DateRange(dt.date(2026, 3, 29), dt.date(2026, 3, 29), "sun", BERLIN)) == []
    assert a.posts(acc.id, DateRange(dt.date(2026, 3, 28), dt.date(2026, 3, 28), "sat", "UTC")) == [row]
    assert row.hashtags == ("nacht", "über_berlin") and row.views == 100
    assert (row.views_24h, row.views_72h, row.views_7d) == (80, None, None)  # never interpolated
    bt = a.best_time(acc.id, BERLIN)
    [cell] = [c for c in bt.cells if c.samples]
    assert (cell.weekday, cell.hour, cell.samples, cell.value, cell.level) == (
        5,
        23,
        1,
        100.0,
        1.0,
    )  # no 72 h reading: the latest views
    assert bt.best == [cell] and bt.audience == []
    assert a.best_time(acc.id, "UTC").best[0].hour == 22
    detail = a.post(acc.id, "v1", BERLIN)
    assert [(p.day.day, p.value) for p in detail.views_since_posting] == [
        (28, None),
        (29, 50),
        (30, 80),
        (31, 100),
    ]
    assert detail.traffic_sources == {} and detail.source == "our snapshots"
    # the next best slot: the next Saturday 23:00 local after the post
    nxt = a.next_best_slot(acc.id, BERLIN, created)
    assert nxt == at(BERLIN, 2026, 4, 4, 23)
    assert a.suggest_hashtags(acc.id, "#üb") == ["über_berlin"]


def test_the_autumn_change_and_an_account_with_one_post(empty_store: SyncStore) -> None:
    store = empty_store
    acc = add_account(store)
    store.record_user(acc.id, {"follower_count": 5}, utc(2026, 10, 20), "user/info")
    created = utc(2026, 10, 21, 9)
    for ts, views in ((utc(2026, 10, 24, 22, 30), 40), (utc(2026, 10, 25, 22, 30), 55)):
        store.record_videos(acc.id, [_video("only", created, views, "#solo")], ts, "video/list", {})
    a = Analytics(store)
    rng = DateRange(dt.date(2026, 10, 24), dt.date(2026, 10, 26), "autumn", BERLIN)
    ov = a.overview(acc.id, rng)
    # 00:30 CEST on the 25th, then 23:30 CET on the 25th: both on Sunday, the 25-hour day
    assert [p.value for p in ov.daily["views"]] == [None, 55, None]
    [row] = a.posts(acc.id)
    assert row.video_id == "only" and row.views == 55
    bt = a.best_time(acc.id, BERLIN)
    assert [(c.weekday, c.hour, c.samples) for c in bt.best] == [(2, 11, 1)]
    [tag] = a.hashtags(acc.id)
    assert (tag.tag, tag.posts, tag.vs_account_views, tag.vs_account_engagement) == ("solo", 1, 1.0, 1.0)
    assert a.top_posts(acc.id, rng) == []  # made before the range


def test_an_account_with_no_posts(empty_store: SyncStore) -> None:
    acc = add_account(empty_store)
    a = Analytics(empty_store)
    rng = a.range(acc.id, "28d", BERLIN)
    ov = a.overview(acc.id, rng)
    assert all(k.value is None and k.previous is None for k in ov.kpis.values())
    assert all(len(points) == 28 and all(p.value is None for p in points) for points in ov.daily.values())
    assert ov.last_synced_at is None
    assert a.posts(acc.id) == [] and a.top_posts(acc.id, rng) == [] and a.hashtags(acc.id) == []
    assert [p.value for p in a.follower_growth(acc.id, rng)] == [None] * 28
    bt = a.best_time(acc.id, BERLIN)
    assert (
        len(bt.cells) == 168 and not any(c.samples for c in bt.cells) and bt.best == [] and bt.audience == []
    )
    assert a.next_best_slot(acc.id, BERLIN, utc(2026, 1, 1)) is None
    assert a.suggest_hashtags(acc.id, "#") == []
    with pytest.raises(LookupError, match="no post nope"):
        a.post(acc.id, "nope", BERLIN)
    buffer = io.StringIO()
    to_csv(a.posts(acc.id), buffer)
    assert buffer.getvalue().count("\n") == 1
    with pytest.raises(ValueError, match="cannot sort posts by 'colour'"):
        a.posts(acc.id, sort="colour")
