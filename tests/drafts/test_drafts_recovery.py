"""Session lock and crash recovery: a dead owner is detected; nothing changes without a choice."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from drafts_docs import project

from studio.drafts import DraftStore
from studio.drafts import recovery as rec


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def write_stale_lock(data_dir: Path) -> None:
    (data_dir / rec.LOCK_NAME).write_text(
        json.dumps(
            {"pid": _dead_pid(), "start_time": 1.0, "hostname": socket.gethostname(), "created_at": 1.0}
        )
    )


def test_lock_of_a_dead_process_is_stale_and_live_one_is_busy(tmp_path: Path) -> None:
    write_stale_lock(tmp_path)
    lock = rec.SessionLock(tmp_path)
    stale = lock.acquire()
    assert stale is not None and not rec.lock_is_live(stale)
    mine = lock.read()
    assert mine is not None and mine.pid == os.getpid() and rec.lock_is_live(mine)
    with pytest.raises(rec.SessionBusy, match="already running") as busy:
        rec.SessionLock(tmp_path).acquire()  # a second instance, even in the same process
    assert not busy.value.can_open_anyway and busy.value.info == mine
    lock.release()
    assert not lock.path.exists()
    again = rec.SessionLock(tmp_path)
    assert again.acquire() is None  # clean exit: nothing to recover
    again.release()


# A child that, for each folder named on stdin, makes a lock, says "armed", waits for the shared
# start pipe to become readable (one byte wakes every racer at once), tries to take the lock, prints
# "won" or "busy", and releases it at the next line.
RACER = """
import select, sys
from studio.drafts import recovery as rec
start = int(sys.argv[1])
print("ready", flush=True)
for line in sys.stdin:
    lock = rec.SessionLock(line.strip())
    print("armed", flush=True)
    select.select([start], [], [])
    try:
        lock.acquire()
        print("won", flush=True)
    except rec.SessionBusy:
        print("busy", flush=True)
    sys.stdin.readline()
    lock.release()
    print("released", flush=True)
"""


def _python(code: str, *args: str, pass_fds: tuple[int, ...] = ()) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        pass_fds=pass_fds,
    )


def _say(child: subprocess.Popen[str], line: str) -> None:
    assert child.stdin is not None
    child.stdin.write(line + "\n")
    child.stdin.flush()


def _hear(child: subprocess.Popen[str]) -> str:
    assert child.stdout is not None
    return child.stdout.readline().strip()


@pytest.mark.skipif(sys.platform == "win32", reason="select() on a pipe")
def test_two_instances_starting_together_never_both_win(tmp_path: Path) -> None:
    start_r, start_w = os.pipe()
    racers = [_python(RACER, str(start_r), pass_fds=(start_r,)) for _ in range(2)]
    try:
        assert [_hear(r) for r in racers] == ["ready", "ready"]
        for round_ in range(50):
            folder = tmp_path / f"round-{round_}"  # a fresh profile: both also race to create the files
            for racer in racers:
                _say(racer, str(folder))
            assert [_hear(r) for r in racers] == ["armed", "armed"]
            os.write(start_w, b"!")
            outcomes = sorted(_hear(r) for r in racers)
            os.read(start_r, 1)
            assert outcomes == ["busy", "won"], f"round {round_}: {outcomes}"
            for racer in racers:
                _say(racer, "release")
            assert [_hear(r) for r in racers] == ["released", "released"]
    finally:
        for racer in racers:
            assert racer.stdin is not None
            racer.stdin.close()
            racer.wait(timeout=30)
        os.close(start_r)
        os.close(start_w)


HOLDER = """
import sys
from studio.drafts import recovery as rec
lock = rec.SessionLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
sys.stdin.readline()
"""


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_a_killed_instance_does_not_block_the_next_start(tmp_path: Path) -> None:
    holder = _python(HOLDER, str(tmp_path))
    try:
        assert _hear(holder) == "held"
        with pytest.raises(rec.SessionBusy, match=f"process {holder.pid}"):
            rec.SessionLock(tmp_path).acquire()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    assert (tmp_path / rec.LOCK_NAME).exists()  # it never had the chance to clean up
    lock = rec.SessionLock(tmp_path)
    stale = lock.acquire()
    assert stale is not None and stale.pid == holder.pid  # the crash is noticed: recovery is offered
    lock.release()


def test_another_hosts_lock_refuses_but_can_be_opened_anyway(tmp_path: Path) -> None:
    (tmp_path / rec.LOCK_NAME).write_text(
        json.dumps({"pid": 4242, "start_time": 1.0, "hostname": "old-laptop-name", "created_at": 1.0})
    )
    lock = rec.SessionLock(tmp_path)
    with pytest.raises(rec.SessionBusy, match="old-laptop-name") as busy:
        lock.acquire()
    assert busy.value.can_open_anyway and busy.value.info is not None and busy.value.info.pid == 4242
    assert not lock.held
    stale = lock.acquire(open_anyway=True)
    assert stale is not None and stale.hostname == "old-laptop-name"
    mine = lock.read()
    assert mine is not None and mine.pid == os.getpid() and mine.hostname == socket.gethostname()
    with pytest.raises(rec.SessionBusy) as second:
        rec.SessionLock(tmp_path).acquire(open_anyway=True)  # now this instance really holds it
    assert not second.value.can_open_anyway
    lock.release()
    assert not lock.path.exists()


def test_recovery_offer_shows_what_differs(tmp_path: Path) -> None:
    with DraftStore(tmp_path / "d.sqlite3") as store:
        draft_id = store.create_draft(project("Saved title"))
        store.autosave(draft_id, project("Crashed title", clips=2))
        [offer] = rec.recovery_offers(store)
        changes = {c.what: (c.before, c.after) for c in offer.changes}
        assert changes["Title"] == ("Saved title", "Crashed title")
        assert changes["Clips and text items"] == ("4", "6")
        assert changes["Duration"] == ("0:08.0", "0:11.0")
        assert "Tracks" not in changes
        assert '-  "title": "Saved title"' in offer.diff and '+  "title": "Crashed title"' in offer.diff


@pytest.mark.parametrize("choice", ["restore", "keep_both", "discard"])
def test_each_choice_keeps_every_version(tmp_path: Path, choice: str) -> None:
    with DraftStore(tmp_path / "d.sqlite3") as store:
        draft_id = store.create_draft(project("Saved"))
        autosave = store.autosave(draft_id, project("Unsaved work", clips=1))
        [offer] = rec.recovery_offers(store)
        if choice == "restore":
            rec.restore(store, offer)
            assert store.get_project_doc(draft_id)["title"] == "Unsaved work"
            assert store.count_drafts() == 1
        elif choice == "keep_both":
            new_id = rec.keep_both(store, offer)
            assert store.get_project_doc(draft_id)["title"] == "Saved"
            assert store.get_project_doc(new_id) == {
                **project("Unsaved work", clips=1),
                "title": "Unsaved work (recovered)",
            }
        else:
            rec.discard(store, offer)
            assert store.get_project_doc(draft_id)["title"] == "Saved"
        assert rec.recovery_offers(store) == []
        assert store.get_project_doc(draft_id, autosave)["title"] == "Unsaved work"
