"""Third-party filters run in a worker process: a plugin that hangs, segfaults or writes into its
input cannot take the app (or `creator-studio render`) down, and a well-behaved one gives the
same frames as in process. No test here measures time: budgets are small only so that a hang
is cut off, and each test asserts what happened."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest

from studio.core.frame import Frame
from studio.effects.api import Filter
from studio.effects.chain import build_chain
from studio.effects.registry import FOLDER, Registry, load_registry
from tests.effects.helpers import gradient, ref
from tests.render.helpers import decode_rgb, make_solid_video

EXAMPLES = Path(__file__).resolve().parents[2] / "plugins"

# One plugin module as a creator would drop it into the plugins folder.
MISBEHAVING = '''
import ctypes
import os
import time

import numpy as np

from studio.effects.api import ColorParam, Filter, FloatParam


class Hangs(Filter):
    """Sleeps forever on frames from ``from_t`` on (inverts before)."""

    id = "com.example.hangs"
    name = "Hangs"
    params = (FloatParam("from_t", default=0.0),)

    def process(self, image, t, values):
        if t >= values["from_t"]:
            while True:
                time.sleep(1e9)
        return 255 - image


class Spins(Filter):
    """A busy loop on frames before ``until_t`` (inverts after): holds its interpreter's GIL."""

    id = "com.example.spins"
    name = "Spins"
    params = (FloatParam("until_t", default=1e9),)

    def process(self, image, t, values):
        while t < values["until_t"]:
            pass
        return 255 - image


class Segfaults(Filter):
    """Reads address 0 on frames before ``until_t`` (inverts after)."""

    id = "com.example.segfaults"
    name = "Segfaults"
    params = (FloatParam("until_t", default=1e9),)

    def process(self, image, t, values):
        if t < values["until_t"]:
            ctypes.string_at(0)
        return 255 - image


class WritesInput(Filter):
    """Makes its read-only input writeable and blacks it out."""

    id = "com.example.writes-input"
    name = "Writes input"

    def process(self, image, t, values):
        image.setflags(write=True)
        image[:] = 0
        return image.copy()


class Invert(Filter):
    id = "com.example.invert"
    name = "Invert"

    def open(self, ctx):
        super().open(ctx)
        if os.environ.get("PLUGIN_PID_FILE"):  # where the plugin really runs
            with open(os.environ["PLUGIN_PID_FILE"], "a") as f:
                f.write(f"{os.getpid()}\\n")

    def process(self, image, t, values):
        return 255 - image


class Tint(Filter):
    """Parameters of three kinds, so they must cross to the worker intact."""

    id = "com.example.tint"
    name = "Tint"
    params = (ColorParam("color", default="#000000"), FloatParam("mix", default=0.5, minimum=0, maximum=1))

    def process(self, image, t, values):
        rgb = np.array([int(values["color"][i : i + 2], 16) for i in (1, 3, 5)], np.float32)
        return (image * (1 - values["mix"]) + rgb * values["mix"] + t).round().clip(0, 255).astype(np.uint8)


class Echo(Filter):
    """Temporal: averages each frame with the previous input, which it keeps (no copy)."""

    id = "com.example.echo"
    name = "Echo"
    temporal = True

    def open(self, ctx):
        super().open(ctx)
        self.previous = None

    def process(self, image, t, values):
        out = image.copy() if self.previous is None else ((image.astype(np.uint16) + self.previous) // 2)
        self.previous = image
        return out.astype(np.uint8)
'''


def _segments(pid: int) -> list[str]:
    return glob.glob(f"/dev/shm/cs-{pid}-*")


@pytest.fixture(autouse=True)
def no_leaked_segments() -> Iterator[None]:
    yield
    assert _segments(os.getpid()) == [], "shared memory segments left in /dev/shm"


@pytest.fixture
def plugins_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "misbehaving.py").write_text(MISBEHAVING)
    return folder


@pytest.fixture
def registry(plugins_dir: Path) -> Registry:
    reg = load_registry(plugins_dir=plugins_dir, entry_points=False)
    assert reg.get("com.example.hangs") is not None
    return reg


def _frames(n: int = 4) -> list[Frame]:
    rng = np.random.default_rng(3)
    return [Frame.from_rgb(rng.integers(0, 256, (112, 64, 3), np.uint8)) for _ in range(n)]


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


# ------------------------------------------------------------------ the chain (preview)


def test_a_well_behaved_plugin_gives_the_same_frames_in_its_worker_as_in_process(
    registry: Registry, tmp_path: Path
) -> None:
    import shutil

    shutil.copytree(EXAMPLES / "duotone", tmp_path / "plugins" / "duotone")  # a plugin project
    registry = load_registry(plugins_dir=tmp_path / "plugins", entry_points=False)
    cases = [
        ("com.example.invert", {}),
        ("com.example.tint", {"color": "#3366cc", "mix": 0.25}),
        ("com.example.echo", {}),
        ("org.creatorstudio.examples.duotone", {"shadows": "#102030", "intensity": 0.7}),
    ]
    frames = _frames()
    for filter_id, params in cases:
        cls = registry.get(filter_id)
        assert cls is not None
        chain = build_chain([ref(filter_id, **params)], width=64, height=112, fps=30, registry=registry)
        try:
            pids = chain.worker_pids()
            assert filter_id in pids and pids[filter_id] != os.getpid()
            isolated = [chain.process(f, i / 30).as_rgb() for i, f in enumerate(frames)]
            assert chain.problems == []
        finally:
            chain.close()
        assert _gone(pids[filter_id])
        direct = cls()
        direct.open(chain.ctx)
        values = cls.validate(params)
        in_process = [direct.process(f.as_rgb(), i / 30, values) for i, f in enumerate(frames)]
        for a, b in zip(isolated, in_process, strict=True):
            assert np.array_equal(a, b), filter_id


@pytest.mark.parametrize("filter_id", ["com.example.hangs", "com.example.spins"])
def test_a_hanging_plugin_is_stopped_and_can_be_restarted(registry: Registry, filter_id: str) -> None:
    frame = gradient()
    before = frame.as_rgb().copy()
    params = {"from_t": 0.0} if filter_id == "com.example.hangs" else {"until_t": 0.5}
    chain = build_chain(
        [ref(filter_id, **params), ref("com.example.invert")],
        width=64,
        height=112,
        fps=30,
        registry=registry,
        time_budget=0.5,
    )
    try:
        pid = chain.worker_pids()[filter_id]
        out = chain.process(frame, 0.0).as_rgb()
        # The chain went on without it: the next filter ran on the untouched frame.
        assert np.array_equal(out, 255 - before) and np.array_equal(frame.as_rgb(), before)
        assert len(chain.problems) == 1 and filter_id in chain.problems[0]
        assert "time budget" in chain.problems[0]
        assert _gone(pid) and filter_id not in chain.worker_pids()
        assert not registry.status(filter_id).enabled  # type: ignore[union-attr]
        if filter_id == "com.example.spins":
            assert chain.restart(filter_id)
            assert registry.status(filter_id).enabled  # type: ignore[union-attr]
            assert chain.worker_pids()[filter_id] != pid
            assert np.array_equal(chain.process(frame, 1.0).as_rgb(), before)  # inverted twice
            assert len(chain.problems) == 1
    finally:
        chain.close()


def test_a_segfaulting_plugin_kills_only_its_worker(registry: Registry) -> None:
    frame = gradient()
    before = frame.as_rgb().copy()
    chain = build_chain(
        [ref("com.example.segfaults", until_t=0.5)], width=64, height=112, fps=30, registry=registry
    )
    try:
        pid = chain.worker_pids()["com.example.segfaults"]
        out = chain.process(frame, 0.0)
        assert np.array_equal(out.as_rgb(), before)
        assert len(chain.problems) == 1
        assert "Segfaults (com.example.segfaults) crashed" in chain.problems[0]
        assert "SIGSEGV" in chain.problems[0]
        assert _gone(pid)
        # Later frames skip it; re-enabling it (the plugins dialog) starts a fresh worker.
        assert np.array_equal(chain.process(frame, 1.0).as_rgb(), before)
        registry.enable("com.example.segfaults")
        assert np.array_equal(chain.process(frame, 1.0).as_rgb(), 255 - before)
        assert chain.worker_pids()["com.example.segfaults"] != pid
    finally:
        chain.close()


def test_a_plugin_cannot_make_its_input_writeable(registry: Registry) -> None:
    frame = gradient()
    before = frame.as_rgb().copy()
    chain = build_chain(
        [ref("com.example.writes-input"), ref("com.example.invert")],
        width=64,
        height=112,
        fps=30,
        registry=registry,
    )
    try:
        out = chain.process(frame, 0.0).as_rgb()
    finally:
        chain.close()
    assert np.array_equal(frame.as_rgb(), before), "the host's frame was written"
    assert np.array_equal(out, 255 - before)
    assert "Writes input (com.example.writes-input) raised ValueError" in chain.problems[0]
    assert "WRITEABLE" in chain.problems[0]


def test_a_plugin_class_that_runs_in_process_cannot_make_its_input_writeable_either() -> None:
    class Scribbler(Filter):  # defined here, so a worker process could not import it
        id = "com.example.scribbler"

        def process(self, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray:
            image.setflags(write=True)
            image[:] = 0
            return image.copy()

    registry = load_registry(entry_points=False)
    registry.register(Scribbler, FOLDER, "test")
    assert registry.loader(Scribbler.id) is None
    frame = gradient()
    before = frame.as_rgb().copy()
    with build_chain([ref(Scribbler.id)], width=64, height=112, fps=30, registry=registry) as chain:
        out = chain.process(frame, 0.0)
    assert np.array_equal(frame.as_rgb(), before) and np.array_equal(out.as_rgb(), before)
    assert "raised ValueError" in chain.problems[0]


def test_the_app_exits_with_a_plugin_stuck_and_another_still_running(plugins_dir: Path) -> None:
    """A preview that cut off a hanging plugin and left a worker open still exits at once."""
    script = f"""
import numpy as np
from studio.core.frame import Frame
from studio.effects.chain import build_chain
from studio.effects.registry import load_registry

registry = load_registry(plugins_dir={str(plugins_dir)!r}, entry_points=False)
refs = [{{"id": "com.example.invert", "params": {{}}}}, {{"id": "com.example.hangs", "params": {{}}}}]
chain = build_chain(refs, width=64, height=112, fps=30, registry=registry, time_budget=0.5)
print(list(chain.worker_pids().values())[0], flush=True)
chain.process(Frame.from_rgb(np.zeros((112, 64, 3), np.uint8)), 0.0)
print(chain.problems[0], flush=True)
"""  # the chain is never closed
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, child.stderr
    worker, problem = child.stdout.splitlines()
    assert "Hangs (com.example.hangs) took longer than its time budget" in problem
    assert _wait_gone(int(worker))


# ------------------------------------------------------------------ `creator-studio render`


def _wait_gone(pid: int) -> bool:
    for _ in range(100):  # what the OS takes to reap it; not a measure of anything
        if _gone(pid):
            return True
        time.sleep(0.1)
    return False


def _leftover_processes(home: Path) -> list[int]:
    found = []
    for proc in psutil.process_iter(["pid"]):
        try:
            if proc.environ().get("CREATOR_STUDIO_HOME") == str(home) and proc.pid != os.getpid():
                found.append(proc.pid)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return found


def _render_with(
    filter_id: str, home: Path, tmp_path: Path
) -> tuple[int, subprocess.CompletedProcess[str], Path]:
    from studio import config

    plugins = config.app_paths().plugins
    plugins.mkdir(parents=True, exist_ok=True)
    (plugins / "misbehaving.py").write_text(MISBEHAVING)
    make_solid_video(tmp_path / "red.mp4", (255, 0, 0), seconds=0.5)
    doc = {
        "schema_version": 2,
        "title": "plugin",
        "canvas": {"width": 180, "height": 320, "fps": 24},
        "tracks": [{"kind": "video", "clips": [{
            "source": "red.mp4", "in_point": 0.0, "out_point": 0.5, "start": 0.0,
            "filters": [{"id": filter_id, "params": {}}],
        }]}],
    }  # fmt: skip
    (tmp_path / "p.json").write_text(json.dumps(doc))
    out = tmp_path / "out.mp4"
    args = [str(tmp_path / "p.json"), "-o", str(out), "--preset", "canvas", "--no-platform-check"]
    env = dict(os.environ, CREATOR_STUDIO_PLUGIN_BUDGET="2", PLUGIN_PID_FILE=str(tmp_path / "pids.txt"))
    child = subprocess.Popen(
        [sys.executable, "-m", "studio", "render", *args, "--progress", "none"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        stdout, stderr = child.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        pytest.fail(f"`creator-studio render` with {filter_id} did not exit")
    assert _wait_gone(child.pid)
    left = [p for p in _leftover_processes(home) if not _wait_gone(p)]
    assert left == [], "worker processes outlived the render"
    assert _segments(child.pid) == [], "the render left shared memory segments in /dev/shm"
    return child.pid, subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr), out


@pytest.mark.parametrize(
    ("filter_id", "name", "reason"),
    [
        ("com.example.hangs", "Hangs", "took longer than its time budget"),
        ("com.example.segfaults", "Segfaults", "crashed: its worker process died (signal SIGSEGV)"),
        ("com.example.writes-input", "Writes input", "raised ValueError: cannot set WRITEABLE flag"),
    ],
)
def test_render_stops_naming_the_plugin_and_exits(
    filter_id: str, name: str, reason: str, studio_home: Path, tmp_path: Path
) -> None:
    _, result, out = _render_with(filter_id, studio_home, tmp_path)
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("creator-studio render:")]
    assert len(lines) == 1, result.stderr
    assert f"the filter {filter_id} failed: {name} ({filter_id}) {reason}" in lines[0]
    assert "Traceback" not in result.stderr and "leaked" not in result.stderr
    assert not out.exists()


def test_render_with_a_well_behaved_plugin_runs_it_in_its_worker(studio_home: Path, tmp_path: Path) -> None:
    render_pid, result, out = _render_with("com.example.invert", studio_home, tmp_path)
    assert result.returncode == 0, result.stderr
    plugin_pids = {int(line) for line in (tmp_path / "pids.txt").read_text().split()}
    assert plugin_pids and render_pid not in plugin_pids
    frames = decode_rgb(out)
    assert len(frames) == 12
    assert all(f[..., 0].mean() < 30 and f[..., 1:].mean() > 220 for f in frames)  # red inverted: cyan
