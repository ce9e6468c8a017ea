"""Seeded engagement model: every counter is a pure function of (seed, video, clock time).

Each video draws, from a generator seeded by (seed, video id), a heavy-tailed "virality" (log-normal
reach), a fast decay over days plus a small long tail, and per-view rates for likes, comments,
shares, follows and watch time. Views arrive per hour as ``reach * launch * decay(age) *
rhythm(hour of week)``, where the rhythm is the audience's daily and weekly activity and
``launch`` is the rhythm at the posting hour, so posting at the audience's peak really pays.
Nothing is accumulated per request: a counter at time t is the integral of the rate up to t.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

HORIZON_H = 24 * 120
TRAFFIC_SOURCES: tuple[str, ...] = ("for_you", "following", "profile", "search", "sound", "other")
TERRITORIES: tuple[str, ...] = ("US", "GB", "DE", "BR", "IN", "ID", "MX", "FR", "other")
_WEEKDAY = np.array([0.93, 0.95, 1.0, 0.97, 1.06, 1.2, 1.12])  # Monday first


def _stream(*parts: object) -> np.random.Generator:
    key = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return np.random.default_rng(int.from_bytes(key[:8], "big"))


def hour_of_week(epoch_hour: np.ndarray | int) -> np.ndarray | int:
    """Hour index 0..167 with 0 = Monday 00:00 UTC (1970-01-01 was a Thursday)."""
    return ((epoch_hour // 24 + 3) % 7) * 24 + epoch_hour % 24


@dataclass(frozen=True)
class VideoParams:
    reach: float
    tau_fast_h: float
    tail_share: float
    tau_tail_h: float
    like_rate: float
    comment_rate: float
    share_rate: float
    follow_rate: float
    watch_fraction: float
    full_watch_rate: float
    traffic: tuple[float, ...]
    territories: tuple[float, ...]


class EngagementModel:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        rng = _stream(seed, "rhythm")
        self.peak_hour = int(rng.integers(17, 22))
        hours = np.arange(24)
        daily = (
            0.12
            + 1.0 * np.exp(-0.5 * ((hours - self.peak_hour) / 2.2) ** 2)
            + 0.45 * np.exp(-0.5 * ((hours - 12.5) / 1.4) ** 2)
            + 0.2 * np.exp(-0.5 * ((hours - 8) / 1.2) ** 2)
        )
        weekly = _WEEKDAY * rng.uniform(0.97, 1.03, 7)
        rhythm = (weekly[:, None] * daily[None, :]).reshape(168)
        self.rhythm = rhythm / rhythm.mean()

    def params(self, video_id: str, audience: int) -> VideoParams:
        return _params(self.seed, video_id, audience)

    def cumulative_views(self, video_id: str, create_ts: float, audience: int, t: float) -> float:
        csum = self._csum(video_id, int(create_ts), audience)
        pos = (t - create_ts) / 3600.0
        if pos <= 0:
            return 0.0
        n = int(pos)
        if n >= HORIZON_H:
            return float(csum[-1])
        done = float(csum[n - 1]) if n > 0 else 0.0
        return done + float(csum[n] - done) * (pos - n)

    def counters(
        self, video_id: str, create_ts: float, audience: int, duration_s: int, t: float
    ) -> dict[str, int | float]:
        p = self.params(video_id, audience)
        views = self.cumulative_views(video_id, create_ts, audience, t)
        return {
            "view_count": int(views),
            "like_count": int(views * p.like_rate),
            "comment_count": int(views * p.comment_rate),
            "share_count": int(views * p.share_rate),
            "new_followers": int(views * p.follow_rate),
            "total_play_time_s": round(int(views) * duration_s * p.watch_fraction, 1),
            "avg_watch_time_s": round(duration_s * p.watch_fraction, 2),
            "full_watch_rate": round(p.full_watch_rate, 4),
        }

    def daily(
        self, video_id: str, create_ts: float, audience: int, duration_s: int, days: list[int], now: float
    ) -> list[dict[str, object]]:
        """Per-UTC-day series (``days`` are epoch day numbers) up to ``now``; today is partial."""
        p = self.params(video_id, audience)
        out: list[dict[str, object]] = []
        for day in days:
            start, end = min(day * 86_400, now), min((day + 1) * 86_400, now)
            before = self.counters(video_id, create_ts, audience, duration_s, start)
            after = self.counters(video_id, create_ts, audience, duration_s, end)
            views = int(after["view_count"]) - int(before["view_count"])
            out.append(
                {
                    "date": iso_day(day),
                    "views": views,
                    "likes": int(after["like_count"]) - int(before["like_count"]),
                    "comments": int(after["comment_count"]) - int(before["comment_count"]),
                    "shares": int(after["share_count"]) - int(before["share_count"]),
                    "new_followers": int(after["new_followers"]) - int(before["new_followers"]),
                    "total_play_time_s": round(views * duration_s * p.watch_fraction, 1),
                    "avg_watch_time_s": round(duration_s * p.watch_fraction, 2) if views else 0.0,
                    "full_watch_rate": round(p.full_watch_rate, 4) if views else 0.0,
                    "traffic_sources": _split(views, TRAFFIC_SOURCES, p.traffic),
                    "territories": _split(views, TERRITORIES, p.territories),
                }
            )
        return out

    def best_hours(self) -> list[dict[str, object]]:
        """Audience activity per weekday and hour (UTC), normalised to mean 1."""
        names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        return [
            {"weekday": names[h // 24], "hour_utc": h % 24, "activity": round(float(self.rhythm[h]), 4)}
            for h in range(168)
        ]

    def _csum(self, video_id: str, create_ts: int, audience: int) -> np.ndarray:
        return _csum(self.seed, video_id, create_ts, audience, self.rhythm.tobytes())


def iso_day(day: int) -> str:
    import datetime as dt

    return (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()


def _split(total: int, names: tuple[str, ...], shares: tuple[float, ...]) -> dict[str, int]:
    """Integer split by largest remainder, so the parts always add up to the total."""
    raw = [total * s for s in shares]
    parts = [math.floor(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return dict(zip(names, parts, strict=True))


@lru_cache(maxsize=8192)
def _params(seed: int, video_id: str, audience: int) -> VideoParams:
    rng = _stream(seed, "video", video_id)
    reach = audience * float(rng.lognormal(mean=0.0, sigma=1.3))
    watch = float(rng.uniform(0.3, 0.85))
    traffic = rng.dirichlet([8, 2.5, 1.5, 1.0, 0.6, 0.4])
    territories = rng.dirichlet([6, 1.5, 1.2, 1.5, 1.2, 1.0, 0.9, 0.8, 2.0])
    return VideoParams(
        reach=reach,
        tau_fast_h=float(rng.uniform(14, 72)),
        tail_share=float(rng.uniform(0.03, 0.12)),
        tau_tail_h=float(rng.uniform(240, 720)),
        like_rate=float(rng.uniform(0.04, 0.13)),
        comment_rate=float(rng.uniform(0.002, 0.012)),
        share_rate=float(rng.uniform(0.001, 0.009)),
        follow_rate=float(rng.uniform(0.001, 0.008)),
        watch_fraction=watch,
        full_watch_rate=float(min(0.95, watch**2 * rng.uniform(0.35, 0.7))),
        traffic=tuple(float(x) for x in traffic),
        territories=tuple(float(x) for x in territories),
    )


@lru_cache(maxsize=4096)
def _csum(seed: int, video_id: str, create_ts: int, audience: int, rhythm_bytes: bytes) -> np.ndarray:
    rhythm = np.frombuffer(rhythm_bytes, dtype=np.float64)
    p = _params(seed, video_id, audience)
    age = np.arange(HORIZON_H, dtype=np.float64) + 0.5
    decay = (1 - p.tail_share) * np.exp(-age / p.tau_fast_h) / p.tau_fast_h + p.tail_share * np.exp(
        -age / p.tau_tail_h
    ) / p.tau_tail_h
    hours = create_ts // 3600 + np.arange(HORIZON_H, dtype=np.int64)
    how = hour_of_week(hours)
    launch = rhythm[how[0]]
    return np.cumsum(p.reach * launch * decay * rhythm[how])
