"""The SQL of the analytics queries (SQLite; every lookup goes through a primary key)."""

from __future__ import annotations

MARKS = (("views_24h", 86_400), ("views_72h", 3 * 86_400), ("views_7d", 7 * 86_400))

_SNAPSHOT_MARK = (
    "(SELECT s.view_count FROM video_snapshots s WHERE s.account_id = v.account_id"
    " AND s.video_id = v.video_id AND s.observed_at >= v.create_time + {m}"
    " AND s.observed_at < v.create_time + {m} + 86400 AND s.view_count IS NOT NULL"
    " ORDER BY s.observed_at LIMIT 1)"
)
# the platform's cumulative views at the end of its day holding the mark: only from a complete
# series (every day since the post day) whose mark day was over when it was fetched
_DAILY_MARK = (
    "(SELECT CASE WHEN COUNT(*) = CAST(julianday(date(v.create_time + {m}, 'unixepoch'))"
    " - julianday(date(v.create_time, 'unixepoch')) AS INTEGER) + 1"
    " AND MAX(CASE WHEN d.day = date(v.create_time + {m}, 'unixepoch') THEN d.as_of END)"
    "  >= CAST(strftime('%s', date(v.create_time + {m}, 'unixepoch')) AS INTEGER) + 86400"
    " THEN SUM(d.views) END FROM video_daily d WHERE d.account_id = v.account_id"
    " AND d.video_id = v.video_id AND d.views IS NOT NULL"
    " AND d.day BETWEEN date(v.create_time, 'unixepoch') AND date(v.create_time + {m}, 'unixepoch'))"
)
POSTS_SQL = (
    "SELECT v.video_id, v.title, v.description, v.create_time, v.duration, v.share_url,"
    " l.view_count, l.like_count, l.comment_count, l.share_count, t.data AS totals, "
    + ", ".join(
        f"{_DAILY_MARK.format(m=m)} AS d{i}, {_SNAPSHOT_MARK.format(m=m)} AS s{i}"
        for i, (_, m) in enumerate(MARKS)
    )
    + " FROM videos v LEFT JOIN video_snapshots l ON l.account_id = v.account_id AND l.video_id = v.video_id"
    " AND l.observed_at = (SELECT MAX(m.observed_at) FROM video_snapshots m"
    "  WHERE m.account_id = v.account_id AND m.video_id = v.video_id)"
    " LEFT JOIN video_totals t ON t.account_id = v.account_id AND t.video_id = v.video_id"
    " WHERE v.account_id = ? AND v.listed = 1 {where} ORDER BY v.create_time DESC, l.view_count"
)


def offset_sql(changes: list[tuple[float, int]], column: str = "observed_at") -> str:
    """The local UTC offset of ``column`` as SQL: a CASE over the DST changes in the span."""
    if len(changes) == 1:
        return str(changes[0][1])
    parts = [f"WHEN {column} < {changes[i + 1][0]!r} THEN {changes[i][1]}" for i in range(len(changes) - 1)]
    return f"(CASE {' '.join(parts)} ELSE {changes[-1][1]} END)"
