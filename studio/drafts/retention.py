"""Which revisions to keep: time buckets, each keeping its newest ``per_bucket`` revisions.

- the last hour: every revision;
- the last day: up to ``per_bucket`` per hour;
- the last 30 days: up to ``per_bucket`` per day;
- older: up to ``per_bucket`` per week.

Kdenlive keeps 20 backups per category in total; this keeps 20 per *bucket*, which is at least
as generous at every age. Callers add revisions that must survive regardless (the draft's head,
the newest revision, autosaves still waiting for crash recovery).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

HOUR = 3600.0
DAY = 24 * HOUR
WEEK = 7 * DAY
MONTH = 30 * DAY
PER_BUCKET = 20


def bucket_of(created: float, now: float) -> tuple[str, int] | None:
    """The bucket a revision falls in, or ``None`` for the keep-everything last hour."""
    age = now - created
    if age < HOUR:
        return None
    if age < DAY:
        return ("hour", int(created // HOUR))
    if age < MONTH:
        return ("day", int(created // DAY))
    return ("week", int(created // WEEK))


def revisions_to_keep(
    revisions: Iterable[tuple[int, float]], now: float, per_bucket: int = PER_BUCKET
) -> set[int]:
    """``revisions`` are ``(id, created_at)`` pairs; returns the ids to keep."""
    keep: set[int] = set()
    buckets: dict[tuple[str, int], list[tuple[float, int]]] = defaultdict(list)
    for rev_id, created in revisions:
        bucket = bucket_of(created, now)
        if bucket is None:
            keep.add(rev_id)
        else:
            buckets[bucket].append((created, rev_id))
    for members in buckets.values():
        members.sort(reverse=True)
        keep.update(rev_id for _, rev_id in members[:per_bucket])
    return keep
