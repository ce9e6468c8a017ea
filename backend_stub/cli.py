"""``creator-studio backend``: run the local platform stand-in (standard-library imports only here)."""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import sys
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


def _interrupt(signum: int, frame: FrameType | None) -> None:
    """SIGTERM stops the server like Ctrl-C: state is saved and the port released."""
    raise KeyboardInterrupt


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
        server = StubServer(data_dir, port=args.port, seed=args.seed, auto_approve=args.auto_approve)
    except (OSError, sqlite3.Error) as exc:
        print(f"backend: cannot use data dir {data_dir}: {exc}", file=sys.stderr)
        return 1
    if args.clock_speed != 1.0:
        server.state.clock.set(speed=args.clock_speed)
    try:
        server.start()
    except (OSError, RuntimeError) as exc:
        print(f"backend: cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        server.state.close()
        return 1
    signal.signal(signal.SIGTERM, _interrupt)
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
