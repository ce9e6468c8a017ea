"""One sync pass for one account: profile and counters, posts, and the stand-in's series.

Order and cost per pass: ``user/info`` (1 request); ``video/list`` newest first, all pages once a
day (to notice deleted or hidden posts), otherwise only until a page holds no new post; then
``video/query`` in batches of 20 for posts that are due by their age (schedule.py) and were not
on a fetched page; then, where the server offers the insights extension, the account's daily
series and up to :data:`INSIGHT_BUDGET` posts' series. Every answer is written before the next
request, so a kill loses at most the request in flight, and a rerun adds nothing twice.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from studio.sync.client import ApiClient
from studio.sync.errors import MissingScope, Permanent
from studio.sync.models import Account
from studio.sync.schedule import DAY, FULL_LIST_EVERY, next_poll, poll_interval
from studio.sync.store import SyncStore
from studio.sync.tokens import TokenManager

log = logging.getLogger(__name__)

BASIC_FIELDS = ["open_id", "union_id", "avatar_url", "display_name"]
PROFILE_FIELDS = ["username", "bio_description", "is_verified"]
STATS_FIELDS = ["follower_count", "following_count", "likes_count", "video_count"]
VIDEO_FIELDS = [
    "id",
    "create_time",
    "title",
    "video_description",
    "duration",
    "width",
    "height",
    "share_url",
    "view_count",
    "like_count",
    "comment_count",
    "share_count",
]
INSIGHT_BUDGET = 40  # posts' series per pass
BACKFILL_BUDGET = 10  # of which, after the first pass, posts never fetched (history fills in slowly)
AVATAR_EVERY_S = 86_400.0
SOURCE_STAND_IN = "stand_in_extension"


@dataclass
class PassReport:
    account: str
    requests: int = 0
    posts_seen: int = 0
    new_posts: int = 0
    snapshots: int = 0
    daily_rows: int = 0
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [
            f"{self.posts_seen} posts checked",
            f"{self.new_posts} new",
            f"{self.snapshots} new snapshots",
        ]
        if self.daily_rows:
            parts.append(f"{self.daily_rows} daily values")
        return f"{self.account}: " + ", ".join(parts)


class AccountPass:
    def __init__(
        self,
        account: Account,
        client: ApiClient,
        tokens: TokenManager,
        store: SyncStore,
        now: Callable[[], float],
        cache_dir: Path,
        full_list: bool = False,
    ) -> None:
        self.account = account
        self.client = client
        self.tokens = tokens
        self.store = store
        self.now = now
        self.cache_dir = cache_dir
        self.force_full = full_list
        self.report = PassReport(account.label)

    def _call(self, fn: Callable[[str], object]) -> object:
        self.report.requests += 1
        return self.tokens.call(self.account.id, fn)

    def run(self) -> PassReport:
        self.user()
        if self.account.can("posts"):
            self.posts()
        else:
            self.report.notes.append(self.account.missing("posts") or "")
        if self.account.insights is not False:
            self.insights()
        return self.report

    # -- profile -----------------------------------------------------------------------------

    def user(self) -> None:
        acc = self.account
        fields = list(BASIC_FIELDS)
        if acc.can("profile"):
            fields += PROFILE_FIELDS
        if acc.can("stats"):
            fields += STATS_FIELDS
        observed = self.now()
        user = self._call(lambda t: self.client.user_info(t, acc.id, fields))
        assert isinstance(user, dict)
        self.store.record_user(acc.id, user, observed, "user/info")
        self._avatar(user.get("avatar_url"))

    def _avatar(self, url: object) -> None:
        """The platform's avatar URLs expire (2 h): keep a copy on disk, refreshed daily."""
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return
        fetched = self.store.account_value(self.account.id, "avatar_fetched_at")
        import time

        if fetched is not None and time.time() - float(fetched) < AVATAR_EVERY_S and self.account.avatar_file:
            return
        try:
            data = self.client.download(url)
        except Exception as exc:
            log.info("avatar of %s not downloaded: %s", self.account.id, exc)
            return
        folder = self.cache_dir / "avatars"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.account.id}.jpg"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        self.store.update_account(self.account.id, avatar_file=str(path), avatar_fetched_at=time.time())

    # -- posts -------------------------------------------------------------------------------

    def _plan(self, videos: list[dict[str, object]], observed: float) -> dict[str, float]:
        return {
            str(v["id"]): next_poll(float(v["create_time"]), observed)  # type: ignore[arg-type]
            for v in videos
            if isinstance(v.get("id"), str) and isinstance(v.get("create_time"), int)
        }

    def posts(self) -> None:
        acc = self.account
        known = self.store.video_ids(acc.id)
        last_full = self.store.account_value(acc.id, "list_full_at")
        start = self.now()
        full = self.force_full or last_full is None or start - float(last_full) >= FULL_LIST_EVERY
        seen: set[str] = set()
        cursor: int | None = None
        pages = 0
        pending: list[Future[int]] = []
        complete = False
        try:
            while True:
                observed = self.now()
                page = self._call(lambda t, c=cursor: self.client.video_list(t, acc.id, VIDEO_FIELDS, c))
                assert isinstance(page, dict)
                videos = page["videos"]
                pages += 1
                ids = {str(v.get("id")) for v in videos}
                fresh = ids - known - seen
                self.report.new_posts += len(fresh)
                self.report.posts_seen += len(ids - seen)
                # written on the store's thread while the next page is on its way
                pending.append(
                    self.store.record_videos_later(
                        acc.id, videos, observed, "video/list", self._plan(videos, observed)
                    )
                )
                seen |= ids
                next_cursor = page["cursor"]
                if not page["has_more"] or next_cursor is None or next_cursor == cursor or pages > 1000:
                    complete = True
                    break
                if not full and not fresh:
                    complete = False
                    break
                cursor = next_cursor
        finally:
            self.report.snapshots += sum(f.result() for f in pending)  # a failed write raises here
        if full and complete:
            self.store.mark_unlisted(acc.id, seen)
            self.store.update_account(acc.id, list_full_at=start)
        due = [v for v in self.store.due_videos(acc.id, self.now()) if v not in seen]
        for i in range(0, len(due), 20):
            batch = due[i : i + 20]
            observed = self.now()
            videos = self._call(lambda t, b=batch: self.client.video_query(t, acc.id, VIDEO_FIELDS, b))
            assert isinstance(videos, list)
            self.report.posts_seen += len(videos)
            plan = self._plan(videos, observed)
            # a due post the query no longer returns is still polled later, on its schedule
            for vid in set(batch) - set(plan):
                plan[vid] = observed + DAY
            self.report.snapshots += self.store.record_videos(acc.id, videos, observed, "video/query", plan)

    # -- the stand-in's insights extension ---------------------------------------------------

    def insights(self) -> None:
        acc = self.account
        if not acc.can("stats"):
            return
        last = self.store.meta(f"insights_account:{acc.id}")
        now = self.now()
        days = 365 if last is None else max(2, min(365, math.ceil((now - float(last)) / DAY) + 1))
        try:
            doc = self._call(lambda t: self.client.insights_account(t, acc.id, days))
        except (Permanent, MissingScope) as exc:
            if exc.status == 404 or not acc.stand_in:
                if acc.insights is not False:
                    self.store.update_account(acc.id, insights=0)
                    self.report.notes.append(
                        "This platform has no daily series; the charts use our own snapshots."
                    )
                return
            raise
        assert isinstance(doc, dict)
        as_of = float(doc.get("as_of") or now) if isinstance(doc.get("as_of"), (int, float)) else now
        if acc.insights is not True:
            self.store.update_account(acc.id, insights=1)
        daily = doc.get("daily") if isinstance(doc.get("daily"), list) else []
        self.report.daily_rows += self.store.record_account_daily(acc.id, daily, as_of, SOURCE_STAND_IN)
        if isinstance(doc.get("active_hours"), list):
            self.store.record_fact(acc.id, "active_hours", doc["active_hours"], as_of, SOURCE_STAND_IN)
        self.store.set_meta(f"insights_account:{acc.id}", repr(now))
        if acc.can("posts"):
            self._video_insights()

    def _video_insights(self) -> None:
        acc = self.account
        now = self.now()
        created = {r["video_id"]: r["create_time"] for r in self.store.video_rows(acc.id) if r["listed"]}
        wanted: list[tuple[str, int]] = []
        candidates = self.store.videos_needing_insights(acc.id, now, 10_000)
        first_pass = all(fetched is None for _vid, fetched in candidates) and len(candidates) == len(created)
        backfills = 0
        for vid, fetched in candidates:
            age = now - float(created.get(vid, now))
            if fetched is not None and now - fetched < poll_interval(age):
                continue
            if fetched is None and not first_pass:
                if backfills >= BACKFILL_BUDGET:
                    continue
                backfills += 1
            days = 365 if fetched is None else max(2, min(365, math.ceil((now - fetched) / DAY) + 1))
            days = min(days, max(2, math.ceil(age / DAY) + 1))
            wanted.append((vid, days))
            if len(wanted) >= INSIGHT_BUDGET:
                break
        for vid, days in wanted:
            observed = self.now()
            try:
                doc = self._call(lambda t, v=vid, d=days: self.client.insights_video(t, acc.id, v, d))
            except Permanent as exc:
                log.info("no insights for post %s: %s", vid, exc)
                continue
            assert isinstance(doc, dict)
            as_of = float(doc["as_of"]) if isinstance(doc.get("as_of"), (int, float)) else observed
            totals = doc.get("totals") if isinstance(doc.get("totals"), dict) else {}
            daily = doc.get("daily") if isinstance(doc.get("daily"), list) else []
            self.report.daily_rows += self.store.record_video_insights(
                acc.id, vid, totals, daily, as_of, SOURCE_STAND_IN
            )
