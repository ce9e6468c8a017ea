"""The render engine's filter hook: a clip's filter list turned into one callable chain.

``build_chain(filters, width=, height=, fps=, mode=)`` looks every ``FilterRef`` up in the
registry, migrates saved parameters to the installed filter version and opens the filters.
``FilterChain.process(frame, t)`` resolves keyframes at clip-local time ``t``, validates,
skips disabled and identity filters, converts the frame's layout only when the next filter
needs another one, and checks each output.

Isolation: third-party filters (plugins folder, entry points) run in a worker process each
(:mod:`studio.effects.isolation`), frames passing through shared memory mapped read-only there,
with a time budget per frame: a plugin that overruns is stopped, one that crashes takes only its
worker down. Built-ins and models run in this process. A third-party class a fresh process
cannot import (defined inside a function) runs here on a daemon thread with the same budget.
Every filter gets an input whose buffer is read-only (``setflags(write=True)`` raises).

A filter that raises, returns the wrong shape/dtype, overruns its budget or crashes is disabled
with a reason (``FilterChain.problems`` and the registry's status list). In preview the chain
goes on without it (the frame is what the previous filter produced, never a half-written one);
in export it raises :class:`FilterError` naming the filter. :meth:`FilterChain.restart` (or
re-enabling the plugin in the registry) starts its worker again.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from studio.core.frame import Frame
from studio.effects.api import I420, DeepHost, Filter, FilterContext, FilterError, Mode, ParamError
from studio.effects.isolation import SAME, PluginWorker, WorkerFailure
from studio.effects.registry import Registry, default_registry

__all__ = ["FilterChain", "FilterError", "FilterRefLike", "build_chain"]

log = logging.getLogger(__name__)

PREVIEW_BUDGET_S = 0.5
EXPORT_BUDGET_S = 30.0
BUDGET_ENV = "CREATOR_STUDIO_PLUGIN_BUDGET"  # seconds per frame, overrides both defaults


def default_budget(mode: Mode) -> float:
    """The per-frame budget of third-party filters: 0.5 s in preview, 30 s in export, or
    ``$CREATOR_STUDIO_PLUGIN_BUDGET`` seconds."""
    raw = os.environ.get(BUDGET_ENV, "").strip()
    if raw:
        try:
            value = float(raw)
        except ValueError:
            value = 0.0
        if value > 0:
            return value
        log.warning("%s=%r is not a number of seconds; using the default", BUDGET_ENV, raw)
    return PREVIEW_BUDGET_S if mode == "preview" else EXPORT_BUDGET_S


def read_only(array: np.ndarray) -> np.ndarray:
    """A view of ``array`` that cannot be made writeable (its buffer is a read-only memoryview)."""
    return np.asarray(memoryview(array).toreadonly())


class _GuardThread:
    """A daemon thread that runs one plugin's calls: a call over budget is abandoned with the
    thread (which, being a daemon, never holds up the interpreter's exit)."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            future, fn, args = job
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args))
                except BaseException as exc:
                    future.set_exception(exc)

    def call(self, fn: Callable[..., Any], args: tuple[Any, ...], timeout: float) -> Any:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._jobs.put((future, fn, args))
        return future.result(timeout=timeout)

    def stop(self) -> None:
        self._jobs.put(None)


class FilterRefLike(Protocol):
    """What the chain needs of ``studio.core.project.FilterRef``."""

    id: str
    params: dict[str, Any]
    enabled: bool
    version: int

    def values_at(self, t: float) -> dict[str, Any]: ...


@dataclass
class _DictRef:
    """A filter entry given as a plain project-document dict (``{"id": ..., "params": ...}``)."""

    id: str
    params: dict[str, Any]
    enabled: bool = True
    version: int = 1

    def values_at(self, t: float) -> dict[str, Any]:
        return dict(self.params)


def _as_ref(obj: Any) -> FilterRefLike:
    if isinstance(obj, Mapping):
        return _DictRef(
            str(obj.get("id", "")),
            dict(obj.get("params") or {}),
            bool(obj.get("enabled", True)),
            int(obj.get("version", 1)),
        )
    return obj


@dataclass
class _Step:
    """One filter of the chain: in this process (``filter``) or in a worker (``worker``)."""

    ref: FilterRefLike
    cls: type[Filter]
    filter: Filter | None
    guarded: bool
    disabled: str = ""
    worker: PluginWorker | None = field(default=None, repr=False)
    thread: _GuardThread | None = field(default=None, repr=False)

    def close(self) -> None:
        if self.thread is not None:
            self.thread.stop()
            self.thread = None
        if self.worker is not None:
            self.worker.close()
        elif self.filter is not None:
            try:
                self.filter.close()
            except Exception as exc:
                log.warning("filter %s failed to close: %s", self.cls.id, exc)


class FilterChain:
    def __init__(
        self,
        steps: list[_Step],
        ctx: FilterContext,
        registry: Registry,
        time_budget: float,
        problems: list[str],
        fuse: str = "auto",
    ) -> None:
        self._steps = steps
        self.ctx = ctx
        self.registry = registry
        self.time_budget = time_budget
        self.problems = problems
        self.fuse = fuse
        self._fuse_failed: set[tuple[Any, ...]] = set()

    @property
    def is_empty(self) -> bool:
        return not any(not s.disabled and s.ref.enabled for s in self._steps)

    @property
    def filter_ids(self) -> list[str]:
        return [s.cls.id for s in self._steps if not s.disabled]

    def worker_pids(self) -> dict[str, int]:
        """The filters running in a worker process (third-party ones), with its process id."""
        return {
            s.cls.id: pid
            for s in self._steps
            if s.worker is not None and s.worker.alive and (pid := s.worker.pid) is not None
        }

    def process(self, frame: Frame, t: float) -> Frame:
        """The filtered frame for clip-local time ``t``; ``frame`` itself is never modified."""
        active: list[tuple[_Step, dict[str, Any]]] = []
        for step in self._steps:
            if step.disabled and step.guarded and self.registry.get(step.cls.id) is not None:
                self._restart_step(step)  # switched back on (the plugins dialog): start it again
            if step.disabled or not step.ref.enabled:
                continue
            try:
                values = self._values(step, t)
            except (ParamError, ValueError, TypeError) as exc:
                self._fail(step, f"has an unusable setting: {exc}")
                continue
            try:
                if step.filter is not None and step.filter.is_identity(values):
                    continue
            except Exception as exc:
                self._fail(step, f"cannot be applied: {exc}")
                continue
            active.append((step, values))
        i = 0
        while i < len(active):
            run = [] if frame.deep else self._fusable_run(active, i)
            if len(run) >= 2:
                fused = self._fused(frame, run)
                if fused is not None:
                    frame = fused
                    i += len(run)
                    continue
            step, values = active[i]
            frame = self._apply(step, frame, t, values)
            i += 1
        return frame

    def _apply(self, step: _Step, frame: Frame, t: float, values: dict[str, Any]) -> Frame:
        """One filter on ``frame``; on failure the frame as it was (preview) or FilterError (export)."""
        if step.disabled:
            return frame
        if frame.deep and not self.registry.runs_deep(step.cls.id):
            # not the filter's fault: the HDR export checks this before it starts
            raise FilterError(
                step.cls.id,
                f"{step.cls.name or step.cls.id} works on 8-bit SDR frames only and cannot run in "
                "the HDR export; remove it or export in SDR",
            )
        src = frame.as_i420() if step.cls.layout == I420 else frame.as_rgb()
        view = read_only(src)
        try:
            out = self._call(step, view, t, values)
        except FilterError:
            raise
        except WorkerFailure as exc:
            self._fail(step, exc.reason)
            return frame
        except Exception as exc:
            self._fail(step, f"raised {type(exc).__name__}: {exc}")
            return frame
        if out is None or out is SAME or out is view:
            return frame
        if not isinstance(out, np.ndarray) or out.shape != src.shape or out.dtype != src.dtype:
            got = f"{out.shape} {out.dtype}" if isinstance(out, np.ndarray) else type(out).__name__
            self._fail(step, f"returned {got} instead of a {src.shape} {src.dtype} image")
            return frame
        if out is src:
            return frame
        if step.cls.layout == I420:
            return Frame.from_i420(np.ascontiguousarray(out), frame.width, frame.height)
        return Frame(frame.width, frame.height, _rgb=np.ascontiguousarray(out))

    def _fusable_run(
        self, active: list[tuple[_Step, dict[str, Any]]], start: int
    ) -> list[tuple[_Step, dict[str, Any]]]:
        if self.fuse == "never":
            return []
        from studio.effects.fused import FUSABLE

        run = []
        for step, values in active[start:]:
            if step.guarded or step.cls.id not in FUSABLE:
                break
            run.append((step, values))
        return run

    def _fused(self, frame: Frame, run: list[tuple[_Step, dict[str, Any]]]) -> Frame | None:
        """The run through one ONNX graph, when that is the faster (or the forced) path."""
        from studio.effects import fused

        try:
            parts = tuple(fused.structure(s.cls.id, v, self.ctx) for s, v in run)
        except Exception:
            return None  # a bad setting: the per-filter path reports it
        key = (parts, frame.width, frame.height)
        if key in self._fuse_failed:
            return None
        look = fused.fused_look(parts, frame.width, frame.height)
        if look is None:
            return None
        values = [v for _, v in run]
        try:
            if self.fuse == "auto":
                t = 0.0

                def opencv() -> Frame:
                    out = frame
                    for step, v in run:
                        out = self._apply(step, out, t, v)
                    return out

                if fused.choose(key, opencv, lambda: look.run(frame.as_i420(), values)) != "onnx":
                    return None
            return Frame.from_i420(look.run(frame.as_i420(), values), frame.width, frame.height)
        except FilterError:
            raise
        except Exception as exc:
            log.warning("fused ONNX path failed (%s); using the per-filter path", exc)
            self._fuse_failed.add(key)
            return None

    def _values(self, step: _Step, t: float) -> dict[str, Any]:
        values = dict(step.ref.values_at(t))
        if step.ref.version < step.cls.version:
            values = step.cls.migrate(values, step.ref.version)
        return step.cls.validate(values)

    def _call(self, step: _Step, image: np.ndarray, t: float, values: dict[str, Any]) -> Any:
        if step.worker is not None:
            return step.worker.process(image, t, values, self.time_budget)
        assert step.filter is not None
        if not step.guarded:
            return step.filter.process(image, t, values)
        if step.thread is None:
            step.thread = _GuardThread(f"filter-{step.cls.id}")
        started = time.perf_counter()
        try:
            return step.thread.call(step.filter.process, (image, t, values), self.time_budget)
        except concurrent.futures.TimeoutError:
            # A thread cannot be stopped: abandon it (a daemon) and never use this instance again.
            step.thread = None
            elapsed = time.perf_counter() - started
            self._fail(
                step,
                f"took longer than its time budget ({elapsed:.2f} s > {self.time_budget:.2f} s per frame)",
            )
            return None

    def restart(self, filter_id: str) -> bool:
        """Use ``filter_id`` again in this chain after it failed: its worker process is started
        afresh (state reset) and the registry's status switched back on. True when it runs
        again; False when the chain does not hold it or it failed to start (then the reason is
        in ``problems``; in export :class:`FilterError` is raised). Call it from the thread that
        uses the chain; another thread (the UI) re-enables the plugin in the registry instead,
        and the chain restarts it before its next frame."""
        steps = [s for s in self._steps if s.cls.id == filter_id]
        if not steps:
            return False
        self.registry.enable(filter_id)
        return all([self._restart_step(s) for s in steps])

    def _restart_step(self, step: _Step) -> bool:
        if step.thread is not None:
            step.thread.stop()
            step.thread = None
        step.disabled = ""
        try:
            if step.worker is not None:
                step.worker.restart()
            elif step.guarded:
                if step.filter is not None:
                    try:
                        step.filter.close()
                    except Exception as exc:
                        log.warning("filter %s failed to close: %s", step.cls.id, exc)
                step.filter = step.cls()
                step.filter.open(self.ctx)
        except WorkerFailure as exc:
            self._fail(step, exc.reason)
            return False
        except Exception as exc:
            self._fail(step, f"failed to open: {exc}")
            return False
        return True

    def _fail(self, step: _Step, reason: str) -> None:
        message = f"{step.cls.name or step.cls.id} ({step.cls.id}) {reason}"
        if self.ctx.mode == "export":
            self.registry.disable(step.cls.id, reason, quiet=True)
            raise FilterError(step.cls.id, message)
        step.disabled = reason
        self.problems.append(message)
        self.registry.disable(step.cls.id, reason)

    def close(self) -> None:
        for step in self._steps:
            step.close()

    def __enter__(self) -> FilterChain:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def build_chain(
    filters: Sequence[Any],
    *,
    width: int,
    height: int,
    fps: float,
    mode: Mode = "preview",
    registry: Registry | None = None,
    clip_key: str = "",
    cache_dir: str = "",
    device: str = "cpu",
    time_budget: float | None = None,
    fuse: Literal["auto", "never", "always"] = "auto",
    deep: DeepHost | None = None,
) -> FilterChain:
    """Open the filters of one clip. Unknown/failing filters: skipped in preview, FilterError in export.

    ``filters`` holds ``FilterRef`` objects (or project-document dicts). ``clip_key`` (source
    path + in/out) lets analysing filters share cached results between preview and export.
    ``fuse``: runs of colour/LUT/vignette/blur go through one ONNX graph when that measures
    faster ("auto", decided once per process for each run and frame size), always, or never.
    ``time_budget``: seconds per frame for each third-party filter (default: :func:`default_budget`).
    ``deep``: the host's conversions for a chain that gets deep frames (``FilterContext.deep``).
    Each third-party filter's worker process is started (and the plugin opened there) here.
    """
    if mode not in ("preview", "export"):
        raise ValueError(f"mode must be 'preview' or 'export', not {mode!r}")
    if registry is None:
        registry = default_registry() if filters else Registry()
    ctx = FilterContext(int(width), int(height), float(fps), device, mode, clip_key, cache_dir, deep=deep)
    budget = time_budget if time_budget is not None else default_budget(mode)
    steps: list[_Step] = []
    problems: list[str] = []

    def problem(filter_id: str, message: str) -> None:
        if mode == "export":
            for opened in steps:
                opened.close()
            raise FilterError(filter_id, message)
        problems.append(f"{filter_id}: {message}")
        log.warning("filter %s skipped: %s", filter_id, message)

    for item in filters:
        ref = _as_ref(item)
        if not ref.enabled:
            continue
        cls = registry.get(ref.id)
        if cls is None:
            status = registry.status(ref.id)
            why = status.error if status is not None and status.error else "is not installed"
            problem(ref.id, f"{why} (filter unavailable)")
            continue
        if ref.version > cls.version:
            log.warning("%s was saved by version %s, installed is %s", ref.id, ref.version, cls.version)
        status = registry.status(ref.id)
        guarded = status is not None and status.third_party
        loader = registry.loader(cls.id) if guarded else None
        if loader is not None:
            worker = PluginWorker(loader, ctx, cls.name or cls.id)
            try:
                worker.start()
            except WorkerFailure as exc:
                registry.disable(cls.id, exc.reason, quiet=mode == "export")
                problem(cls.id, exc.reason)
                continue
            steps.append(_Step(ref, cls, None, True, worker=worker))
            continue
        try:
            instance = cls()
            instance.open(ctx)
        except Exception as exc:
            registry.disable(cls.id, f"failed to open: {exc!r}", quiet=mode == "export")
            problem(cls.id, f"failed to open: {exc}")
            continue
        steps.append(_Step(ref, cls, instance, guarded))
    return FilterChain(steps, ctx, registry, budget, problems, fuse)
