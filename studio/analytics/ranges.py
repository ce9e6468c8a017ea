"""Date ranges of whole local days, and the time-zone arithmetic behind them (DST safe).

A day is a calendar day in the creator's IANA zone: it starts at local midnight and may be 23 or
25 hours long around a DST change. All boundaries go through :mod:`zoneinfo`, never through a
fixed offset.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from studio.analytics.models import DateRange

PRESETS: dict[str, int] = {"7d": 7, "28d": 28, "60d": 60, "365d": 365}
RANGE_HELP = "7d, 28d, 60d, 365d, all, or FROM..TO with ISO dates (2026-11-01..2026-11-30)"
_CUSTOM = re.compile(r"^\s*(\S+?)\s*\.\.\s*(\S+?)\s*$")


@lru_cache(maxsize=64)
def zone(tz: str) -> ZoneInfo:
    """The zone named ``tz``; a ValueError that says so for an unknown name."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone '{tz}' (expected an IANA name like 'Europe/Berlin')") from exc


def local_tz() -> str:
    """The machine's IANA zone name: ``TZ``, then the ``/etc/localtime`` link, then the name
    Python reports if it is an IANA key; "UTC" when none of them gives one."""
    env = os.environ.get("TZ", "").lstrip(":").strip()
    if env and _valid(env):
        return env
    try:
        target = str(Path("/etc/localtime").resolve())
        if "zoneinfo/" in target:
            name = target.split("zoneinfo/", 1)[1]
            if _valid(name):
                return name
    except OSError:
        pass
    tzinfo = dt.datetime.now().astimezone().tzinfo
    key = getattr(tzinfo, "key", None)
    if isinstance(key, str) and _valid(key):
        return key
    name = tzinfo.tzname(None) if tzinfo is not None else None
    if name and "/" in name and _valid(name):
        return name
    return "UTC"


def _valid(name: str) -> bool:
    try:
        zone(name)
    except ValueError:
        return False
    return True


def day_start(day: dt.date, tz: str) -> float:
    """Epoch seconds of local midnight starting ``day`` (a skipped midnight: the first instant)."""
    tzinfo = zone(tz)
    local = dt.datetime(day.year, day.month, day.day, tzinfo=tzinfo)
    # a midnight that does not exist (some zones jump at 00:00) maps forward, like the wall clock
    back = local.astimezone(dt.UTC).astimezone(tzinfo)
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        local = local.replace(fold=1)
    return local.timestamp()


def day_bounds(day: dt.date, tz: str) -> tuple[float, float]:
    """``[start, end)`` in epoch seconds of the local ``day`` (23, 24 or 25 hours)."""
    return day_start(day, tz), day_start(day + dt.timedelta(days=1), tz)


def local_day(ts: float, tz: str) -> dt.date:
    return dt.datetime.fromtimestamp(ts, zone(tz)).date()


def local_time(ts: float, tz: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, zone(tz))


def days_of(r: DateRange) -> list[dt.date]:
    return [r.first + dt.timedelta(days=i) for i in range(r.days)]


def _iso(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"bad {what} date '{text}': expected YYYY-MM-DD") from None


def parse_range(text: str, *, today: dt.date, tz: str, first_day: dt.date | None) -> DateRange:
    """ "7d" / "28d" / "60d" / "365d" (ending today), "all" (``first_day`` to today) or
    "FROM..TO" (ISO dates, inclusive)."""
    zone(tz)  # an unknown zone fails here, with its name
    spec = (text or "").strip().lower()
    if spec in PRESETS:
        n = PRESETS[spec]
        return DateRange(today - dt.timedelta(days=n - 1), today, f"Last {n} days", tz)
    if spec == "all":
        first = min(first_day, today) if first_day is not None else today
        return DateRange(first, today, "All time", tz)
    match = _CUSTOM.match(text or "")
    if match is None:
        raise ValueError(f"unknown range '{text}': use {RANGE_HELP}")
    first, last = _iso(match.group(1), "start"), _iso(match.group(2), "end")
    if last < first:
        raise ValueError(f"range '{text}' ends before it starts")
    return DateRange(first, last, f"{first.isoformat()} – {last.isoformat()}", tz)


def previous_period(r: DateRange) -> DateRange:
    """The same number of days just before ``r``."""
    last = r.first - dt.timedelta(days=1)
    first = last - dt.timedelta(days=r.days - 1)
    return DateRange(first, last, f"Previous {r.days} days", r.tz)


def offset_changes(tz: str, start: float, end: float) -> list[tuple[float, int]]:
    """``[(from_ts, utc_offset_s), ...]`` covering ``[start, end)``: the first entry starts at
    ``start``, the others at each offset change (DST) inside the span, to the second."""
    tzinfo = zone(tz)

    def offset(ts: float) -> int:
        off = dt.datetime.fromtimestamp(ts, tzinfo).utcoffset()
        return int(off.total_seconds()) if off is not None else 0

    out = [(start, offset(start))]
    step = 86_400.0
    t = start
    while t < end:
        nxt = min(t + step, end)
        if offset(nxt) != out[-1][1]:
            lo, hi = t, nxt  # offset(lo) == current, offset(hi) differs: bisect to the second
            while hi - lo > 0.5:
                mid = (lo + hi) / 2
                if offset(mid) == out[-1][1]:
                    lo = mid
                else:
                    hi = mid
            change = float(math.floor(lo) + 1)  # changes happen on whole seconds
            out.append((change, offset(change)))
        t = nxt
    return out
