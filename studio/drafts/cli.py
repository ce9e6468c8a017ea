"""`creator-studio drafts`: list, import, export, inspect revisions, delete and restore drafts."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from studio.drafts.store import DraftStore


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="drafts_command", metavar="ACTION", required=True)
    p = sub.add_parser("list", help="list drafts (newest edit first)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--trash", action="store_true", help="list the trash instead")
    p.add_argument("--search", help="only drafts whose title, caption or tags contain this")
    p = sub.add_parser("import", help="import a project JSON or .csdraft bundle; prints the new draft id")
    p.add_argument("file")
    p = sub.add_parser("export", help="export a draft as a .csdraft bundle")
    p.add_argument("id", type=int)
    p.add_argument("-o", "--output", required=True, help="bundle file to write (.csdraft)")
    p.add_argument("--with-media", action="store_true", help="include the media files")
    p = sub.add_parser("revisions", help="list a draft's saved versions and what each one changed")
    p.add_argument("id", type=int)
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("delete", help="move a draft to the trash (or remove it for good)")
    p.add_argument("id", type=int)
    p.add_argument("--forever", action="store_true", help="erase it, its history and its cached files")
    p = sub.add_parser(
        "restore", help="restore a revision (or, without REVISION, take a draft out of the trash)"
    )
    p.add_argument("id", type=int)
    p.add_argument("revision", type=int, nargs="?")


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "-"


def _duration(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def _draft_json(d: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(d)


def _print_revisions(store: DraftStore, draft_id: int, *, as_json: bool) -> None:
    """Each revision, newest first, with what it changed against the one before it."""
    from dataclasses import asdict

    from studio.core.changes import summarize_changes

    revisions = store.revisions(draft_id)
    docs = [store.get_project_doc(draft_id, r.id) for r in revisions]
    summaries = [
        summarize_changes(docs[i + 1], doc) if i + 1 < len(docs) else None for i, doc in enumerate(docs)
    ]
    if as_json:
        rows = [
            {
                **asdict(r),
                "changes": [] if s is None else list(s.sentences),
                "change_kinds": [] if s is None else sorted(s.kinds),
            }
            for r, s in zip(revisions, summaries, strict=True)
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    print(f"{'REV':>6}  {'WHEN':<16}  {'KIND':<9}  {'SIZE':>8}  NOTE")
    for r, s in zip(revisions, summaries, strict=True):
        note = ("current; " if r.is_head else "") + r.label
        print(f"{r.id:>6}  {_when(r.created_at):<16}  {r.kind:<9}  {r.size:>8}  {note}")
        for line in ["first version"] if s is None else s.lines():
            print(f"{'':>8}- {line}")


def _run(args: argparse.Namespace) -> int:
    from studio.drafts import bundle
    from studio.drafts.store import open_store

    store = open_store()
    try:
        action = args.drafts_command
        if action == "list":
            drafts = store.list_drafts(trashed=args.trash, search=args.search)
            if args.json:
                print(json.dumps([_draft_json(d) for d in drafts], indent=2, ensure_ascii=False))
            elif not drafts:
                print("no drafts in the trash" if args.trash else "no drafts yet")
            else:
                print(f"{'ID':>5}  {'DURATION':>8}  {'EDITED':<16}  TITLE")
                for d in drafts:
                    print(
                        f"{d.id:>5}  {_duration(d.duration):>8}  {_when(d.updated_at):<16}  {d.title or 'Untitled'}"
                    )
        elif action == "import":
            print(bundle.import_any(store, args.file))
        elif action == "export":
            out = bundle.export_bundle(store, args.id, args.output, with_media=args.with_media)
            print(out)
        elif action == "revisions":
            _print_revisions(store, args.id, as_json=args.json)
        elif action == "delete":
            if args.forever:
                store.delete_forever(args.id)
                print(f"draft {args.id} erased")
            else:
                store.trash(args.id)
                print(
                    f"draft {args.id} moved to the trash (restore with: creator-studio drafts restore {args.id})"
                )
        elif action == "restore":
            if args.revision is None:
                store.restore_from_trash(args.id)
                print(f"draft {args.id} restored from the trash")
            else:
                rev = store.restore_revision(args.id, args.revision)
                print(f"revision {args.revision} restored as revision {rev}")
        return 0
    finally:
        store.close()


def main(args: argparse.Namespace) -> int:
    from studio.config import ConfigError
    from studio.drafts.schema import SchemaError
    from studio.drafts.store import DraftError

    try:
        return _run(args)
    except (DraftError, SchemaError, ConfigError) as exc:
        print(f"creator-studio drafts: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(
            f"creator-studio drafts: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
            file=sys.stderr,
        )
        return 1
