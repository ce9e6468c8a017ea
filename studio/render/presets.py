"""Export presets and the platform's video requirements.

A preset fixes the output's short side, frame rate and quality; the long side follows the
project's canvas aspect ratio so a vertical canvas stays vertical. ``canvas`` keeps the project's
own size and frame rate. The size estimate is deliberately pessimistic (a bitrate ceiling, not the
CRF's typical rate) so that a refusal never comes after a long render.
"""

from __future__ import annotations

from dataclasses import dataclass

PLATFORM_MIN_FPS = 23.0
PLATFORM_MAX_FPS = 60.0
PLATFORM_MIN_SIDE = 360
PLATFORM_MAX_SIDE = 4096
PLATFORM_MAX_DURATION_S = 600.0
PLATFORM_MAX_BYTES = 4 * 1024**3


@dataclass(frozen=True)
class Preset:
    name: str
    short_side: int | None  # None: the canvas's own size
    fps: float | None  # None: the canvas's own frame rate
    crf: int
    x264_preset: str
    max_video_kbps: int  # ceiling used for the size estimate (and as maxrate for "small")
    audio_kbps: int
    cap_bitrate: bool = False

    def output_size(self, canvas_w: int, canvas_h: int) -> tuple[int, int]:
        """Output (width, height): even numbers, canvas aspect ratio kept."""
        if self.short_side is None:
            return _even(canvas_w), _even(canvas_h)
        short = min(canvas_w, canvas_h)
        factor = self.short_side / short
        return _even(canvas_w * factor), _even(canvas_h * factor)

    def output_fps(self, canvas_fps: float) -> float:
        return float(self.fps if self.fps is not None else canvas_fps)

    def estimate_bytes(self, duration_s: float) -> int:
        return int((self.max_video_kbps + self.audio_kbps) * 1000 / 8 * duration_s)


def _even(v: float) -> int:
    return max(2, round(v / 2.0) * 2)


PRESETS: dict[str, Preset] = {
    "canvas": Preset("canvas", None, None, 20, "medium", 16000, 192),
    "1080p30": Preset("1080p30", 1080, 30.0, 20, "medium", 12000, 192),
    "1080p60": Preset("1080p60", 1080, 60.0, 20, "medium", 18000, 192),
    "720p30": Preset("720p30", 720, 30.0, 21, "medium", 6000, 160),
    "small": Preset("small", 720, 30.0, 27, "medium", 2500, 128, cap_bitrate=True),
}
DEFAULT_PRESET = "1080p30"


def get_preset(name: str | Preset | None) -> Preset:
    if isinstance(name, Preset):
        return name
    key = DEFAULT_PRESET if name is None else name
    try:
        return PRESETS[key]
    except KeyError:
        raise ValueError(f"unknown preset '{key}' (choose from {', '.join(PRESETS)})") from None


def platform_problems(width: int, height: int, fps: float, duration_s: float, est_bytes: int) -> list[str]:
    """Every way the output would break the platform's video requirements (empty when fine)."""
    problems: list[str] = []
    if not PLATFORM_MIN_FPS <= fps <= PLATFORM_MAX_FPS:
        problems.append(
            f"frame rate {fps:g} fps is outside the platform's {PLATFORM_MIN_FPS:g}-{PLATFORM_MAX_FPS:g} fps"
        )
    for label, side in (("width", width), ("height", height)):
        if not PLATFORM_MIN_SIDE <= side <= PLATFORM_MAX_SIDE:
            problems.append(
                f"{label} {side} px is outside the platform's {PLATFORM_MIN_SIDE}-{PLATFORM_MAX_SIDE} px"
            )
    if duration_s > PLATFORM_MAX_DURATION_S:
        problems.append(
            f"the video is {duration_s / 60:.1f} min long; the platform takes at most "
            f"{PLATFORM_MAX_DURATION_S / 60:g} min"
        )
    if est_bytes > PLATFORM_MAX_BYTES:
        problems.append(
            f"the file would be about {est_bytes / 1024**3:.1f} GB; the platform takes at most 4 GB"
        )
    return problems
