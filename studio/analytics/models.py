"""What the analytics queries return: the contract between the queries, the CLI and the dashboard.

Plain frozen dataclasses (no Qt, no SQLite types). Times are epoch seconds (UTC); days are
``datetime.date`` in the creator's time zone. ``None`` means "not known" (never zero-filled):
the platform gives lifetime totals only, and history starts with our first snapshot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

METRICS = ("views", "profile_views", "likes", "comments", "shares", "followers", "net_new_followers")


@dataclass(frozen=True)
class DateRange:
    """A span of whole local days, ``first`` to ``last`` inclusive, in ``tz``."""

    first: dt.date
    last: dt.date
    label: str  # "Last 28 days", "All time", "2026-11-01 – 2026-11-30"
    tz: str  # IANA name, e.g. "Europe/Berlin"

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class Kpi:
    metric: str  # one of METRICS
    value: int | None  # the total over the range (followers: the count at its end)
    previous: int | None  # the same over the previous period of equal length
    source: str  # "platform daily series" | "our snapshots" | "not available: <why>"

    @property
    def delta(self) -> int | None:
        return None if self.value is None or self.previous is None else self.value - self.previous

    @property
    def delta_pct(self) -> float | None:
        if self.value is None or not self.previous:
            return None
        return (self.value - self.previous) / self.previous * 100.0


@dataclass(frozen=True)
class SeriesPoint:
    day: dt.date
    value: int | None  # None: no data that day (a gap), never a made-up number
    kind: str = "actual"  # actual | carried_forward | partial (today)


@dataclass(frozen=True)
class Overview:
    account_id: str
    range: DateRange
    previous: DateRange
    kpis: dict[str, Kpi]  # metric -> Kpi
    daily: dict[str, list[SeriesPoint]]  # metric -> one point per day of the range
    last_synced_at: float | None


@dataclass(frozen=True)
class PostRow:
    video_id: str
    title: str
    created_at: float
    duration_s: int | None
    views: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    engagement_rate: float | None  # (likes + comments + shares) / views, 0..1
    avg_watch_time_s: float | None
    full_watch_rate: float | None  # 0..1
    views_24h: int | None
    views_72h: int | None
    views_7d: int | None
    share_url: str = ""
    hashtags: tuple[str, ...] = ()
    draft_id: int | None = None  # the draft it came from, when we published it


@dataclass(frozen=True)
class PostDetail:
    row: PostRow
    views_since_posting: list[SeriesPoint]  # cumulative views per day since the post day
    traffic_sources: dict[str, int] = field(default_factory=dict)  # empty where the server has none
    territories: dict[str, int] = field(default_factory=dict)
    source: str = ""


@dataclass(frozen=True)
class HeatCell:
    weekday: int  # 0 = Monday, local time
    hour: int  # 0..23 local time
    samples: int  # posts made in this slot
    value: float | None  # median views at 72 h of those posts (None without samples)
    level: float  # 0..1 colour level from the quantiles of all cells' values


@dataclass(frozen=True)
class BestTime:
    cells: list[HeatCell]  # 168, Monday 00:00 first
    best: list[HeatCell]  # the top slots with enough samples, best first
    audience: list[HeatCell]  # the audience's active hours where the server gives them, else []
    tz: str


@dataclass(frozen=True)
class HashtagStat:
    tag: str  # without '#', lower case
    posts: int
    median_views: float
    median_engagement: float  # 0..1
    vs_account_views: float  # median views / the account's median views (1.0 = as usual)
    vs_account_engagement: float
