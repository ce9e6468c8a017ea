"""The rollup of counter changes stays equal to a recomputation, whatever order snapshots arrive in."""

from __future__ import annotations

import itertools
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.sync import rollup
from studio.sync.schema import SCHEMA_V1
from studio.sync.store import SyncStore

T0 = 1_790_000_000.0

# a snapshot: (post, minutes after T0, source, views, comments, shares); counters may be missing
snapshot = st.tuples(
    st.sampled_from(["a", "b", "c"]),
    st.integers(0, 3 * 24 * 60).map(float),
    st.sampled_from(["video/list", "video/query"]),
    st.one_of(st.none(), st.integers(0, 10_000)),
    st.one_of(st.none(), st.integers(0, 500)),
    st.integers(0, 200),
)


def expected(snaps: list[tuple[Any, ...]]) -> dict[int, tuple[int, int, int, int, int, int]]:
    """Pairs of consecutive snapshots per post, the change counted at the later one's bucket."""
    first: dict[tuple[str, float, str], tuple[Any, ...]] = {}
    for s in snaps:
        first.setdefault((s[0], s[1], s[2]), s)  # a repeated key is ignored, like the store does
    out: dict[int, list[int]] = {}
    for post in {s[0] for s in first.values()}:
        mine = sorted(
            (s for s in first.values() if s[0] == post),
            key=lambda s: (s[1], s[2]),
        )
        for prev, cur in itertools.pairwise(mine):
            bucket = int((T0 + cur[1] * 60) // rollup.BUCKET) * rollup.BUCKET
            acc = out.setdefault(bucket, [0] * 6)
            for i, col in enumerate((3, 4, 5)):
                if cur[col] is not None and prev[col] is not None:
                    acc[2 * i] += cur[col] - prev[col]
                    acc[2 * i + 1] += 1
    return {b: tuple(v) for b, v in out.items() if v[1] + v[3] + v[5] > 0}  # type: ignore[misc]


def stored(store: SyncStore) -> dict[int, tuple[int, ...]]:
    rows = store.readers.get().execute(
        "SELECT bucket, views, views_n, comments, comments_n, shares, shares_n FROM view_changes"
        " WHERE views_n + comments_n + shares_n > 0 ORDER BY bucket"
    )
    return {r[0]: tuple(r[1:]) for r in rows}


def new_store(tmp: Path) -> tuple[SyncStore, str]:
    store = SyncStore(tmp / "sync.sqlite3")
    account = store.save_sign_in(
        platform_key="tiktok", platform_name="TikTok", stand_in=False, open_id="x", scopes=[], signed_in_at=T0
    )
    return store, account.id


def write_batches(store: SyncStore, account: str, batches: list[list[tuple[Any, ...]]]) -> None:
    for batch in batches:
        for post in {s[0] for s in batch}:
            store.record_videos(account, [{"id": post, "create_time": int(T0)}], T0, "video/list", {})
        rows = [(s[0], T0 + s[1] * 60, s[2], s[3], None, s[4], s[5], T0) for s in batch]
        store.writer.call(lambda c, rows=rows: rollup.insert_snapshots(c, account, rows), durable=False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(snapshot, min_size=1, max_size=8), min_size=1, max_size=6))
def test_rollup_equals_the_pairs_of_consecutive_snapshots_in_any_arrival_order(
    batches: list[list[tuple[Any, ...]]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store, account = new_store(Path(tmp))
        try:
            write_batches(store, account, batches)
            everything = [s for b in batches for s in b]
            want = expected(everything)
            assert stored(store) == want
            store.writer.call(lambda c: rollup.rebuild(c, account))
            assert stored(store) == want  # the migration's rebuild agrees
        finally:
            store.close()


def test_a_late_snapshot_between_two_others_splits_their_change(tmp_path: Path) -> None:
    store, account = new_store(tmp_path)
    try:
        write_batches(
            store, account, [[("a", 0.0, "video/list", 100, 1, 1)], [("a", 600.0, "video/list", 700, 1, 1)]]
        )
        day1 = int((T0 + 600 * 60) // 900) * 900
        assert stored(store) == {day1: (600, 1, 0, 1, 0, 1)}
        write_batches(store, account, [[("a", 300.0, "video/list", 400, 1, 1)]])
        mid = int((T0 + 300 * 60) // 900) * 900
        assert stored(store) == {mid: (300, 1, 0, 1, 0, 1), day1: (300, 1, 0, 1, 0, 1)}
        write_batches(store, account, [[("a", 300.0, "video/list", 400, 1, 1)]])  # again: nothing changes
        assert stored(store) == {mid: (300, 1, 0, 1, 0, 1), day1: (300, 1, 0, 1, 0, 1)}
    finally:
        store.close()


def test_an_older_database_gets_the_rollup_built_from_its_history(tmp_path: Path) -> None:
    path = tmp_path / "sync.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_V1)
    conn.execute(
        "INSERT INTO accounts(id, platform_key, platform_name, open_id, signed_in_at, created_at)"
        " VALUES('acc', 'tiktok', 'TikTok', 'x', ?, ?)",
        (T0, T0),
    )
    conn.execute(
        "INSERT INTO videos(account_id, video_id, create_time, first_seen_at, last_seen_at)"
        " VALUES('acc', 'a', ?, ?, ?)",
        (T0, T0, T0),
    )
    for minutes, views in ((0, 10), (60, 25), (2000, 100)):
        conn.execute(
            "INSERT INTO video_snapshots VALUES('acc', 'a', ?, 'video/list', ?, 0, 0, 0, ?)",
            (T0 + minutes * 60, views, T0),
        )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with SyncStore(path) as store:
        assert store.readers.get().execute("PRAGMA user_version").fetchone()[0] == 2
        got = stored(store)
    b1, b2 = (int((T0 + m * 60) // 900) * 900 for m in (60, 2000))
    assert got == {b1: (15, 1, 0, 1, 0, 1), b2: (75, 1, 0, 1, 0, 1)}
