"""``creator-studio sync [--once] [--account NAME] [--import-history FILE]``: the engine without a window."""

from __future__ import annotations

import argparse
import logging
import signal
import sqlite3
import sys
import threading
from pathlib import Path
from types import FrameType


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--once", action="store_true", help="sync every account once, print what changed, exit"
    )
    parser.add_argument(
        "--account", metavar="NAME", help="only this account (@username, display name, id or 'demo')"
    )
    parser.add_argument("--json", action="store_true", help="with --once: print the result as JSON")
    parser.add_argument(
        "--import-history",
        metavar="FILE",
        help="merge the history in another profile's sync.sqlite3 (an old computer, a backup) into this one",
    )


def main(args: argparse.Namespace) -> int:
    from studio.config import ConfigError, app_paths
    from studio.sync.demo import DemoError
    from studio.sync.engine import SyncEngine, SyncEvent
    from studio.sync.errors import ApiError, SignInError
    from studio.sync.vault import VaultError

    try:
        paths = app_paths().ensure()
    except (ConfigError, OSError) as exc:
        print(f"sync: {exc}", file=sys.stderr)
        return 2
    if args.import_history:
        return _import_history(paths.data / "sync" / "sync.sqlite3", args.import_history)
    engine = SyncEngine(paths)
    try:
        try:
            engine.open()
        except (DemoError, ApiError, SignInError, VaultError, OSError) as exc:
            print(f"sync: cannot start: {exc}", file=sys.stderr)
            return 1
        assert engine.platform is not None
        if args.account and not [
            a for a in engine.accounts() if a.id in {b.id for b in engine.store.find(args.account)}
        ]:  # type: ignore[union-attr]
            names = ", ".join(a.label for a in engine.accounts()) or "none"
            print(f"sync: no account matches '{args.account}' (accounts: {names})", file=sys.stderr)
            return 2
        if engine.notice:
            print(f"note: {engine.notice}", file=sys.stderr)
        if args.once:
            try:
                return _once(engine, args)
            except Exception as exc:  # never a traceback for the creator; the log has the details
                logging.getLogger(__name__).exception("sync --once failed")
                print(f"sync: stopped by an unexpected problem: {exc} (details in the log)", file=sys.stderr)
                return 1
        stop = threading.Event()

        def interrupt(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, interrupt)
        signal.signal(signal.SIGINT, interrupt)

        def show(event: SyncEvent) -> None:
            if event.kind == "status" and event.status is not None:
                print(f"[{event.status.state}] {event.status.text()}", flush=True)
            elif event.message:
                print(event.message, flush=True)

        engine.add_listener(show)
        print(f"syncing with {engine.platform.name} ({engine.platform.api_base}); Ctrl-C stops", flush=True)
        engine.start()
        while not stop.wait(0.5):
            pass
        return 0
    finally:
        engine.close()


def _once(engine: object, args: argparse.Namespace) -> int:
    import json

    from studio.sync.engine import SyncEngine
    from studio.sync.errors import ApiError

    assert isinstance(engine, SyncEngine) and engine.platform is not None
    results = engine.run_once(args.account)
    if not results:
        print("sync: no account is signed in; sign in from the app's Accounts page", file=sys.stderr)
        return 1
    failed = 0
    rows = []
    for account, outcome in results:
        if isinstance(outcome, ApiError):
            failed += 1
            rows.append({"account": account.label, "ok": False, "error": str(outcome)})
            if not args.json:
                print(f"{account.label}: not synced: {outcome}")
        else:
            rows.append(
                {
                    "account": account.label,
                    "ok": True,
                    "requests": outcome.requests,
                    "posts_seen": outcome.posts_seen,
                    "new_posts": outcome.new_posts,
                    "snapshots": outcome.snapshots,
                    "daily_rows": outcome.daily_rows,
                    "notes": outcome.notes,
                }
            )
            if not args.json:
                print(outcome.summary())
                for note in outcome.notes:
                    print(f"  note: {note}")
    if args.json:
        print(json.dumps({"platform": engine.platform.name, "accounts": rows}, indent=2))
    return 1 if failed == len(results) else 0


def _import_history(store_path: Path, source: str) -> int:
    from studio.sync.history import HistoryImportError, import_history
    from studio.sync.schema import SchemaError
    from studio.sync.store import SyncStore

    try:
        store = SyncStore(store_path)
    except (SchemaError, OSError, sqlite3.Error) as exc:
        print(f"sync: cannot open this profile's history: {exc}", file=sys.stderr)
        return 1
    try:
        done = import_history(store, Path(source))
    except HistoryImportError as exc:
        print(f"sync: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    for item in done:
        print(item.text())
    if not done:
        print("the file has no accounts in it; nothing was imported")
    return 0 if any(not item.skipped for item in done) or not done else 1
