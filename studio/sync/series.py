"""Daily series from counter snapshots, without inventing history.

The platform gives lifetime totals only. A day's value is the last total observed on that day;
a day with no observation carries the previous value forward and says so; a change is only
known between two observed days, and ``span_days`` says how many days it covers. Nothing is
said about days before the first observation: the lifetime total is never spread over the past.
The result depends only on the set of (time, value) observations — the order they arrived in,
duplicates and gaps change nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

ACTUAL = "actual"
CARRIED = "carried_forward"


@dataclass(frozen=True)
class DayPoint:
    day: dt.date
    value: int
    kind: str
    delta: int | None  # change since the previous observed day, on observed days only
    span_days: int | None  # days that change covers (1 = yesterday to today)


def _day(ts: float, tz: dt.tzinfo) -> dt.date:
    return dt.datetime.fromtimestamp(ts, tz).date()


def daily_series(
    observations: Iterable[tuple[float, int | None]],
    *,
    tz: dt.tzinfo = dt.UTC,
    until: dt.date | None = None,
) -> list[DayPoint]:
    last_of_day: dict[dt.date, tuple[float, int]] = {}
    for ts, value in observations:
        if value is None:
            continue
        day = _day(ts, tz)
        seen = last_of_day.get(day)
        # the latest observation of the day wins; equal times keep the larger (deterministic)
        if seen is None or (ts, value) > seen:
            last_of_day[day] = (ts, value)
    if not last_of_day:
        return []
    first = min(last_of_day)
    last = max(max(last_of_day), until or first)
    out: list[DayPoint] = []
    previous: tuple[dt.date, int] | None = None
    value = 0
    day = first
    while day <= last:
        if day in last_of_day:
            value = last_of_day[day][1]
            if previous is None:
                out.append(DayPoint(day, value, ACTUAL, None, None))
            else:
                out.append(DayPoint(day, value, ACTUAL, value - previous[1], (day - previous[0]).days))
            previous = (day, value)
        else:
            out.append(DayPoint(day, value, CARRIED, None, None))
        day += dt.timedelta(days=1)
    return out
