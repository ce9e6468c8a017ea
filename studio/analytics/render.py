"""Text and JSON forms of the analytics results (for the CLI; plain numbers in JSON)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from studio.analytics.models import METRICS, BestTime, Overview, PostDetail, PostRow
from studio.analytics.ranges import local_time

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
LABELS = {
    "views": "Views",
    "profile_views": "Profile views",
    "likes": "Likes",
    "comments": "Comments",
    "shares": "Shares",
    "followers": "Followers",
    "net_new_followers": "Net new followers",
}


def _n(value: int | float | None, pct: bool = False) -> str:
    if value is None:
        return "–"
    if pct:
        return f"{value * 100:.1f}%"
    return f"{value:,.0f}" if isinstance(value, int) or float(value).is_integer() else f"{value:,.1f}"


def overview_json(ov: Overview, label: str) -> dict[str, Any]:
    return {
        "account": label,
        "account_id": ov.account_id,
        "range": {
            "first": ov.range.first.isoformat(),
            "last": ov.range.last.isoformat(),
            "label": ov.range.label,
        },
        "previous": {"first": ov.previous.first.isoformat(), "last": ov.previous.last.isoformat()},
        "tz": ov.range.tz,
        "last_synced_at": ov.last_synced_at,
        "kpis": {
            m: {"value": k.value, "previous": k.previous, "delta": k.delta, "source": k.source}
            for m, k in ov.kpis.items()
        },
        "daily": {
            m: [{"day": p.day.isoformat(), "value": p.value, "kind": p.kind} for p in pts]
            for m, pts in ov.daily.items()
        },
    }


def overview_text(ov: Overview, label: str) -> str:
    r = ov.range
    synced = (
        dt.datetime.fromtimestamp(ov.last_synced_at).strftime("%Y-%m-%d %H:%M")
        if ov.last_synced_at
        else "never"
    )
    lines = [f"{label} · {r.label} ({r.first} – {r.last}, {r.tz}) · last synced {synced}", ""]
    lines.append(f"{'metric':<18} {'value':>12} {'previous':>12} {'change':>9}")
    for m in METRICS:
        k = ov.kpis[m]
        if k.source.startswith("not available"):
            lines.append(f"{LABELS[m]:<18} {'–':>12} {'':>12} {'':>9}  ({k.source})")
            continue
        change = (
            f"{k.delta_pct:+.1f}%"
            if k.delta_pct is not None
            else ("" if k.delta is None else f"{k.delta:+,}")
        )
        lines.append(f"{LABELS[m]:<18} {_n(k.value):>12} {_n(k.previous):>12} {change:>9}")
    sources = sorted({k.source for k in ov.kpis.values() if not k.source.startswith("not available")})
    if sources:
        lines += ["", f"from: {', '.join(sources)}"]
    return "\n".join(lines)


def post_json(r: PostRow) -> dict[str, Any]:
    out = {f: getattr(r, f) for f in r.__dataclass_fields__}
    out["hashtags"] = list(r.hashtags)
    return out


def posts_text(rows: list[PostRow], tz: str) -> str:
    if not rows:
        return "no posts in this range"
    head = (
        f"{'posted':<16} {'views':>9} {'likes':>8} {'comm.':>6} {'shares':>6} {'eng.':>6} {'72 h':>9}  title"
    )
    lines = [head]
    for r in rows:
        posted = local_time(r.created_at, tz).strftime("%Y-%m-%d %H:%M")
        lines.append(
            f"{posted:<16} {_n(r.views):>9} {_n(r.likes):>8} {_n(r.comments):>6} {_n(r.shares):>6}"
            f" {_n(r.engagement_rate, True):>6} {_n(r.views_72h):>9}  {r.title[:48]}  [{r.video_id}]"
        )
    return "\n".join(lines)


def detail_json(d: PostDetail) -> dict[str, Any]:
    return {
        "post": post_json(d.row),
        "views_since_posting": [
            {"day": p.day.isoformat(), "value": p.value, "kind": p.kind} for p in d.views_since_posting
        ],
        "traffic_sources": d.traffic_sources,
        "territories": d.territories,
        "source": d.source,
    }


def detail_text(d: PostDetail, tz: str) -> str:
    r = d.row
    lines = [
        f"{r.title}  [{r.video_id}]",
        f"posted {local_time(r.created_at, tz):%Y-%m-%d %H:%M} ({tz})"
        + (f" · from draft {r.draft_id}" if r.draft_id else ""),
        f"views {_n(r.views)} · likes {_n(r.likes)} · comments {_n(r.comments)} · shares {_n(r.shares)}"
        f" · engagement {_n(r.engagement_rate, True)}",
        f"views at 24 h {_n(r.views_24h)} · 72 h {_n(r.views_72h)} · 7 d {_n(r.views_7d)}",
        f"average watch time {_n(r.avg_watch_time_s)} s · full watches {_n(r.full_watch_rate, True)}",
    ]
    for title, parts in (("traffic", d.traffic_sources), ("territories", d.territories)):
        if parts:
            lines.append(
                f"{title}: "
                + ", ".join(f"{k} {_n(v)}" for k, v in sorted(parts.items(), key=lambda kv: -kv[1]))
            )
    if d.views_since_posting:
        lines.append(
            "views since posting: "
            + ", ".join(f"{p.day:%m-%d} {_n(p.value)}" for p in d.views_since_posting[-14:])
        )
    return "\n".join(lines)


def best_json(b: BestTime) -> dict[str, Any]:
    def cells(items: list[Any]) -> list[dict[str, Any]]:
        return [
            {"weekday": c.weekday, "hour": c.hour, "samples": c.samples, "value": c.value, "level": c.level}
            for c in items
        ]

    return {"tz": b.tz, "best": cells(b.best), "cells": cells(b.cells), "audience": cells(b.audience)}


def best_text(b: BestTime) -> str:
    if not any(c.samples for c in b.cells):
        return "no posts yet: the heatmap fills as you post"
    shades = " .:-=+*#%@"
    lines = [f"best time to post ({b.tz}); shade = rank of the median views at 72 h, digits = posts", ""]
    lines.append("     " + "".join(f"{h:<3}" for h in range(0, 24)))
    for wd in range(7):
        row = [c for c in b.cells if c.weekday == wd]
        lines.append(
            f"{DAYS[wd]}  "
            + "".join(
                (shades[min(9, int(c.level * 9))] + str(min(c.samples, 9)) + " ") if c.samples else " · "
                for c in row
            )
        )
    lines.append("")
    for c in b.best:
        lines.append(
            f"best: {DAYS[c.weekday]} {c.hour:02d}:00 · median {_n(c.value)} views · {c.samples} posts"
        )
    if b.audience:
        peak = max((c for c in b.audience if c.value is not None), key=lambda c: c.value or 0.0)
        lines.append(f"your audience is most active {DAYS[peak.weekday]} {peak.hour:02d}:00")
    return "\n".join(lines)
