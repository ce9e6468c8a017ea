"""`creator-studio probe FILE [--json]`: describe a media file the way a creator needs it."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a video, audio or image file")
    parser.add_argument("--json", action="store_true", help="print the description as JSON")


def _size(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{n} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} bytes"


def colour_line(v: Any) -> str:
    """ "HDR HLG, BT.2020, 10-bit (bt2020nc / arib-std-b67 / bt2020, tv)" and the like."""
    kind = f"HDR {v.hdr}" if v.hdr else "SDR"
    gamut = (
        "BT.2020" if v.wide_gamut else "BT.709" if v.height >= 720 or v.color_space == "bt709" else "BT.601"
    )
    tags = " / ".join(t or "untagged" for t in (v.color_space, v.color_transfer, v.color_primaries))
    return f"{kind}, {gamut}, {v.bit_depth}-bit ({tags}, {v.color_range or 'range untagged'})"


def describe(info: Any) -> list[str]:
    """Human-readable lines for a MediaInfo."""
    lines = [
        f"file:      {info.path}",
        f"kind:      {info.kind}",
        f"container: {info.container}",
        f"duration:  {info.duration:.3f} s",
        f"size:      {_size(info.size_bytes)}",
    ]
    v = info.video
    if v is not None:
        rate = f"{v.fps:.3f} fps" + (" (variable frame rate)" if v.vfr else "")
        if info.kind == "image":
            rate = "still image"
        turned = (
            f", rotation {v.rotation}° -> shown {v.display_width}x{v.display_height}" if v.rotation else ""
        )
        lines.append(
            f"video:     {v.codec} {v.width}x{v.height}{turned}, {rate}, {v.pix_fmt} ({v.bit_depth}-bit), "
            f"{v.frame_count} frames"
        )
        lines.append(f"colour:    {colour_line(v)}")
    a = info.audio
    if a is not None:
        damaged = " [damaged]" if a.damaged else ""
        lines.append(f"audio:     {a.codec} {a.sample_rate} Hz, {a.channels} ch ({a.layout}){damaged}")
    lines += [f"warning:   {w}" for w in info.warnings]
    return lines


def main(args: argparse.Namespace) -> int:
    from studio.media.errors import MediaError
    from studio.media.probe import probe

    try:
        info = probe(args.file)
    except MediaError as exc:
        if args.json:
            print(json.dumps({"path": args.file, "error": {"kind": exc.kind, "message": exc.message}}))
        print(f"creator-studio probe: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(info.to_dict(), indent=2))
        for warning in info.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    else:
        print("\n".join(describe(info)))
    return 0
