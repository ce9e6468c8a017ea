"""`creator-studio plugins list|info ID|new NAME|reference`: see and scaffold filter plugins."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("list", help="every filter: built-in, installed and from the plugins folder")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("info", help="parameters and status of one filter")
    p.add_argument("id", help="filter id, e.g. studio.color")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser(
        "new", help="write a ready-to-install plugin package with an example filter and a test"
    )
    p.add_argument("name", help="package name, e.g. my-look")
    p.add_argument("--id", dest="filter_id", help="filter id (reverse-DNS); default local.NAME")
    p.add_argument("--dir", default=".", help="folder to create the package in (default: here)")
    p = sub.add_parser("reference", help="print the built-in filter reference as Markdown")
    p.add_argument(
        "--update", metavar="FILE", help="replace the reference between the markers in FILE instead"
    )


def _registry():  # type: ignore[no-untyped-def]
    from studio.effects.registry import default_registry

    return default_registry()


def _list(as_json: bool) -> int:
    from studio import config

    statuses = _registry().statuses()
    if as_json:
        print(json.dumps([s.to_dict() for s in statuses], indent=2))
        return 0
    if config.safe_mode():
        print("safe mode: third-party plugins are not loaded")
    for s in statuses:
        state = (
            "ok"
            if s.enabled and not s.error
            else ("disabled: " + s.error if not s.enabled else "error: " + s.error)
        )
        print(f"{s.id:<28} v{s.version:<3} {s.origin:<15} {state}")
    print(f"plugins folder: {config.app_paths().plugins}")
    return 0


def _info(filter_id: str, as_json: bool) -> int:
    from studio.effects.api import describe

    registry = _registry()
    status = registry.status(filter_id)
    cls = registry.get(filter_id)
    if status is None:
        print(
            f"creator-studio plugins: no filter '{filter_id}' (see 'creator-studio plugins list')",
            file=sys.stderr,
        )
        return 1
    doc = {"status": status.to_dict(), **(describe(cls) if cls is not None else {})}
    if as_json:
        print(json.dumps(doc, indent=2, default=list))
        return 0
    print(f"{doc.get('name', filter_id)} ({filter_id}) v{status.version} — {status.origin} {status.source}")
    if status.error:
        print(f"  {'disabled' if not status.enabled else 'last error'}: {status.error}")
    if cls is None:
        return 0
    print(f"  {doc['description']}")
    print(
        f"  layout {doc['layout']}{', temporal' if doc['temporal'] else ''}, filter API {doc['api_version']}"
    )
    for p in doc["params"]:
        print(f"  - {p['name']} ({p['kind']}, default {p['default']!r}, {p['range']}): {p['help']}")
    return 0


def _new(name: str, filter_id: str | None, folder: str) -> int:
    from studio.effects.scaffold import write_plugin_package

    if not _NAME_RE.match(name):
        print(
            f"creator-studio plugins: '{name}' is not a usable name: use letters, digits, '-' or '_'",
            file=sys.stderr,
        )
        return 2
    target = Path(folder).expanduser() / name
    if target.exists() and any(target.iterdir()):
        print(f"creator-studio plugins: {target} already exists and is not empty", file=sys.stderr)
        return 1
    try:
        files = write_plugin_package(target, name, filter_id)
    except (OSError, ValueError) as exc:
        print(f"creator-studio plugins: cannot write the package: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {len(files)} files to {target}")
    print(f"  try it:   pip install -e {target}  (or copy the folder into the plugins folder)")
    print(f"  test it:  python -m pytest {target / 'tests'}")
    return 0


START, END = "<!-- builtin-reference:start -->", "<!-- builtin-reference:end -->"


def _reference(update: str | None) -> int:
    from studio.effects.api import describe_markdown
    from studio.effects.builtins import BUILTINS

    text = describe_markdown(BUILTINS)
    if not update:
        sys.stdout.write(text)
        return 0
    path = Path(update)
    try:
        doc = path.read_text(encoding="utf-8")
        head, rest = doc.split(START, 1)
        _, tail = rest.split(END, 1)
    except (OSError, ValueError):
        print(
            f"creator-studio plugins: {path} is unreadable or lacks the {START} / {END} markers",
            file=sys.stderr,
        )
        return 1
    path.write_text(f"{head}{START}\n{text}{END}{tail}", encoding="utf-8")
    print(f"updated the reference in {path}")
    return 0


def main(args: argparse.Namespace) -> int:
    if args.action == "list":
        return _list(args.json)
    if args.action == "info":
        return _info(args.id, args.json)
    if args.action == "new":
        return _new(args.name, args.filter_id, args.dir)
    return _reference(args.update)
