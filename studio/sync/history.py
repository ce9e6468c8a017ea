"""Bring a creator's history from another profile's ``sync.sqlite3`` (an old computer, a backup).

The platform forgets (the Display API has lifetime totals only; TikTok Studio keeps 365 days), so
the snapshots on a creator's old machine are the only copy of their history. Importing merges them
into this profile, for the accounts signed in here (matched by platform and ``open_id``; an
account that is not signed in here is reported and skipped, since it would have no tokens).
Nothing in this profile is overwritten: snapshots are append-only and identical ones are ignored,
a post keeps our newer title and poll schedule, and the daily series keep the newest answer, as
a sync does. One transaction: an import that fails leaves this profile as it was.

The other file is opened read-only through ``ATTACH`` with ``trusted_schema`` off, its schema
version checked, and every table it must have checked to be a table (not a view).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from studio.dbwriter import transaction
from studio.sync import rollup
from studio.sync.schema import CURRENT_VERSION
from studio.sync.store import SyncStore

TABLES = (
    "accounts",
    "videos",
    "video_snapshots",
    "account_snapshots",
    "account_daily",
    "video_daily",
    "video_totals",
)


class HistoryImportError(RuntimeError):
    """The file cannot be imported; the message says why and what to do."""


@dataclass(frozen=True)
class Imported:
    """What an import added for one account (``skipped``: not signed in here)."""

    label: str
    account_id: str | None
    posts: int = 0
    video_snapshots: int = 0
    account_snapshots: int = 0
    daily_rows: int = 0

    @property
    def skipped(self) -> bool:
        return self.account_id is None

    def text(self) -> str:
        if self.skipped:
            return f"{self.label}: skipped (sign in to this account here first, then import again)"
        return (
            f"{self.label}: {self.posts} new posts, {self.video_snapshots:,} post snapshots,"
            f" {self.account_snapshots:,} account snapshots, {self.daily_rows:,} daily rows"
        )


def _check_file(path: Path, store: SyncStore) -> Path:
    try:
        path = path.expanduser().resolve(strict=True)
    except OSError:
        raise HistoryImportError(f"there is no file at {path}") from None
    if not path.is_file():
        raise HistoryImportError(f"{path} is not a file: choose the sync.sqlite3 of the other profile")
    if path == store.path.resolve():
        raise HistoryImportError(
            "that is this profile's own history: choose the other profile's sync.sqlite3"
        )
    try:
        with path.open("rb") as f:
            header = f.read(16)
    except OSError as exc:
        raise HistoryImportError(f"cannot read {path}: {exc.strerror or exc}") from None
    if header != b"SQLite format 3\x00":
        raise HistoryImportError(f"{path} is not a Creator Studio history file (sync.sqlite3)")
    return path


def import_history(store: SyncStore, path: Path) -> list[Imported]:
    """Merge the history in ``path`` (another profile's ``sync.sqlite3``) into ``store``."""
    source = _check_file(Path(path), store)
    uri = f"{source.as_uri()}?mode=ro"

    def job(conn: sqlite3.Connection) -> list[Imported]:
        conn.execute("PRAGMA trusted_schema = OFF")
        try:
            conn.execute("ATTACH DATABASE ? AS other", (uri,))
        except sqlite3.DatabaseError as exc:
            raise HistoryImportError(f"cannot open {source}: {exc}") from None
        try:
            _check_schema(conn, source)
            with transaction(conn):
                return [_merge_account(conn, row) for row in _their_accounts(conn)]
        except sqlite3.DatabaseError as exc:
            raise HistoryImportError(
                f"{source} is damaged or not a history file ({exc}); nothing was imported"
            ) from None
        finally:
            conn.execute("DETACH DATABASE other")

    return store.writer.call(job, transaction=False)


def _check_schema(conn: sqlite3.Connection, source: Path) -> None:
    version = int(conn.execute("PRAGMA other.user_version").fetchone()[0])
    if version > CURRENT_VERSION:
        raise HistoryImportError(
            f"{source} was written by a newer Creator Studio (history version {version}); update this app first"
        )
    kinds = dict(conn.execute("SELECT name, type FROM other.sqlite_master").fetchall())
    missing = [t for t in TABLES if kinds.get(t) != "table"]
    if version < 1 or missing:
        raise HistoryImportError(
            f"{source} is not a Creator Studio history file (missing: {', '.join(missing) or 'version'})"
        )


def _their_accounts(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    conn.row_factory = sqlite3.Row
    try:
        return list(
            conn.execute(
                "SELECT o.id AS theirs, o.platform_key, o.open_id, o.display_name, o.username, a.id AS ours"
                " FROM other.accounts o LEFT JOIN main.accounts a"
                " ON a.platform_key = o.platform_key AND a.open_id = o.open_id ORDER BY o.created_at"
            )
        )
    finally:
        conn.row_factory = None


def _merge_account(conn: sqlite3.Connection, acc: sqlite3.Row) -> Imported:
    label = acc["display_name"] or (f"@{acc['username']}" if acc["username"] else acc["open_id"])
    ours, theirs = acc["ours"], acc["theirs"]
    if ours is None:
        return Imported(str(label), None)
    p = {"ours": ours, "theirs": theirs}
    posts = int(
        conn.execute(
            "SELECT COUNT(*) FROM other.videos o WHERE o.account_id = :theirs AND NOT EXISTS"
            " (SELECT 1 FROM main.videos v WHERE v.account_id = :ours AND v.video_id = o.video_id)",
            p,
        ).fetchone()[0]
    )
    conn.execute(
        "INSERT INTO videos(account_id, video_id, create_time, title, description, duration, width, height,"
        " share_url, first_seen_at, last_seen_at, last_polled_at, next_poll_at, listed, insights_at)"
        " SELECT :ours, video_id, create_time, title, description, duration, width, height, share_url,"
        " first_seen_at, last_seen_at, last_polled_at, NULL, listed, insights_at FROM other.videos"
        " WHERE account_id = :theirs"
        " ON CONFLICT(account_id, video_id) DO UPDATE SET"
        " first_seen_at = MIN(videos.first_seen_at, excluded.first_seen_at),"
        " last_seen_at = MAX(videos.last_seen_at, excluded.last_seen_at)",
        p,
    )
    snapshots = rollup.insert_snapshots_from(
        conn,
        ours,
        "SELECT video_id, observed_at, source, view_count, like_count, comment_count, share_count, fetched_at"
        " FROM other.video_snapshots WHERE account_id = ?",
        (theirs,),
    )
    mark = conn.total_changes
    conn.execute(
        "INSERT OR IGNORE INTO account_snapshots(account_id, observed_at, source, follower_count, following_count,"
        " likes_count, video_count, fetched_at) SELECT :ours, observed_at, source, follower_count,"
        " following_count, likes_count, video_count, fetched_at FROM other.account_snapshots"
        " WHERE account_id = :theirs",
        p,
    )
    account_snapshots = conn.total_changes - mark
    mark = conn.total_changes
    conn.execute(
        "INSERT INTO account_daily(account_id, day, views, likes, comments, shares, new_followers,"
        " net_new_followers, followers, data, source, as_of) SELECT :ours, day, views, likes, comments, shares,"
        " new_followers, net_new_followers, followers, data, source, as_of FROM other.account_daily"
        " WHERE account_id = :theirs ON CONFLICT(account_id, day) DO UPDATE SET views = excluded.views,"
        " likes = excluded.likes, comments = excluded.comments, shares = excluded.shares,"
        " new_followers = excluded.new_followers, net_new_followers = excluded.net_new_followers,"
        " followers = excluded.followers, data = excluded.data, source = excluded.source, as_of = excluded.as_of"
        " WHERE excluded.as_of > account_daily.as_of",
        p,
    )
    conn.execute(
        "INSERT INTO video_daily(account_id, video_id, day, views, likes, comments, shares, new_followers, data,"
        " source, as_of) SELECT :ours, video_id, day, views, likes, comments, shares, new_followers, data, source,"
        " as_of FROM other.video_daily WHERE account_id = :theirs"
        " ON CONFLICT(account_id, video_id, day) DO UPDATE SET views = excluded.views, likes = excluded.likes,"
        " comments = excluded.comments, shares = excluded.shares, new_followers = excluded.new_followers,"
        " data = excluded.data, source = excluded.source, as_of = excluded.as_of"
        " WHERE excluded.as_of > video_daily.as_of",
        p,
    )
    conn.execute(
        "INSERT INTO video_totals(account_id, video_id, data, source, as_of) SELECT :ours, video_id, data, source,"
        " as_of FROM other.video_totals WHERE account_id = :theirs"
        " ON CONFLICT(account_id, video_id) DO UPDATE SET data = excluded.data, source = excluded.source,"
        " as_of = excluded.as_of WHERE excluded.as_of > video_totals.as_of",
        p,
    )
    daily = conn.total_changes - mark
    return Imported(str(label), ours, posts, snapshots, account_snapshots, daily)
