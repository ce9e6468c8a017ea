"""Bench: mix 8 tracks x 3 minutes at 48 kHz with studio.audio vs ``ffmpeg amix``, same run.

Inputs are generated as 16-bit stereo WAV files in a temporary folder. Ours: load each file
with studio.audio.sources.load_audio (PCM WAV fast path) and, separately, studio.media.decode_audio
(the general PyAV path), per-track gain and fades and the sum (studio.audio.dsp.mix_clips), optional EBU R128
normalisation (--normalize), write a 16-bit WAV. Baseline: ``ffmpeg -filter_complex amix=inputs=8``
writing a 16-bit WAV. Timings are printed with and without our decode.

    .venv/bin/python bench/audio.py [--tracks 8] [--seconds 180] [--normalize] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

RATE = 48000


def make_inputs(folder: Path, tracks: int, seconds: float) -> list[Path]:
    from studio.audio.wavio import write_wav

    rng = np.random.default_rng(7)
    t = np.arange(round(seconds * RATE)) / RATE
    paths = []
    for i in range(tracks):
        left = 0.2 * np.sin(2 * np.pi * (110 * (i + 1)) * t) + rng.normal(0, 0.02, len(t))
        right = 0.2 * np.sin(2 * np.pi * (110 * (i + 1) + 3) * t) + rng.normal(0, 0.02, len(t))
        paths.append(write_wav(folder / f"track{i}.wav", np.stack([left, right], 1).astype(np.float32), RATE))
    return paths


def ours(paths: list[Path], out: Path, normalize: bool, loader: str) -> tuple[float, float]:
    """Returns (total seconds, seconds spent decoding)."""
    from studio.audio import dsp
    from studio.audio.sources import load_audio
    from studio.audio.wavio import write_wav
    from studio.media.audio import decode_audio

    load = load_audio if loader == "load_audio" else decode_audio
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        decoded = list(pool.map(lambda p: load(p, rate=RATE), paths))
    decoded_at = time.perf_counter()
    clips = [dsp.ClipMix(x, gain_db=-3.0 - i, fade_in=0.5, fade_out=1.0) for i, x in enumerate(decoded)]
    mixed = dsp.mix_clips(clips, RATE)
    if normalize:
        mixed = dsp.normalize_loudness(mixed, RATE)
    write_wav(out, mixed, RATE)
    return time.perf_counter() - start, decoded_at - start


def baseline(paths: list[Path], out: Path) -> float:
    cmd = ["ffmpeg", "-v", "error", "-y"]
    for p in paths:
        cmd += ["-i", str(p)]
    cmd += ["-filter_complex", f"amix=inputs={len(paths)}", "-c:a", "pcm_s16le", str(out)]
    start = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracks", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--normalize", action="store_true", help="add EBU R128 loudness normalisation")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("ffmpeg") is None:
        print("ffmpeg is not on PATH: no baseline to compare with", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="studio-bench-audio-") as tmp:
        folder = Path(tmp)
        paths = make_inputs(folder, args.tracks, args.seconds)
        loaders = ("load_audio", "decode_audio")
        totals: dict[str, list[float]] = {name: [] for name in loaders}
        mixes: list[float] = []
        theirs = []
        for _ in range(args.repeat):
            theirs.append(baseline(paths, folder / "ffmpeg.wav"))
            for name in loaders:
                total, decode = ours(paths, folder / "ours.wav", args.normalize, name)
                totals[name].append(total)
                mixes.append(total - decode)
        t_ffmpeg = statistics.median(theirs)
        label = " + R128" if args.normalize else ""
        print(
            f"inputs: {args.tracks} x {args.seconds:.0f} s stereo 48 kHz 16-bit WAV; median of {args.repeat} runs"
        )
        print(f"{'ffmpeg amix=inputs=' + str(args.tracks) + ' (decode+mix+write)':<52} {t_ffmpeg:7.3f} s")
        for name in loaders:
            t = statistics.median(totals[name])
            print(
                f"{'studio.audio' + label + ' via ' + name + ' (decode+mix+write)':<52} {t:7.3f} s  {t / t_ffmpeg:.2f}x"
            )
        t_mix = statistics.median(mixes)
        print(
            f"{'studio.audio' + label + ' (mix+write, no decode)':<52} {t_mix:7.3f} s  {t_mix / t_ffmpeg:.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
