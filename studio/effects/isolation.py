"""Third-party filters in a worker process: a hang, a crash or a write into the input stays there.

:class:`PluginWorker` runs one plugin instance in its own process (started with 'forkserver'
where the platform has it, else 'spawn'; never 'fork', which is unsafe from a process with Qt
and threads). Frames cross in shared memory (``multiprocessing.shared_memory``): the host copies
the frame into an input segment the worker maps read-only and copies the result back out of an
output segment. Control messages (time, resolved parameter values, segment names) go over a
pipe, pickled.

Per frame the host waits at most the chain's time budget. A plugin that overruns is stopped
(terminate, then kill) and the frame fails with :class:`PluginTimedOut`; a worker that dies
(a segfault in native code, ``os._exit``) fails it with :class:`PluginCrashed`. Either way the
host goes on; :meth:`PluginWorker.restart` starts a fresh worker on request.

Workers are daemon processes and every live one is stopped, and its segments unlinked, at
interpreter exit, so neither the app nor ``creator-studio render`` waits for a stuck plugin.
"""

from __future__ import annotations

import atexit
import math
import multiprocessing
import os
import secrets
import signal
import threading
import time
import weakref
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from multiprocessing.shared_memory import SharedMemory
from typing import Any

import numpy as np

from studio.effects.api import FilterContext, FilterError
from studio.effects.registry import PluginLoader

__all__ = [
    "SAME",
    "START_METHOD",
    "PluginBadOutput",
    "PluginCrashed",
    "PluginRaised",
    "PluginStartFailed",
    "PluginTimedOut",
    "PluginWorker",
    "WorkerFailure",
    "shutdown_all",
]

START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
START_TIMEOUT_S = 60.0  # start the process, import the plugin, open() it: not part of the budget
CLOSE_TIMEOUT_S = 2.0  # for the plugin's close() before the worker is stopped anyway
STOP_GRACE_S = 1.0  # between terminate and kill
SEGMENT_PREFIX = "cs"  # /dev/shm/cs-<host pid>-<random>

SAME = object()  # the plugin left the frame as it was (returned its input, or is an identity)


class WorkerFailure(Exception):
    """A frame the plugin did not deliver; ``reason`` completes "Name (id) ..." for the creator."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PluginRaised(WorkerFailure):
    def __init__(self, type_name: str, message: str, details: str = "") -> None:
        super().__init__(f"raised {type_name}: {message}")
        self.type_name = type_name
        self.details = details


class PluginBadOutput(WorkerFailure):
    def __init__(self, got: str, shape: tuple[int, ...]) -> None:
        super().__init__(f"returned {got} instead of a {shape} uint8 image")


class PluginTimedOut(WorkerFailure):
    def __init__(self, elapsed: float, budget: float) -> None:
        super().__init__(
            f"took longer than its time budget ({elapsed:.2f} s > {budget:.2f} s per frame); "
            "its worker process was stopped"
        )


class PluginCrashed(WorkerFailure):
    def __init__(self, how: str) -> None:
        super().__init__(f"crashed: its worker process {how}")


class PluginStartFailed(WorkerFailure):
    pass


_context: BaseContext | None = None
_context_lock = threading.Lock()
_live: weakref.WeakSet[PluginWorker] = weakref.WeakSet()


def _mp_context() -> BaseContext:
    global _context
    with _context_lock:
        if _context is None:
            ctx = multiprocessing.get_context(START_METHOD)
            if START_METHOD == "forkserver":
                # Each worker is then a fork of a clean server that has numpy and the worker
                # module imported already: a few ms to start instead of ~200.
                ctx.set_forkserver_preload(["studio.effects.isolation_worker"])  # type: ignore[attr-defined]
            _context = ctx
        return _context


def _how_it_ended(process: BaseProcess) -> str:
    process.join(STOP_GRACE_S)
    code = process.exitcode
    if code is None:
        return "stopped answering"
    if code < 0:
        try:
            return f"died (signal {signal.Signals(-code).name})"
        except ValueError:
            return f"died (signal {-code})"
    return f"exited (code {code})"


class _Segment:
    """One shared-memory buffer the host owns: created here, unlinked here."""

    def __init__(self, size: int) -> None:
        name = f"{SEGMENT_PREFIX}-{os.getpid()}-{secrets.token_hex(6)}"
        self.shm = SharedMemory(name=name, create=True, size=max(1, size))
        self.size = size

    @property
    def name(self) -> str:
        return self.shm.name

    def array(self, shape: tuple[int, ...]) -> np.ndarray:
        return np.frombuffer(self.shm.buf, np.uint8, count=math.prod(shape)).reshape(shape)

    def release(self) -> None:
        try:
            self.shm.close()
        finally:
            try:
                self.shm.unlink()
            except FileNotFoundError:
                pass


class PluginWorker:
    """One third-party filter instance in its own process. Thread-safe; one frame at a time."""

    def __init__(self, loader: PluginLoader, ctx: FilterContext, label: str = "") -> None:
        self.loader = loader
        self.ctx = ctx
        self.label = label or loader.filter_id
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._in: _Segment | None = None
        self._out: _Segment | None = None
        self._lock = threading.RLock()
        self.starts = 0

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the process, import the plugin there and open it; :class:`PluginStartFailed`
        (the worker stopped again) when any of that fails or takes over a minute."""
        with self._lock:
            self._stop()
            ctx = _mp_context()
            from studio.effects import isolation_worker

            parent, child = ctx.Pipe(duplex=True)
            process = ctx.Process(  # type: ignore[attr-defined]
                target=isolation_worker.serve,
                args=(child, self.loader, self.ctx, dict(os.environ)),
                name=f"plugin {self.loader.filter_id}",
                daemon=True,
            )
            process.start()
            child.close()
            self._process, self._conn = process, parent
            self.starts += 1
            _live.add(self)
            ready = wait([parent, process.sentinel], START_TIMEOUT_S)
            reply: Any = None
            if parent in ready:
                try:
                    reply = parent.recv()
                except (EOFError, OSError):
                    reply = None
            if reply == ("ready",):
                return
            if isinstance(reply, tuple) and reply and reply[0] == "failed":
                _, stage, type_name, message = reply
                reason = f"{stage}: {type_name}: {message}"
            elif not ready:
                reason = f"failed to open: its worker process did not start in {START_TIMEOUT_S:.0f} s"
            else:
                reason = f"failed to open: its worker process {_how_it_ended(process)}"
            self._stop()
            raise PluginStartFailed(reason)

    def restart(self) -> None:
        """Stop the worker if it runs and start a fresh one (the plugin's state starts over)."""
        self.start()

    def process(self, image: np.ndarray, t: float, values: dict[str, Any], budget: float) -> Any:
        """The plugin's output for ``image``: a new array, :data:`SAME` or None (use the input).

        Raises a :class:`WorkerFailure` naming what went wrong, or the plugin's own
        :class:`FilterError`. After a timeout or a crash the worker is stopped; call
        :meth:`restart` to use the plugin again.
        """
        with self._lock:
            conn, process = self._conn, self._process
            if conn is None or process is None:
                raise PluginCrashed("is not running (restart the plugin to use it again)")
            shape = tuple(image.shape)
            size = image.nbytes
            if (self._in is not None and self._in.size < size) or (
                self._out is not None and self._out.size < size
            ):
                self._release_segments()  # a larger frame than before
            if self._in is None:
                self._in = _Segment(size)
            if self._out is None:
                self._out = _Segment(size)
            np.copyto(self._in.array(shape), image)
            message = (
                "frame", float(t), values, self._in.name, self._in.size, self._out.name, self._out.size, shape
            )  # fmt: skip
            started = time.perf_counter()
            try:
                conn.send(message)
            except (BrokenPipeError, ConnectionError, EOFError, OSError):
                how = _how_it_ended(process)
                self._stop()
                raise PluginCrashed(how) from None
            except Exception as exc:  # a value that does not pickle
                raise PluginRaised(
                    type(exc).__name__, f"its settings cannot reach its worker: {exc}"
                ) from None
            ready = wait([conn, process.sentinel], budget)
            reply: Any = None
            if conn in ready:
                try:
                    reply = conn.recv()
                except (EOFError, OSError):
                    reply = None
            if not ready:
                elapsed = time.perf_counter() - started
                self._stop()
                raise PluginTimedOut(elapsed, budget)
            if reply is None:
                how = _how_it_ended(process)
                self._stop()
                raise PluginCrashed(how)
            kind, *rest, retained = reply
            out: Any = None
            if kind == "ok":
                out = self._out.array(shape).copy()
            elif kind == "same":
                out = SAME
            if retained:
                # The plugin keeps its input: the next frame goes to a fresh segment.
                self._in.release()
                self._in = None
            if kind == "bad":
                raise PluginBadOutput(rest[0], shape)
            if kind == "raised":
                raise PluginRaised(rest[0], rest[1], rest[2])
            if kind == "filter_error":
                raise FilterError(rest[0], rest[1])
            return out

    def close(self) -> None:
        """Close the plugin (its ``close()``, up to 2 s), end the worker, unlink the segments."""
        with self._lock:
            conn, process = self._conn, self._process
            if conn is not None and process is not None and process.is_alive():
                try:
                    conn.send(("close",))
                    if conn.poll(CLOSE_TIMEOUT_S):
                        conn.recv()
                except (EOFError, OSError):
                    pass
                process.join(STOP_GRACE_S)
            self._stop()
            self._release_segments()
            _live.discard(self)

    def kill(self) -> None:
        """Stop the worker now (terminate, then kill) and free its segments."""
        with self._lock:
            self._stop()
            self._release_segments()

    def _stop(self) -> None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            conn.close()
        if process is None:
            return
        if process.is_alive():
            process.terminate()
            process.join(STOP_GRACE_S)
            if process.is_alive():
                process.kill()
                process.join(STOP_GRACE_S)
        if process.exitcode is not None:
            process.close()

    def _release_segments(self) -> None:
        for segment in (self._in, self._out):
            if segment is not None:
                segment.release()
        self._in = self._out = None

    def __del__(self) -> None:
        try:
            self.kill()
        except Exception:
            pass


def shutdown_all() -> None:
    """Stop every live worker and unlink its segments (at exit; also safe to call any time)."""
    for worker in list(_live):
        try:
            worker.kill()
        except Exception:
            pass
        _live.discard(worker)


atexit.register(shutdown_all)
