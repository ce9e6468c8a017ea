"""How much each counter changed, per account and quarter hour: the dashboard's views without a scan.

A counter's change is known between two consecutive snapshots of one post (ordered by
``observed_at``, then ``source``: the primary key's order); it is counted at the later snapshot's time.
``view_changes`` holds, per account and 900-second bucket of platform time, the sum of those changes
and how many pairs gave one (``*_n``), for views, comments and shares. Every time zone's offset is
a multiple of 15 minutes, so a bucket never straddles a local midnight and any zone's days are
sums of whole buckets.

The table is kept in the writer's transaction as snapshots arrive, in any order: for each post the
batch touches, the changes from its earliest new snapshot onwards are taken out, the snapshots go
in, and the changes from there are put back. A snapshot that lands between two others therefore
splits their change in two, exactly as a rebuild from scratch would (the tests hold the two
equal). A post's *first* snapshot has no predecessor and gives no change here: whether it counts
in full depends on when we first looked at the account, which the reader decides
(:func:`first_snapshots_sql`). A missing counter (NULL) on either side of a pair gives no change.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

BUCKET = 900

TABLE = """
CREATE TABLE IF NOT EXISTS view_changes(
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    bucket INTEGER NOT NULL,
    views INTEGER NOT NULL DEFAULT 0,
    views_n INTEGER NOT NULL DEFAULT 0,
    comments INTEGER NOT NULL DEFAULT 0,
    comments_n INTEGER NOT NULL DEFAULT 0,
    shares INTEGER NOT NULL DEFAULT 0,
    shares_n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY(account_id, bucket)
) WITHOUT ROWID
"""

_BATCH = """
CREATE TEMP TABLE IF NOT EXISTS batch(
    video_id TEXT NOT NULL, observed_at REAL NOT NULL, source TEXT NOT NULL,
    view_count INTEGER, like_count INTEGER, comment_count INTEGER, share_count INTEGER,
    fetched_at REAL NOT NULL,
    PRIMARY KEY(video_id, observed_at, source)
) WITHOUT ROWID
"""

_LATE = "CREATE TEMP TABLE IF NOT EXISTS late(video_id TEXT PRIMARY KEY) WITHOUT ROWID"

# the posts of the batch with a stored snapshot at or after their earliest new one: their changes
# from there are undone and redone; every other post only appends (nothing to undo)
_FIND_LATE = """
INSERT INTO temp.late SELECT video_id FROM (SELECT video_id, MIN(observed_at) AS t FROM temp.batch GROUP BY video_id) f
WHERE EXISTS (SELECT 1 FROM video_snapshots r WHERE r.account_id = :a AND r.video_id = f.video_id
  AND r.observed_at >= f.t)
"""

_SUMS = f"""
SELECT :a, CAST(observed_at / {BUCKET} AS INTEGER) * {BUCKET} AS b,
  :sign * COALESCE(SUM(v - pv), 0), :sign * COUNT(v - pv), :sign * COALESCE(SUM(c - pc), 0),
  :sign * COUNT(c - pc), :sign * COALESCE(SUM(h - ph), 0), :sign * COUNT(h - ph)
FROM w WHERE {{keep}} GROUP BY b HAVING COUNT(v - pv) + COUNT(c - pc) + COUNT(h - ph) > 0
"""
_LAGS = "LAG(view_count) OVER win AS pv, LAG(comment_count) OVER win AS pc, LAG(share_count) OVER win AS ph"

# late posts: every stored snapshot from the one before their earliest new one
_LATE_CHANGES = f"""
WITH lo AS (
  SELECT l.video_id, MIN(b.observed_at) AS t FROM temp.late l JOIN temp.batch b USING(video_id)
  GROUP BY l.video_id
), w AS (
  SELECT lo.t, s.observed_at, s.view_count AS v, s.comment_count AS c, s.share_count AS h, {_LAGS}
  FROM lo CROSS JOIN video_snapshots s ON s.account_id = :a AND s.video_id = lo.video_id
    AND s.observed_at >= COALESCE((SELECT MAX(r.observed_at) FROM video_snapshots r
      WHERE r.account_id = :a AND r.video_id = lo.video_id AND r.observed_at < lo.t), lo.t)
  WINDOW win AS (PARTITION BY s.video_id ORDER BY s.observed_at, s.source)
)
{_SUMS.format(keep="observed_at >= t")}
"""

# appending posts: the new rows and the stored snapshot(s) just before them
_APPEND_CHANGES = f"""
WITH aff AS (
  SELECT video_id, MIN(observed_at) AS t FROM temp.batch
  WHERE video_id NOT IN (SELECT video_id FROM temp.late) GROUP BY video_id
), prev AS (
  SELECT s.video_id, s.observed_at, s.source, s.view_count, s.comment_count, s.share_count, 0 AS new
  FROM aff CROSS JOIN video_snapshots s ON s.account_id = :a AND s.video_id = aff.video_id
    AND s.observed_at = (SELECT MAX(r.observed_at) FROM video_snapshots r
      WHERE r.account_id = :a AND r.video_id = aff.video_id AND r.observed_at < aff.t)
), w AS (
  SELECT observed_at, view_count AS v, comment_count AS c, share_count AS h, new, {_LAGS}
  FROM (SELECT video_id, observed_at, source, view_count, comment_count, share_count, 1 AS new
        FROM temp.batch WHERE video_id NOT IN (SELECT video_id FROM temp.late)
        UNION ALL SELECT * FROM prev)
  WINDOW win AS (PARTITION BY video_id ORDER BY observed_at, source)
)
{_SUMS.format(keep="new")}
"""

_UPSERT = """
INSERT INTO view_changes(account_id, bucket, views, views_n, comments, comments_n, shares, shares_n)
{select}
ON CONFLICT(account_id, bucket) DO UPDATE SET views = views + excluded.views,
  views_n = views_n + excluded.views_n, comments = comments + excluded.comments,
  comments_n = comments_n + excluded.comments_n, shares = shares + excluded.shares,
  shares_n = shares_n + excluded.shares_n
"""
_LATE_UPSERT = _UPSERT.format(select=_LATE_CHANGES)
_APPEND_UPSERT = _UPSERT.format(select=_APPEND_CHANGES)


def insert_snapshots(conn: sqlite3.Connection, account_id: str, rows: Iterable[tuple[Any, ...]]) -> int:
    """Insert one account's ``video_snapshots`` rows and keep ``view_changes`` true; the new count.

    ``rows`` are ``(video_id, observed_at, source, views, likes, comments, shares, fetched_at)``;
    ones already stored are ignored (a repeated sync adds nothing). Runs in the caller's
    transaction, on the writer's connection.
    """
    _start(conn)
    conn.executemany("INSERT OR IGNORE INTO temp.batch VALUES(?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return _merge(conn, account_id)


def insert_snapshots_from(conn: sqlite3.Connection, account_id: str, select: str, params: Any = ()) -> int:
    """:func:`insert_snapshots` of the rows a ``SELECT`` gives (an attached database's history)."""
    _start(conn)
    conn.execute(f"INSERT OR IGNORE INTO temp.batch {select}", params)
    return _merge(conn, account_id)


def _start(conn: sqlite3.Connection) -> None:
    conn.execute(_BATCH)
    conn.execute(_LATE)
    conn.execute("DELETE FROM temp.batch")
    conn.execute("DELETE FROM temp.late")


def _merge(conn: sqlite3.Connection, account_id: str) -> int:
    conn.execute(_FIND_LATE, {"a": account_id})
    late = conn.execute("SELECT EXISTS (SELECT 1 FROM temp.late)").fetchone()[0]
    if late:
        conn.execute(_LATE_UPSERT, {"a": account_id, "sign": -1})
    before = conn.total_changes
    conn.execute(
        "INSERT OR IGNORE INTO video_snapshots(account_id, video_id, observed_at, source, view_count,"
        " like_count, comment_count, share_count, fetched_at) SELECT ?, * FROM temp.batch",
        (account_id,),
    )
    added = conn.total_changes - before
    conn.execute(_APPEND_UPSERT, {"a": account_id, "sign": 1})
    if late:  # a repeated row only makes its post late: undoing and redoing it changes nothing
        conn.execute(_LATE_UPSERT, {"a": account_id, "sign": 1})
        conn.execute(  # a pair that was split may have left a bucket with nothing in it
            "DELETE FROM view_changes WHERE account_id = ? AND views_n = 0 AND comments_n = 0 AND shares_n = 0",
            (account_id,),
        )
    conn.execute("DELETE FROM temp.batch")
    conn.execute("DELETE FROM temp.late")
    return added


def rebuild(conn: sqlite3.Connection, account_id: str | None = None) -> None:
    """Recompute ``view_changes`` from the snapshots (the schema migration; the tests' reference)."""
    where, params = ("WHERE account_id = ?", (account_id,)) if account_id is not None else ("", ())
    conn.execute(f"DELETE FROM view_changes {where}", params)
    conn.execute(
        f"""
        INSERT INTO view_changes(account_id, bucket, views, views_n, comments, comments_n, shares, shares_n)
        SELECT account_id, CAST(observed_at / {BUCKET} AS INTEGER) * {BUCKET} AS b,
          COALESCE(SUM(v - pv), 0), COUNT(v - pv), COALESCE(SUM(c - pc), 0), COUNT(c - pc),
          COALESCE(SUM(h - ph), 0), COUNT(h - ph)
        FROM (
          SELECT account_id, observed_at, view_count AS v, comment_count AS c, share_count AS h,
            LAG(view_count) OVER win AS pv, LAG(comment_count) OVER win AS pc,
            LAG(share_count) OVER win AS ph
          FROM video_snapshots {where}
          WINDOW win AS (PARTITION BY account_id, video_id ORDER BY observed_at, source)
        ) GROUP BY account_id, b HAVING COUNT(pv) + COUNT(pc) + COUNT(ph) > 0
        """,
        params,
    )


def changes_sql(offset: str) -> str:
    """Views, comments and shares changed per local day (``offset``: SQL of ``bucket``'s UTC offset)."""
    return (
        f"SELECT CAST((bucket + {offset}) / 86400 AS INTEGER) AS day, SUM(views), SUM(views_n),"
        " SUM(comments), SUM(comments_n), SUM(shares), SUM(shares_n) FROM view_changes"
        " WHERE account_id = :a AND bucket >= :s AND bucket < :e GROUP BY day"
    )


def first_snapshots_sql(offset: str) -> str:
    """Per local day, the first snapshots of posts made since ``:fs`` (they started at 0).

    ``offset`` is the SQL of ``observed_at``'s UTC offset.
    """
    return f"""
    SELECT CAST((observed_at + {offset}) / 86400 AS INTEGER) AS day, SUM(view_count), COUNT(view_count),
      SUM(comment_count), COUNT(comment_count), SUM(share_count), COUNT(share_count)
    FROM (
      SELECT s.observed_at, s.view_count, s.comment_count, s.share_count,
        ROW_NUMBER() OVER (PARTITION BY s.video_id ORDER BY s.source) AS rn
      FROM videos x CROSS JOIN video_snapshots s ON s.account_id = x.account_id
        AND s.video_id = x.video_id AND s.observed_at = (SELECT MIN(r.observed_at) FROM video_snapshots r
          WHERE r.account_id = x.account_id AND r.video_id = x.video_id)
      WHERE x.account_id = :a AND x.create_time >= :fs
    ) WHERE rn = 1 AND observed_at >= :s AND observed_at < :e GROUP BY day
    """
