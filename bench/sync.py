"""Sync engine benchmark: a full first sync of a 1,000-post account beside a bare httpx loop
making the same requests in the same run, and the idle engine's CPU.

1. Full sync. The stand-in (``python -m backend_stub`` in its own process as in the app, or
   ``--in-process``; loopback, seed 3, auto-approve, its platform clock frozen at a fixed time so
   every run sees the same data) gets public posts inserted into its SQLite until the demo creator
   has ``--posts`` listed posts. ``--display-only`` leaves out the stand-in's insights extension
   (one of its requests costs the server seconds for 1,000 posts): the pass a real platform gets. Its
   Display API rate limits and our client's limits are both raised to the same values for the
   bench (printed). Each of ours signs a fresh profile in through the real loopback OAuth flow,
   then times ``SyncEngine.run_once()`` (user/info, every video/list page, video/query for due
   posts, the stand-in's insights series, the avatar, and the engine's own clock read), recording
   every HTTP request it sends (method, URL with query, Authorization, body). The baseline replays
   exactly those requests with a bare ``httpx.Client(trust_env=False)`` and parses each answer
   (``response.json()``; the avatar's bytes are read), nothing else. Ours and the baseline
   alternate ``--repeat`` times; medians are reported. Target: ours <= 1.2x the baseline.
2. Idle CPU. A stand-in in a separate process (``python -m backend_stub``, seeded the same way,
   its clock an hour a minute as in the app, default rate limits) so its CPU is not counted; the engine's
   background thread (``engine.start()``) does its first sync, then idles for ``--idle-s``
   seconds while this process's CPU time (psutil, user + system, every thread) is measured, and
   the engine thread's own CPU beside it. Target: < 1% of one core.

Run: .venv/bin/python bench/sync.py [--posts 1000] [--repeat 3] [--idle-s 60] [--display-only] [--in-process] [--profile]
Exit code 0 whatever the result (it is a measurement); FAIL lines say when a target is missed.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.kit import stand_in  # noqa: E402

START = 1_790_000_000.0  # the stand-in's frozen platform time (2026-09-21)
SEED = 3
BENCH_LIMITS = {"user_info": 100_000, "video_list": 100_000, "video_query": 100_000}
RATIO_TARGET = 1.2
IDLE_CPU_TARGET = 1.0  # percent of one core
LISTED = ("PUBLIC_TO_EVERYONE", "FOLLOWER_OF_CREATOR")  # what video/list shows (backend_stub.processing)
FIRST_SYNC_TIMEOUT_S = 120.0


# -- recording every request the engine sends ------------------------------------------------


@dataclass
class Recorded:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    wait_s: float = 0.0  # until the answer's headers were in (the stand-in serving, the loopback)


@dataclass
class Recorder:
    """Wraps ``httpx.Client.send`` (every client in this process: the engine's API client, its
    clock read, the avatar download all go through it) and records while ``active``."""

    active: bool = False
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self) -> None:
        original = httpx.Client.send
        recorder = self

        def send(client: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
            if recorder.active:
                keep = {
                    k: v for k, v in request.headers.items() if k.lower() in ("authorization", "content-type")
                }
                entry = Recorded(request.method, str(request.url), keep, request.read())
                with recorder.lock:
                    recorder.requests.append(entry)
                t0 = time.perf_counter()
                try:
                    return original(client, request, **kwargs)
                finally:
                    entry.wait_s = time.perf_counter() - t0
            return original(client, request, **kwargs)

        httpx.Client.send = send  # type: ignore[method-assign]
        self._original = original

    def uninstall(self) -> None:
        httpx.Client.send = self._original  # type: ignore[method-assign]

    def take(self) -> list[Recorded]:
        with self.lock:
            out, self.requests = self.requests, []
        return out


RECORDER = Recorder()


# -- the stand-in's data ------------------------------------------------------------------------


def add_posts(db: Any, open_id: str, total: int, now: float) -> int:
    """Insert public posts until ``open_id`` has ``total`` listed ones (spread over the 400 days
    before ``now``, unique ids and times); returns how many were added."""
    marks = ",".join("?" * len(LISTED))
    have = db.one(
        f"SELECT COUNT(*) AS n FROM videos WHERE open_id = ? AND privacy_level IN ({marks})",
        (open_id, *LISTED),
    )["n"]
    rng = random.Random(SEED)
    add = max(0, total - int(have))
    span_ms = 400 * 86_400 * 1000
    start_ms = int(now * 1000)
    with db.tx() as conn:
        for i in range(add):
            created = start_ms - 60_000 - (span_ms * (i + 1)) // (add + 1) - rng.randint(0, 999)
            conn.execute(
                "INSERT INTO videos(id, open_id, create_time_ms, title, duration, width, height, privacy_level)"
                " VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    str(7_400_000_000_000_000_000 + i * 1_000_003),
                    open_id,
                    created,
                    f"Bench post {i} #bench",
                    rng.randint(8, 58),
                    1080,
                    1920,
                    "PUBLIC_TO_EVERYONE",
                ),
            )
    return add


def listed_posts(db: Any, open_id: str) -> int:
    marks = ",".join("?" * len(LISTED))
    return int(
        db.one(
            f"SELECT COUNT(*) AS n FROM videos WHERE open_id = ? AND privacy_level IN ({marks})",
            (open_id, *LISTED),
        )["n"]
    )


# -- ours -----------------------------------------------------------------------------------


def new_engine(base_url: str, key: str, secret: str, profile: str) -> Any:
    from studio.config import app_paths
    from studio.sync.engine import SyncEngine
    from studio.sync.platform import stand_in_config

    paths = app_paths(profile)
    engine = SyncEngine(paths, platform=stand_in_config(base_url, key, secret), webhooks=False)
    engine.open()
    return engine


@dataclass
class OursRun:
    seconds: float
    cpu_s: float
    requests: list[Recorded]
    pass_requests: int
    posts_seen: int
    snapshots: int
    daily_rows: int


DISPLAY_ONLY = False  # --display-only: the pass a real platform gets (no stand-in insights extension)


def run_ours(stub: Any, profile: str, profile_out: Path | None) -> OursRun:
    engine = new_engine(stub.base_url, stub.demo_client_key, stub.demo_client_secret, profile)
    try:
        engine.client.limiter.limits.update(BENCH_LIMITS)
        account = engine.sign_in_demo()  # the real loopback OAuth flow; not timed
        if DISPLAY_ONLY:
            engine.store.update_account(account.id, insights=0)
        RECORDER.take()
        RECORDER.active = True
        me = psutil.Process()
        cpu0 = sum(me.cpu_times()[:2])
        profiler = cProfile.Profile() if profile_out is not None else None
        t0 = time.perf_counter()
        results = profiler.runcall(engine.run_once) if profiler is not None else engine.run_once()
        seconds = time.perf_counter() - t0
        cpu = sum(me.cpu_times()[:2]) - cpu0
        RECORDER.active = False
        if profiler is not None and profile_out is not None:
            profiler.dump_stats(profile_out)
        if len(results) != 1 or not hasattr(results[0][1], "requests"):
            raise SystemExit(f"the sync did not complete: {results}")
        report = results[0][1]
        return OursRun(
            seconds,
            cpu,
            RECORDER.take(),
            report.requests,
            report.posts_seen,
            report.snapshots,
            report.daily_rows,
        )
    finally:
        RECORDER.active = False
        engine.close()


# -- the baseline -------------------------------------------------------------------------------


@dataclass
class BaseRun:
    seconds: float
    cpu_s: float
    sent: int
    per_endpoint: dict[str, float]  # seconds until the answer's headers were in

    @property
    def wait_s(self) -> float:
        return sum(self.per_endpoint.values())


def endpoint(r: Recorded) -> str:
    path = httpx.URL(r.url).path
    if path.startswith("/_stub/insights/videos/"):
        path = "/_stub/insights/videos/{id}"
    elif path.startswith("/_stub/avatars/"):
        path = "/_stub/avatars/{id}.jpg"
    return f"{r.method} {path}"


def run_baseline(base_url: str, requests: list[Recorded]) -> BaseRun:
    """The same requests with a bare client; each answer parsed, nothing else."""
    me = psutil.Process()
    per: dict[str, float] = {}
    with httpx.Client(trust_env=False, timeout=60.0) as http:
        http.get(base_url + "/_stub/clock").json()  # warm connection, like ours' after sign-in
        cpu0 = sum(me.cpu_times()[:2])
        t0 = time.perf_counter()
        sent = 0
        for r in requests:
            request = http.build_request(r.method, r.url, headers=r.headers, content=r.body or None)
            t1 = time.perf_counter()
            response = http.send(request, stream=True)  # returns once the headers are in, as ours'
            per[endpoint(r)] = per.get(endpoint(r), 0.0) + time.perf_counter() - t1
            try:
                response.read()
                if "json" in response.headers.get("content-type", ""):
                    response.json()
            finally:
                response.close()
            if response.status_code >= 400:
                raise SystemExit(f"the baseline got HTTP {response.status_code} for {r.method} {r.url}")
            sent += 1
        seconds = time.perf_counter() - t0
        cpu = sum(me.cpu_times()[:2]) - cpu0
    return BaseRun(seconds, cpu, sent, per)


# -- idle -----------------------------------------------------------------------------------


def start_stub_process(data_dir: Path, extra: list[str] | None = None) -> tuple[subprocess.Popen[str], str]:
    return stand_in.start(data_dir, extra, seed=SEED)


def seeded_stub_process(data: Path, posts: int) -> tuple[Any, int, int]:
    """The stand-in in its own process (as in the app), seeded here, its clock frozen at START."""
    from types import SimpleNamespace

    from backend_stub.clock import SimClock
    from backend_stub.state import StubState

    state = StubState(data, seed=SEED, clock=SimClock(start=START, speed=0))
    try:
        open_id = state.db.one("SELECT open_id FROM accounts WHERE username = 'demo.creator'")["open_id"]
        added = add_posts(state.db, open_id, posts, START)
        listed = listed_posts(state.db, open_id)
    finally:
        state.close()
    proc, base = start_stub_process(data, ["--clock-speed", "0"])
    app = httpx.get(base + "/_stub/apps", trust_env=False, timeout=10.0).json()[0]

    stub = SimpleNamespace(
        base_url=base,
        demo_client_key=app["client_key"],
        demo_client_secret=app["client_secret"],
        stop=lambda: stand_in.stop(proc),
    )
    return stub, added, listed


def thread_cpu(native_id: int | None) -> float:
    for t in psutil.Process().threads():
        if t.id == native_id:
            return float(t.user_time + t.system_time)
    return 0.0


@dataclass
class IdleRun:
    first_sync_s: float
    window_s: float
    cpu_pct: float
    engine_thread_pct: float
    requests: list[Recorded]
    status: str


def run_idle(tmp: Path, posts: int, idle_s: float) -> IdleRun:
    from backend_stub.clock import SimClock
    from backend_stub.state import StubState

    data = tmp / "stub-idle"
    state = StubState(data, seed=SEED, clock=SimClock(start=START, speed=0))  # seed it, frozen clock saved
    try:
        open_id = state.db.one("SELECT open_id FROM accounts WHERE username = 'demo.creator'")["open_id"]
        add_posts(state.db, open_id, posts, START)
    finally:
        state.close()
    from studio.sync.demo import DEMO_CLOCK_SPEED

    # as in the app: the demo's clock runs an hour a minute, so passes come every 15 s
    proc, base = start_stub_process(data, ["--clock-speed", str(DEMO_CLOCK_SPEED)])
    engine = None
    try:
        app = httpx.get(base + "/_stub/apps", trust_env=False, timeout=10.0).json()[0]
        engine = new_engine(base, app["client_key"], app["client_secret"], "idle")
        engine.sign_in_demo()
        t0 = time.perf_counter()
        engine.start()  # the thread's first pass (sign-in made the account due), then idle
        deadline = t0 + FIRST_SYNC_TIMEOUT_S
        while engine.status.state != "synced" and time.perf_counter() < deadline:
            time.sleep(0.05)
        first = time.perf_counter() - t0
        if engine.status.state != "synced":
            raise SystemExit(f"the engine's first sync did not finish: {engine.status.text()}")
        time.sleep(1.0)  # let the writer and any listener settle
        native = engine._thread.native_id if engine._thread is not None else None
        me = psutil.Process()
        RECORDER.take()
        RECORDER.active = True
        cpu0, th0, w0 = sum(me.cpu_times()[:2]), thread_cpu(native), time.perf_counter()
        time.sleep(idle_s)
        cpu1, th1, w1 = sum(me.cpu_times()[:2]), thread_cpu(native), time.perf_counter()
        RECORDER.active = False
        window = w1 - w0
        return IdleRun(
            first,
            window,
            100.0 * (cpu1 - cpu0) / window,
            100.0 * (th1 - th0) / window,
            RECORDER.take(),
            engine.status.text(),
        )
    finally:
        RECORDER.active = False
        if engine is not None:
            engine.close()
        stand_in.stop(proc)


# -- report -------------------------------------------------------------------------------------


def endpoint_counts(requests: list[Recorded]) -> str:
    counts: dict[str, int] = {}
    for r in requests:
        key = endpoint(r)
        counts[key] = counts.get(key, 0) + 1
    return ", ".join(f"{k} x{v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))


def ours_wait(run: OursRun, key: str) -> float:
    return sum(q.wait_s for q in run.requests if endpoint(q) == key)


def print_profile(path: Path, top: int) -> None:
    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    out.write("\n")
    stats.sort_stats("tottime").print_stats(top)
    print(out.getvalue())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000, help="listed posts of the demo creator")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side, alternating; medians reported")
    parser.add_argument("--idle-s", type=float, default=60.0, help="seconds the idle engine is watched")
    parser.add_argument("--no-idle", action="store_true", help="skip the idle CPU part")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile one more run_once and print hot spots"
    )
    parser.add_argument("--top", type=int, default=25, help="rows of the profile to print")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run the stand-in in this process (shares the GIL with the engine) instead of its own",
    )
    parser.add_argument(
        "--display-only",
        action="store_true",
        help="sync without the stand-in's insights extension (what a pass against the real platform does)",
    )
    args = parser.parse_args()
    global DISPLAY_ONLY
    DISPLAY_ONLY = args.display_only
    if args.repeat < 1 or args.posts < 1 or args.idle_s <= 0:
        parser.error("--repeat and --posts must be >= 1, --idle-s > 0")

    import logging

    logging.basicConfig(level=logging.WARNING)
    from backend_stub.server import StubServer

    ours: list[OursRun] = []
    base: list[BaseRun] = []
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp_name:
        tmp = Path(tmp_name)
        os.environ["CREATOR_STUDIO_HOME"] = str(tmp / "home")
        os.environ["CREATOR_STUDIO_TOKEN_STORE"] = "file"
        RECORDER.install()
        try:
            if args.in_process:
                stub = StubServer(
                    tmp / "stub", seed=SEED, auto_approve=True, clock=START, clock_speed=0
                ).start()
                open_id = stub.demo_accounts["demo.creator"]
                added = add_posts(stub.state.db, open_id, args.posts, START)
                posts = listed_posts(stub.state.db, open_id)
            else:
                stub, added, posts = seeded_stub_process(tmp / "stub", args.posts)
            try:
                answer = httpx.post(
                    stub.base_url + "/_stub/settings",
                    json={"rate_limits": BENCH_LIMITS},
                    trust_env=False,
                    timeout=10.0,
                )
                answer.raise_for_status()
                for i in range(args.repeat):
                    run = run_ours(stub, f"run{i}", None)
                    ours.append(run)
                    replay = run_baseline(stub.base_url, run.requests)
                    if replay.sent != len(run.requests):
                        raise SystemExit(
                            f"the baseline sent {replay.sent} requests, ours {len(run.requests)}"
                        )
                    base.append(replay)
                profile_path = tmp / "run_once.prof"
                if args.profile:
                    run_ours(stub, "profiled", profile_path)
            finally:
                stub.stop()
            idle = None if args.no_idle else run_idle(tmp, args.posts, args.idle_s)
        finally:
            RECORDER.uninstall()

        counts = {len(r.requests) for r in ours}
        ours_s = statistics.median(r.seconds for r in ours)
        base_s = statistics.median(b.seconds for b in base)
        ours_cpu = statistics.median(r.cpu_s for r in ours)
        base_cpu = statistics.median(b.cpu_s for b in base)
        n = len(ours[0].requests)
        ratio = ours_s / base_s
        first = ours[0]
        print(
            f"full first sync of an account with {posts} listed posts ({added} inserted into the stand-in),"
            f" backend_stub {'in-process' if args.in_process else 'in its own process'} on 127.0.0.1,"
            f" platform clock frozen at {START:.0f}"
            + (" — Display API only (no insights extension)" if DISPLAY_ONLY else "")
        )
        print(
            f"rate limits per 60 s, stand-in and our client alike: {BENCH_LIMITS}"
            f" (defaults 600 each); {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
        )
        print(
            f"per run: {n} HTTP requests ({first.pass_requests} API calls in the pass report, "
            f"{first.posts_seen} posts seen, {first.snapshots} snapshots, {first.daily_rows} daily values)"
        )
        print(f"  {endpoint_counts(first.requests)}")
        if len(counts) != 1:
            print(f"  note: request counts differed between runs: {sorted(counts)}")
        print(f"{args.repeat} runs each, alternating ours/baseline, fresh profile for each of ours; median")
        print("  ours (SyncEngine.run_once):       " + "  ".join(f"{r.seconds:6.3f}" for r in ours) + " s")
        print("  baseline (bare httpx, same reqs): " + "  ".join(f"{b.seconds:6.3f}" for b in base) + " s")
        print(
            f"  CPU s of this process (both include the in-process stand-in's serving): ours {ours_cpu:.3f},"
            f" baseline {base_cpu:.3f}"
        )
        print(
            f"  ours' own overhead: {ours_s - base_s:+.3f} s per sync, {(ours_s - base_s) / n * 1000:+.2f} ms"
            " per request (the rest is the stand-in serving and the loopback HTTP both sides pay)"
        )
        spent = {k: statistics.median(b.per_endpoint.get(k, 0.0) for b in base) for k in base[0].per_endpoint}
        ours_spent = {k: statistics.median(ours_wait(r, k) for r in ours) for k in spent}
        print(
            "  waiting for answer headers (the stand-in serving + loopback), median s per endpoint, ours/baseline: "
            + ", ".join(
                f"{k} {ours_spent[k]:.3f}/{v:.3f}" for k, v in sorted(spent.items(), key=lambda kv: -kv[1])
            )
        )
        ours_wait_s = statistics.median(sum(q.wait_s for q in r.requests) for r in ours)
        base_wait_s = statistics.median(b.wait_s for b in base)
        ours_rest = statistics.median(r.seconds - sum(q.wait_s for q in r.requests) for r in ours)
        base_rest = statistics.median(b.seconds - b.wait_s for b in base)
        print(
            f"  waiting in all: ours {ours_wait_s:.3f} s, baseline {base_wait_s:.3f} s; everything else (client"
            f" work, body reads, parsing; ours also its store writes): ours {ours_rest:.3f} s,"
            f" baseline {base_rest:.3f} s"
        )
        print(
            f"  ratio ours/baseline wall time: {ratio:.2f}x  target <= {RATIO_TARGET}x: "
            f"{'PASS' if ratio <= RATIO_TARGET else 'FAIL'}"
        )
        rows = [
            (
                f"full sync, {posts} posts (s)",
                f"{ours_s:.3f}",
                f"{base_s:.3f}",
                f"{ratio:.2f}x",
                f"<= {RATIO_TARGET}x",
                "PASS" if ratio <= RATIO_TARGET else "FAIL",
            ),
            (
                "requests per sync",
                str(n),
                str(base[0].sent),
                "1.00x" if base[0].sent == n else "MISMATCH",
                "same",
                "-",
            ),
            (
                "requests/s",
                f"{n / ours_s:.0f}",
                f"{n / base_s:.0f}",
                f"{(n / ours_s) / (n / base_s):.2f}x",
                "-",
                "-",
            ),
        ]
        if idle is not None:
            print(
                f"idle engine: stand-in in a separate process (default rate limits, the demo's clock: an hour a minute),"
                f" engine thread's first sync {idle.first_sync_s:.2f} s, then watched {idle.window_s:.1f} s"
            )
            print(
                f"  CPU of this process over the window: {idle.cpu_pct:.3f}% of one core"
                f" (engine thread alone {idle.engine_thread_pct:.3f}%); {len(idle.requests)} requests while idle"
                + (f" ({endpoint_counts(idle.requests)})" if idle.requests else "")
                + f"; status '{idle.status}'"
            )
            print(
                f"  (psutil CPU times tick every 10 ms: over {idle.window_s:.0f} s the resolution is"
                f" {100 * 0.01 / idle.window_s:.2f}% of one core)"
            )
            print(
                f"  target < {IDLE_CPU_TARGET}% of one core: {'PASS' if idle.cpu_pct < IDLE_CPU_TARGET else 'FAIL'}"
            )
            rows.append(
                (
                    "idle CPU (% of one core)",
                    f"{idle.cpu_pct:.3f}",
                    "-",
                    "-",
                    f"< {IDLE_CPU_TARGET}%",
                    "PASS" if idle.cpu_pct < IDLE_CPU_TARGET else "FAIL",
                )
            )
            rows.append(("requests while idle", str(len(idle.requests)), "-", "-", "-", "-"))
        print()
        header = ("metric", "ours", "baseline", "ratio", "target", "result")
        widths = [max(len(str(r[i])) for r in [header, *rows]) + 2 for i in range(len(header))]
        for row in [header, *rows]:
            print(
                "".join(
                    str(c).ljust(w) if i == 0 else str(c).rjust(w)
                    for i, (c, w) in enumerate(zip(row, widths, strict=True))
                )
            )
        if args.profile:
            print("\ncProfile of one more SyncEngine.run_once (fresh profile):")
            print_profile(profile_path, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
