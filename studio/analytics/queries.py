"""The analytics queries over the sync store (read-only; call from worker threads, never the GUI).

Where the server has the stand-in's insights extension, its daily series (``account_daily``,
``video_daily``, ``video_totals``, keyed by the *platform's* day: UTC for the stand-in) are used
as they are. Otherwise every number comes from our own snapshots, and nothing is invented:

- a counter's change is only known between two observations; a change that spans days without an
  observation counts on the day it was observed (the first observed day after the gap);
- a post's first observation counts in full only for posts created after our first snapshot of
  the account (we know they started at 0); an older post's history starts at its first snapshot;
- a day without observations is ``None`` (a gap), never 0; the count of followers is carried
  forward (and marked so) as ``series.daily_series`` does.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from studio.analytics import stats
from studio.analytics.models import (
    METRICS,
    BestTime,
    DateRange,
    HashtagStat,
    HeatCell,
    Kpi,
    Overview,
    PostDetail,
    PostRow,
    SeriesPoint,
)
from studio.analytics.ranges import (
    day_start,
    days_of,
    local_day,
    offset_changes,
    parse_range,
    previous_period,
    zone,
)
from studio.analytics.sql import POSTS_SQL, offset_sql
from studio.dbwriter import ReadConnection
from studio.sync.rollup import changes_sql, first_snapshots_sql
from studio.sync.series import CARRIED, daily_series
from studio.sync.store import SyncStore

T = TypeVar("T")
STAND_IN = "stand_in_extension"
PLATFORM = "platform daily series"
SNAPSHOTS = "our snapshots"
NO_PROFILE_VIEWS = "not available: the platform does not report profile views"
ADDITIVE = ("views", "profile_views", "likes", "comments", "shares", "net_new_followers")
BEST_SLOTS = 3
SORT_KEYS = frozenset(PostRow.__dataclass_fields__)
EPOCH = dt.date(1970, 1, 1)


def _day_number(day: int) -> dt.date:
    return EPOCH + dt.timedelta(days=day)


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class Analytics:
    """Read-only queries over one profile's :class:`SyncStore`, cached until :meth:`invalidate`."""

    def __init__(self, store: SyncStore) -> None:
        self.store = store
        self._cache: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()

    # -- plumbing ----------------------------------------------------------------------------

    def _db(self) -> ReadConnection:
        return self.store.readers.get()

    def _cached(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._cache:
                return self._cache[key]  # type: ignore[no-any-return]
        value = compute()
        with self._lock:
            self._cache[key] = value
        return value

    def invalidate(self, account_id: str | None = None) -> None:
        """Drop cached results (all, or one account's): call on the engine's data events."""
        with self._lock:
            if account_id is None:
                self._cache.clear()
            else:
                for key in [k for k in self._cache if k[1] == account_id]:
                    del self._cache[key]

    # -- what is known -----------------------------------------------------------------------

    def platform_now(self, account_id: str) -> float | None:
        """The newest platform time we have for the account (the stand-in's clock may run fast)."""
        row = (
            self._db()
            .execute(
                "SELECT MAX(t) FROM (SELECT MAX(observed_at) AS t FROM account_snapshots WHERE account_id = ?"
                " UNION ALL SELECT MAX(last_polled_at) FROM videos WHERE account_id = ?"
                " UNION ALL SELECT MAX(as_of) FROM account_daily WHERE account_id = ?)",
                (account_id,) * 3,
            )
            .fetchone()
        )
        return None if row is None or row[0] is None else float(row[0])

    def today(self, account_id: str, tz: str) -> dt.date:
        now = self.platform_now(account_id)
        return local_day(now, tz) if now is not None else dt.datetime.now(zone(tz)).date()

    def first_day(self, account_id: str, tz: str) -> dt.date | None:
        """The first day we have any data for (the platform's series or our first snapshot)."""
        db = self._db()
        first: list[dt.date] = []
        row = db.execute("SELECT MIN(day) FROM account_daily WHERE account_id = ?", (account_id,)).fetchone()
        if row[0]:
            first.append(dt.date.fromisoformat(row[0]))
        row = db.execute(
            "SELECT MIN(t) FROM (SELECT MIN(observed_at) AS t FROM account_snapshots WHERE account_id = ?"
            " UNION ALL SELECT MIN(first_seen_at) FROM videos WHERE account_id = ?)",
            (account_id, account_id),
        ).fetchone()
        if row[0] is not None:
            first.append(local_day(float(row[0]), tz))
        return min(first) if first else None

    def range(self, account_id: str, text: str, tz: str) -> DateRange:
        """:func:`parse_range` with the account's today and first day."""
        return parse_range(
            text, today=self.today(account_id, tz), tz=tz, first_day=self.first_day(account_id, tz)
        )

    def _first_snapshot(self, account_id: str) -> float:
        """When we first looked (posts made after it were seen from their start)."""
        row = (
            self._db()
            .execute(
                "SELECT MIN(t) FROM (SELECT MIN(observed_at) AS t FROM account_snapshots WHERE account_id = ?"
                " UNION ALL SELECT MIN(first_seen_at) FROM videos WHERE account_id = ?)",
                (account_id, account_id),
            )
            .fetchone()
        )
        return float("inf") if row[0] is None else float(row[0])

    # -- overview ----------------------------------------------------------------------------

    def overview(self, account_id: str, rng: DateRange) -> Overview:
        return self._cached(("overview", account_id, rng), lambda: self._overview(account_id, rng))

    def _overview(self, account_id: str, rng: DateRange) -> Overview:
        prev = previous_period(rng)
        today = self.today(account_id, rng.tz)
        acc = self._db().execute("SELECT last_sync_at FROM accounts WHERE id = ?", (account_id,)).fetchone()
        platform = (
            self._db()
            .execute(
                "SELECT 1 FROM account_daily WHERE account_id = ? AND source = ? LIMIT 1",
                (account_id, STAND_IN),
            )
            .fetchone()
            is not None
        )
        if platform:
            values, kinds, sources = self._platform_days(account_id, prev.first, rng.last)
        else:
            values, kinds, sources = self._snapshot_days(account_id, prev, rng, today)
        kpis: dict[str, Kpi] = {}
        daily: dict[str, list[SeriesPoint]] = {}
        for metric in METRICS:
            per_day = values.get(metric, {})
            kpis[metric] = Kpi(
                metric, self._total(metric, per_day, rng), self._total(metric, per_day, prev), sources[metric]
            )
            points = []
            for day in days_of(rng):
                kind = kinds.get(metric, {}).get(day, "actual")
                if day == today and per_day.get(day) is not None and kind == "actual":
                    kind = "partial"
                points.append(SeriesPoint(day, per_day.get(day), kind))
            daily[metric] = points
        return Overview(
            account_id, rng, prev, kpis, daily, None if acc is None or acc[0] is None else float(acc[0])
        )

    @staticmethod
    def _total(metric: str, per_day: dict[dt.date, int | None], r: DateRange) -> int | None:
        known = [(d, v) for d, v in per_day.items() if r.first <= d <= r.last and v is not None]
        if not known:
            return None
        if metric == "followers":
            return max(known)[1]
        return sum(v for _, v in known)

    def _platform_days(
        self, account_id: str, first: dt.date, last: dt.date
    ) -> tuple[dict[str, dict[dt.date, int | None]], dict[str, dict[dt.date, str]], dict[str, str]]:
        values: dict[str, dict[dt.date, int | None]] = {m: {} for m in METRICS}
        profile = False
        for r in self._db().execute(
            "SELECT day, views, likes, comments, shares, net_new_followers, followers, data FROM account_daily"
            " WHERE account_id = ? AND source = ? AND day BETWEEN ? AND ? ORDER BY day",
            (account_id, STAND_IN, first.isoformat(), last.isoformat()),
        ):
            day = dt.date.fromisoformat(r["day"])
            for m in ("views", "likes", "comments", "shares", "net_new_followers", "followers"):
                values[m][day] = r[m]
            pv = json.loads(r["data"] or "{}").get("profile_views")
            if isinstance(pv, int) and not isinstance(pv, bool):
                values["profile_views"][day] = pv
                profile = True
        sources = {m: PLATFORM for m in METRICS}
        if not profile:
            sources["profile_views"] = NO_PROFILE_VIEWS
        return values, {}, sources

    def _snapshot_days(
        self, account_id: str, prev: DateRange, rng: DateRange, today: dt.date
    ) -> tuple[dict[str, dict[dt.date, int | None]], dict[str, dict[dt.date, str]], dict[str, str]]:
        tz = rng.tz
        values: dict[str, dict[dt.date, int | None]] = {m: {} for m in METRICS}
        kinds: dict[str, dict[dt.date, str]] = {"followers": {}}
        snaps = self.store.account_snapshots(account_id)
        until = min(rng.last, today)
        for column, metric in (("follower_count", "followers"), ("likes_count", "likes")):
            for p in daily_series(((s["observed_at"], s[column]) for s in snaps), tz=zone(tz), until=until):
                if not prev.first <= p.day <= rng.last:
                    continue
                if metric == "followers":
                    values["followers"][p.day] = p.value
                    kinds["followers"][p.day] = p.kind
                    if p.kind != CARRIED:
                        values["net_new_followers"][p.day] = p.delta
                else:
                    values["likes"][p.day] = p.delta
        start, end = day_start(prev.first, tz), day_start(rng.last + dt.timedelta(days=1), tz)
        changes = offset_changes(tz, start, end)
        params = {"a": account_id, "s": start, "e": end, "fs": self._first_snapshot(account_id)}
        sums: dict[int, list[int]] = {}
        for sql in (changes_sql(offset_sql(changes, "bucket")), first_snapshots_sql(offset_sql(changes))):
            for day, *pairs in self._db().execute(sql, params):
                acc = sums.setdefault(int(day), [0] * 6)
                for i, value in enumerate(pairs):
                    acc[i] += value or 0
        for day, (views, nv, comments, nc, shares, ns) in sums.items():
            d = _day_number(day)
            values["views"][d] = views if nv else None
            values["comments"][d] = comments if nc else None
            values["shares"][d] = shares if ns else None
        sources = {m: SNAPSHOTS for m in METRICS}
        sources["profile_views"] = NO_PROFILE_VIEWS
        return values, kinds, sources

    def follower_growth(self, account_id: str, rng: DateRange) -> list[SeriesPoint]:
        return self.overview(account_id, rng).daily["followers"]

    # -- posts -------------------------------------------------------------------------------

    def posts(
        self,
        account_id: str,
        rng: DateRange | None = None,
        *,
        sort: str = "views",
        descending: bool = True,
        search: str = "",
    ) -> list[PostRow]:
        if sort not in SORT_KEYS:
            raise ValueError(f"cannot sort posts by '{sort}' (one of: {', '.join(sorted(SORT_KEYS))})")
        key = ("posts", account_id, rng, sort, descending, search)
        return self._cached(key, lambda: self._posts(account_id, rng, sort, descending, search))

    def _posts(
        self, account_id: str, rng: DateRange | None, sort: str, descending: bool, search: str
    ) -> list[PostRow]:
        rows = self._all_posts(account_id, rng)
        needle = search.strip().casefold()
        if needle:
            tag = needle.lstrip("#")
            rows = [r for r in rows if needle in r.title.casefold() or tag in r.hashtags]
        present = [r for r in rows if getattr(r, sort) is not None]
        missing = [r for r in rows if getattr(r, sort) is None]
        present.sort(key=lambda r: getattr(r, sort), reverse=descending)
        return present + missing

    def _all_posts(
        self, account_id: str, rng: DateRange | None, video_id: str | None = None
    ) -> list[PostRow]:
        where, params = "", [account_id]
        if video_id is not None:
            where, params = "AND v.video_id = ?", [account_id, video_id]
        elif rng is not None:
            where = "AND v.create_time >= ? AND v.create_time < ?"
            params += [day_start(rng.first, rng.tz), day_start(rng.last + dt.timedelta(days=1), rng.tz)]
        drafts = self._drafts()
        out: dict[str, PostRow] = {}
        for r in self._db().execute(POSTS_SQL.format(where=where), params):
            vid, title, desc, created, duration, url, views, likes, comments, shares, totals_text = r[:11]
            d0, s0, d1, s1, d2, s2 = r[11:17]
            totals = json.loads(totals_text) if totals_text else {}
            known = likes is not None and comments is not None and shares is not None
            out[vid] = PostRow(
                video_id=vid,
                title=title,
                created_at=float(created),
                duration_s=duration,
                views=views,
                likes=likes,
                comments=comments,
                shares=shares,
                engagement_rate=(likes + comments + shares) / views if views and known else None,
                avg_watch_time_s=_num(totals.get("avg_watch_time_s")),
                full_watch_rate=_num(totals.get("full_watch_rate")),
                views_24h=d0 if d0 is not None else s0,
                views_72h=d1 if d1 is not None else s1,
                views_7d=d2 if d2 is not None else s2,
                share_url=url,
                hashtags=stats.hashtags(title) if desc == title else stats.hashtags(title, desc),
                draft_id=drafts.get(vid),
            )
        return list(out.values())

    def _drafts(self) -> dict[str, int]:
        """post id -> draft id, from the upload queue's jobs (read-only; none without the file)."""
        path = self.store.path.parent.parent / "uploads" / "uploads.sqlite3"
        if not path.is_file():
            return {}
        try:
            conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=2)
            try:
                rows = conn.execute(
                    "SELECT post_id, draft_id FROM jobs WHERE post_id != '' AND draft_id IS NOT NULL ORDER BY id"
                ).fetchall()
            finally:
                conn.close()
        except sqlite3.Error:
            return {}
        return {str(p): int(d) for p, d in rows}

    def top_posts(self, account_id: str, rng: DateRange, n: int = 10) -> list[PostRow]:
        return self.posts(account_id, rng, sort="views")[:n]

    def post(self, account_id: str, video_id: str, tz: str) -> PostDetail:
        return self._cached(("post", account_id, video_id, tz), lambda: self._post(account_id, video_id, tz))

    def _post(self, account_id: str, video_id: str, tz: str) -> PostDetail:
        found = self._all_posts(account_id, None, video_id)
        row = found[0] if found else None
        if row is None:
            raise LookupError(f"no post {video_id} for this account (sync first, or check the id)")
        daily = self.store.video_daily(account_id, video_id)
        traffic: dict[str, int] = {}
        territories: dict[str, int] = {}
        points: list[SeriesPoint] = []
        source = ""
        if daily:
            source = PLATFORM
            running = 0
            for d in daily:
                running += d["views"] or 0
                points.append(SeriesPoint(dt.date.fromisoformat(d["day"]), running))
                data = json.loads(d["data"] or "{}")
                for target, name in ((traffic, "traffic_sources"), (territories, "territories")):
                    for k, v in (data.get(name) or {}).items():
                        if isinstance(v, int):
                            target[k] = target.get(k, 0) + v
        else:
            source = SNAPSHOTS
            posted = local_day(row.created_at, tz)
            snaps = self.store.video_snapshots(account_id, video_id)
            series = daily_series(
                ((s["observed_at"], s["view_count"]) for s in snaps),
                tz=zone(tz),
                until=self.today(account_id, tz),
            )
            if series:
                day = posted
                while day < series[0].day:  # before the first observation: unknown, not zero
                    points.append(SeriesPoint(day, None))
                    day += dt.timedelta(days=1)
            points += [SeriesPoint(p.day, p.value, p.kind) for p in series if p.day >= posted]
        return PostDetail(row, points, traffic, territories, source)

    # -- best time, hashtags -----------------------------------------------------------------

    def best_time(self, account_id: str, tz: str) -> BestTime:
        return self._cached(("best_time", account_id, tz), lambda: self._best_time(account_id, tz))

    def _best_time(self, account_id: str, tz: str) -> BestTime:
        per_slot: dict[tuple[int, int], list[int | None]] = {}
        for r in self._all_posts(account_id, None):
            per_slot.setdefault(stats.slot(r.created_at, tz), []).append(
                r.views_72h if r.views_72h is not None else r.views
            )
        cells = stats.heat_cells(per_slot)
        audience: list[HeatCell] = []
        fact = (
            self._db()
            .execute(
                "SELECT data, as_of FROM account_facts WHERE account_id = ? AND name = 'active_hours'",
                (account_id,),
            )
            .fetchone()
        )
        if fact is not None:
            local = stats.audience_local(json.loads(fact["data"]), tz, float(fact["as_of"]))
            audience = stats.audience_cells(local)
        return BestTime(cells, stats.best_cells(cells, BEST_SLOTS), audience, tz)

    def next_best_slot(self, account_id: str, tz: str, after: float) -> float | None:
        """The next local hour start after ``after`` in one of the best slots (None: no posts yet)."""
        best = self.best_time(account_id, tz).best
        return stats.next_in_slots({(c.weekday, c.hour) for c in best}, tz, after)

    def hashtags(self, account_id: str, rng: DateRange | None = None) -> list[HashtagStat]:
        return self._cached(("hashtags", account_id, rng), lambda: self._hashtags(account_id, rng))

    def _hashtags(self, account_id: str, rng: DateRange | None) -> list[HashtagStat]:
        rows = self._all_posts(account_id, rng)
        return stats.tag_stats(rows)

    def suggest_hashtags(self, account_id: str, prefix: str, n: int = 5) -> list[str]:
        """The account's best tags starting with ``prefix`` ('#' optional), best first."""
        want = prefix.strip().lstrip("#").casefold()
        return [h.tag for h in self.hashtags(account_id) if h.tag.startswith(want)][:n]
