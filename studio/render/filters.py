"""Per-clip filter chains from ``studio.effects.chain``, opened once per (clip, frame size).

The chain is always called, even when it holds no filter: an empty chain returns its input.
"""

from __future__ import annotations

from typing import Any

from studio.core.frame import Frame
from studio.core.project import VideoClip
from studio.effects.chain import FilterChain, build_chain


class ClipFilters:
    """The filter chains of a render, keyed by clip id and the size the chain sees."""

    def __init__(self, fps: float, mode: str) -> None:
        self.fps = fps
        self.mode = mode
        self._chains: dict[tuple[str, int, int], FilterChain] = {}
        self.problems: list[str] = []

    def chain(self, clip: VideoClip, width: int, height: int) -> FilterChain:
        key = (clip.id, width, height)
        chain = self._chains.get(key)
        if chain is None:
            stale = [k for k in self._chains if k[0] == clip.id]
            for k in stale:
                self._chains.pop(k).close()
            chain = build_chain(
                clip.filters,
                width=width,
                height=height,
                fps=self.fps,
                mode=self.mode,  # type: ignore[arg-type]
                clip_key=f"{clip.source}|{clip.in_point:.3f}|{clip.out_point:.3f}",
            )
            self.problems.extend(p for p in chain.problems if p not in self.problems)
            self._chains[key] = chain
        return chain

    def process(self, clip: VideoClip, frame: Frame, local_t: float) -> Frame:
        return self.chain(clip, frame.width, frame.height).process(frame, local_t)

    def release(self, clip_id: str) -> None:
        """Close the chains of a clip that will not show again (export walks time forward)."""
        for k in [k for k in self._chains if k[0] == clip_id]:
            self._chains.pop(k).close()

    def close(self) -> None:
        for chain in self._chains.values():
            chain.close()
        self._chains.clear()

    def __enter__(self) -> ClipFilters:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
