"""Per-clip filter chains from ``studio.effects.chain``, opened once per (clip, frame size).

The chain is always called, even when it holds no filter: an empty chain returns its input.
Each chain gets the clip's key (``source|in|out``) and the profile's face cache folder, so face
tracks found while previewing are reused by the export and the other way round.
"""

from __future__ import annotations

from typing import Any

from studio.core.frame import Frame
from studio.core.project import VideoClip
from studio.effects.chain import FilterChain, build_chain
from studio.media.hlg import DEEP_HOST


def clip_key(clip: VideoClip) -> str:
    """What identifies a clip's frames for cached analysis: the source and its in/out points."""
    return f"{clip.source}|{clip.in_point}|{clip.out_point}"


def face_cache_dir() -> str:
    """``<profile cache>/faces`` (created by the face cache when it first saves); "" when the
    profile's folders cannot be named (then face tracks live in memory only)."""
    from studio.config import ConfigError, app_paths

    try:
        return str(app_paths().cache / "faces")
    except ConfigError:
        return ""


class ClipFilters:
    """The filter chains of a render, keyed by clip id and the size the chain sees."""

    def __init__(self, fps: float, mode: str, deep: bool = False) -> None:
        """``deep``: the chains get the HDR export's 10-bit frames (and the SDR -> HLG
        conversion for filters that draw SDR pictures on them)."""
        self.fps = fps
        self.mode = mode
        self.deep = deep
        self._chains: dict[tuple[str, int, int], FilterChain] = {}
        self.problems: list[str] = []
        self.cache_dir = face_cache_dir()

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
                clip_key=clip_key(clip),
                cache_dir=self.cache_dir,
                deep=DEEP_HOST if self.deep else None,
            )
            self.problems.extend(p for p in chain.problems if p not in self.problems)
            self._chains[key] = chain
        return chain

    def process(self, clip: VideoClip, frame: Frame, local_t: float) -> Frame:
        return self.chain(clip, frame.width, frame.height).process(frame, local_t)

    def restart(self, filter_id: str) -> bool:
        """Use a plugin again after it failed (hung, crashed, raised): each open chain holding it
        starts its worker process afresh. True when at least one chain runs it again. Call it
        from the thread that renders (from the UI, re-enabling the plugin in the registry makes
        each chain restart it on its next frame)."""
        restarted = [chain.restart(filter_id) for chain in list(self._chains.values())]
        if any(restarted):
            self.problems[:] = [p for p in self.problems if f"({filter_id})" not in p]
        return any(restarted)

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
