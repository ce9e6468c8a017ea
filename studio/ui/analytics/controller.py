"""The dashboard's queries: every one in a job, results cached per account and range.

The GUI thread only draws. :class:`AnalyticsController` runs the queries of one dashboard view
(overview, posts, top posts, follower growth, best time; the previous period's overview when
comparing) in one job on the ``analytics`` lane (one worker: queries never race each other)
and hands the bundle back through ``loaded``. A bundle is kept per ``(account, range text,
compare)``, so going back to a range shows at once; the sync controller's ``dataChanged``
drops that account's bundles (and the queries' own cache, in the lane) and says
``invalidated`` so a visible dashboard reloads.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from studio.analytics.models import BestTime, DateRange, Overview, PostDetail, PostRow, SeriesPoint
from studio.jobs.runner import JobContext, JobHandle
from studio.ui.jobs import Op

log = logging.getLogger(__name__)

LANE = "analytics"
EXPORT_LANE = "analytics-export"
TOP_N = 8
MAX_CACHED = 24


@dataclass(frozen=True)
class DashboardData:
    """Everything one dashboard view shows, queried together in one job."""

    account_id: str
    range: DateRange
    overview: Overview
    posts: list[PostRow]
    top: list[PostRow]
    followers: list[SeriesPoint]
    best: BestTime
    compare: Overview | None = None  # the previous period's overview, when comparing
    queried_ms: float = 0.0

    @property
    def empty(self) -> bool:
        """No numbers at all: nothing synced yet for this account."""
        has_kpi = any(k.value is not None for k in self.overview.kpis.values())
        return not self.posts and not has_kpi


class AnalyticsController(QObject):
    loaded = Signal(object)  # DashboardData
    failed = Signal(str, str)  # (account id, what went wrong)
    invalidated = Signal(str)  # account id whose bundles were dropped
    busyChanged = Signal(bool)

    def __init__(self, runner: Any, sync: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.sync = sync
        self._queries: Any = None  # Analytics, made in the lane for the engine's store
        self._store: Any = None
        self._cache: dict[tuple[str, str, bool], DashboardData] = {}
        self._generation = 0
        self.busy = False
        self.jobs = 0  # query jobs started (tests count re-queries)
        self.closed = False
        sync.dataChanged.connect(self.invalidate)

    # ------------------------------------------------------------------ in the lane

    def _analytics(self) -> Any:
        """The queries over the engine's current store (the engine may be replaced)."""
        from studio.analytics.queries import Analytics

        engine = self.sync.engine
        if engine.store is None:
            engine.open()
        if self._queries is None or self._store is not engine.store:
            self._queries, self._store = Analytics(engine.store), engine.store
        return self._queries

    def _bundle(self, account_id: str, text: str, compare: bool) -> DashboardData:
        from studio.analytics.ranges import local_tz

        started = time.perf_counter()
        queries = self._analytics()
        rng = queries.range(account_id, text, local_tz())  # the account's today and first day
        overview = queries.overview(account_id, rng)
        other = None
        if compare:
            from studio.analytics.ranges import previous_period

            other = queries.overview(account_id, previous_period(rng))
        return DashboardData(
            account_id=account_id,
            range=rng,
            overview=overview,
            posts=list(queries.posts(account_id, rng)),
            top=list(queries.top_posts(account_id, rng, n=TOP_N)),
            followers=list(queries.follower_growth(account_id, rng)),
            best=queries.best_time(account_id, rng.tz),
            compare=other,
            queried_ms=(time.perf_counter() - started) * 1000,
        )

    # ------------------------------------------------------------------ GUI side

    def cached(self, account_id: str, text: str, compare: bool = False) -> DashboardData | None:
        return self._cache.get((account_id, text, compare))

    def load(self, account_id: str, text: str, compare: bool = False) -> JobHandle[DashboardData] | None:
        """Bring the view for ``account_id`` over the range ``text`` ("28d", "all",
        "2026-09-01..2026-09-30") through ``loaded``: from the cache at once, else from a job.
        Only the newest request's answer is delivered."""
        self._generation += 1
        key = (account_id, text, compare)
        hit = self._cache.get(key)
        if hit is not None:
            self.loaded.emit(hit)
            return None
        if self.closed:
            return None
        generation = self._generation
        self._set_busy(True)

        def done(data: DashboardData) -> None:
            self._cache[key] = data
            while len(self._cache) > MAX_CACHED:
                self._cache.pop(next(iter(self._cache)))
            if generation == self._generation:
                self._set_busy(False)
                self.loaded.emit(data)

        def failed(exc: BaseException) -> None:
            log.warning("the analytics query failed: %s", exc, exc_info=exc)
            if generation == self._generation:
                self._set_busy(False)
                self.failed.emit(account_id, f"The numbers could not be read: {exc}")

        self.jobs += 1
        op = Op(
            self.runner, lambda _ctx: self._bundle(account_id, text, compare), name="Analytics", lane=LANE
        )
        return self._start(op.success(done).failure(failed).cancelled(lambda: self._set_busy(False)))

    def invalidate(self, account_id: str | None = None) -> None:
        """New numbers arrived: forget the bundles (of ``account_id``, or all)."""
        for key in [k for k in self._cache if account_id is None or k[0] == account_id]:
            del self._cache[key]

        def clear(_ctx: JobContext) -> None:
            if self._queries is not None:
                self._queries.invalidate(account_id)

        self._start(Op(self.runner, clear, name="Analytics cache", lane=LANE))
        self.invalidated.emit(account_id or "")

    def post_detail(
        self,
        account_id: str,
        video_id: str,
        then: Callable[[PostDetail], None],
        failed: Callable[[str], None] | None = None,
    ) -> JobHandle[PostDetail] | None:
        def work(_ctx: JobContext) -> PostDetail:
            from studio.analytics.ranges import local_tz

            return self._analytics().post(account_id, video_id, local_tz())

        def fail(exc: BaseException) -> None:
            log.warning("the post detail failed: %s", exc)
            if failed is not None:
                failed(f"The post could not be read: {exc}")

        op = Op(self.runner, work, name="Post details", lane=LANE)
        return self._start(op.success(then).failure(fail))

    def export_csv(self, rows: Any, path: str | Path, then: Callable[[str], None]) -> JobHandle[None] | None:
        """Write ``rows`` (posts or an overview) as CSV in a job; ``then`` gets a sentence."""
        target = Path(path)

        def work(_ctx: JobContext) -> None:
            from studio.analytics.export import to_csv

            to_csv(rows, target)

        op = Op(self.runner, work, name="Export CSV", lane=EXPORT_LANE)
        return self._start(
            op.success(lambda _none: then(f"Saved {target.name}")).failure(
                lambda exc: then(f"The CSV could not be saved: {exc}")
            )
        )

    def _set_busy(self, busy: bool) -> None:
        if busy != self.busy:
            self.busy = busy
            self.busyChanged.emit(busy)

    def _start(self, op: Op[Any]) -> JobHandle[Any] | None:
        try:
            return op.run()
        except RuntimeError as exc:  # the runner is shut down: the window is closing
            log.debug("not started: %s", exc)
            self._set_busy(False)
            return None

    def shutdown(self) -> None:
        self.closed = True
        self._generation += 1
