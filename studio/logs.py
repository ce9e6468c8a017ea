"""Logging: a rotating file in the profile's data dir plus stderr, with secrets scrubbed.

Crash hooks (:func:`install_crash_hooks`) send uncaught exceptions of the main thread (and Qt
slots, which PySide6 routes to ``sys.excepthook``) and of other threads to this log, scrubbed
like every message; ``faulthandler`` writes fatal errors (a segfault in a native library) to
``crash.log`` beside it, a file kept open for the life of the process. Listeners (the GUI's error
dialog) hear of main-thread exceptions after they are logged.
"""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import re
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO

from studio.config import app_paths

LOG_NAME = "studio.log"
CRASH_NAME = "crash.log"
CRASH_LOG_MAX_BYTES = 1_000_000

CrashListener = Callable[[type[BaseException], BaseException, TracebackType | None], None]

log = logging.getLogger("studio.crash")

_SECRET_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|client_secret|code_verifier|upload_token|token|code)"
        r"[\"']?\s*[=:]\s*[\"']?)[^\s&\"',}]+"
    ),
    re.compile(r"\b((?:act|rft|clt)\.)[A-Za-z0-9._-]+"),
]


def scrub(text: str) -> str:
    """Replace anything that looks like a credential with ``***``."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(r"\1***", text)
    return text


def format_exception(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> str:
    """A traceback as text, credentials scrubbed (exception messages, locals shown in reprs)."""
    return scrub("".join(traceback.format_exception(exc_type, exc, tb)))


class SecretFilter(logging.Filter):
    """Scrubs credentials from every record (message, traceback, stack) before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


_configured = False
_handlers: list[logging.Handler] = []
_log_file: Path | None = None


def log_file() -> Path | None:
    """The log file :func:`setup` writes to (``None`` before, or when only stderr works)."""
    return _log_file


def setup(verbose: bool = False, to_file: bool = True) -> None:
    """Configure the root logger once per process."""
    global _configured, _log_file
    if _configured:
        return
    _configured = True
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    secret_filter = SecretFilter()

    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    console.addFilter(secret_filter)
    root.addHandler(console)
    _handlers.append(console)

    if to_file:
        try:
            paths = app_paths().ensure()
            handler = logging.handlers.RotatingFileHandler(
                paths.logs / LOG_NAME, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
            )
        except OSError as exc:
            root.warning("cannot write the log file (%s); logging to stderr only", exc)
        else:
            handler.setFormatter(fmt)
            handler.addFilter(secret_filter)
            root.addHandler(handler)
            _handlers.append(handler)
            _log_file = paths.logs / LOG_NAME
    for noisy in ("httpx", "httpcore", "PIL", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def reset() -> None:
    """Undo :func:`setup` and :func:`install_crash_hooks` (tests; embedding)."""
    global _configured, _log_file
    uninstall_crash_hooks()
    root = logging.getLogger()
    for handler in _handlers:
        root.removeHandler(handler)
        handler.close()
    _handlers.clear()
    _configured, _log_file = False, None


class _Hooks:
    installed = False
    previous_excepthook: Callable[..., object] = sys.__excepthook__
    previous_thread_hook: Callable[[threading.ExceptHookArgs], object] = threading.__excepthook__
    fault_was_enabled = False
    crash_file: IO[str] | None = None
    listeners: list[CrashListener] = []


def _excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        _Hooks.previous_excepthook(exc_type, exc, tb)
        return
    log.critical("uncaught %s: %s", exc_type.__name__, exc, exc_info=(exc_type, exc, tb))
    for listener in list(_Hooks.listeners):
        try:
            listener(exc_type, exc, tb)
        except Exception:
            log.exception("the crash listener %r failed", listener)


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    log.critical(
        "uncaught %s in thread %s: %s",
        args.exc_type.__name__,
        args.thread.name if args.thread is not None else "?",
        args.exc_value,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),  # type: ignore[arg-type]
    )


def _open_crash_file(folder: Path) -> IO[str]:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / CRASH_NAME
    if path.exists() and path.stat().st_size > CRASH_LOG_MAX_BYTES:
        path.replace(path.with_name(CRASH_NAME + ".1"))
    return path.open("a", encoding="utf-8")


def install_crash_hooks(logs_dir: Path | None = None) -> bool:
    """Route uncaught exceptions to the log and fatal errors to ``<logs>/crash.log``.

    Process-wide and idempotent: returns True when this call installed them (that caller may
    :func:`uninstall_crash_hooks`), False when they were in place already.
    """
    if _Hooks.installed:
        return False
    _Hooks.installed = True
    _Hooks.previous_excepthook, sys.excepthook = sys.excepthook, _excepthook
    _Hooks.previous_thread_hook, threading.excepthook = threading.excepthook, _thread_excepthook
    _Hooks.fault_was_enabled = faulthandler.is_enabled()
    try:
        _Hooks.crash_file = _open_crash_file(logs_dir if logs_dir is not None else app_paths().logs)
    except OSError as exc:
        log.warning("cannot write %s (%s); fatal errors will not be recorded", CRASH_NAME, exc)
    else:
        faulthandler.enable(file=_Hooks.crash_file, all_threads=True)
    return True


def uninstall_crash_hooks() -> None:
    if not _Hooks.installed:
        return
    _Hooks.installed = False
    if sys.excepthook is _excepthook:
        sys.excepthook = _Hooks.previous_excepthook
    if threading.excepthook is _thread_excepthook:
        threading.excepthook = _Hooks.previous_thread_hook
    if _Hooks.crash_file is not None:
        faulthandler.disable()
        _Hooks.crash_file.close()
        _Hooks.crash_file = None
        if _Hooks.fault_was_enabled and sys.__stderr__ is not None:
            faulthandler.enable(file=sys.__stderr__)
    _Hooks.listeners.clear()


def add_crash_listener(listener: CrashListener) -> None:
    """Call ``listener`` after an uncaught main-thread exception is logged (the GUI's dialog)."""
    _Hooks.listeners.append(listener)


def remove_crash_listener(listener: CrashListener) -> None:
    if listener in _Hooks.listeners:
        _Hooks.listeners.remove(listener)
