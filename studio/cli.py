"""`creator-studio` command line: one entry, subcommands loaded lazily.

Each subcommand lives in the module that owns the feature. A command module exposes
``configure(parser)`` (adds its arguments) and ``main(args) -> int``; its top level imports
only the standard library so that ``creator-studio --help`` and the GUI start stay fast.

As the process entry (``argv`` read from ``sys.argv``), :func:`main` installs the crash hooks
(:func:`studio.logs.install_crash_hooks`): uncaught exceptions are logged, scrubbed, never shown
in a dialog; an in-process call (tests, embedding) leaves the host's hooks alone.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "gui": ("studio.ui.app", "start the editor window (the default)"),
    "doctor": ("studio.doctor", "report versions, working encoders, ONNX providers, audio devices"),
    "probe": ("studio.media.cli", "describe a media file: container, streams, duration"),
    "render": ("studio.render.cli", "render a project or a stored draft to an MP4"),
    "drafts": ("studio.drafts.cli", "list, import, export and delete stored drafts"),
    "plugins": ("studio.effects.cli", "list, inspect and scaffold filter plugins"),
    "models": ("studio.effects.cli_models", "add and list ONNX models used by model filters"),
    "audio": ("studio.audio.cli", "list audio devices, play a test tone, record a voice-over"),
    "publish": ("studio.upload.cli", "publish a draft or a video file through the upload queue"),
    "sync": ("studio.sync.cli", "sync accounts' posts and numbers (headless; --once for one pass)"),
    "analytics": ("studio.analytics.cli", "print analytics: overview, posts, a post, best time to post"),
    "backend": ("backend_stub.cli", "run the local platform API stand-in"),
}


def _available(name: str) -> bool:
    module = COMMANDS[name][0]
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def build_parser(command: str | None) -> argparse.ArgumentParser:
    """The top-level parser; only the chosen subcommand's module is imported."""
    listing = ""
    if command is None:
        listing = "\n".join(
            f"  {name:<9} {help_}" for name, (_, help_) in COMMANDS.items() if _available(name)
        )
    parser = argparse.ArgumentParser(
        prog="creator-studio",
        description="Creator Studio: edit, export and publish short vertical videos.",
        epilog=f"commands:\n{listing}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--profile", help="profile name (separate drafts, accounts, settings)")
    parser.add_argument("--safe-mode", action="store_true", help="start without third-party plugins")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this install (render, plugins, window, backend, sync, drafts) in a temporary profile",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    if command is not None:
        module = importlib.import_module(COMMANDS[command][0])
        child = sub.add_parser(command, help=COMMANDS[command][1], description=COMMANDS[command][1])
        module.configure(child)
        child.set_defaults(_module=module)
    return parser


_OPTIONS_WITH_VALUE = {"--profile"}


def _find_command(argv: Sequence[str]) -> str | None:
    args = iter(argv)
    for arg in args:
        if arg in COMMANDS:
            return arg
        if arg in _OPTIONS_WITH_VALUE:
            next(args, None)
        elif not arg.startswith("-"):
            return None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    is_entry = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    command = _find_command(argv)
    self_test = command is None and "--self-test" in argv
    if command is None and not self_test and not any(a in ("-h", "--help") for a in argv):
        argv = [*argv, "gui"] if not argv or all(a.startswith("-") for a in argv) else argv
        command = _find_command(argv)
    if command is not None and not _available(command):
        print(f"creator-studio: the '{command}' command is not part of this build", file=sys.stderr)
        return 2
    parser = build_parser(command)
    args = parser.parse_args(argv)
    if args.profile:
        from studio.config import ConfigError, validate_profile

        try:
            os.environ["CREATOR_STUDIO_PROFILE"] = validate_profile(args.profile)
        except ConfigError as exc:
            print(f"creator-studio: {exc}", file=sys.stderr)
            return 2
    if args.safe_mode:
        os.environ["CREATOR_STUDIO_SAFE_MODE"] = "1"
    from studio import logs

    if self_test:  # its own temporary profile: nothing is logged into the creator's
        from studio import selftest

        logs.setup(verbose=args.verbose, to_file=False)
        return selftest.main()
    logs.setup(verbose=args.verbose)
    if is_entry:
        logs.install_crash_hooks()
    try:
        return int(args._module.main(args) or 0)
    except KeyboardInterrupt:
        print("creator-studio: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
