"""Closing a store while other threads read or write it: an error for them, never a crash or a hang.

CI once died with a segmentation fault: the publish queue closed its store while the webhook thread
was mid-query, and CPython's sqlite3 freed the statement under the reader. The race runs in a
child process so that a crash fails this test instead of killing the test run.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from concurrent.futures import wait
from pathlib import Path

import pytest

from studio.dbwriter import Readers, StoreClosed, Writer

RACE = textwrap.dedent(
    """
    import sys, threading
    from pathlib import Path
    from studio.dbwriter import Readers, StoreClosed, Writer

    SLOW = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)"
            " SELECT sum(i) FROM n")
    outcomes = set()
    for round_ in range(30):
        path = Path(sys.argv[1]) / f"race{round_}.sqlite3"
        writer = Writer(path, lambda c: c.execute("CREATE TABLE t (x)"))
        readers = Readers(path)
        go = threading.Barrier(3)
        reading = threading.Event()

        def read():
            go.wait()
            try:
                for _ in range(500):
                    assert readers.get().execute(SLOW).fetchone()[0] == 20000 * 20001 // 2
                    reading.set()
                outcomes.add("finished")
            except StoreClosed:
                outcomes.add("closed")

        threads = [threading.Thread(target=read) for _ in range(2)]
        for t in threads:
            t.start()
        go.wait()
        reading.wait(10)
        readers.close()
        writer.close()
        for t in threads:
            t.join()
    print(sorted(outcomes))
    """
)


def test_closing_readers_under_running_queries_does_not_crash(tmp_path: Path) -> None:
    script = tmp_path / "race.py"
    script.write_text(RACE)
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "closed" in done.stdout  # the readers were really cut off mid-run, with a clear error


def test_a_closed_store_refuses_reads_and_writes_clearly(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    writer = Writer(path, lambda c: c.execute("CREATE TABLE t (x)"))
    readers = Readers(path)
    writer.call(lambda c: c.execute("INSERT INTO t VALUES (1)"))
    assert readers.get().execute("SELECT x FROM t").fetchall()[0][0] == 1
    readers.close()
    writer.close()
    with pytest.raises(StoreClosed, match="closed"):
        readers.get().execute("SELECT x FROM t")
    with pytest.raises(StoreClosed, match="closed"):
        writer.call(lambda c: c.execute("INSERT INTO t VALUES (2)"))


def test_writes_queued_before_close_are_committed_and_none_hang(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    writer = Writer(path, lambda c: c.execute("CREATE TABLE t (x)"))
    futures = [writer.submit(lambda c, i=i: c.execute("INSERT INTO t VALUES (?)", (i,))) for i in range(200)]
    writer.close()
    done, pending = wait(futures, timeout=60)
    assert not pending
    assert all(f.exception() is None for f in done)
    readers = Readers(path)
    assert readers.get().execute("SELECT count(*) FROM t").fetchone()[0] == 200
    readers.close()
