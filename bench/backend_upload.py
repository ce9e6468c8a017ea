"""Upload throughput of the backend stand-in against raw baselines, side by side.

Uploads a 200 MB file in 10 MB chunks with `curl` PUTs (one process per chunk, as a client that
resumes chunk by chunk would) to:
  1. the stand-in (`python -m backend_stub`, FastAPI + uvicorn, Content-Range checks, SQLite
     progress), after a real OAuth sign-in and a direct-post init;
  2. a minimal stdlib `http.server` that only copies the body to a file (the raw baseline);
and copies the same bytes with `dd` (disk ceiling). Reports MB/s, server CPU seconds and ratios.
Run: .venv/bin/python bench/backend_upload.py [--size-mb 200] [--chunk-mb 10]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
BASELINE_SERVER = r"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
out = sys.argv[1]
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_PUT(self):
        left = int(self.headers["Content-Length"])
        first = int(self.headers["Content-Range"].split(" ")[1].split("-")[0])
        with open(out, "r+b" if first else "wb") as f:
            f.seek(first)
            while left:
                data = self.rfile.read(min(left, 1 << 20))
                if not data:
                    break
                f.write(data)
                left -= len(data)
        self.send_response(206)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a):
        return None
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
"""


def cpu_seconds(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def curl_chunks(url: str, parts: list[Path], chunk: int, total: int) -> tuple[float, list[str]]:
    """One curl per chunk, streaming the part file (-T) with an exact request target, so curl
    neither buffers the chunk nor appends the file name to a URL ending in '/'."""
    split = urlsplit(url)
    target = split.path + (f"?{split.query}" if split.query else "")
    origin = f"{split.scheme}://{split.netloc}/"
    codes = []
    start = time.perf_counter()
    for i, part in enumerate(parts):
        first = i * chunk
        last = first + part.stat().st_size - 1
        headers = ["Expect:", "Content-Type: video/mp4", f"Content-Range: bytes {first}-{last}/{total}"]
        command = [
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-T",
            str(part),
            "--request-target",
            target,
        ]
        for header in headers:
            command += ["-H", header]
        result = subprocess.run([*command, origin], capture_output=True, text=True, check=True)
        codes.append(result.stdout)
    return time.perf_counter() - start, codes


def start_stub(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "backend_stub", "--port", "0", "--data-dir", str(data_dir), "--auto-approve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("backend stand-in at "):
        raise SystemExit(
            f"the stand-in did not start ({line!r}); run python -m backend_stub --port 0 to see why"
        )
    proc.stdout.readline()
    return proc, line.split(" at ")[1].strip()


def stub_upload(base: str, size: int, chunk: int) -> tuple[str, str, str]:
    """Sign in (PKCE, auto-approve) and init a direct post; returns (upload_url, token, publish_id)."""
    with httpx.Client(base_url=base, trust_env=False, timeout=30) as http:
        app = http.get("/_stub/apps").json()[0]
        verifier = secrets.token_urlsafe(48)
        challenge = hashlib.sha256(verifier.encode()).hexdigest()
        redirect = "http://127.0.0.1:5000/callback/"
        reply = http.get(
            "/v2/auth/authorize/",
            params={
                "client_key": app["client_key"],
                "scope": "video.publish",
                "redirect_uri": redirect,
                "state": "b",
                "response_type": "code",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            },
        )
        code = parse_qs(urlsplit(reply.headers["location"]).query)["code"][0]
        token = http.post(
            "/v2/oauth/token/",
            data={
                "client_key": app["client_key"],
                "client_secret": app["client_secret"],
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect,
                "code_verifier": verifier,
            },
        ).json()["access_token"]
        init = http.post(
            "/v2/post/publish/video/init/",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "post_info": {"privacy_level": "SELF_ONLY", "title": "bench"},
                "source_info": {
                    "source": "FILE_UPLOAD",
                    "video_size": size,
                    "chunk_size": chunk,
                    "total_chunk_count": size // chunk,
                },
            },
        )
        body = init.json()
        if body["error"]["code"] != "ok":
            raise SystemExit(f"init failed: {body}")
        return str(body["data"]["upload_url"]), token, str(body["data"]["publish_id"])


def uploaded_bytes(base: str, token: str, publish_id: str) -> int:
    with httpx.Client(base_url=base, trust_env=False, timeout=30) as http:
        reply = http.post(
            "/v2/post/publish/status/fetch/",
            headers={"Authorization": f"Bearer {token}"},
            json={"publish_id": publish_id},
        )
        return int(reply.json()["data"]["uploaded_bytes"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--chunk-mb", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3, help="runs per target; the best one is reported")
    parser.add_argument(
        "--dir", type=Path, default=None, help="where files go (e.g. /dev/shm to leave the disk out)"
    )
    args = parser.parse_args()
    if shutil.which("curl") is None:
        raise SystemExit("curl is needed for this benchmark")
    size, chunk = args.size_mb * 1_000_000, args.chunk_mb * 1_000_000
    mb = size / 1e6
    with tempfile.TemporaryDirectory(prefix="bench-upload-", dir=args.dir) as tmp_name:
        tmp = Path(tmp_name)
        source = tmp / "source.bin"
        with source.open("wb") as f:
            for _ in range(args.size_mb):
                f.write(os.urandom(1_000_000))
        count = size // chunk
        parts = []
        with source.open("rb") as f:
            for i in range(count):
                part = tmp / f"part{i:04d}"
                part.write_bytes(f.read(chunk if i < count - 1 else size - chunk * (count - 1)))
                parts.append(part)

        stub_runs: list[tuple[float, float]] = []
        stub, base = start_stub(tmp / "stub")
        try:
            server = psutil.Process(stub.pid)
            for _ in range(args.repeat):
                url, token, publish_id = stub_upload(base, size, chunk)
                cpu0 = cpu_seconds(server)
                seconds, codes = curl_chunks(url, parts, chunk, size)
                stub_runs.append((seconds, cpu_seconds(server) - cpu0))
                if codes != ["206"] * (count - 1) + ["201"]:
                    raise SystemExit(f"unexpected answers from the stand-in: {codes}")
                if uploaded_bytes(base, token, publish_id) != size:
                    raise SystemExit("the stand-in did not record every byte")
        finally:
            stub.terminate()
            stub.wait(timeout=30)
        raw_runs: list[tuple[float, float]] = []
        out = tmp / "baseline.bin"
        base_proc = subprocess.Popen(
            [sys.executable, "-c", BASELINE_SERVER, str(out)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert base_proc.stdout is not None
            port = int(base_proc.stdout.readline())
            server = psutil.Process(base_proc.pid)
            for _ in range(args.repeat):
                cpu0 = cpu_seconds(server)
                seconds, codes = curl_chunks(f"http://127.0.0.1:{port}/upload", parts, chunk, size)
                raw_runs.append((seconds, cpu_seconds(server) - cpu0))
        finally:
            base_proc.terminate()
            base_proc.wait(timeout=30)
        if out.stat().st_size != size:
            raise SystemExit("the baseline server stored the wrong size")

        dd_runs = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            subprocess.run(["dd", f"if={source}", f"of={tmp / 'dd.bin'}", "bs=8M", "status=none"], check=True)
            dd_runs.append(time.perf_counter() - start)

    ours_s, ours_cpu = min(stub_runs)
    raw_s, raw_cpu = min(raw_runs)
    dd_s = min(dd_runs)
    print(f"upload of {mb:.0f} MB in {count} chunks of {chunk / 1e6:.0f} MB, curl PUT per chunk, loopback")
    print(
        f"files under {args.dir or tempfile.gettempdir()}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"best of {args.repeat} runs each; MB per server CPU second = what one free core would sustain")
    print(f"{'target':<34}{'seconds':>9}{'MB/s':>9}{'server CPU s':>14}{'MB/CPU s':>10}")
    print(
        f"{'backend_stub (FastAPI/uvicorn)':<34}{ours_s:>9.2f}{mb / ours_s:>9.0f}{ours_cpu:>14.2f}{mb / max(ours_cpu, 1e-9):>10.0f}"
    )
    print(
        f"{'baseline: stdlib http.server':<34}{raw_s:>9.2f}{mb / raw_s:>9.0f}{raw_cpu:>14.2f}{mb / max(raw_cpu, 1e-9):>10.0f}"
    )
    print(f"{'ceiling: dd bs=8M (no network)':<34}{dd_s:>9.2f}{mb / dd_s:>9.0f}{'-':>14}{'-':>10}")
    print(
        f"ratio stub/http.server throughput: {raw_s / ours_s:.2f}   CPU per MB stub/http.server: {ours_cpu / max(raw_cpu, 1e-9):.2f}"
    )
    print(
        f"ratio stub/dd throughput: {dd_s / ours_s:.2f}   target >= 500 MB/s: {'met' if mb / ours_s >= 500 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
