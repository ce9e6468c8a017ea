"""Daily series from snapshots: order, duplicates and gaps change nothing; no history invented."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from studio.sync.series import ACTUAL, CARRIED, daily_series
from studio.sync.store import SyncStore

DAY = 86_400
T0 = 1_790_000_000


@st.composite
def observations(draw: st.DrawFn) -> list[tuple[float, int]]:
    """A lifetime counter observed at random times: never decreasing."""
    times = sorted(draw(st.lists(st.floats(0, 40 * DAY), min_size=1, max_size=40, unique=True)))
    value = draw(st.integers(0, 10_000))
    out = []
    for t in times:
        value += draw(st.integers(0, 5_000))
        out.append((T0 + t, value))
    return out


@settings(max_examples=200, deadline=None)
@given(observations(), st.randoms(use_true_random=False), st.integers(0, 3))
def test_shuffled_duplicated_and_gapped_snapshots_give_the_same_series(
    obs: list[tuple[float, int]], rnd: random.Random, copies: int
) -> None:
    reference = daily_series(obs)
    noisy = obs + [rnd.choice(obs) for _ in range(copies * len(obs))]
    rnd.shuffle(noisy)
    assert daily_series(noisy) == reference
    # the first day is the first observation: nothing is said about the days before it
    first_day = dt.datetime.fromtimestamp(min(t for t, _ in obs), dt.UTC).date()
    assert reference[0].day == first_day and reference[0].delta is None
    days = [p.day for p in reference]
    assert days == sorted(set(days)) and (days[-1] - days[0]).days + 1 == len(days)  # one point a day
    observed = {dt.datetime.fromtimestamp(t, dt.UTC).date() for t, _ in obs}
    for point in reference:
        assert point.kind == (ACTUAL if point.day in observed else CARRIED)
        if point.kind == CARRIED:
            assert point.delta is None  # a gap day is never given a made-up change
    deltas = sum(p.delta or 0 for p in reference)
    assert reference[0].value + deltas == reference[-1].value


def test_a_day_is_its_last_observation_and_changes_span_gaps() -> None:
    obs = [(T0, 10), (T0 + 600, 15), (T0 + 3 * DAY, 40), (T0 + 3 * DAY + 60, 42)]
    series = daily_series(obs)
    assert [(p.value, p.kind, p.delta, p.span_days) for p in series] == [
        (15, ACTUAL, None, None),
        (15, CARRIED, None, None),
        (15, CARRIED, None, None),
        (42, ACTUAL, 27, 3),
    ]


def test_days_follow_the_creators_time_zone_across_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 2026-03-29 is the spring-forward day in Berlin: 23 hours long
    late = dt.datetime(2026, 3, 28, 23, 30, tzinfo=berlin).timestamp()
    early = dt.datetime(2026, 3, 30, 0, 30, tzinfo=berlin).timestamp()
    series = daily_series([(late, 1), (early, 5)], tz=berlin)
    assert [p.day.isoformat() for p in series] == ["2026-03-28", "2026-03-29", "2026-03-30"]
    assert series[-1].delta == 4 and series[-1].span_days == 2


def test_the_store_keeps_snapshots_idempotent_and_order_free(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with SyncStore(tmp_path / "sync.sqlite3") as store:
        account = store.save_sign_in(
            platform_key="p",
            platform_name="P",
            stand_in=False,
            open_id="o",
            scopes=["video.list"],
            signed_in_at=T0,
        )
        pages = [
            (T0 + 2 * DAY, 300),
            (T0, 100),
            (T0 + DAY, 200),
            (T0, 100),
            (T0 + 2 * DAY, 300),
            (T0 + 5 * DAY, 900),
        ]
        added = sum(
            store.record_videos(
                account.id,
                [{"id": "v1", "create_time": T0 - 60, "view_count": views}],
                t,
                "video/list",
                {"v1": t + 3600},
            )
            for t, views in pages
        )
        assert added == 4
        rows = store.video_snapshots(account.id, "v1")
        assert [(r["observed_at"], r["view_count"]) for r in rows] == sorted(set(pages))
        assert store.latest_video_counters(account.id)["v1"]["view_count"] == 900
        series = daily_series([(r["observed_at"], r["view_count"]) for r in rows])
        assert [p.value for p in series] == [100, 200, 300, 300, 300, 900]
        # a late, older answer never moves the next poll backwards
        [video] = store.video_rows(account.id)
        assert video["next_poll_at"] == T0 + 5 * DAY + 3600
