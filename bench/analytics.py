"""Bench: 1,000 posts x 365 days of snapshots, then the dashboard's queries, vs raw sqlite3.

Ingest: a year of history (1,000 posts x 365 daily snapshots, one account snapshot a day) written
into an old profile's ``sync.sqlite3`` with plain sqlite3 (the baseline: the same rows, the same
tables, one transaction), then merged into a fresh profile with ``import_history`` (ours: the
same rows plus the rollup of counter changes, checks and de-duplication). ``--per-day N`` also
times N daily listings through ``SyncStore.record_videos`` (informational: the engine's path).
Queries: ``Analytics.overview`` (28 days and 365 days, from the snapshots: the real platform's
path), ``Analytics.posts`` (the per-post table: latest counters, views at 24 h / 72 h / 7 d) and
``Analytics.post`` (one post's detail), the cache cleared before each run; baseline: the same SQL
on a plain ``sqlite3`` connection in the same run, rows fetched, no Python on top. Targets:
ingest <= 2 s, each query p95 <= 20 ms, memory flat (RSS before / after the query runs).

    .venv/bin/python bench/analytics.py [--videos 1000] [--days 365] [--runs 50] [--per-day 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.analytics.models import DateRange
from studio.analytics.queries import Analytics
from studio.analytics.ranges import day_start, offset_changes, previous_period
from studio.analytics.sql import POSTS_SQL, offset_sql
from studio.sync.history import import_history
from studio.sync.rollup import changes_sql, first_snapshots_sql
from studio.sync.store import SyncStore

TZ = "Europe/Berlin"
DAY = 86_400.0
START = 1_760_000_000.0


def history_rows(
    videos: int, days: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    posts = [
        (f"v{i:05d}", int(START - 3600 - i * 3_700.0), f"post {i} #tag{i % 37} #bench", 20, START)
        for i in range(videos)
    ]
    snaps = [
        (
            f"v{i:05d}",
            START + d * DAY + 12 * 3600,
            "video/list",
            (i % 97 + 1) * (d + 1) * 10,
            (i % 97 + 1) * (d + 1),
            (d + 1) * (i % 5),
            d + i % 3,
            START,
        )
        for i in range(videos)
        for d in range(days)
    ]
    users = [
        (START + d * DAY + 12 * 3600, "user/info", 1000 + d * 7, 0, 50 * d, videos, START)
        for d in range(days)
    ]
    return posts, snaps, users


def sign_in(store: SyncStore) -> str:
    return store.save_sign_in(
        platform_key="tiktok",
        platform_name="TikTok",
        stand_in=False,
        open_id="bench",
        scopes=["user.info.stats", "video.list"],
        signed_in_at=START,
    ).id


def raw_write(path: Path, account: str, videos: int, days: int) -> float:
    """The baseline: the same rows into the same tables with plain sqlite3, one transaction."""
    posts, snaps, users = history_rows(videos, days)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO videos(account_id, video_id, create_time, title, duration, first_seen_at, last_seen_at)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        [(account, *p) for p in posts],
    )
    conn.executemany(
        "INSERT INTO video_snapshots(account_id, video_id, observed_at, source, view_count, like_count,"
        " comment_count, share_count, fetched_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(account, *s) for s in snaps],
    )
    conn.executemany(
        "INSERT INTO account_snapshots(account_id, observed_at, source, follower_count, following_count,"
        " likes_count, video_count, fetched_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
        [(account, *u) for u in users],
    )
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def per_day(store: SyncStore, videos: int, days: int) -> float:
    """What a year of daily full listings costs through ``record_videos`` (a call per day)."""
    account = sign_in(store)
    posts, snaps, _ = history_rows(videos, days)
    created = {p[0]: p[1] for p in posts}
    t0 = time.perf_counter()
    for d in range(days):
        batch = [
            {
                "id": s[0],
                "create_time": created[s[0]],
                "view_count": s[3],
                "like_count": s[4],
                "comment_count": s[5],
                "share_count": s[6],
            }
            for s in snaps[d::days]
        ]
        store.record_videos(account, batch, START + d * DAY + 12 * 3600, "video/list", {})
    return time.perf_counter() - t0


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def timed(fn: Callable[[], Any], runs: int, before: Callable[[], None] | None = None) -> list[float]:
    out = []
    for _ in range(runs):
        if before is not None:
            before()
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--videos", type=int, default=1000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument(
        "--per-day",
        type=int,
        default=0,
        metavar="DAYS",
        help="also time DAYS daily listings through record_videos",
    )
    args = ap.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old" / "sync.sqlite3"
        with SyncStore(old) as source:
            their_account = sign_in(source)
        raw_s = raw_write(old, their_account, args.videos, args.days)
        path = Path(tmp) / "sync.sqlite3"
        store = SyncStore(path)
        try:
            account = sign_in(store)
            t0 = time.perf_counter()
            [done] = import_history(store, old)
            ingest_s = time.perf_counter() - t0
            snaps = done.video_snapshots
            verdict = "PASS" if ingest_s <= 2.0 else "FAIL"
            ok &= verdict == "PASS"
            print(
                f"ingest {args.videos} posts x {args.days} days = {snaps:,} snapshots (history import, rollup"
                f" included): ours {ingest_s:.2f} s  raw sqlite3 {raw_s:.2f} s  ratio {ingest_s / raw_s:.2f}"
                f"  (target <= 2 s) {verdict}"
            )
            if args.per_day:
                with SyncStore(Path(tmp) / "daily.sqlite3") as daily:
                    daily_s = per_day(daily, args.videos, args.per_day)
                print(
                    f"informational: {args.per_day} daily listings of {args.videos} posts through record_videos:"
                    f" {daily_s:.2f} s ({daily_s / args.per_day * 1000:.1f} ms a listing)"
                )
            analytics = Analytics(store)
            raw = sqlite3.connect(path)
            last = (dt.datetime.fromtimestamp(START, dt.UTC) + dt.timedelta(days=args.days - 1)).date()
            video = "v00007"
            cases: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = []
            for n in (28, 365):
                rng = DateRange(last - dt.timedelta(days=n - 1), last, f"{n}d", TZ)
                prev = previous_period(rng)
                s, e = day_start(prev.first, TZ), day_start(last + dt.timedelta(days=1), TZ)
                changes = offset_changes(TZ, s, e)
                sqls = [
                    (changes_sql(offset_sql(changes, "bucket")), {"a": account, "s": s, "e": e}),
                    (first_snapshots_sql(offset_sql(changes)), {"a": account, "s": s, "e": e, "fs": START}),
                    (
                        "SELECT * FROM account_snapshots WHERE account_id = :a ORDER BY observed_at",
                        {"a": account},
                    ),
                ]
                cases.append(
                    (
                        f"overview {n}d",
                        lambda rng=rng: analytics.overview(account, rng),
                        lambda sqls=sqls: [raw.execute(q, p).fetchall() for q, p in sqls],
                    )
                )
            cases.append(
                (
                    "posts table",
                    lambda: analytics.posts(account),
                    lambda: raw.execute(POSTS_SQL.format(where=""), (account,)).fetchall(),
                )
            )
            cases.append(
                (
                    "post detail",
                    lambda: analytics.post(account, video, TZ),
                    lambda: raw.execute(
                        "SELECT observed_at, view_count FROM video_snapshots WHERE account_id = ? AND video_id = ?"
                        " ORDER BY observed_at",
                        (account, video),
                    ).fetchall(),
                )
            )
            process = psutil.Process()
            for name, ours, base in cases:
                ours()  # warm the page cache and the statement cache
                gc.collect()
                rss0 = process.memory_info().rss
                mine = timed(ours, args.runs, analytics.invalidate)
                gc.collect()
                rss1 = process.memory_info().rss
                theirs = timed(base, args.runs)
                a, b = p95(mine), p95(theirs)
                grew = (rss1 - rss0) / 2**20
                verdict = "PASS" if a <= 20.0 and grew < 16 else "FAIL"
                ok &= verdict == "PASS"
                print(
                    f"{name:<14} p95 ours {a:7.2f} ms  raw sqlite3 {b:7.2f} ms  ratio {a / b:5.2f}"
                    f"  RSS {grew:+.1f} MiB over {args.runs} runs  {verdict}"
                )
            raw.close()
        finally:
            store.close()
    print("overall:", "PASS" if ok else "FAIL")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
