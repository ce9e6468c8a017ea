"""``creator-studio publish DRAFT_ID|FILE.mp4 --caption ... [--privacy ...] [--schedule ISO]
[--inbox] [--wait] [--again] [--progress json|text|none]``.

Without ``--wait`` the job is queued and the app (or a later ``--wait``) runs it. Running the
same command again attaches to the unresolved job with the same account, file and caption, so a
rerun after a crash resumes it and never posts twice; a job that already published asks for
``--again``. Exit codes: 0 published / in the inbox / queued, 1 failed or unconfirmed, 2 refused
before any work, 130 interrupted (the job stays queued and resumes next time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import signal
import sys
import threading
from types import FrameType


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", metavar="DRAFT_ID|FILE", help="a stored draft's id, or a video file")
    parser.add_argument(
        "--caption", required=True, help="the post's caption (#hashtags and @mentions included)"
    )
    parser.add_argument("--privacy", help="who can see it; leave it out to list what the account offers")
    parser.add_argument("--schedule", metavar="ISO", help="publish at this time, e.g. 2026-12-24T18:00")
    parser.add_argument(
        "--inbox", action="store_true", help="send it to the TikTok inbox to finish in the app"
    )
    parser.add_argument("--wait", action="store_true", help="run the queue until this job ends")
    parser.add_argument("--again", action="store_true", help="post again even though it was already posted")
    parser.add_argument("--account", metavar="NAME", help="the account (default: the active one)")
    parser.add_argument("--disable-comment", action="store_true")
    parser.add_argument("--disable-duet", action="store_true")
    parser.add_argument("--disable-stitch", action="store_true")
    parser.add_argument("--cover-ms", type=int, help="the cover frame's time in milliseconds")
    parser.add_argument("--branded", action="store_true", help="paid partnership (branded content)")
    parser.add_argument("--own-brand", action="store_true", help="promotes your own business")
    parser.add_argument("--ai-generated", action="store_true", help="label it as AI-generated")
    parser.add_argument("--progress", choices=("json", "text", "none"), default="text")


def _when(text: str) -> float:
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--schedule takes a date and time like 2026-12-24T18:00, not '{text}'") from None
    if when.tzinfo is None:
        when = when.astimezone()  # the creator's local time zone, DST included
    return when.timestamp()


def main(args: argparse.Namespace) -> int:
    from studio.config import ConfigError, app_paths
    from studio.sync.demo import DemoError
    from studio.sync.engine import SyncEngine
    from studio.sync.errors import ApiError, SignInError
    from studio.upload import states as S
    from studio.upload.prepare import PrepareError
    from studio.upload.queue import PublishQueue, QueueEvent
    from studio.upload.store import AlreadyPublished

    def fail(message: str, code: int) -> int:
        print(f"creator-studio publish: {message}", file=sys.stderr)
        return code

    try:
        paths = app_paths().ensure()
        schedule_at = _when(args.schedule) if args.schedule else None
    except (ConfigError, OSError, ValueError) as exc:
        return fail(str(exc), 2)
    engine = SyncEngine(paths)
    queue = None
    try:
        try:
            engine.open()
        except (DemoError, ApiError, SignInError, OSError) as exc:
            return fail(f"cannot reach the platform: {exc}", 1)
        account_id = None
        if args.account:
            assert engine.store is not None
            found = [a for a in engine.store.find(args.account) if a.platform_key == engine.platform.key]  # type: ignore[union-attr]
            if not found:
                return fail(f"no account matches '{args.account}'", 2)
            account_id = found[0].id
        queue = PublishQueue(engine)
        mode = "inbox" if args.inbox else "direct"
        if mode == "direct" and not args.privacy:
            try:
                account = queue.account(account_id)
                info = queue.posting.creator_info(account.id)
            except (ApiError, PrepareError) as exc:
                return fail(str(exc), 1)
            return fail(
                "choose who can see the post with --privacy: this account offers "
                + ", ".join(info.privacy_options),
                2,
            )
        options = {
            "disable_comment": args.disable_comment,
            "disable_duet": args.disable_duet,
            "disable_stitch": args.disable_stitch,
            "brand_content": args.branded,
            "brand_organic": args.own_brand,
            "is_aigc": args.ai_generated,
        }
        if args.cover_ms is not None:
            options["cover_ms"] = args.cover_ms
        target: dict[str, object] = (
            {"draft_id": int(args.what)} if args.what.isdigit() else {"file": args.what}
        )
        try:
            job, attached = queue.enqueue(
                caption=args.caption,
                privacy=args.privacy or "",
                mode=mode,
                options=options,
                schedule_at=schedule_at,
                account_id=account_id,
                again=args.again,
                **target,  # type: ignore[arg-type]
            )
        except AlreadyPublished as exc:
            return fail(str(exc), 2)
        except (PrepareError, ValueError, OSError) as exc:
            return fail(str(exc), 2)
        print(("continuing" if attached else "queued") + f" publish job {job.id} ({job.label})", flush=True)
        if not args.wait:
            return 0
        stop = threading.Event()

        def interrupt(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGINT, interrupt)
        signal.signal(signal.SIGTERM, interrupt)

        def show(event: QueueEvent) -> None:
            if event.job is None or event.job.id != job.id or args.progress == "none":
                return
            j = event.job
            if args.progress == "json":
                doc = {
                    "job": j.id,
                    "state": j.state,
                    "detail": j.detail,
                    "total": j.file_size,
                    "uploaded": event.sent if event.kind == "progress" else j.uploaded_bytes,
                }
                if event.kind == "progress":
                    doc["speed_bps"] = round(event.speed)
                print(json.dumps(doc), flush=True)
            elif event.kind == "job":
                print(f"{j.label}" + (f" · {j.detail}" if j.detail else ""), flush=True)

        final = queue.run_until(job.id, show, stop)
        if stop.is_set() and final.state not in (*S.ENDED, S.UNCONFIRMED):
            print("interrupted: the job stays queued and continues next time", file=sys.stderr)
            return 130
        if args.progress == "json":
            print(
                json.dumps(
                    {
                        "job": final.id,
                        "state": final.state,
                        "done": True,
                        "post_id": final.post_id,
                        "share_url": final.share_url,
                        "reason": final.reason,
                    }
                ),
                flush=True,
            )
        else:
            print(
                f"{final.label}"
                + (f": {final.share_url}" if final.share_url else "")
                + (f" — {final.reason}" if final.reason else "")
            )
        return 0 if final.state in (S.PUBLISHED, S.INBOX) else 1
    finally:
        if queue is not None:
            queue.close()
        engine.close()
