"""``creator-studio analytics overview|posts|post ID|best-time``: the dashboard's queries, headless.

Reads the profile's sync store only (no network, no sync): run ``creator-studio sync --once``
first for fresh numbers. ``--json`` and ``--csv`` print machine-readable output.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

VIEWS = ("overview", "posts", "post", "best-time")
NO_ACCOUNT = "no account yet: run `creator-studio sync --once` or open the app"
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("view", choices=VIEWS, help="what to print")
    parser.add_argument("video_id", nargs="?", help="with 'post': the post's id")
    parser.add_argument("--account", metavar="NAME", help="@username, display name, id or 'demo'")
    parser.add_argument(
        "--range", help="7d, 28d, 60d, 365d, all or FROM..TO (default: 28d for overview, all for posts)"
    )
    parser.add_argument("--tz", help="IANA time zone for days and hours (default: this machine's)")
    parser.add_argument("--sort", default="views", help="posts: the column to sort by (default views)")
    parser.add_argument("--search", default="", help="posts: only titles or #tags containing this")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON")
    out.add_argument("--csv", action="store_true", help="print CSV (overview and posts)")


def _fail(message: str, code: int = 1) -> int:
    print(f"analytics: {message}", file=sys.stderr)
    return code


def main(args: argparse.Namespace) -> int:
    from studio.config import ConfigError, app_paths

    try:
        path = app_paths().data / "sync" / "sync.sqlite3"
    except (ConfigError, OSError) as exc:
        return _fail(str(exc), 2)
    if args.view == "post" and not args.video_id:
        return _fail("'post' needs the post's id: creator-studio analytics post ID", 2)
    if not path.is_file():
        return _fail(NO_ACCOUNT)
    from studio.analytics.queries import Analytics
    from studio.analytics.ranges import local_tz, zone
    from studio.sync.store import SyncStore

    tz = args.tz or local_tz()
    try:
        zone(tz)
    except ValueError as exc:
        return _fail(str(exc), 2)
    try:
        store = SyncStore(path)
    except Exception as exc:  # a newer or damaged database: one line, not a traceback
        return _fail(f"cannot open the sync store: {exc}")
    try:
        if args.account:
            found = store.find(args.account)
            if not found:
                names = ", ".join(a.label for a in store.accounts()) or "none"
                return _fail(f"no account matches '{args.account}' (accounts: {names})", 2)
            account = found[0]
        else:
            accounts = store.accounts()
            if not accounts:
                return _fail(NO_ACCOUNT)
            account = next((a for a in accounts if a.active), accounts[0])
        analytics = Analytics(store)
        try:
            return _show(analytics, account.id, account.label, args, tz)
        except (ValueError, LookupError) as exc:
            return _fail(str(exc).strip("'\""), 2)
    finally:
        store.close()


def _show(analytics: Any, account_id: str, label: str, args: argparse.Namespace, tz: str) -> int:
    import json

    from studio.analytics import export, render

    if args.view == "overview":
        ov = analytics.overview(account_id, analytics.range(account_id, args.range or "28d", tz))
        if args.csv:
            export.to_csv(ov, sys.stdout)
        elif args.json:
            print(json.dumps(render.overview_json(ov, label), indent=2))
        else:
            print(render.overview_text(ov, label))
        return 0
    if args.view == "posts":
        rng = None if args.range in (None, "all") else analytics.range(account_id, args.range, tz)
        rows = analytics.posts(account_id, rng, sort=args.sort, search=args.search)
        if args.csv:
            export.to_csv(rows, sys.stdout)
        elif args.json:
            print(json.dumps([render.post_json(r) for r in rows], indent=2))
        else:
            print(render.posts_text(rows, tz))
        return 0
    if args.view == "post":
        detail = analytics.post(account_id, args.video_id, tz)
        if args.csv:
            export.to_csv([detail.row], sys.stdout)
        elif args.json:
            print(json.dumps(render.detail_json(detail), indent=2))
        else:
            print(render.detail_text(detail, tz))
        return 0
    best = analytics.best_time(account_id, tz)
    if args.json:
        print(json.dumps(render.best_json(best), indent=2))
    elif args.csv:
        return _fail("best-time has no CSV form; use --json", 2)
    else:
        print(render.best_text(best))
    return 0
