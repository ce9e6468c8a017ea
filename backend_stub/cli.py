"""``creator-studio backend``: run the local platform stand-in (standard-library imports only here)."""

from __future__ import annotations

import _thread
import argparse
import os
import signal
import sqlite3
import sys
import threading
from pathlib import Path
from types import FrameType


def default_data_dir() -> Path:
    home = os.environ.get("CREATOR_STUDIO_HOME")
    if home:
        return Path(home).expanduser().resolve() / "backend_stub"
    import platformdirs

    return Path(platformdirs.user_data_dir("creator-studio", appauthor=False)) / "backend_stub"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", type=int, default=8787, help="loopback port (0 picks a free one; default 8787)"
    )
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="state and uploads (default: the app data dir)"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the demo data and the engagement model")
    parser.add_argument("--auto-approve", action="store_true", help="the consent page approves at once")
    parser.add_argument("--clock-speed", type=float, default=1.0, help="simulated seconds per real second")
    parser.add_argument(
        "--pause-while-down",
        action="store_true",
        help="resume the saved clock where it stopped instead of counting the time the server was down",
    )
    parser.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="stop when standard input closes (an app that embeds the server exits or is killed)",
    )


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM stops the server like Ctrl-C: state is saved and the port released."""
    raise KeyboardInterrupt


def _watch_parent(server: object) -> None:
    """Standard input is a pipe from the parent: EOF means the parent is gone (even if killed)."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    _thread.interrupt_main()


def _save_clock_often(server: object) -> None:
    """A killed server resumes its paused clock from at most a few seconds back."""
    import time

    while True:
        time.sleep(2.0)
        try:
            server.state.save_clock()  # type: ignore[attr-defined]
        except Exception:
            return


def main(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        print(f"backend: --port must be 0-65535, not {args.port}", file=sys.stderr)
        return 2
    if args.clock_speed < 0:
        print("backend: --clock-speed cannot be negative", file=sys.stderr)
        return 2
    from .server import StubServer

    data_dir = args.data_dir or default_data_dir()
    try:
        server = StubServer(
            data_dir,
            port=args.port,
            seed=args.seed,
            auto_approve=args.auto_approve,
            resume_paused=args.pause_while_down,
        )
    except (OSError, sqlite3.Error) as exc:
        print(f"backend: cannot use data dir {data_dir}: {exc}", file=sys.stderr)
        return 1
    server.state.clock.set(speed=args.clock_speed)
    try:
        server.start()
    except (OSError, RuntimeError) as exc:
        print(f"backend: cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        server.state.close()
        return 1
    signal.signal(signal.SIGTERM, _interrupt)
    if args.exit_with_parent:
        threading.Thread(target=_watch_parent, args=(server,), name="parent-watch", daemon=True).start()
    if args.pause_while_down:
        threading.Thread(target=_save_clock_often, args=(server,), name="clock-save", daemon=True).start()
    print(f"backend stand-in at {server.base_url}", flush=True)
    print(f"demo client key: {server.demo_client_key} (secret: GET {server.base_url}/_stub/apps)", flush=True)
    print(f"data: {data_dir}   API schema: {server.base_url}/docs", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("backend: stopping", file=sys.stderr)
    finally:
        server.stop()
    return 0


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m backend_stub", description="Run the local platform API stand-in."
    )
    configure(parser)
    return main(parser.parse_args(argv))
