"""The one cache of pictures and waveforms made from media files (thumbnails, timeline tiles,
waveform peaks, the effects panel's source frame).

Entries are keyed by ``(absolute path, size, mtime_ns, kind, params)``: a file that changed (size
or mtime) gets a new key and is made again, never served stale, and the entry made from its
old content is dropped. Two layers:

- **memory**: an LRU bounded by bytes (the arrays' ``nbytes``); a value bigger than the whole
  bound is handed out but not kept;
- **disk** (optional): ``<dir>/<kind>/<hh>/<digest>.npz`` written atomically (temporary file,
  rename), bounded by ``disk_limit`` bytes (least recently used files go first).

A value is a numpy array or a ``dict[str, ndarray]``. Asking for a missing entry runs
``make(path)`` once even when several threads ask at the same time (the others wait for it);
:attr:`MediaCache.makes` counts the calls. Consumers share one instance per folder through
:func:`shared_cache`. Thread-safe; no Qt.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

Value = np.ndarray | dict[str, np.ndarray]
Maker = Callable[[str], Value]

MEMORY_LIMIT = 96 << 20
DISK_LIMIT = 512 << 20
FORMAT = 1


@dataclass(frozen=True)
class CacheKey:
    path: str
    size: int
    mtime_ns: int
    kind: str
    params: Hashable

    @property
    def slot(self) -> tuple[str, str, Hashable]:
        """What the key names regardless of the file's state: one entry per slot is current."""
        return self.path, self.kind, self.params

    def digest(self) -> str:
        text = repr((FORMAT, self.path, self.size, self.mtime_ns, self.kind, self.params))
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def nbytes(value: Value) -> int:
    if isinstance(value, dict):
        return sum(int(v.nbytes) for v in value.values()) + 64 * len(value)
    return int(value.nbytes)


class MediaCache:
    """See the module docstring. ``folder=None`` keeps entries in memory only."""

    def __init__(
        self,
        folder: str | os.PathLike[str] | None = None,
        *,
        memory_limit: int = MEMORY_LIMIT,
        disk_limit: int = DISK_LIMIT,
    ) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.memory_limit = memory_limit
        self.disk_limit = disk_limit
        self.makes = 0
        self._lock = threading.Lock()
        self._memory: OrderedDict[CacheKey, Value] = OrderedDict()
        self._bytes = 0
        self._current: dict[tuple[str, str, Hashable], CacheKey] = {}
        self._making: dict[CacheKey, threading.Event] = {}
        self._written = 0

    # -- keys ---------------------------------------------------------------------------
    @staticmethod
    def key(path: str | os.PathLike[str], kind: str, params: Hashable = ()) -> CacheKey:
        """The key of ``path`` as it is now (raises OSError when it cannot be read)."""
        absolute = os.path.abspath(os.fspath(path))
        st = os.stat(absolute)
        return CacheKey(absolute, st.st_size, st.st_mtime_ns, kind, params)

    @property
    def memory_bytes(self) -> int:
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._memory)

    # -- lookups ------------------------------------------------------------------------
    def peek(self, path: str | os.PathLike[str], kind: str, params: Hashable = ()) -> Value | None:
        """The entry if it is in memory (never reads the disk or makes it; cheap enough to
        call while painting, though it stats the file)."""
        try:
            key = self.key(path, kind, params)
        except OSError:
            return None
        with self._lock:
            value = self._memory.get(key)
            if value is not None:
                self._memory.move_to_end(key)
            return value

    def get(self, path: str | os.PathLike[str], kind: str, params: Hashable, make: Maker) -> Value:
        """The entry for ``path`` now, from memory, then disk, else ``make(path)``: run once
        however many threads ask together (the others wait; if it raises, the error goes to its
        caller and the next waiter tries). Raises OSError when the file cannot be read."""
        key = self.key(path, kind, params)
        while True:
            with self._lock:
                value = self._memory.get(key)
                if value is not None:
                    self._memory.move_to_end(key)
                    return value
                event = self._making.get(key)
                if event is None:
                    event = self._making[key] = threading.Event()
                    break  # this thread makes it
            event.wait()  # another thread is making it: then look again (make it if that failed)
        try:
            value = self._load(key)
            if value is None:
                with self._lock:
                    self.makes += 1
                value = make(key.path)
                self._save(key, value)
            self._remember(key, value)
            return value
        finally:
            with self._lock:
                self._making.pop(key, None)
            event.set()

    def invalidate(self, path: str | os.PathLike[str]) -> None:
        """Forget every memory entry of ``path`` (disk files go when their slot is made again)."""
        absolute = os.path.abspath(os.fspath(path))
        with self._lock:
            for key in [k for k in self._memory if k.path == absolute]:
                self._bytes -= nbytes(self._memory.pop(key))

    def clear_memory(self) -> None:
        with self._lock:
            self._memory.clear()
            self._bytes = 0

    # -- memory -------------------------------------------------------------------------
    def _remember(self, key: CacheKey, value: Value) -> None:
        size = nbytes(value)
        with self._lock:
            old = self._current.get(key.slot)
            self._current[key.slot] = key
            if old is not None and old != key:
                stale = self._memory.pop(old, None)
                if stale is not None:
                    self._bytes -= nbytes(stale)
                self._drop_file(old)
            if size > self.memory_limit:
                return
            previous = self._memory.pop(key, None)
            if previous is not None:
                self._bytes -= nbytes(previous)
            self._memory[key] = value
            self._bytes += size
            while self._bytes > self.memory_limit and self._memory:
                _k, evicted = self._memory.popitem(last=False)
                self._bytes -= nbytes(evicted)

    # -- disk ---------------------------------------------------------------------------
    def _file(self, key: CacheKey) -> Path | None:
        if self.folder is None:
            return None
        digest = key.digest()
        safe_kind = "".join(c if c.isalnum() or c in "-_" else "_" for c in key.kind) or "entry"
        return self.folder / safe_kind / digest[:2] / f"{digest}.npz"

    def _drop_file(self, key: CacheKey) -> None:
        file = self._file(key)
        if file is not None:
            with contextlib.suppress(OSError):
                file.unlink()

    def _load(self, key: CacheKey) -> Value | None:
        file = self._file(key)
        if file is None:
            return None
        try:
            with np.load(file, allow_pickle=False) as data:
                arrays = {name: data[name] for name in data.files}
            os.utime(file)  # last use, for the disk bound
        except (OSError, ValueError, KeyError, EOFError):
            return None
        if set(arrays) == {"__array__"}:
            return arrays["__array__"]
        return {name[2:]: a for name, a in arrays.items() if name.startswith("d:")}

    def _save(self, key: CacheKey, value: Value) -> None:
        file = self._file(key)
        if file is None:
            return
        arrays = (
            {"__array__": value} if isinstance(value, np.ndarray) else {f"d:{k}": v for k, v in value.items()}
        )
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=file.parent, suffix=".npz.tmp")
            try:
                with os.fdopen(fd, "wb") as fh:
                    np.savez(fh, **arrays)  # type: ignore[arg-type]
                os.replace(tmp, file)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError:
            return  # a full or read-only disk costs the disk copy, not the value
        with self._lock:
            self._written += nbytes(value)
            due = self._written > self.disk_limit // 8
            if due:
                self._written = 0
        if due:
            self.prune_disk()

    def disk_bytes(self) -> int:
        if self.folder is None or not self.folder.is_dir():
            return 0
        return sum(f.stat().st_size for f in self.folder.rglob("*.npz"))

    def prune_disk(self, limit: int | None = None) -> int:
        """Delete least recently used files until the folder holds at most ``limit`` bytes."""
        if self.folder is None or not self.folder.is_dir():
            return 0
        limit = self.disk_limit if limit is None else limit
        files = []
        for f in self.folder.rglob("*.npz"):
            with contextlib.suppress(OSError):
                st = f.stat()
                files.append((st.st_mtime, st.st_size, f))
        total = sum(size for _, size, _ in files)
        removed = 0
        for _mtime, size, f in sorted(files, key=lambda item: item[0]):
            if total <= limit:
                break
            with contextlib.suppress(OSError):
                f.unlink()
                total -= size
                removed += 1
        return removed


_shared: OrderedDict[str, MediaCache] = OrderedDict()
_shared_lock = threading.Lock()
SHARED_KEPT = 4  # folders whose cache stays alive at once (a process normally uses one)


def shared_cache(folder: str | os.PathLike[str] | None) -> MediaCache:
    """The one :class:`MediaCache` of ``folder`` in this process (memory-only for None)."""
    name = os.path.abspath(os.fspath(folder)) if folder is not None else ""
    with _shared_lock:
        cache = _shared.get(name)
        if cache is None:
            cache = _shared[name] = MediaCache(folder)
            while len(_shared) > SHARED_KEPT:
                _shared.popitem(last=False)
        _shared.move_to_end(name)
        return cache


# -- the kinds the app uses ---------------------------------------------------------------
POSTER = (180, 320)  # the default thumbnail: the media bin's icon, the timeline's tile before frames arrive


def thumbnail(
    cache: MediaCache,
    path: str | os.PathLike[str],
    t: float | None = None,
    max_size: tuple[int, int] = POSTER,
) -> np.ndarray:
    """``studio.media.thumbnails.thumbnail`` through the cache (HxWx3 uint8 RGB)."""
    from studio.media.thumbnails import thumbnail as make_thumbnail

    params = (None if t is None else round(float(t), 4), tuple(max_size))
    value = cache.get(path, "thumbnail", params, lambda p: make_thumbnail(p, t, max_size))
    assert isinstance(value, np.ndarray)
    return value
