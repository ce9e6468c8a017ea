"""`creator-studio render PROJECT.json -o OUT.mp4` (or `--draft ID`): export from the command line.

With ``--progress json`` every progress report is one JSON object per line on stdout
(``frame``, ``total``, ``fps``, ``eta_s``); the last line adds ``"done": true``, the output
path and ``"hdr"`` (``"hlg"`` or null). ``--hdr hlg`` keeps HLG in 10-bit HEVC
(``studio.render.hdr_export``); a project that cannot keep it is refused with the reasons. ``--progress text`` redraws one line on a terminal and prints a plain line at most once a
second otherwise (a pipe or a log file).

Failures print one line on stderr and exit non-zero:

- 2: refused before any work: the project or draft cannot be read, the draft is in the trash, a
  source is missing, too short for its clip or not a media file, the output folder does not exist
  or cannot be written, or the output would overwrite a source, the project file or the drafts
  database;
- 1: the export started and failed (encoder, disk full, damaged media);
- 130: cancelled by a signal. SIGINT/SIGTERM cancel cleanly: the temporary file is removed and
  nothing appears under the output name.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import threading
import time
from typing import Any

PRESET_NAMES = ("canvas", "1080p30", "1080p60", "720p30", "small")
HDR_MODES = ("hlg",)
TEXT_INTERVAL_S = 1.0


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", nargs="?", help="the project file (.json)")
    parser.add_argument("-o", "--output", required=True, help="the MP4 file to write")
    parser.add_argument(
        "--draft", type=int, metavar="ID", help="render a stored draft instead of a project file"
    )
    parser.add_argument(
        "--revision", type=int, metavar="REV", help="with --draft: this revision instead of the draft's head"
    )
    parser.add_argument(
        "--preset", default="1080p30", choices=PRESET_NAMES, help="output size/quality (default 1080p30)"
    )
    parser.add_argument(
        "--codec", choices=("h264", "hevc"), help="video codec (default h264; hevc with --hdr)"
    )
    parser.add_argument(
        "--hdr",
        choices=HDR_MODES,
        help="keep HDR: hlg = 10-bit HLG in HEVC (needs an HDR clip; no filters or looks)",
    )
    parser.add_argument(
        "--encoder",
        help="encoder name, e.g. libx264 or h264_nvenc (default: hardware if it works, else software)",
    )
    parser.add_argument(
        "--progress",
        choices=("json", "text", "none"),
        default="text",
        help="progress on stdout (default text)",
    )
    parser.add_argument(
        "--no-platform-check", action="store_true", help="skip the platform's size/length/frame-rate checks"
    )
    parser.add_argument("--no-normalize", action="store_true", help="keep the mix's loudness as it is")


def _fail(message: str, code: int) -> int:
    print(f"creator-studio render: {message}", file=sys.stderr)
    return code


def _load(args: argparse.Namespace) -> tuple[Any, list[str]]:
    """The project to render, from the file or the drafts store, and the files the output must
    not replace (the project file or the drafts database). Raises ValueError with a reason."""
    from studio.core.errors import ProjectError
    from studio.core.project import Project

    if (args.project is None) == (args.draft is None):
        raise ValueError("give either a project file or --draft ID")
    if args.project is not None:
        from studio.projectfile import load_project

        if os.path.isdir(args.project):
            raise ValueError(f"{args.project} is a folder; give the project's .json file")
        try:
            return load_project(args.project), [args.project]
        except ProjectError as exc:
            raise ValueError(str(exc)) from None
    from studio.drafts.store import DraftError, open_store

    store = open_store()
    try:
        if store.get_draft(args.draft).in_trash:
            raise ValueError(f"draft {args.draft}: this draft is in the trash; restore it first")
        doc = store.get_project_doc(args.draft, getattr(args, "revision", None))
        base = store.base_dir(args.draft)
        return Project.from_dict(doc, base_dir=str(base) if base else None), [str(store.path)]
    except (DraftError, ProjectError) as exc:
        raise ValueError(f"draft {args.draft}: {exc}") from None
    finally:
        store.close()


def main(args: argparse.Namespace) -> int:
    from studio.render.errors import ProjectRefused, RenderCancelled, RenderError
    from studio.render.export import RenderProgress, render_project

    try:
        project, protect = _load(args)
    except ValueError as exc:
        return _fail(str(exc), 2)

    cancel = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        cancel.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    mode = args.progress
    redraw = mode == "text" and sys.stdout.isatty()
    last_line = [-math.inf]

    def report(p: RenderProgress) -> None:
        if mode == "json":
            print(json.dumps(p.to_dict()), flush=True)
        elif mode == "text":
            eta = "" if p.eta_s is None else f", {p.eta_s:.0f} s left"
            line = f"frame {p.frame}/{p.total} ({p.fps:.1f} fps{eta})"
            if redraw:
                print(f"\r{line}", end="", flush=True)
                return
            now = time.monotonic()
            if now - last_line[0] >= TEXT_INTERVAL_S:
                last_line[0] = now
                print(line, flush=True)

    try:
        result = render_project(
            project,
            args.output,
            preset=args.preset,
            encoder=args.encoder,
            progress=report,
            cancel=cancel,
            codec=args.codec,
            check_platform=not args.no_platform_check,
            normalize_audio=not args.no_normalize,
            protect=protect,
            hdr=getattr(args, "hdr", None),
        )
    except ProjectRefused as exc:
        return _fail(exc.message, 2)
    except RenderCancelled:
        if redraw:
            print()
        return _fail("cancelled; nothing was written", 130)
    except RenderError as exc:
        if redraw:
            print()
        return _fail(exc.message, 1)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    for warning in result.warnings:
        print(f"creator-studio render: warning: {warning}", file=sys.stderr)
    if mode == "json":
        done = {
            "frame": result.frames,
            "total": result.frames,
            "fps": round(result.frames / result.seconds, 2) if result.seconds else 0.0,
            "eta_s": 0.0,
            "done": True,
            "path": str(result.path),
            "encoder": result.encoder,
            "hdr": result.hdr,
        }
        print(json.dumps(done), flush=True)
    elif mode == "text":
        if redraw:
            print()
        size = f"{result.width}x{result.height}"
        hdr = ", 10-bit HLG" if result.hdr else ""
        print(f"wrote {result.path} ({size}, {result.frames} frames, {result.encoder}{hdr})")
    return 0
