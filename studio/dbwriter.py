"""SQLite connections for a store: one writer thread, one reader connection per thread.

Shared by the drafts store and the sync store. All writes of a store go through :class:`Writer`, a single thread owning the only writing
connection (SQLite allows one writer at a time anyway; funnelling writes through one thread means
no ``database is locked`` surprises between threads and a single place that orders them). Each
job runs in its own ``BEGIN IMMEDIATE`` transaction, so a crash leaves either all of it or none.
Readers get their own connections and, thanks to WAL, never wait for the writer.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from studio import threadguard

T = TypeVar("T")

# Explicit saves are power-loss safe (the WAL is fsynced at COMMIT). Autosaves commit with
# synchronous=NORMAL: still atomic and safe against the app crashing or being killed, and made
# power-safe by the next durable commit or checkpoint — at a fraction of the latency.
SYNCHRONOUS = "FULL"
AUTOSAVE_SYNCHRONOUS = "NORMAL"


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def refuse_newer(conn: sqlite3.Connection, current: int, label: str, error: type[Exception]) -> int:
    """The schema version found; a database from a newer app is closed untouched with ``error``."""
    found = user_version(conn)
    if found > current:
        conn.close()
        raise error(
            f"this {label} database was written by a newer Creator Studio (schema {found}, this app "
            f"knows {current}); update the app to open it — nothing was changed"
        )
    return found


def create_schema(
    conn: sqlite3.Connection, schema: str, current: int, label: str, error: type[Exception]
) -> int:
    """A store with one schema version so far: create it in one transaction, refuse a newer one."""
    found = refuse_newer(conn, current, label, error)
    if found == current:
        return found
    with transaction(conn):
        for statement in schema.split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {current}")
    return found


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` of all of it when the block raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def connect(
    path: Path,
    *,
    writer: bool,
    check: Callable[[sqlite3.Connection], object] | None = None,
    label: str = "",
) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")
    if writer:
        if check is not None:
            check(conn)
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            conn.close()
            raise OSError(
                f"the {label + ' ' if label else ''}database at {path} cannot use write-ahead logging (mode {mode})"
            )
        conn.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
    else:
        conn.execute("PRAGMA query_only = ON")
    return conn


class StoreClosed(RuntimeError):
    """A read or write on a store that has been closed (the app is shutting down)."""


class Writer:
    """Runs write jobs ``fn(conn)`` one at a time on a dedicated thread."""

    def __init__(
        self,
        path: Path,
        setup: Callable[[sqlite3.Connection], None],
        *,
        name: str = "db-writer",
        check: Callable[[sqlite3.Connection], object] | None = None,
        label: str = "",
    ) -> None:
        self._path = path
        self._check = check
        self._db_label = label
        self._label = label or "database"
        self._queue: queue.SimpleQueue[
            tuple[Callable[[sqlite3.Connection], Any], bool, bool, Future[Any]] | None
        ]
        self._queue = queue.SimpleQueue()
        self._ready: Future[None] = Future()
        self._setup = setup
        self._closing = False
        self._submit_lock = threading.Lock()  # nothing is queued behind the closing sentinel
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        self._ready.result()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            conn = connect(self._path, writer=True, check=self._check, label=self._db_label)
            self._setup(conn)
        except BaseException as exc:
            if conn is not None:
                conn.close()
            self._ready.set_exception(exc)
            return
        self._ready.set_result(None)
        durable_mode = True
        try:
            while True:
                job = self._queue.get()
                if job is None:
                    break
                fn, transaction, durable, future = job
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    if durable != durable_mode:
                        mode = SYNCHRONOUS if durable else AUTOSAVE_SYNCHRONOUS
                        conn.execute(f"PRAGMA synchronous = {mode}")
                        durable_mode = durable
                    if transaction:
                        conn.execute("BEGIN IMMEDIATE")
                        result = fn(conn)
                        conn.execute("COMMIT")
                    else:
                        result = fn(conn)
                except BaseException as exc:
                    if conn.in_transaction:  # fn failed, or COMMIT did (disk full): undo all of it
                        conn.execute("ROLLBACK")
                    future.set_exception(exc)
                else:
                    future.set_result(result)
        finally:
            conn.close()

    @property
    def on_writer_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def submit(
        self, fn: Callable[[sqlite3.Connection], T], *, transaction: bool = True, durable: bool = True
    ) -> Future[T]:
        """Queue ``fn(conn)``; ``durable=False`` commits without fsync (see ``AUTOSAVE_SYNCHRONOUS``)."""
        future: Future[T] = Future()
        with self._submit_lock:
            if self._closing or not self._thread.is_alive():
                raise StoreClosed(f"the {self._label} store is closed")
            self._queue.put((fn, transaction, durable, future))
        return future

    def call(
        self, fn: Callable[[sqlite3.Connection], T], *, transaction: bool = True, durable: bool = True
    ) -> T:
        if self.on_writer_thread:
            raise RuntimeError(f"a {self._label} write job cannot wait for another write job")
        threadguard.check(f"a wait for the {self._label} store's writer")
        return self.submit(fn, transaction=transaction, durable=durable).result()

    def close(self) -> None:
        with self._submit_lock:
            if self._closing:
                return
            self._closing = True
            if self._thread.is_alive():
                self._queue.put(None)
        if self._thread is not threading.current_thread():
            self._thread.join()


class Rows(list[Any]):
    """A statement's rows, already read; answers ``fetchone``/``fetchall`` like a cursor."""

    _pos = 0

    def fetchone(self) -> Any:
        if self._pos >= len(self):
            return None
        self._pos += 1
        return self[self._pos - 1]

    def fetchall(self) -> list[Any]:
        rest = self[self._pos :]
        self._pos = len(self)
        return rest

    def close(self) -> None:
        self._pos = len(self)


class ReadConnection:
    """One thread's read-only connection whose statements run to completion under a lock.

    ``close`` takes the same lock, so closing a store from one thread while another is reading
    never finalises a statement mid-step (CPython's sqlite3 frees it under the reader's feet and the
    process dies with a segmentation fault); the reader gets :class:`StoreClosed` instead.
    """

    __slots__ = ("_conn", "_label", "_lock")

    def __init__(self, conn: sqlite3.Connection, label: str) -> None:
        self._conn: sqlite3.Connection | None = conn
        self._lock = threading.Lock()
        self._label = label

    def execute(self, sql: str, params: Any = ()) -> Rows:
        threadguard.check(f"a {self._label} database query")
        with self._lock:
            if self._conn is None:
                raise StoreClosed(f"the {self._label} store is closed")
            cursor = self._conn.execute(sql, params)
            try:
                return Rows(cursor.fetchall())
            finally:
                cursor.close()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class Readers:
    """One read-only connection per thread (sqlite3 connections must not be shared mid-query)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._local = threading.local()
        self._all: list[ReadConnection] = []
        self._lock = threading.Lock()
        self._closed = False

    def get(self) -> ReadConnection:
        conn: ReadConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            with self._lock:
                if self._closed:
                    raise StoreClosed(f"the store at {self._path.name} is closed")
                raw = connect(self._path, writer=False)
                raw.row_factory = sqlite3.Row
                conn = ReadConnection(raw, self._path.stem)
                self._local.conn = conn
                self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for conn in self._all:
                conn.close()
            self._all.clear()
