"""The render engine's filter hook: a clip's filter list turned into one callable chain.

``build_chain(filters, width=, height=, fps=, mode=)`` looks every ``FilterRef`` up in the
registry, migrates saved parameters to the installed filter version and opens the filters.
``FilterChain.process(frame, t)`` resolves keyframes at clip-local time ``t``, validates,
skips disabled and identity filters, converts the frame's layout only when the next filter
needs another one, and checks each output.

Isolation: third-party filters run on a worker thread with a time budget and get read-only
input. A filter that raises, returns the wrong shape/dtype or overruns its budget is disabled
with a reason (``FilterChain.problems`` and the registry's status list). In preview the chain
goes on without it (the frame is what the previous filter produced, never a half-written one);
in export it raises :class:`FilterError` naming the filter.
"""

from __future__ import annotations

import concurrent.futures
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from studio.core.frame import Frame
from studio.effects.api import I420, Filter, FilterContext, FilterError, Mode, ParamError
from studio.effects.registry import Registry, default_registry

__all__ = ["FilterChain", "FilterError", "FilterRefLike", "build_chain"]

log = logging.getLogger(__name__)

PREVIEW_BUDGET_S = 0.5
EXPORT_BUDGET_S = 30.0


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
    ref: FilterRefLike
    cls: type[Filter]
    filter: Filter
    guarded: bool
    disabled: str = ""
    executor: concurrent.futures.ThreadPoolExecutor | None = field(default=None, repr=False)


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

    def process(self, frame: Frame, t: float) -> Frame:
        """The filtered frame for clip-local time ``t``; ``frame`` itself is never modified."""
        active: list[tuple[_Step, dict[str, Any]]] = []
        for step in self._steps:
            if step.disabled or not step.ref.enabled:
                continue
            try:
                values = self._values(step, t)
            except (ParamError, ValueError, TypeError) as exc:
                self._fail(step, f"has an unusable setting: {exc}")
                continue
            try:
                if step.filter.is_identity(values):
                    continue
            except Exception as exc:
                self._fail(step, f"cannot be applied: {exc}")
                continue
            active.append((step, values))
        i = 0
        while i < len(active):
            run = self._fusable_run(active, i)
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
        src = frame.as_i420() if step.cls.layout == I420 else frame.as_rgb()
        view = src.view()
        view.flags.writeable = False
        try:
            out = self._call(step, view, t, values)
        except FilterError:
            raise
        except Exception as exc:
            self._fail(step, f"raised {type(exc).__name__}: {exc}")
            return frame
        if out is None:
            return frame
        if not isinstance(out, np.ndarray) or out.shape != src.shape or out.dtype != np.uint8:
            got = f"{out.shape} {out.dtype}" if isinstance(out, np.ndarray) else type(out).__name__
            self._fail(step, f"returned {got} instead of a {src.shape} uint8 image")
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

                if fused.choose(key, opencv, lambda: look.run(frame.as_rgb(), values)) != "onnx":
                    return None
            return Frame(frame.width, frame.height, _rgb=look.run(frame.as_rgb(), values))
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

    def _call(self, step: _Step, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray | None:
        if not step.guarded:
            return step.filter.process(image, t, values)
        if step.executor is None:
            step.executor = concurrent.futures.ThreadPoolExecutor(
                1, thread_name_prefix=f"filter-{step.cls.id}"
            )
        started = time.perf_counter()
        future = step.executor.submit(step.filter.process, image, t, values)
        try:
            return future.result(timeout=self.time_budget)
        except concurrent.futures.TimeoutError:
            # The worker cannot be stopped; abandon it and never use this filter again here.
            step.executor.shutdown(wait=False, cancel_futures=True)
            step.executor = None
            elapsed = time.perf_counter() - started
            self._fail(
                step,
                f"took longer than its time budget ({elapsed:.2f} s > {self.time_budget:.2f} s per frame)",
            )
            return None

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
            if step.executor is not None:
                step.executor.shutdown(wait=False, cancel_futures=True)
                step.executor = None
            try:
                step.filter.close()
            except Exception as exc:
                log.warning("filter %s failed to close: %s", step.cls.id, exc)

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
) -> FilterChain:
    """Open the filters of one clip. Unknown/failing filters: skipped in preview, FilterError in export.

    ``filters`` holds ``FilterRef`` objects (or project-document dicts). ``clip_key`` (source
    path + in/out) lets analysing filters share cached results between preview and export.
    ``fuse``: runs of colour/LUT/vignette/blur go through one ONNX graph when that measures
    faster ("auto", decided once per process for each run and frame size), always, or never.
    """
    if mode not in ("preview", "export"):
        raise ValueError(f"mode must be 'preview' or 'export', not {mode!r}")
    if registry is None:
        registry = default_registry() if filters else Registry()
    ctx = FilterContext(int(width), int(height), float(fps), device, mode, clip_key, cache_dir)
    budget = (
        time_budget
        if time_budget is not None
        else (PREVIEW_BUDGET_S if mode == "preview" else EXPORT_BUDGET_S)
    )
    steps: list[_Step] = []
    problems: list[str] = []
    opened: list[Filter] = []

    def problem(filter_id: str, message: str) -> None:
        if mode == "export":
            for f in opened:
                try:
                    f.close()
                except Exception as close_exc:
                    log.warning("filter %s failed to close: %s", type(f).id, close_exc)
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
        try:
            instance = cls()
            instance.open(ctx)
        except Exception as exc:
            registry.disable(cls.id, f"failed to open: {exc!r}", quiet=mode == "export")
            problem(cls.id, f"failed to open: {exc}")
            continue
        opened.append(instance)
        steps.append(_Step(ref, cls, instance, guarded))
    return FilterChain(steps, ctx, registry, budget, problems, fuse)
