"""Crash recovery: a session lock, and what to offer after an unclean exit.

The lock itself is an OS lock (``filelock``) on ``session.os-lock`` in the data dir, held for
the life of the process: two instances starting together cannot both win, and the OS drops it
when a process dies, so a crashed instance never blocks the next start. ``session.lock`` beside
it says who holds the lock (pid, process start time, host name) for the message shown to the
user; a clean exit removes it. If the next start takes the OS lock and still finds that file,
the last session crashed, and every draft with an autosave newer than its saved head is offered
back — with a summary and a unified diff — and nothing changes until the creator picks Restore,
Keep both or Discard. A file left by another host (a network home folder) refuses the start
until the creator chooses "open anyway" (``acquire(open_anyway=True)``).
"""

from __future__ import annotations

import difflib
import json
import os
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import filelock

from studio.drafts.store import DraftStore
from studio.drafts.summary import summarize

LOCK_NAME = "session.lock"
OS_LOCK_NAME = "session.os-lock"
_HELD: set[SessionLock] = set()  # a held lock lives as long as the process, even if dropped


@dataclass(frozen=True)
class LockInfo:
    pid: int
    start_time: float | None
    hostname: str
    created_at: float

    @property
    def foreign(self) -> bool:
        return self.hostname != socket.gethostname()


class SessionBusy(Exception):
    """Another Creator Studio holds this profile. ``can_open_anyway``: the holder is only known
    from the info file of another host, which this one cannot check; the creator may override."""

    def __init__(self, message: str, info: LockInfo | None = None, *, can_open_anyway: bool = False) -> None:
        super().__init__(message)
        self.info = info
        self.can_open_anyway = can_open_anyway


def process_start_time(pid: int) -> float | None:
    """Seconds since the epoch when ``pid`` started, or ``None`` if unknown or not running."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            return float(psutil.Process(pid).create_time())
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            return None
    stat = Path(f"/proc/{pid}/stat")
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[19])
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime")
        )
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, StopIteration):
        return None


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            return False
        except psutil.AccessDenied:
            return True
    if sys.platform == "win32":
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)
        if not handle:
            return False
        code = ctypes.c_ulong()
        ctypes.windll.kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        ctypes.windll.kernel32.CloseHandle(handle)
        return code.value == 259
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lock_is_live(info: LockInfo) -> bool:
    """True when the info file's owner may still be running (same host: pid alive, same start
    time; another host cannot be checked). A hint only: the OS lock decides who holds the profile."""
    if info.hostname != socket.gethostname():
        return True
    if not pid_alive(info.pid):
        return False
    started = process_start_time(info.pid)
    if info.start_time is None or started is None:
        return True
    return abs(started - info.start_time) < 2.0


def _holder(info: LockInfo) -> str:
    when = (
        time.strftime(" since %H:%M on %Y-%m-%d", time.localtime(info.created_at)) if info.created_at else ""
    )
    return f"process {info.pid}{when}"


def _busy_message(info: LockInfo | None) -> str:
    if info is None or info.pid <= 0:
        return "Creator Studio is already running with this profile"
    where = f" on {info.hostname}" if info.foreign else ""
    return f"Creator Studio is already running with this profile{where} ({_holder(info)})"


def _foreign_message(info: LockInfo) -> str:
    return (
        f"Creator Studio is already running with this profile on {info.hostname or 'another computer'} "
        f"({_holder(info)}), or it stopped there without closing"
    )


def _is_this_process(info: LockInfo) -> bool:
    if info.foreign or info.pid != os.getpid():
        return False
    started = process_start_time(os.getpid())
    return info.start_time is None or started is None or abs(started - info.start_time) < 2.0


class SessionLock:
    """The profile's single-instance lock. Keep the object for the life of the session."""

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.path = Path(data_dir) / LOCK_NAME
        self.os_lock_path = Path(data_dir) / OS_LOCK_NAME
        self._os_lock = filelock.FileLock(str(self.os_lock_path), timeout=0, thread_local=False)
        self.held = False

    def read(self) -> LockInfo | None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return LockInfo(
                int(raw["pid"]),
                raw.get("start_time"),
                str(raw.get("hostname", "")),
                float(raw.get("created_at", 0.0)),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            return LockInfo(0, None, socket.gethostname(), 0.0)

    def acquire(self, *, open_anyway: bool = False) -> LockInfo | None:
        """Take the lock. Returns the info left by a crashed session (``None`` after a clean exit);
        raises :class:`SessionBusy` if another process holds the OS lock, or if the info file was
        left by another host and ``open_anyway`` is false."""
        if self.held:
            return None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._os_lock.acquire()
        except filelock.Timeout:
            holder = self.read()
            raise SessionBusy(_busy_message(holder), holder) from None
        previous = self.read()
        if previous is not None and previous.foreign and not open_anyway:
            self._os_lock.release()
            raise SessionBusy(_foreign_message(previous), previous, can_open_anyway=True)
        try:
            self._write_info()
        except OSError:
            self._os_lock.release()
            raise
        self.held = True
        _HELD.add(self)
        return None if previous is None or _is_this_process(previous) else previous

    def _write_info(self) -> None:
        mine = {
            "pid": os.getpid(),
            "start_time": process_start_time(os.getpid()),
            "hostname": socket.gethostname(),
            "created_at": time.time(),
        }
        tmp = self.path.with_name(f"{LOCK_NAME}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(mine), encoding="utf-8")
        os.replace(tmp, self.path)

    def release(self) -> None:
        if self.held:
            info = self.read()
            if info is not None and _is_this_process(info):
                self.path.unlink(missing_ok=True)
            self._os_lock.release()
            self.held = False
            _HELD.discard(self)


@dataclass(frozen=True)
class Change:
    what: str
    before: str
    after: str


@dataclass(frozen=True)
class RecoveryOffer:
    draft_id: int
    title: str
    saved_revision_id: int | None
    autosave_revision_id: int
    autosave_at: float
    changes: list[Change]
    diff: str


def _fmt_duration(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def describe_changes(saved: dict[str, Any], recovered: dict[str, Any]) -> list[Change]:
    """Title, duration, track and clip counts of both versions (only those that differ)."""
    a, b = summarize(saved), summarize(recovered)
    pairs = [
        ("Title", a.title or "Untitled", b.title or "Untitled"),
        ("Duration", _fmt_duration(a.duration), _fmt_duration(b.duration)),
        ("Tracks", str(a.track_count), str(b.track_count)),
        ("Clips and text items", str(a.clip_count), str(b.clip_count)),
    ]
    return [Change(what, before, after) for what, before, after in pairs if before != after]


def json_diff(saved: dict[str, Any], recovered: dict[str, Any], *, max_lines: int = 4000) -> str:
    old = json.dumps(saved, indent=2, ensure_ascii=False, sort_keys=True).splitlines()
    new = json.dumps(recovered, indent=2, ensure_ascii=False, sort_keys=True).splitlines()
    lines = list(difflib.unified_diff(old, new, "saved", "autosave", lineterm=""))
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], f"... {len(lines) - max_lines} more lines"]
    return "\n".join(lines)


def recovery_offers(store: DraftStore) -> list[RecoveryOffer]:
    """Drafts whose newest autosave was never saved or dismissed, newest first."""
    offers = []
    for draft_id, autosave_id in store.pending_autosaves():
        draft = store.get_draft(draft_id)
        recovered = store.get_project_doc(draft_id, autosave_id)
        saved = store.get_project_doc(draft_id) if draft.head_revision_id is not None else {}
        created = next((r.created_at for r in store.revisions(draft_id, limit=1) if r.id == autosave_id), 0.0)
        offers.append(
            RecoveryOffer(
                draft_id,
                draft.title,
                draft.head_revision_id,
                autosave_id,
                created,
                describe_changes(saved, recovered),
                json_diff(saved, recovered),
            )
        )
    return offers


def restore(store: DraftStore, offer: RecoveryOffer) -> int:
    """Make the autosave the draft's current version (a new revision); returns its id."""
    return store.restore_revision(offer.draft_id, offer.autosave_revision_id)


def keep_both(store: DraftStore, offer: RecoveryOffer) -> int:
    """Leave the draft as saved and put the autosave in a new draft; returns the new draft id."""
    recovered = store.get_project_doc(offer.draft_id, offer.autosave_revision_id).get("title")
    title = (
        f"{recovered if isinstance(recovered, str) and recovered else offer.title or 'Untitled'} (recovered)"
    )
    new_id = store.duplicate(offer.draft_id, title=title, revision_id=offer.autosave_revision_id)
    store.dismiss_autosaves(offer.draft_id, offer.autosave_revision_id)
    return new_id


def discard(store: DraftStore, offer: RecoveryOffer) -> None:
    """Stop offering the autosave; it stays in the draft's history until pruned."""
    store.dismiss_autosaves(offer.draft_id, offer.autosave_revision_id)
