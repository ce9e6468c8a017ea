"""The sync store: accounts, counter snapshots, daily series, webhook ids (one writer thread).

Reads go through per-thread read-only connections, writes through the single writer (the
drafts store's pattern, ``studio.dbwriter``), each in one transaction: a sync killed halfway
leaves whole pages of snapshots or none, never half of one. Snapshots commit without an fsync
(WAL ``synchronous=NORMAL``: safe against a crash or a kill; a power cut can lose only the last
answers, which the next pass fetches again); accounts, health and webhook ids are durable.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from studio.dbwriter import Readers, Writer
from studio.sync import rollup
from studio.sync.models import HEALTH_OK, Account
from studio.sync.schema import check_not_newer, ensure_schema

VIDEO_COLUMNS = ("view_count", "like_count", "comment_count", "share_count")
USER_COLUMNS = ("follower_count", "following_count", "likes_count", "video_count")
DAILY_KEYS = ("views", "likes", "comments", "shares", "new_followers")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class SyncStore:
    """``sync.sqlite3`` in the profile's data dir. Call from worker threads, never the GUI."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.writer = Writer(path, ensure_schema, name="sync-writer", check=check_not_newer, label="sync")
        self.readers = Readers(path)

    def close(self) -> None:
        self.writer.close()
        self.readers.close()

    def __enter__(self) -> SyncStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return list(self.readers.get().execute(sql, tuple(params)))

    def _one(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        cursor = self.readers.get().execute(sql, tuple(params))
        try:
            return cursor.fetchone()
        finally:
            cursor.close()

    # -- accounts ----------------------------------------------------------------------------

    _ACCOUNT_SQL = (
        "SELECT a.*,"
        " (SELECT follower_count FROM account_snapshots s WHERE s.account_id = a.id"
        "  ORDER BY observed_at DESC LIMIT 1) AS followers,"
        " (SELECT likes_count FROM account_snapshots s WHERE s.account_id = a.id"
        "  ORDER BY observed_at DESC LIMIT 1) AS likes,"
        " (SELECT COUNT(*) FROM videos v WHERE v.account_id = a.id AND v.listed = 1) AS post_count,"
        " (SELECT SUM(view_count) FROM video_snapshots s JOIN (SELECT video_id, MAX(observed_at) AS t"
        "  FROM video_snapshots WHERE account_id = a.id GROUP BY video_id) m"
        "  ON m.video_id = s.video_id AND m.t = s.observed_at WHERE s.account_id = a.id) AS views"
        " FROM accounts a"
    )

    def accounts(self, platform_key: str | None = None, *, numbers: bool = False) -> list[Account]:
        """``numbers``: with the latest followers, likes, posts and views (a heavier read)."""
        sql = self._ACCOUNT_SQL if numbers else "SELECT a.* FROM accounts a"
        params: tuple[Any, ...] = ()
        if platform_key is not None:
            sql += " WHERE a.platform_key = ?"
            params = (platform_key,)
        return [Account.from_row(r) for r in self._rows(sql + " ORDER BY a.created_at", params)]

    def account(self, account_id: str, *, numbers: bool = False) -> Account | None:
        sql = self._ACCOUNT_SQL if numbers else "SELECT a.* FROM accounts a"
        row = self._one(sql + " WHERE a.id = ?", (account_id,))
        return None if row is None else Account.from_row(row)

    def find(self, name: str) -> list[Account]:
        """Accounts matching an id, open_id, @username or display name (for ``--account``)."""
        want = name.lstrip("@").casefold()
        return [
            a
            for a in self.accounts()
            if want
            in (a.id.casefold(), a.open_id.casefold(), a.username.casefold(), a.display_name.casefold())
            or (want in ("demo", "local") and a.stand_in)
        ]

    def save_sign_in(
        self,
        *,
        platform_key: str,
        platform_name: str,
        stand_in: bool,
        open_id: str,
        scopes: Iterable[str],
        signed_in_at: float,
    ) -> Account:
        """Create the account or bring it back to health after a new sign-in (same open_id)."""
        scope_text = ",".join(dict.fromkeys(scopes))

        def write(conn: sqlite3.Connection) -> str:
            row = conn.execute(
                "SELECT id FROM accounts WHERE platform_key = ? AND open_id = ?", (platform_key, open_id)
            ).fetchone()
            has_active = conn.execute("SELECT 1 FROM accounts WHERE active = 1").fetchone() is not None
            if row is None:
                account_id = secrets.token_hex(8)
                conn.execute(
                    "INSERT INTO accounts(id, platform_key, platform_name, stand_in, open_id, scopes, health,"
                    " signed_in_at, active, created_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        account_id,
                        platform_key,
                        platform_name,
                        int(stand_in),
                        open_id,
                        scope_text,
                        HEALTH_OK,
                        signed_in_at,
                        int(not has_active),
                        time.time(),
                    ),
                )
                return account_id
            conn.execute(
                "UPDATE accounts SET scopes = ?, health = ?, health_reason = '', signed_in_at = ?,"
                " platform_name = ? WHERE id = ?",
                (scope_text, HEALTH_OK, signed_in_at, platform_name, row[0]),
            )
            return str(row[0])

        account_id = self.writer.call(write)
        account = self.account(account_id)
        assert account is not None
        return account

    def set_health(self, account_id: str, health: str, reason: str = "") -> bool:
        """Returns True when the health changed (so a caller announces it once)."""

        def write(conn: sqlite3.Connection) -> bool:
            return (
                conn.execute(
                    "UPDATE accounts SET health = ?, health_reason = ? WHERE id = ? AND"
                    " (health != ? OR health_reason != ?)",
                    (health, reason, account_id, health, reason),
                ).rowcount
                == 1
            )

        return self.writer.call(write)

    def set_active(self, account_id: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE accounts SET active = (id = ?)", (account_id,))

        self.writer.call(write)

    def update_account(self, account_id: str, **fields: Any) -> None:
        allowed = {
            "username",
            "display_name",
            "avatar_file",
            "avatar_fetched_at",
            "last_sync_at",
            "last_error",
            "insights",
            "list_full_at",
            "scopes",
        }
        bad = set(fields) - allowed
        if bad:
            raise ValueError(f"cannot update {sorted(bad)}")
        if not fields:
            return
        assignments = ", ".join(f"{k} = ?" for k in fields)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(f"UPDATE accounts SET {assignments} WHERE id = ?", (*fields.values(), account_id))

        self.writer.call(write, durable=False)

    def account_value(self, account_id: str, column: str) -> Any:
        if column not in ("avatar_fetched_at", "list_full_at", "insights"):
            raise ValueError(column)
        row = self._one(f"SELECT {column} FROM accounts WHERE id = ?", (account_id,))
        return None if row is None else row[0]

    # -- snapshots ---------------------------------------------------------------------------

    def record_user(self, account_id: str, user: dict[str, Any], observed_at: float, source: str) -> bool:
        """Profile fields update the account; counters become one snapshot. True if new."""
        counters = {c: _int(user.get(c)) for c in USER_COLUMNS}
        profile = {k: str(user[k]) for k in ("username", "display_name") if isinstance(user.get(k), str)}
        now = time.time()

        def write(conn: sqlite3.Connection) -> bool:
            if profile:
                conn.execute(
                    f"UPDATE accounts SET {', '.join(f'{k} = ?' for k in profile)} WHERE id = ?",
                    (*profile.values(), account_id),
                )
            if all(v is None for v in counters.values()):
                return False
            return (
                conn.execute(
                    "INSERT OR IGNORE INTO account_snapshots(account_id, observed_at, source, follower_count,"
                    " following_count, likes_count, video_count, fetched_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                    (account_id, observed_at, source, *counters.values(), now),
                ).rowcount
                == 1
            )

        return self.writer.call(write, durable=False)

    def record_videos(
        self,
        account_id: str,
        videos: list[dict[str, Any]],
        observed_at: float,
        source: str,
        next_poll: dict[str, float],
    ) -> int:
        """Upsert the posts and add one snapshot each; returns the number of new snapshots."""
        return self.record_videos_later(account_id, videos, observed_at, source, next_poll).result()

    def record_videos_later(
        self,
        account_id: str,
        videos: list[dict[str, Any]],
        observed_at: float,
        source: str,
        next_poll: dict[str, float],
    ) -> Future[int]:
        """:meth:`record_videos` queued on the writer, so the next request need not wait for it."""
        now = time.time()

        def rows() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
            posts: list[tuple[Any, ...]] = []
            snapshots: list[tuple[Any, ...]] = []
            for v in videos:
                vid = v.get("id")
                created = _int(v.get("create_time"))
                if not isinstance(vid, str) or not vid or created is None:
                    continue
                posts.append(
                    (
                        account_id,
                        vid,
                        created,
                        str(v.get("title") or ""),
                        str(v.get("video_description") or ""),
                        _int(v.get("duration")),
                        _int(v.get("width")),
                        _int(v.get("height")),
                        str(v.get("share_url") or ""),
                        observed_at,
                        observed_at,
                        observed_at,
                        next_poll.get(vid, observed_at),
                    )
                )
                counters = [_int(v.get(c)) for c in VIDEO_COLUMNS]
                if any(c is not None for c in counters):
                    snapshots.append((vid, observed_at, source, *counters, now))
            return posts, snapshots

        posts, snapshots = rows()

        def write(conn: sqlite3.Connection) -> int:
            conn.executemany(
                "INSERT INTO videos(account_id, video_id, create_time, title, description, duration, width,"
                " height, share_url, first_seen_at, last_seen_at, last_polled_at, next_poll_at, listed)"
                " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)"
                " ON CONFLICT(account_id, video_id) DO UPDATE SET title = excluded.title,"
                " description = excluded.description, duration = excluded.duration, width = excluded.width,"
                " height = excluded.height, share_url = excluded.share_url,"
                " last_seen_at = MAX(videos.last_seen_at, excluded.last_seen_at),"
                " last_polled_at = MAX(COALESCE(videos.last_polled_at, 0), excluded.last_polled_at),"
                " next_poll_at = CASE WHEN excluded.last_polled_at >= COALESCE(videos.last_polled_at, 0)"
                "   THEN excluded.next_poll_at ELSE videos.next_poll_at END,"
                " listed = 1",
                posts,
            )
            return rollup.insert_snapshots(conn, account_id, snapshots)

        return self.writer.submit(write, durable=False)

    def mark_unlisted(self, account_id: str, listed_ids: set[str]) -> int:
        """After a full listing: posts no longer listed (deleted, made private) stay, marked."""

        def write(conn: sqlite3.Connection) -> int:
            rows = conn.execute(
                "SELECT video_id FROM videos WHERE account_id = ? AND listed = 1", (account_id,)
            )
            gone = [r[0] for r in rows if r[0] not in listed_ids]
            for vid in gone:
                conn.execute(
                    "UPDATE videos SET listed = 0 WHERE account_id = ? AND video_id = ?", (account_id, vid)
                )
            return len(gone)

        return self.writer.call(write)

    def video_ids(self, account_id: str) -> set[str]:
        return {r[0] for r in self._rows("SELECT video_id FROM videos WHERE account_id = ?", (account_id,))}

    def due_videos(self, account_id: str, now: float, limit: int = 1000) -> list[str]:
        rows = self._rows(
            "SELECT video_id FROM videos WHERE account_id = ? AND listed = 1 AND COALESCE(next_poll_at, 0) <= ?"
            " ORDER BY create_time DESC LIMIT ?",
            (account_id, now, limit),
        )
        return [r[0] for r in rows]

    def next_due(self, account_id: str) -> float | None:
        row = self._one(
            "SELECT MIN(next_poll_at) FROM videos WHERE account_id = ? AND listed = 1", (account_id,)
        )
        return None if row is None or row[0] is None else float(row[0])

    def video_rows(self, account_id: str) -> list[sqlite3.Row]:
        return self._rows(
            "SELECT * FROM videos WHERE account_id = ? ORDER BY create_time DESC", (account_id,)
        )

    def video_snapshots(self, account_id: str, video_id: str | None = None) -> list[sqlite3.Row]:
        sql = "SELECT * FROM video_snapshots WHERE account_id = ?"
        params: list[Any] = [account_id]
        if video_id is not None:
            sql += " AND video_id = ?"
            params.append(video_id)
        return self._rows(sql + " ORDER BY video_id, observed_at", params)

    def account_snapshots(self, account_id: str) -> list[sqlite3.Row]:
        return self._rows(
            "SELECT * FROM account_snapshots WHERE account_id = ? ORDER BY observed_at", (account_id,)
        )

    def latest_video_counters(self, account_id: str) -> dict[str, dict[str, int]]:
        """video id -> the newest snapshot's counters."""
        rows = self._rows(
            "SELECT s.* FROM video_snapshots s JOIN (SELECT video_id, MAX(observed_at) AS t FROM video_snapshots"
            " WHERE account_id = ? GROUP BY video_id) m ON m.video_id = s.video_id AND m.t = s.observed_at"
            " WHERE s.account_id = ?",
            (account_id, account_id),
        )
        return {r["video_id"]: {c: r[c] for c in VIDEO_COLUMNS} for r in rows}

    # -- the stand-in's daily series ---------------------------------------------------------

    def record_account_daily(
        self, account_id: str, rows: list[dict[str, Any]], as_of: float, source: str
    ) -> int:
        def write(conn: sqlite3.Connection) -> int:
            n = 0
            for r in rows:
                day = r.get("date")
                if not isinstance(day, str):
                    continue
                values = [_int(r.get(k)) for k in (*DAILY_KEYS, "net_new_followers", "followers")]
                n += conn.execute(
                    "INSERT INTO account_daily(account_id, day, views, likes, comments, shares, new_followers,"
                    " net_new_followers, followers, data, source, as_of) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(account_id, day) DO UPDATE SET views = excluded.views, likes = excluded.likes,"
                    " comments = excluded.comments, shares = excluded.shares, new_followers = excluded.new_followers,"
                    " net_new_followers = excluded.net_new_followers, followers = excluded.followers,"
                    " data = excluded.data, source = excluded.source, as_of = excluded.as_of"
                    " WHERE excluded.as_of >= account_daily.as_of",
                    (account_id, day, *values, json.dumps(r, separators=(",", ":")), source, as_of),
                ).rowcount
            return n

        return self.writer.call(write, durable=False)

    def record_video_insights(
        self,
        account_id: str,
        video_id: str,
        totals: dict[str, Any],
        rows: list[dict[str, Any]],
        as_of: float,
        source: str,
    ) -> int:
        def write(conn: sqlite3.Connection) -> int:
            if (
                conn.execute(
                    "SELECT 1 FROM videos WHERE account_id = ? AND video_id = ?", (account_id, video_id)
                ).fetchone()
                is None
            ):
                return 0
            conn.execute(
                "INSERT INTO video_totals(account_id, video_id, data, source, as_of) VALUES(?, ?, ?, ?, ?)"
                " ON CONFLICT(account_id, video_id) DO UPDATE SET data = excluded.data, source = excluded.source,"
                " as_of = excluded.as_of WHERE excluded.as_of >= video_totals.as_of",
                (account_id, video_id, json.dumps(totals, separators=(",", ":")), source, as_of),
            )
            n = 0
            for r in rows:
                day = r.get("date")
                if not isinstance(day, str):
                    continue
                n += conn.execute(
                    "INSERT INTO video_daily(account_id, video_id, day, views, likes, comments, shares, new_followers,"
                    " data, source, as_of) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(account_id, video_id, day) DO UPDATE SET views = excluded.views,"
                    " likes = excluded.likes, comments = excluded.comments, shares = excluded.shares,"
                    " new_followers = excluded.new_followers, data = excluded.data, source = excluded.source,"
                    " as_of = excluded.as_of WHERE excluded.as_of >= video_daily.as_of",
                    (
                        account_id,
                        video_id,
                        day,
                        *[_int(r.get(k)) for k in DAILY_KEYS],
                        json.dumps(r, separators=(",", ":")),
                        source,
                        as_of,
                    ),
                ).rowcount
            conn.execute(
                "UPDATE videos SET insights_at = MAX(COALESCE(insights_at, 0), ?) WHERE account_id = ? AND video_id = ?",
                (as_of, account_id, video_id),
            )
            return n

        return self.writer.call(write, durable=False)

    def record_fact(self, account_id: str, name: str, data: Any, as_of: float, source: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO account_facts(account_id, name, data, source, as_of) VALUES(?, ?, ?, ?, ?)"
                " ON CONFLICT(account_id, name) DO UPDATE SET data = excluded.data, source = excluded.source,"
                " as_of = excluded.as_of WHERE excluded.as_of >= account_facts.as_of",
                (account_id, name, json.dumps(data, separators=(",", ":")), source, as_of),
            )

        self.writer.call(write, durable=False)

    def account_daily(self, account_id: str) -> list[sqlite3.Row]:
        return self._rows("SELECT * FROM account_daily WHERE account_id = ? ORDER BY day", (account_id,))

    def video_daily(self, account_id: str, video_id: str) -> list[sqlite3.Row]:
        return self._rows(
            "SELECT * FROM video_daily WHERE account_id = ? AND video_id = ? ORDER BY day",
            (account_id, video_id),
        )

    def videos_needing_insights(
        self, account_id: str, before: float, limit: int
    ) -> list[tuple[str, float | None]]:
        rows = self._rows(
            "SELECT video_id, insights_at FROM videos WHERE account_id = ? AND listed = 1"
            " AND COALESCE(insights_at, 0) < ? ORDER BY create_time DESC LIMIT ?",
            (account_id, before, limit),
        )
        return [(r[0], r[1]) for r in rows]

    # -- webhooks ----------------------------------------------------------------------------

    def remember_webhook(self, event_id: str, event: str, user_openid: str, create_time: int) -> bool:
        """True the first time an event id is seen (deliveries are at least once)."""

        def write(conn: sqlite3.Connection) -> bool:
            return (
                conn.execute(
                    "INSERT OR IGNORE INTO webhook_events(event_id, event, user_openid, create_time, received_at)"
                    " VALUES(?, ?, ?, ?, ?)",
                    (event_id, event, user_openid, create_time, time.time()),
                ).rowcount
                == 1
            )

        return self.writer.call(write)

    def webhook_handled(self, event_id: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE webhook_events SET handled_at = ? WHERE event_id = ?", (time.time(), event_id)
            )

        self.writer.call(write, durable=False)

    # -- privacy -----------------------------------------------------------------------------

    def delete_account(self, account_id: str) -> None:
        """Every row of the account, then VACUUM and a truncated WAL: nothing left readable."""
        row = self._one("SELECT open_id FROM accounts WHERE id = ?", (account_id,))

        def write(conn: sqlite3.Connection) -> None:
            for table in (
                "view_changes",
                "video_snapshots",
                "video_daily",
                "video_totals",
                "videos",
                "account_snapshots",
                "account_daily",
                "account_facts",
            ):
                conn.execute(f"DELETE FROM {table} WHERE account_id = ?", (account_id,))
            if row is not None:
                conn.execute("DELETE FROM webhook_events WHERE user_openid = ?", (row[0],))
            conn.execute("DELETE FROM accounts WHERE id = ?", (account_id,))
            was_active = conn.execute("SELECT 1 FROM accounts WHERE active = 1").fetchone() is None
            if was_active:
                conn.execute(
                    "UPDATE accounts SET active = 1 WHERE id = (SELECT id FROM accounts ORDER BY created_at LIMIT 1)"
                )

        self.writer.call(write)

        def compact(conn: sqlite3.Connection) -> None:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

        self.writer.call(compact, transaction=False)

    def meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

        self.writer.call(write, durable=False)
