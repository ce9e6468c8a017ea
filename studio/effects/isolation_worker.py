"""The plugin worker process: one third-party filter, fed frames through shared memory.

Started by :mod:`studio.effects.isolation` with the 'forkserver' (POSIX) or 'spawn' start
method. It imports the plugin the way the registry does (:func:`load_plugin_class`), opens it
with the chain's :class:`FilterContext` and then answers one message per frame on its pipe:

``("frame", t, values, in_name, in_size, out_name, out_size, shape)``: the input frame is in
the shared segment ``in_name``, mapped **read-only** (``PROT_READ`` on POSIX): the array the plugin gets
cannot be made writeable (``setflags(write=True)`` raises) and a write through a raw pointer
only crashes this process. The result is copied into ``out_name``. Replies:
``("ok"|"same"|"none", retained)``, ``("bad", got, retained)``,
``("raised", type, message, traceback, retained)``, ``("filter_error", id, message, retained)``.
``retained`` is true when the plugin kept a reference to its input (a temporal filter holding
the previous frame): the host then gives the next frame a fresh segment, so what it kept
stays what it saw, as it would in process.

``("close",)`` closes the filter and ends the process. Nothing here imports Qt or the render.
"""

from __future__ import annotations

import math
import mmap
import os
import signal
import sys
import threading
import traceback
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from studio.effects.api import FilterContext, FilterError
from studio.effects.registry import PluginLoader, load_plugin_class

try:  # the module SharedMemory itself uses on POSIX
    import _posixshmem
except ImportError:  # Windows: named file mappings
    _posixshmem = None


def map_segment(name: str, size: int, *, writable: bool) -> mmap.mmap:
    """Map the shared segment ``name`` (made by the host); read-only unless ``writable``."""
    access = mmap.ACCESS_WRITE if writable else mmap.ACCESS_READ
    if _posixshmem is None:
        return mmap.mmap(-1, size, tagname=name, access=access)
    fd = _posixshmem.shm_open("/" + name, os.O_RDWR if writable else os.O_RDONLY, mode=0o600)
    try:
        return mmap.mmap(fd, size, access=access)
    finally:
        os.close(fd)


def _watch_parent() -> None:
    """End this process when the host dies, even while the plugin is stuck in a loop."""
    import multiprocessing

    parent = multiprocessing.parent_process()
    if parent is None:
        return
    parent.join()
    os._exit(3)


class _Maps:
    """The segments the host named, mapped once each; a replaced one is dropped (arrays the
    plugin kept from it keep its mapping alive)."""

    def __init__(self) -> None:
        self._maps: dict[tuple[str, bool], mmap.mmap] = {}

    def get(self, name: str, size: int, *, writable: bool) -> mmap.mmap:
        key = (name, writable)
        mapped = self._maps.get(key)
        if mapped is None:
            for old in [k for k in self._maps if k[1] == writable]:
                del self._maps[old]
            mapped = self._maps[key] = map_segment(name, size, writable=writable)
        return mapped


def _store(out: Any, image: np.ndarray, dst: mmap.mmap, shape: tuple[int, ...]) -> tuple[Any, ...]:
    if out is None:
        return ("none",)
    if out is image:
        return ("same",)
    if not isinstance(out, np.ndarray) or out.shape != shape or out.dtype != np.uint8:
        got = f"{out.shape} {out.dtype}" if isinstance(out, np.ndarray) else type(out).__name__
        return ("bad", got)
    np.copyto(np.frombuffer(dst, np.uint8, count=math.prod(shape)).reshape(shape), out)
    return ("ok",)


def serve(conn: Connection, loader: PluginLoader, ctx: FilterContext, env: dict[str, str]) -> None:
    """The worker's main function (the target of its ``Process``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the host's to handle
    try:  # what the plugin prints goes to stderr: stdout may carry `render --progress json`
        sys.stdout.flush()
        os.dup2(2, 1)
    except (AttributeError, OSError, ValueError):
        pass
    os.environ.clear()
    os.environ.update(env)  # a forkserver child would otherwise see the server's environment
    threading.Thread(target=_watch_parent, name="parent-watch", daemon=True).start()
    stage = "could not be loaded in its worker process"
    try:
        cls = load_plugin_class(loader)
        stage = "failed to open"
        instance = cls()
        instance.open(ctx)
    except BaseException as exc:
        conn.send(("failed", stage, type(exc).__name__, str(exc)))
        return
    conn.send(("ready",))
    maps = _Maps()
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            break
        if message[0] == "close":
            try:
                instance.close()
            except BaseException as exc:
                print(f"filter {loader.filter_id} failed to close: {exc!r}", file=sys.stderr)
            conn.send(("closed",))
            break
        _, t, values, in_name, in_size, out_name, out_size, shape = message
        src = maps.get(in_name, in_size, writable=False)
        dst = maps.get(out_name, out_size, writable=True)
        held = sys.getrefcount(src)
        image = np.frombuffer(src, np.uint8, count=math.prod(shape)).reshape(shape)
        reply: tuple[Any, ...]
        try:
            if instance.is_identity(values):
                reply = ("same",)
            else:
                reply = _store(instance.process(image, t, values), image, dst, shape)
        except FilterError as exc:
            reply = ("filter_error", exc.filter_id, exc.message)
        except BaseException as exc:
            reply = ("raised", type(exc).__name__, str(exc), traceback.format_exc())
        del image
        conn.send((*reply, sys.getrefcount(src) > held))
