"""Export speed: our render pipeline vs the closest ffmpeg CLI filter graph, same encoder settings.

Builds (in a temporary folder) two 1080x1920 30 fps H.264 clips (ffmpeg testsrc2 / smptehdbars,
libx264 veryfast, keyframe every 2 s, clip A with a tone), 30 s of music, and a 30 s project:

    clip A 0-15.5 s with a colour adjustment (saturation 1.2, brightness 0.05)
    clip B from 15.5 s, crossfade 1 s (pre-rolled over A's last second)
    one text item (DejaVuSans 72 px, white, black outline) from 1 s to 29 s
    music at volume 0.6 mixed with clip A's sound

The ffmpeg graph: trim/setpts, scale+crop (fill), eq, xfade, drawtext with the same font file,
amix; both encode libx264 preset medium CRF 20 (our 1080p30 preset), AAC 192k, +faststart.
They run turn by turn (best of --rounds, default 2), and the times, the ratio (target ours <= 1.0x)
and our pipeline's frames/s with the encoder replaced by a null sink are printed.

Then the floor: our exact frames (rendered once to a raw I420 file, the writer replaced by one
that appends each frame) encoded by the ffmpeg CLI with libx264 alone, the same preset and CRF as
our export (``-f rawvideo -pix_fmt yuv420p -s WxH -r FPS -i raw.yuv -c:v libx264 ...``), best of
--rounds, and our export time as a ratio of it with PASS/FAIL (target <= 1.1x): what the
pipeline adds on top of the encoder it cannot avoid. The floor never decodes the sources, which
an export must: CPU seconds of ours, of the floor and of the ffmpeg CLI decoding the sources'
used stretches alone are printed, and the floor with that decode added (an estimate for cores
libx264 already fills: the floor's time scaled by its CPU plus the decode's, over its CPU).

``--memory`` also renders a 3-minute and a 30 s project (same clips, repeated) in child processes
with the 1080p30 preset and prints each one's peak RSS and its RSS at each quarter of the frames:
memory must not grow with the project's length (the mix is streamed in 10 s chunks, frames go
through bounded queues; the first seconds of any render are warm-up for decoder and allocator pools).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studio.resources import resource as shipped_resource  # noqa: E402

FONT = shipped_resource("fonts", "DejaVuSans.ttf")
W, H, FPS = 1080, 1920, 30
A_LEN, B_IN, XFADE = 15.5, 1.0, 1.0
FLOOR_TARGET = 1.1  # ours / libx264 alone on our frames


def make_inputs(folder: Path, ffmpeg: str, seconds: float) -> None:
    src_len = seconds / 2 + 2
    common = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "60"]
    lavfi = [ffmpeg, "-v", "error", "-y", "-f", "lavfi"]
    subprocess.run(
        [*lavfi, "-i", f"testsrc2=size={W}x{H}:rate={FPS}:duration={src_len}", "-f", "lavfi",
         "-i", f"sine=frequency=330:sample_rate=48000:duration={src_len}", *common, "-c:a", "aac",
         "-shortest", str(folder / "a.mp4")],
        check=True,
    )  # fmt: skip
    subprocess.run(
        [*lavfi, "-i", f"smptehdbars=size={W}x{H}:rate={FPS}:duration={src_len}", *common, str(folder / "b.mp4")],
        check=True,
    )  # fmt: skip
    subprocess.run(
        [*lavfi, "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}", "-c:a", "aac",
         str(folder / "music.m4a")],
        check=True,
    )  # fmt: skip


def project_doc(seconds: float, repeats: int = 1) -> dict:
    """The bench project; ``repeats`` > 1 chains that many A/B pairs (for the memory run)."""
    a_len = seconds / 2 + 0.5
    b_len = seconds / 2 - 0.5
    clips, music = [], []
    for r in range(repeats):
        t0 = r * seconds
        clips.append(
            {"source": "a.mp4", "in_point": 0.0, "out_point": a_len, "start": t0, "fit": "fill",
             "filters": [{"id": "studio.color", "params": {"saturation": 1.2, "brightness": 0.05}}],
             **({"transition_in": {"kind": "crossfade", "duration": XFADE}} if r else {})}
        )  # fmt: skip
        clips.append(
            {"source": "b.mp4", "in_point": B_IN, "out_point": B_IN + b_len, "start": t0 + a_len, "fit": "fill",
             "transition_in": {"kind": "crossfade", "duration": XFADE}}
        )  # fmt: skip
        music.append(
            {"source": "music.m4a", "in_point": 0.0, "out_point": seconds, "start": t0, "volume": 0.6}
        )
    total = seconds * repeats
    return {
        "schema_version": 2,
        "title": "bench",
        "canvas": {"width": W, "height": H, "fps": FPS},
        "tracks": [
            {"kind": "video", "clips": clips},
            {"kind": "text", "items": [
                {"text": "Hello creators", "start": 1.0, "end": total - 1.0,
                 "style": {"font": "DejaVuSans", "size": 72, "color": "#ffffff", "stroke": "#000000",
                           "stroke_width": 4},
                 "position": {"x": 0.5, "y": 0.8}}]},
            {"kind": "audio", "clips": music},
        ],
    }  # fmt: skip


def ffmpeg_cmd(ffmpeg: str, folder: Path, out: Path, seconds: float) -> list[str]:
    a_len = seconds / 2 + 0.5
    b_len = seconds / 2 - 0.5
    fill = f"scale={W}:{H}:force_original_aspect_ratio=increase,crop={W}:{H}"
    graph = (
        f"[0:v]trim=0:{a_len},setpts=PTS-STARTPTS,{fill},eq=brightness=0.05:saturation=1.2[a];"
        f"[1:v]trim={B_IN - XFADE}:{B_IN + b_len},setpts=PTS-STARTPTS,{fill}[b];"
        f"[a][b]xfade=transition=fade:duration={XFADE}:offset={a_len - XFADE},"
        f"drawtext=fontfile={FONT}:text='Hello creators':fontsize=72:fontcolor=white:borderw=4:"
        f"bordercolor=black:x=(w-tw)/2:y=h*0.8-th/2:enable='between(t,1,{seconds - 1})'[v];"
        f"[0:a]atrim=0:{a_len}[aa];[2:a]volume=0.6[m];[aa][m]amix=inputs=2:duration=longest:normalize=0[out_a]"
    )
    return [
        ffmpeg, "-v", "error", "-y", "-i", str(folder / "a.mp4"), "-i", str(folder / "b.mp4"),
        "-i", str(folder / "music.m4a"), "-filter_complex", graph, "-map", "[v]", "-map", "[out_a]",
        "-c:v", "libx264", "-preset", "medium", "-crf", "20", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "192k", "-ar", "48000", "-movflags", "+faststart", "-t", str(seconds), str(out),
    ]  # fmt: skip


def load(folder: Path, seconds: float, repeats: int = 1):
    from studio.core.project import Project

    return Project.from_dict(project_doc(seconds, repeats), base_dir=str(folder))


def run_ours(
    folder: Path, out: Path, seconds: float, *, null: bool = False, preset: object = "1080p30"
) -> float:
    from studio.render.export import render_project

    start = time.perf_counter()
    render_project(load(folder, seconds), None if null else out, preset=preset, null_output=null)  # type: ignore[arg-type]
    return time.perf_counter() - start


class RawWriter:
    """Stands in for the MP4 writer: appends each composed I420 frame to a raw file."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("wb")
        self.frames_written = 0

    def write_video(self, i420) -> None:  # type: ignore[no-untyped-def]
        self.file.write(memoryview(i420).cast("B") if i420.flags.c_contiguous else i420.tobytes())
        self.frames_written += 1

    def write_audio(self, samples) -> None:  # type: ignore[no-untyped-def]
        return None

    def finish(self) -> None:
        self.file.close()

    def abort(self) -> None:
        self.file.close()


def render_raw(
    folder: Path, raw: Path, seconds: float, preset: str = "1080p30"
) -> tuple[int, int, float, int]:
    """Our frames for the bench project into ``raw`` (I420, no encoder): (w, h, fps, frames)."""
    from unittest import mock

    import studio.render.export as export

    writers: list[RawWriter] = []

    def make() -> RawWriter:
        writers.append(RawWriter(raw))
        return writers[-1]

    with mock.patch.object(export, "NullWriter", make):
        result = export.render_project(load(folder, seconds), None, preset=preset, null_output=True)
    return result.width, result.height, result.fps, writers[0].frames_written


def floor_cmd(
    ffmpeg: str, raw: Path, out: Path, w: int, h: int, fps: float, preset: str = "1080p30"
) -> list[str]:
    """libx264 alone on the raw frames, with our export's encoder options for ``preset``."""
    from studio.render.output import encoder_options
    from studio.render.presets import get_preset

    opts = encoder_options("libx264", get_preset(preset))
    flags = [x for k, v in opts.items() for x in (f"-{k}", v)]
    return [
        ffmpeg, "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{w}x{h}",
        "-r", f"{fps:g}", "-i", str(raw), "-c:v", "libx264", *flags, "-pix_fmt", "yuv420p",
        "-movflags", "+faststart", str(out),
    ]  # fmt: skip


def self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def decode_cmds(ffmpeg: str, folder: Path, seconds: float) -> list[list[str]]:
    """ffmpeg CLI decoding (video only, null output) the stretch of each source the project uses."""
    a_len, b_len = seconds / 2 + 0.5, seconds / 2 - 0.5
    return [
        [ffmpeg, "-v", "error", "-nostdin", "-ss", f"{start:g}", "-t", f"{length:g}", "-i", str(folder / name),
         "-an", "-f", "null", "-"]
        for name, start, length in (("a.mp4", 0.0, a_len), ("b.mp4", B_IN, b_len))
    ]  # fmt: skip


def frames_of(path: Path) -> int:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v", "-count_packets", "-show_entries",
         "stream=nb_read_packets", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return int(out.strip() or 0)


def peak_rss_mb() -> float:
    """This process image's peak RSS. VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the
    parent through fork+exec, so a child started by a big parent would report the parent's peak."""
    status = Path("/proc/self/status")
    for line in status.read_text().splitlines() if status.exists() else []:
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ffmpeg_peak_rss_mb(cmd: list[str]) -> float:
    """Peak RSS of an ffmpeg run, sampled every 20 ms with psutil (the baseline for --memory)."""
    import psutil

    proc = subprocess.Popen(cmd)
    watched = psutil.Process(proc.pid)
    peak = 0.0
    while proc.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss / 2**20)
        except psutil.Error:
            break
        time.sleep(0.02)
    if proc.wait() != 0:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    return peak


def memory_child(folder: Path, seconds: float, repeats: int) -> None:
    """Render ``repeats`` x ``seconds`` with the 1080p30 preset and print this process's peak RSS."""
    from studio.render.export import render_project

    quarters: dict[int, float] = {}

    def progress(p: object) -> None:
        q = 4 * p.frame // max(1, p.total)  # type: ignore[attr-defined]
        if q not in quarters:
            quarters[q] = current_rss_mb()

    start = time.perf_counter()
    render_project(
        load(folder, seconds, repeats),
        folder / f"mem-{repeats}.mp4",
        preset="1080p30",
        encoder="libx264",
        progress=progress,
    )
    peak_mb = peak_rss_mb()
    print(json.dumps({"seconds": seconds * repeats, "peak_rss_mb": round(peak_mb, 1),
                      "rss_by_quarter_mb": [round(quarters[q]) for q in sorted(quarters)],
                      "wall_s": round(time.perf_counter() - start, 1)}))  # fmt: skip


def current_rss_mb() -> float:
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / 2**20
    except OSError:
        return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="project length (default 30)")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each, best counts (default 2)")
    parser.add_argument("--memory", action="store_true", help="also compare peak RSS of 3 min vs 30 s")
    parser.add_argument(
        "--memory-child", nargs=3, metavar=("FOLDER", "SECONDS", "REPEATS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.memory_child:
        memory_child(Path(args.memory_child[0]), float(args.memory_child[1]), int(args.memory_child[2]))
        return 0
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        print("bench/export_vs_ffmpeg.py needs the ffmpeg CLI on PATH for its baseline", file=sys.stderr)
        return 1
    seconds = args.seconds
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_inputs(folder, ffmpeg, seconds)
        from studio.media.encoders import pick_encoder

        pick_encoder("h264", "libx264")  # probe encoders before timing
        ours_out, ff_out = folder / "ours.mp4", folder / "ffmpeg.mp4"
        ff_s = ours_s = float("inf")
        for r in range(args.rounds):  # turn by turn, best of each: the machine is shared
            order = ("ffmpeg", "ours") if r % 2 == 0 else ("ours", "ffmpeg")
            for who in order:
                if who == "ffmpeg":
                    t0 = time.perf_counter()
                    subprocess.run(ffmpeg_cmd(ffmpeg, folder, ff_out, seconds), check=True)
                    ff_s = min(ff_s, time.perf_counter() - t0)
                else:
                    ours_s = min(ours_s, run_ours(folder, ours_out, seconds, preset="1080p30"))
        null_s = run_ours(folder, ours_out, seconds, null=True)
        frames = round(seconds * FPS)
        print(
            f"export {W}x{H} {FPS} fps, {seconds:g} s ({frames} frames): 2 clips, crossfade, colour, text, music"
        )
        print(
            f"  baseline  ffmpeg CLI filter graph, libx264 medium CRF 20 : {ff_s:7.1f} s ({frames_of(ff_out)} frames)"
        )
        print(f"  ours      render_project preset 1080p30 (libx264 medium CRF 20) : {ours_s:7.1f} s "
              f"({frames_of(ours_out)} frames)")  # fmt: skip
        print(f"  (best of {args.rounds} runs each, taking turns)")
        print(f"  ratio ours/ffmpeg = {ours_s / ff_s:.2f}x   (target <= 1.0x)")
        print(f"  ours with a null sink instead of the encoder: {frames / null_s:.1f} frames/s")
        raw, floor_out = folder / "ours.yuv", folder / "floor.mp4"
        fw, fh, ffps, raw_frames = render_raw(folder, raw, seconds)
        cmd = floor_cmd(ffmpeg, raw, floor_out, fw, fh, ffps)
        floor_s = float("inf")
        floor_cpu = 0.0
        for _ in range(args.rounds):
            t0, c0 = time.perf_counter(), children_cpu()
            subprocess.run(cmd, check=True)
            floor_s = min(floor_s, time.perf_counter() - t0)
            floor_cpu = children_cpu() - c0
        raw.unlink()
        opts = " ".join(cmd[cmd.index("-c:v") + 1 : cmd.index("-movflags")])
        print(f"  floor     libx264 alone on our {raw_frames} raw frames ({opts}) : {floor_s:7.1f} s "
              f"({frames_of(floor_out)} frames)")  # fmt: skip
        verdict = "PASS" if ours_s / floor_s <= FLOOR_TARGET else "FAIL"
        print(f"  ratio ours/floor = {ours_s / floor_s:.2f}x   (target <= {FLOOR_TARGET}x)  {verdict}")
        c0 = self_cpu()
        run_ours(folder, ours_out, seconds, preset="1080p30")
        ours_cpu = self_cpu() - c0
        c0 = children_cpu()
        for cmd in decode_cmds(ffmpeg, folder, seconds):
            subprocess.run(cmd, check=True)
        decode_cpu = children_cpu() - c0
        print(f"  CPU seconds: ours {ours_cpu:.1f}; floor {floor_cpu:.1f} + decoding the sources' H.264 "
              f"alone (ffmpeg CLI, null output) {decode_cpu:.1f} = {floor_cpu + decode_cpu:.1f}; "
              f"the rest of our pipeline {ours_cpu - floor_cpu - decode_cpu:.1f}")  # fmt: skip
        # the floor never decodes the sources; on cores that libx264 already fills, the decode
        # our export cannot skip adds its CPU time
        with_decode = floor_s * (floor_cpu + decode_cpu) / max(floor_cpu, 1e-9)
        print(f"  floor with the sources' decode (estimated, CPU-bound): {with_decode:.1f} s; "
              f"ours / that = {ours_s / with_decode:.2f}x")  # fmt: skip
        if args.memory:
            rows = []
            for repeats in (1, 6):
                r = subprocess.run(
                    [sys.executable, __file__, "--memory-child", str(folder), str(seconds), str(repeats)],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
            for row in rows:
                print(f"  peak RSS, {row['seconds']:g} s project: {row['peak_rss_mb']:.0f} MB "
                      f"({row['wall_s']:.0f} s; RSS at 0/25/50/75/100 % of frames: {row['rss_by_quarter_mb']} MB)")  # fmt: skip
            ff_peak = ffmpeg_peak_rss_mb(ffmpeg_cmd(ffmpeg, folder, ff_out, seconds))
            print(f"  baseline: ffmpeg CLI peak RSS on the {seconds:g} s graph: {ff_peak:.0f} MB")
            print(f"  growth {rows[1]['seconds']:g} s vs {rows[0]['seconds']:g} s: "
                  f"{rows[1]['peak_rss_mb'] - rows[0]['peak_rss_mb']:+.0f} MB")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
