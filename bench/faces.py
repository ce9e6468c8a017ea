"""Face tracking speed and hold, this tree against another (e.g. HEAD in a git worktree).

Two clips of the astronaut portrait, as the decoder gives them (the Y plane of I420 frames):
``pan`` (a 9:16 window panning across the upright face) and ``roll`` (the head tilting from
-30° to +30° over 2 s). For each at 540x960 and 1080x1920: ms/frame of ``FaceTracker.update``
(detect every 5 frames; best of rounds, as other work on the machine only adds time) and in how many frames a face was found.

Run: .venv/bin/python bench/faces.py [--base /tmp/faces-base] [--frames 60] [--rounds 3]
(make the base with ``git worktree add /tmp/faces-base HEAD``). The base tree is measured in a
child process with its own ``studio`` first on the path.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
PHOTO = REPO / "tests" / "effects" / "data" / "astronaut.jpg"
SIZES = ((540, 960), (1080, 1920))
FACE = (450.0, 226.0)  # face centre in the photo scaled to 1024x1024


def clip(kind: str, w: int, h: int, n: int) -> list[np.ndarray]:
    """Y planes of ``n`` frames of the ``pan`` or ``roll`` clip at ``w`` x ``h``."""
    photo = cv2.resize(cv2.imread(str(PHOTO)), (1024, 1024), interpolation=cv2.INTER_CUBIC)
    frames = []
    for i in range(n):
        if kind == "pan":
            image, x0 = photo, 200 + (i * 3) % 200
        else:
            roll = -30.0 + 60.0 * i / max(1, n - 1)
            m = cv2.getRotationMatrix2D(FACE, -roll, 1.0)
            image, x0 = cv2.warpAffine(photo, m, (1024, 1024), borderMode=cv2.BORDER_REFLECT), 225
        crop = np.ascontiguousarray(image[0:800, x0 : x0 + 450])
        rgb = cv2.cvtColor(cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
        frames.append(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420)[:h].copy())
    return frames


def measure(frames: int, rounds: int) -> dict[str, dict[str, float]]:
    """{"pan 540x960": {"ms": ..., "found": ...}, ...} for the ``studio`` on the path."""
    from studio.effects.face import DetectorSettings, FaceTracker

    cv2.setNumThreads(max(1, os.cpu_count() or 1))
    out: dict[str, dict[str, float]] = {}
    for kind in ("pan", "roll"):
        for w, h in SIZES:
            planes = clip(kind, w, h, frames)
            times, found = [], 0
            for _ in range(rounds):
                tracker = FaceTracker(DetectorSettings(detect_every=5))
                found = 0
                started = time.perf_counter()
                for i, y in enumerate(planes):
                    found += bool(tracker.update(y, i / 30))
                times.append((time.perf_counter() - started) / len(planes) * 1000)
            out[f"{kind} {w}x{h}"] = {"ms": min(times), "found": found / len(planes)}
    return out


def measure_tree(tree: Path, frames: int, rounds: int) -> dict[str, dict[str, float]]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--json",
        "--frames",
        str(frames),
        "--rounds",
        str(rounds),
    ]
    done = subprocess.run(cmd, env=env, cwd=tree, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--base", type=Path, help="another source tree to compare with (e.g. HEAD's worktree)"
    )
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="measure the studio on the path, print JSON")
    args = parser.parse_args(argv)
    if args.json:
        print(json.dumps(measure(args.frames, args.rounds)))
        return 0
    # Rounds alternate between the trees, so a busy machine slows both alike.
    ours: dict[str, dict[str, float]] = {}
    base: dict[str, dict[str, float]] | None = {} if args.base else None
    for _ in range(args.rounds):
        for tree, best in ((REPO, ours), (args.base, base)):
            if tree is None or best is None:
                continue
            for name, row in measure_tree(tree, args.frames, 1).items():
                if name not in best or row["ms"] < best[name]["ms"]:
                    best[name] = row
    print(f"face tracking, detect every 5 frames, {args.frames} frames, best of {args.rounds} rounds")
    header = f"{'clip':<16}{'after ms/frame':>15}{'found':>8}"
    if base:
        header += f"{'before ms/frame':>17}{'found':>8}{'after/before':>14}"
    print(header)
    for name, row in ours.items():
        line = f"{name:<16}{row['ms']:>15.2f}{row['found']:>8.0%}"
        if base:
            b = base[name]
            line += f"{b['ms']:>17.2f}{b['found']:>8.0%}{row['ms'] / b['ms']:>13.2f}x"
        print(line)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.environ.get("PYTHONPATH", "").split(os.pathsep)[0] or str(REPO))
    raise SystemExit(main())
