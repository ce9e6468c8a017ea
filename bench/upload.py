"""Upload benchmark: our chunked upload of a 200 MB file to the stand-in against curl PUTs of the
same chunks in the same run, and our peak memory while uploading.

1. Throughput. The stand-in runs in its own process (``python -m backend_stub --port 0
   --auto-approve --exit-with-parent``, loopback), its init/status rate limits and daily post cap
   raised for the bench. A profile signs in through the real loopback OAuth flow (not timed). Each
   run makes a new direct-post init with our plan (``plan_chunks(size)``, the worker's default
   chunk size) through ``PostingClient.init``, then:
   - ours: ``PostingClient.put_chunk`` for every chunk, sequentially, as the worker does;
   - baseline: a second init (a new upload URL), then one ``curl -T part`` process per chunk
     (the same chunk files, pre-split before timing) with the same Content-Range headers.
   Only the PUTs are timed. The file is random bytes, so the stand-in's PyAV check after the last
   chunk marks each publish FAILED; the next run waits for that so it never overlaps a transfer.
   Ours and curl alternate ``--repeat`` times (which goes first alternates too); medians reported.
   Target: ours >= 0.9x curl's MB/s.
2. Peak memory. This process's RSS (psutil, sampled every 20 ms by a thread) during each of our
   uploads, minus the RSS just before it. Target: < 2 chunks (2 x chunk_size).
3. Optional (``--queue``, on by default): one full ``PublishQueue`` job end-to-end on a real
   H.264 MP4 of the same size (a 2 s 360x640 clip made with PyAV, padded to the size with a
   top-level ``free`` box that players and the stand-in's check skip), to PUBLISH_COMPLETE.

Run: .venv/bin/python bench/upload.py [--size-mb 200] [--repeat 3] [--no-queue] [--profile] [--dir /dev/shm]
Exit code 0 whatever the result (it is a measurement); FAIL lines say when a target is missed.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import os
import pstats
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.kit import stand_in  # noqa: E402

RATIO_TARGET = 0.9
MEMORY_TARGET_CHUNKS = 2.0
SAMPLE_EVERY_S = 0.02
BENCH_LIMITS = {"video_init": 1000, "status_fetch": 1000, "creator_info": 1000}
SETTLE_TIMEOUT_S = 60.0
QUEUE_TIMEOUT_S = 300.0


# -- the stand-in ---------------------------------------------------------------------------------


def start_stub(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    return stand_in.start(data_dir)


def stop_stub(proc: subprocess.Popen[str]) -> None:
    stand_in.stop(proc)


# -- the file -------------------------------------------------------------------------------------


SETUP_BUFFER = 256 * 1024  # small buffers while preparing files: the heap must not grow before we measure


def random_file(path: Path, size: int) -> None:
    with path.open("wb") as f:
        left = size
        while left:
            n = min(left, SETUP_BUFFER)
            f.write(os.urandom(n))
            left -= n


def split_part(source: Path, part: Path, first: int, last: int) -> str:
    """Copy bytes first..last of ``source`` to ``part``; returns their SHA-256."""
    digest = hashlib.sha256()
    with source.open("rb") as f, part.open("wb") as out:
        f.seek(first)
        left = last - first + 1
        while left:
            data = f.read(min(left, SETUP_BUFFER))
            digest.update(data)
            out.write(data)
            left -= len(data)
    return digest.hexdigest()


def real_video(path: Path, size: int) -> int:
    """A 2 s 360x640 30 fps H.264 MP4 (PyAV, fast preset), padded to ``size`` bytes with a
    top-level ``free`` box; returns the size of the clip before padding."""
    import av
    import numpy as np

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(30))
        stream.width, stream.height, stream.pix_fmt = 360, 640, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "30"}
        for i in range(60):
            img = np.full((640, 360, 3), (i * 4) % 256, dtype=np.uint8)
            img[(i * 10) % 600 : (i * 10) % 600 + 40, :, 1] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    clip = path.stat().st_size
    pad = size - clip - 16
    if pad < 0:
        raise SystemExit(f"the clip alone is {clip} bytes, more than --size-mb")
    with path.open("ab") as f:
        f.write(struct.pack(">I4sQ", 1, b"free", pad + 16))  # 64-bit box size
        block = bytes(range(256)) * (SETUP_BUFFER // 256)
        while pad:
            n = min(pad, len(block))
            f.write(block[:n])
            pad -= n
    return clip


def sha256_range(path: Path, first: int, last: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        f.seek(first)
        left = last - first + 1
        while left:
            data = f.read(min(left, SETUP_BUFFER))
            digest.update(data)
            left -= len(data)
    return digest.hexdigest()


# -- memory ---------------------------------------------------------------------------------------


class RssSampler:
    """This process's RSS every 20 ms in a thread; ``peak_extra`` = max RSS - RSS at start."""

    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.base = 0
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            self.samples += 1
            self._stop.wait(SAMPLE_EVERY_S)

    def __enter__(self) -> RssSampler:
        self.base = self.peak = self.proc.memory_info().rss
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)

    @property
    def peak_extra(self) -> int:
        return max(0, self.peak - self.base)


# -- ours and curl --------------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    cpu_s: float = 0.0  # ours: this process's CPU during the PUTs
    peak_extra: int = 0  # ours: RSS growth
    samples: int = 0


class Session:
    """A signed-in profile against the stand-in, with its PostingClient (built as PublishQueue does)."""

    def __init__(self, base: str) -> None:
        from studio.config import app_paths
        from studio.sync.engine import SyncEngine
        from studio.sync.platform import stand_in_config
        from studio.upload.posting import PostingClient

        app = httpx.get(base + "/_stub/apps", trust_env=False, timeout=10.0).json()[0]
        self.engine = SyncEngine(
            app_paths("bench"),
            platform=stand_in_config(base, app["client_key"], app["client_secret"]),
            webhooks=False,
        )
        self.engine.open()
        assert self.engine.client is not None and self.engine.tokens is not None
        self.engine.client.limiter.limits.update(BENCH_LIMITS)
        self.account = self.engine.sign_in_demo()  # the real loopback OAuth flow; not timed
        self.posting = PostingClient(self.engine.client, self.engine.tokens)
        info = self.posting.creator_info(self.account.id)
        self.privacy = "SELF_ONLY" if "SELF_ONLY" in info.privacy_options else info.privacy_options[0]

    def init(self, plan: Any) -> tuple[str, str]:
        return self.posting.init(
            self.account.id, "direct", plan.source_info(), {"privacy_level": self.privacy, "title": "bench"}
        )

    def settle(self, publish_id: str, size: int) -> dict[str, Any]:
        """Wait until the stand-in finished with the upload (its file check), so that it does not
        overlap the next transfer; every byte must have been recorded."""
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while True:
            status = self.posting.status(self.account.id, publish_id)
            if int(status.get("uploaded_bytes") or 0) != size:
                raise SystemExit(f"the stand-in recorded {status.get('uploaded_bytes')} of {size} bytes")
            if status.get("status") != "PROCESSING_UPLOAD" or time.monotonic() > deadline:
                return status
            time.sleep(0.05)

    def close(self) -> None:
        self.engine.close()


def upload_ours(session: Session, path: Path, plan: Any, hashes: list[str]) -> Run:
    publish_id, url = session.init(plan)
    me = psutil.Process()
    results = []
    with RssSampler() as rss:
        cpu0 = sum(me.cpu_times()[:2])
        t0 = time.perf_counter()
        for k in range(plan.total_chunk_count):
            first, last = plan.bounds(k)
            results.append(session.posting.put_chunk(url, path, first, last, plan.video_size))
        seconds = time.perf_counter() - t0
        cpu = sum(me.cpu_times()[:2]) - cpu0
    for k, result in enumerate(results):
        first, last = plan.bounds(k)
        if result.acked != last + 1 or result.sha256 != hashes[k]:
            raise SystemExit(
                f"chunk {k}: acked {result.acked}, expected {last + 1}; sha {result.sha256[:12]}"
            )
    if not results[-1].complete or any(r.complete for r in results[:-1]):
        raise SystemExit("the stand-in did not complete the upload at the last chunk")
    session.settle(publish_id, plan.video_size)
    return Run(seconds, cpu, rss.peak_extra, rss.samples)


def _curl_args(part: Path, target: str, origin: str, first: int, last: int, total: int) -> list[str]:
    """One PUT of a chunk file: streamed (-T), the exact request target (curl would otherwise
    append the file name to a URL ending in '/'), no Expect: 100-continue round trip."""
    return [
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}\\n",
        "-T",
        str(part),
        "--request-target",
        target,
        "-H",
        "Expect:",
        "-H",
        "Content-Type: video/mp4",
        "-H",
        f"Content-Range: bytes {first}-{last}/{total}",
        origin,
    ]


def upload_curl(session: Session, parts: list[Path], plan: Any, one_process: bool = False) -> Run:
    """One curl process per chunk (as backend_upload.py does), or with ``one_process`` every
    chunk in one curl (``--next``), which keeps the connection alive like our client."""
    publish_id, url = session.init(plan)
    split = urlsplit(url)
    target = split.path + (f"?{split.query}" if split.query else "")
    origin = f"{split.scheme}://{split.netloc}/"
    commands = [
        _curl_args(part, target, origin, *plan.bounds(k), plan.video_size) for k, part in enumerate(parts)
    ]
    codes: list[str] = []
    t0 = time.perf_counter()
    if one_process:
        joined = ["curl"]
        for k, args in enumerate(commands):
            joined += (["--next"] if k else []) + args
        codes = subprocess.run(joined, capture_output=True, text=True, check=True).stdout.split()
    else:
        for args in commands:
            codes += subprocess.run(
                ["curl", *args], capture_output=True, text=True, check=True
            ).stdout.split()
    seconds = time.perf_counter() - t0
    if codes != ["206"] * (len(parts) - 1) + ["201"]:
        raise SystemExit(f"unexpected answers to curl: {codes}")
    session.settle(publish_id, plan.video_size)
    return Run(seconds)


def traced_peak(session: Session, path: Path, plan: Any) -> int:
    """Peak of Python's own allocations (tracemalloc) during one more of our uploads, untimed."""
    import tracemalloc

    publish_id, url = session.init(plan)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for k in range(plan.total_chunk_count):
            first, last = plan.bounds(k)
            session.posting.put_chunk(url, path, first, last, plan.video_size)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    session.settle(publish_id, plan.video_size)
    return peak


def profile_ours(session: Session, path: Path, plan: Any, top: int) -> str:
    publish_id, url = session.init(plan)
    profiler = cProfile.Profile()
    profiler.enable()
    for k in range(plan.total_chunk_count):
        first, last = plan.bounds(k)
        session.posting.put_chunk(url, path, first, last, plan.video_size)
    profiler.disable()
    session.settle(publish_id, plan.video_size)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


# -- the whole job --------------------------------------------------------------------------------


@dataclass
class QueueRun:
    state: str
    seconds: float  # run_until: checking, creator_info, init, upload, processing
    upload_s: float  # the job's move to uploading -> its move to processing
    clip_bytes: int
    file_bytes: int
    same_bytes: bool | None
    reason: str = ""


def queue_job(session: Session, tmp: Path, size: int, stub_dir: Path) -> QueueRun:
    from studio.upload.queue import PublishQueue

    video = tmp / "bench.mp4"
    clip = real_video(video, size)
    queue = PublishQueue(session.engine, poll_every_s=0.2)
    try:
        job, _attached = queue.enqueue(file=video, caption="bench upload", privacy=session.privacy)
        t0 = time.perf_counter()
        stop = threading.Event()
        timer = threading.Timer(QUEUE_TIMEOUT_S, stop.set)
        timer.start()
        try:
            done = queue.run_until(job.id, stop=stop)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - t0
        events = [(float(e["at"]), str(e["state"])) for e in queue.store.events(job.id)]
    finally:
        queue.close()
    started = next((at for at, state in events if state == "uploading"), None)
    uploaded = next(
        (at for at, state in events if state == "processing" and started is not None and at >= started), None
    )
    same: bool | None = None
    stored = list((stub_dir / "uploads").glob("*.video"))
    if done.state == "published" or stored:
        newest = max(stored, key=lambda p: p.stat().st_mtime) if stored else None
        same = newest is not None and sha256_range(newest, 0, size - 1) == sha256_range(video, 0, size - 1)
    upload_s = uploaded - started if started is not None and uploaded is not None else 0.0
    video.unlink(missing_ok=True)
    return QueueRun(done.state, seconds, upload_s, clip, size, same, done.reason or "")


# -- main -----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200, help="file size in MB (10^6 bytes)")
    parser.add_argument("--repeat", type=int, default=7, help="runs per side, alternating; medians")
    parser.add_argument("--no-queue", action="store_true", help="skip the end-to-end PublishQueue job")
    parser.add_argument("--profile", action="store_true", help="cProfile one more of our uploads")
    parser.add_argument(
        "--read-size", type=int, default=0, help="experiment: set PostingClient's READ_SIZE (bytes)"
    )
    parser.add_argument("--top", type=int, default=20, help="rows of the profile to print")
    parser.add_argument(
        "--dir", type=Path, default=None, help="where files go (e.g. /dev/shm to leave the disk out)"
    )
    args = parser.parse_args()
    if args.repeat < 1 or args.size_mb < 1:
        parser.error("--repeat and --size-mb must be >= 1")
    if shutil.which("curl") is None:
        raise SystemExit("curl is needed for this benchmark")
    import logging

    logging.basicConfig(level=logging.WARNING)

    size = args.size_mb * 1_000_000
    mb = size / 1e6
    with tempfile.TemporaryDirectory(prefix="bench-upload-", dir=args.dir) as tmp_name:
        tmp = Path(tmp_name)
        os.environ["CREATOR_STUDIO_HOME"] = str(tmp / "home")
        os.environ["CREATOR_STUDIO_TOKEN_STORE"] = "file"
        from studio.upload import posting as posting_module
        from studio.upload.chunks import plan_chunks

        if args.read_size:
            posting_module.READ_SIZE = args.read_size  # an experiment: another read size for put_chunk
        plan = plan_chunks(size)
        source = tmp / "source.bin"
        random_file(source, size)
        parts: list[Path] = []
        hashes: list[str] = []
        for k in range(plan.total_chunk_count):
            part = tmp / f"part{k:04d}"
            hashes.append(split_part(source, part, *plan.bounds(k)))
            parts.append(part)

        stub, base = start_stub(tmp / "stub")
        ours: list[Run] = []
        curl: list[Run] = []
        curl1: list[Run] = []
        first_run: Run | None = None
        py_peak = 0
        profile_text = ""
        queue_run: QueueRun | None = None
        queue_error = ""
        try:
            httpx.post(
                base + "/_stub/settings",
                json={"rate_limits": BENCH_LIMITS, "daily_post_cap": 1000},
                trust_env=False,
                timeout=10.0,
            ).raise_for_status()
            session = Session(base)
            try:
                # the first upload of the process: not timed (connection, imports, page cache), but
                # its RSS growth counts; later runs reuse what it allocated
                first_run = upload_ours(session, source, plan, hashes)
                upload_curl(session, parts, plan)  # curl's warm-up (binary, libraries in cache)
                for i in range(args.repeat):
                    sides = [
                        lambda: ours.append(upload_ours(session, source, plan, hashes)),
                        lambda: curl.append(upload_curl(session, parts, plan)),
                        lambda: curl1.append(upload_curl(session, parts, plan, one_process=True)),
                    ]
                    for side in sides[i % 3 :] + sides[: i % 3]:
                        side()
                py_peak = traced_peak(session, source, plan)
                ours_s = statistics.median(r.seconds for r in ours)
                curl_s = statistics.median(r.seconds for r in curl)
                if args.profile or (mb / ours_s) < RATIO_TARGET * (mb / curl_s):
                    profile_text = profile_ours(session, source, plan, args.top)
                for part in parts:
                    part.unlink()
                if not args.no_queue:
                    try:
                        queue_run = queue_job(session, tmp, size, tmp / "stub")
                    except Exception as exc:  # optional part: say why, keep the measurement
                        queue_error = f"{type(exc).__name__}: {exc}"
            finally:
                session.close()
        finally:
            stop_stub(stub)

    ours_s = statistics.median(r.seconds for r in ours)
    curl_s = statistics.median(r.seconds for r in curl)
    curl1_s = statistics.median(r.seconds for r in curl1)
    ours_rate, curl_rate, curl1_rate = mb / ours_s, mb / curl_s, mb / curl1_s
    ratio = ours_rate / curl_rate
    ratio1 = ours_rate / curl1_rate
    assert first_run is not None
    peak = max(r.peak_extra for r in [first_run, *ours])
    limit = MEMORY_TARGET_CHUNKS * plan.chunk_size
    last_first, last_last = plan.bounds(plan.total_chunk_count - 1)
    print(
        f"upload of {mb:.0f} MB ({size:,} bytes, random) to backend_stub in its own process on 127.0.0.1;"
        f" {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"plan_chunks({size}): {plan.total_chunk_count} chunks of {plan.chunk_size:,} bytes"
        f" (last {last_last - last_first + 1:,}); PostingClient reads {posting_module.READ_SIZE:,} bytes at a time"
    )
    print(
        f"{args.repeat} runs each after one warm-up of each, rotating the order; each run a new init;"
        " only the chunk PUTs are timed; files under " + str(args.dir or tempfile.gettempdir())
    )
    print("  ours (PostingClient.put_chunk):      " + "  ".join(f"{r.seconds:6.3f}" for r in ours) + " s")
    print("  curl -T, one process per chunk:      " + "  ".join(f"{r.seconds:6.3f}" for r in curl) + " s")
    print("  curl -T, one process, --next (k-a):  " + "  ".join(f"{r.seconds:6.3f}" for r in curl1) + " s")
    print(
        f"  CPU s of this process during our PUTs (median): {statistics.median(r.cpu_s for r in ours):.3f}"
        f" ({statistics.median(r.cpu_s for r in ours) / ours_s:.0%} of one core)"
    )
    print(
        f"  throughput: ours {ours_rate:.0f} MB/s, curl {curl_rate:.0f} MB/s, ratio {ratio:.2f}x"
        f"  target >= {RATIO_TARGET}x: {'PASS' if ratio >= RATIO_TARGET else 'FAIL'}"
    )
    best = min(r.seconds for r in curl) / min(r.seconds for r in ours)
    print(
        f"  (best runs, informative: ours {mb / min(r.seconds for r in ours):.0f} MB/s,"
        f" curl {mb / min(r.seconds for r in curl):.0f} MB/s, ratio {best:.2f}x; this machine is noisy"
        " at this size, so the verdict uses the medians)"
    )
    print(
        f"  (stronger baseline, informative: one curl process for all chunks, keep-alive: {curl1_rate:.0f} MB/s;"
        f" ours/that {ratio1:.2f}x)"
    )
    print(
        f"  peak RSS growth during our uploads: {peak / 1e6:.1f} MB (first upload of the process"
        f" {first_run.peak_extra / 1e6:.1f}, timed runs "
        + ", ".join(f"{r.peak_extra / 1e6:.1f}" for r in ours)
        + f"; {min(r.samples for r in ours)}+ samples each every {SAMPLE_EVERY_S * 1000:.0f} ms)"
        f" vs 2 chunks = {limit / 1e6:.1f} MB: {'PASS' if peak < limit else 'FAIL'}"
    )
    print(f"  peak of Python allocations during one more upload (tracemalloc): {py_peak / 1e6:.2f} MB")
    rows = [
        (
            "throughput (MB/s)",
            f"{ours_rate:.0f}",
            f"{curl_rate:.0f}",
            f"{ratio:.2f}x",
            f">= {RATIO_TARGET}x",
            "PASS" if ratio >= RATIO_TARGET else "FAIL",
        ),
        ("PUT time (s)", f"{ours_s:.3f}", f"{curl_s:.3f}", f"{ours_s / curl_s:.2f}x", "-", "-"),
        (
            "vs one keep-alive curl (MB/s)",
            f"{ours_rate:.0f}",
            f"{curl1_rate:.0f}",
            f"{ratio1:.2f}x",
            "-",
            "-",
        ),
        (
            "peak extra RSS (MB)",
            f"{peak / 1e6:.1f}",
            "-",
            f"{peak / plan.chunk_size:.2f} chunks",
            "< 2 chunks",
            "PASS" if peak < limit else "FAIL",
        ),
    ]
    if queue_run is not None:
        q = queue_run
        print(
            f"end-to-end PublishQueue job: a real H.264 MP4 ({q.clip_bytes:,} bytes of 2 s 360x640 clip,"
            f" padded to {q.file_bytes:,} with a free box): {q.state} in {q.seconds:.2f} s"
            f" (check, creator_info, init, upload, processing); upload phase {q.upload_s:.2f} s"
            + (f" = {q.file_bytes / 1e6 / q.upload_s:.0f} MB/s" if q.upload_s > 0 else "")
            + (
                f"; the stand-in's stored file {'matches' if q.same_bytes else 'DIFFERS'}"
                if q.same_bytes is not None
                else ""
            )
            + (f"; reason: {q.reason}" if q.reason else "")
        )
        rows.append(
            (
                "queue job (s)",
                f"{q.seconds:.2f}",
                "-",
                "-",
                "published",
                "PASS" if q.state == "published" else "FAIL",
            )
        )
    elif queue_error:
        print(f"end-to-end PublishQueue job: not measured ({queue_error})")
    print()
    header = ("metric", "ours", "curl", "ratio", "target", "result")
    widths = [max(len(str(r[i])) for r in [header, *rows]) + 2 for i in range(len(header))]
    for row in [header, *rows]:
        print(
            "".join(
                str(c).ljust(w) if i == 0 else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    if profile_text:
        print("\ncProfile of one more of our uploads (put_chunk for every chunk), by own time:")
        print(profile_text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
