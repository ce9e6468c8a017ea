"""Small pure helpers of the queries: medians, quantile levels, hashtags, weekday x hour slots."""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections.abc import Iterable, Sequence

from studio.analytics.models import HashtagStat, HeatCell, PostRow
from studio.analytics.ranges import local_time, zone

HASHTAG = re.compile(r"#(\w+)")  # \w on str: unicode letters, digits and underscore
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def hashtags(*texts: str) -> tuple[str, ...]:
    """The ``#tags`` of the texts, lower case, without '#', first use first, no repeats."""
    seen: dict[str, None] = {}
    for text in texts:
        for tag in HASHTAG.findall(text or ""):
            seen.setdefault(tag.casefold(), None)
    return tuple(seen)


def median(values: Iterable[float | int | None]) -> float | None:
    known = [float(v) for v in values if v is not None]
    return statistics.median(known) if known else None


def quantile_levels(values: Sequence[float | None]) -> list[float]:
    """Each value's rank among the known values, 0..1 (ties share their average rank); unknown
    values get 0. A single known value gets 1. Ranks, not the values, so one outlier does not
    flatten the rest of a heatmap."""
    known = sorted(v for v in values if v is not None)
    n = len(known)
    out: list[float] = []
    for v in values:
        if v is None:
            out.append(0.0)
            continue
        if n == 1:
            out.append(1.0)
            continue
        below = _count_below(known, v)
        equal = _count_below(known, v, inclusive=True) - below
        out.append((below + (equal - 1) / 2) / (n - 1))
    return out


def _count_below(known: list[float], v: float, inclusive: bool = False) -> int:
    import bisect

    return bisect.bisect_right(known, v) if inclusive else bisect.bisect_left(known, v)


def slot(ts: float, tz: str) -> tuple[int, int]:
    """(weekday 0 = Monday, hour 0..23) of ``ts`` in local time."""
    local = local_time(ts, tz)
    return local.weekday(), local.hour


def audience_local(items: Iterable[object], tz: str, reference: float) -> dict[tuple[int, int], float]:
    """The server's UTC weekday x hour activity (``[{weekday: "mon", hour_utc, activity}]``) moved
    to local time, using the offsets of the UTC week that contains ``reference`` (DST safe: a
    local slot two UTC hours fall into keeps their mean; a skipped one is left out)."""
    day = int(reference // 86_400)
    monday = day - (dt.date(1970, 1, 1) + dt.timedelta(days=day)).weekday()
    sums: dict[tuple[int, int], list[float]] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        wd, hour, activity = item.get("weekday"), item.get("hour_utc"), item.get("activity")
        if isinstance(wd, str) and wd[:3].lower() in WEEKDAYS:
            wd = WEEKDAYS.index(wd[:3].lower())
        if not isinstance(wd, int) or not isinstance(hour, int) or not isinstance(activity, (int, float)):
            continue
        ts = (monday + wd) * 86_400 + hour * 3_600
        sums.setdefault(slot(ts, tz), []).append(float(activity))
    return {k: sum(v) / len(v) for k, v in sums.items()}


def next_in_slots(slots: set[tuple[int, int]], tz: str, after: float) -> float | None:
    """The first local hour start after ``after`` whose (weekday, hour) is in ``slots``."""
    if not slots:
        return None
    tzinfo = zone(tz)
    wall = local_time(after, tz).replace(minute=0, second=0, microsecond=0, tzinfo=None)
    for k in range(0, 24 * 8 + 2):
        candidate = wall + dt.timedelta(hours=k)
        if (candidate.weekday(), candidate.hour) not in slots:
            continue
        aware = candidate.replace(tzinfo=tzinfo)
        ts = aware.timestamp()
        # a wall time skipped by a DST change does not exist: it comes back as another hour
        if dt.datetime.fromtimestamp(ts, tzinfo).replace(tzinfo=None) != candidate:
            continue
        if ts > after:
            return ts
    return None


SLOTS = [(wd, h) for wd in range(7) for h in range(24)]  # Monday 00:00 first


def heat_cells(per_slot: dict[tuple[int, int], list[int | None]]) -> list[HeatCell]:
    """168 cells: each slot's sample count and median value, coloured by quantile rank."""
    values = [median(per_slot.get(k, [])) for k in SLOTS]
    levels = quantile_levels(values)
    return [
        HeatCell(wd, h, len(per_slot.get((wd, h), [])), v, lv)
        for (wd, h), v, lv in zip(SLOTS, values, levels, strict=True)
    ]


def best_cells(cells: list[HeatCell], n: int) -> list[HeatCell]:
    """The top ``n`` cells with at least two samples (all filled cells when none has two)."""
    filled = [c for c in cells if c.value is not None]
    enough = [c for c in filled if c.samples >= 2] or filled
    return sorted(enough, key=lambda c: (-(c.value or 0.0), -c.samples, c.weekday, c.hour))[:n]


def audience_cells(local: dict[tuple[int, int], float]) -> list[HeatCell]:
    if not local:
        return []
    values = [local.get(k) for k in SLOTS]
    levels = quantile_levels(values)
    return [HeatCell(wd, h, 0, v, lv) for (wd, h), v, lv in zip(SLOTS, values, levels, strict=True)]


def tag_stats(rows: list[PostRow]) -> list[HashtagStat]:
    """Per hashtag: posts, median views and engagement, against the account's medians; best first."""
    acc_views = median(r.views for r in rows) or 0.0
    acc_eng = median(r.engagement_rate for r in rows) or 0.0
    by_tag: dict[str, list[PostRow]] = {}
    for r in rows:
        for tag in r.hashtags:
            by_tag.setdefault(tag, []).append(r)
    out = []
    for tag, posts in by_tag.items():
        views = median(p.views for p in posts) or 0.0
        eng = median(p.engagement_rate for p in posts) or 0.0
        out.append(
            HashtagStat(
                tag,
                len(posts),
                views,
                eng,
                views / acc_views if acc_views else 1.0,
                eng / acc_eng if acc_eng else 1.0,
            )
        )
    out.sort(key=lambda h: (-h.vs_account_views, -h.vs_account_engagement, -h.posts, h.tag))
    return out
