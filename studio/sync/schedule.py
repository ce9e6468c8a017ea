"""When to look at a post again: often while it is young, weekly once it is old, never dropped.

Times are platform seconds (the stand-in's clock may run faster than the wall's).
"""

from __future__ import annotations

HOUR = 3600.0
DAY = 86_400.0

# (age below, poll every)
STEPS: tuple[tuple[float, float], ...] = (
    (1 * DAY, 1 * HOUR),
    (7 * DAY, 6 * HOUR),
    (30 * DAY, 1 * DAY),
)
OLD_POST_EVERY = 7 * DAY
ACCOUNT_EVERY = 15 * 60.0  # user/info and the account series
FULL_LIST_EVERY = 1 * DAY  # a full walk of video/list notices deleted or hidden posts


def poll_interval(age_s: float) -> float:
    for below, every in STEPS:
        if age_s < below:
            return every
    return OLD_POST_EVERY


def next_poll(create_time: float, polled_at: float) -> float:
    return polled_at + poll_interval(max(0.0, polled_at - create_time))
