"""``creator-studio --self-test``: does this install really work? One line per check, exit 0 or 1.

Meant for a freshly built or installed app (``make package-check`` runs it in the extracted
tarball), so every check goes through the path the app itself uses, child processes included:

- ``resources``: the shipped fonts, looks and stickers are where :mod:`studio.resources` looks;
- ``onnx``: ONNX Runtime's CPU provider runs a tiny model;
- ``opencv``: the Haar cascades of face tracking load;
- ``render``: a 2-second project (a clip, a look filter, a text) rendered by the ``render``
  worker (:func:`studio.process.worker_command`), and the MP4 read back;
- ``plugins``: the example plugins load from their folder and one runs a frame in an isolated
  worker process (multiprocessing's forkserver/spawn child of this very executable);
- ``window``: the editor starts to a painted window (``gui --quit-when-shown``; offscreen
  unless ``QT_QPA_PLATFORM`` says otherwise);
- ``backend``: the local platform stand-in starts (``backend`` worker) and answers;
- ``sync``: the sync engine signs in to its demo creator and syncs once;
- ``backend stop``: the stand-in exits when asked;
- ``drafts``: the drafts store opens, saves and reads back a draft.

Everything happens in a temporary profile: ``CREATOR_STUDIO_HOME`` points at a temporary folder
for the self-test's duration (the children inherit it) and is restored afterwards, so the
creator's own drafts, accounts and keyring are never touched (tokens go to the file store).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

HOME_ENV = "CREATOR_STUDIO_HOME"
RENDER_SECONDS = 2.0
CANVAS = (360, 640, 30.0)  # the platform's smallest side: the default platform checks pass
CHILD_TIMEOUT_S = 300.0
REQUIRED_RESOURCES = (
    ("fonts", "DejaVuSans.ttf"),
    ("fonts", "DejaVuSans-Bold.ttf"),
    ("luts", "teal-orange.cube"),
    ("stickers", "stickers.json"),
)
EXAMPLE_PLUGIN = "org.creatorstudio.examples.duotone"


class CheckFailed(Exception):
    """A check's failure, with the reason printed after ``FAILED:``."""


@dataclass
class Context:
    """What the checks share: the temporary folder, the profile, the running stand-in."""

    work: Path
    env_changes: dict[str, str | None] = field(default_factory=dict)
    demo: Any = None  # studio.sync.demo.DemoBackend once started
    backend_error: str = ""


@dataclass
class Result:
    name: str
    ok: bool
    detail: str
    seconds: float

    def line(self) -> str:
        if self.ok:
            return (
                f"{self.name}: ok ({self.detail}, {self.seconds:.1f} s)"
                if self.detail
                else f"{self.name}: ok"
            )
        return f"{self.name}: FAILED: {self.detail}"


def _child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env


def _run_child(args: list[str], *, timeout: float = CHILD_TIMEOUT_S, **extra_env: str) -> str:
    """Run ``creator-studio ARGS`` as the app does; its stdout, or CheckFailed with its last words."""
    from studio.process import worker_command

    command = worker_command(*args)
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env=_child_env(**extra_env)
        )
    except subprocess.TimeoutExpired:
        raise CheckFailed(f"`{' '.join(args[:1])}` did not finish in {timeout:.0f} s") from None
    except OSError as exc:
        raise CheckFailed(f"cannot start {command[0]}: {exc}") from None
    if done.returncode != 0:
        tail = [line for line in done.stderr.strip().splitlines() if line.strip()][-2:]
        why = " | ".join(tail) or f"exit code {done.returncode}"
        raise CheckFailed(f"`creator-studio {args[0]}` exited with {done.returncode}: {why}")
    return done.stdout


# ------------------------------------------------------------------------------------ checks


def check_resources(ctx: Context) -> str:
    from studio.resources import resource, resource_dir, shipped

    missing = [f"{kind}/{name}" for kind, name in REQUIRED_RESOURCES if not resource(kind, name).is_file()]
    if missing:
        raise CheckFailed(f"missing from {resource_dir()}: {', '.join(missing)}")
    looks, stickers = shipped("luts", ".cube"), shipped("stickers", ".png")
    if not stickers:
        raise CheckFailed(f"no stickers in {resource('stickers')}")
    return f"fonts, {len(looks)} looks, {len(stickers)} stickers in {resource_dir()}"


def check_onnx(ctx: Context) -> str:
    import numpy as np
    import onnxruntime as ort
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    graph = helper.make_graph([helper.make_node("Add", ["x", "x"], ["y"])], "selftest", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(
        model.SerializeToString(), sess_options=options, providers=["CPUExecutionProvider"]
    )
    data = np.arange(4, dtype=np.float32).reshape(1, 4)
    (out,) = session.run(None, {"x": data})
    if not np.allclose(out, 2 * data):
        raise CheckFailed(f"the CPU provider computed {out.tolist()} instead of {(2 * data).tolist()}")
    return f"ONNX Runtime {ort.__version__}, CPU provider"


def check_opencv(ctx: Context) -> str:
    import cv2

    folder = Path(cv2.data.haarcascades)
    for name in ("haarcascade_frontalface_default.xml", "haarcascade_eye.xml"):
        if cv2.CascadeClassifier(str(folder / name)).empty():
            raise CheckFailed(f"OpenCV's {name} is missing from {folder}")
    return f"OpenCV {cv2.__version__}, face cascades"


def _make_clip(path: Path, seconds: float) -> None:
    """A dark grey-blue H.264 clip with a moving bar, made with PyAV (the bundled FFmpeg)."""
    import av
    import numpy as np

    width, height, fps = CANVAS
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "18"}
        for i in range(round(seconds * fps)):
            img = np.full((height, width, 3), (40, 48, 64), np.uint8)
            x = (i * 6) % width
            img[height - 60 : height - 20, x : x + 20] = (200, 120, 40)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = i, 1 / rate
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def check_render(ctx: Context) -> str:
    import av
    import numpy as np

    from studio.core.project import Canvas, FilterRef, Project, TextItem, Track, VideoClip
    from studio.projectfile import save_project

    folder = ctx.work / "render"
    folder.mkdir()
    clip = folder / "clip.mp4"
    _make_clip(clip, RENDER_SECONDS)
    width, height, fps = CANVAS
    project = Project(
        title="Self-test",
        canvas=Canvas(width, height, fps),
        tracks=[
            Track(
                "v1",
                "video",
                clips=[
                    VideoClip(
                        "c1",
                        str(clip),
                        0.0,
                        RENDER_SECONDS,
                        0.0,
                        filters=[FilterRef("studio.lut", {"look": "teal-orange", "intensity": 1.0})],
                    )
                ],
            ),
            Track("t1", "text", items=[TextItem("t", "Self-test", 0.0, RENDER_SECONDS)]),
        ],
    )
    project_file = folder / "project.json"
    save_project(project, project_file)
    output = folder / "out.mp4"
    stdout = _run_child(
        ["render", str(project_file), "-o", str(output), "--preset", "canvas", "--progress", "json"]
    )
    last = json.loads(stdout.strip().splitlines()[-1]) if stdout.strip() else {}
    if not last.get("done") or not output.is_file():
        raise CheckFailed(f"the render reported no finished file (last progress: {last or 'none'})")
    with av.open(str(output)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    expected = round(RENDER_SECONDS * fps)
    if abs(len(frames) - expected) > 1:
        raise CheckFailed(f"the MP4 has {len(frames)} frames, not {expected}")
    middle = frames[len(frames) // 2].astype(np.int16)
    # The text (white, centred) is the only bright thing in the frame; the look moves the colours.
    bright = (middle.min(axis=2) > 200).mean()
    if bright < 0.002:
        raise CheckFailed("the text is missing from the rendered frames (fonts not found?)")
    background = middle[20:60, 20:60].reshape(-1, 3).mean(axis=0)
    if np.abs(background - (40, 48, 64)).max() < 2:
        raise CheckFailed("the look filter left the frames unchanged")
    return f"{len(frames)} frames {width}x{height}, text and the teal-orange look"


def _example_plugins() -> Path | None:
    """The example plugins that ship with the app: beside the frozen app's modules, or the
    checkout's ``plugins/``; None for an install without them (a wheel)."""
    base = Path(getattr(sys, "_MEIPASS", "")) if getattr(sys, "frozen", False) else None
    candidates = [base / "plugins"] if base else []
    candidates.append(Path(__file__).resolve().parents[1] / "plugins")
    for folder in candidates:
        if (folder / "duotone" / "pyproject.toml").is_file():
            return folder
    return None


TINY_PLUGIN = """
import numpy as np
from studio.effects.api import Filter, FloatParam


class Invert(Filter):
    id = "org.creatorstudio.selftest.invert"
    name = "Invert (self-test)"
    params = (FloatParam("amount", default=1.0, minimum=0.0, maximum=1.0),)

    def process(self, image, t, values):
        return (255 - image).astype(np.uint8)
"""


def check_plugins(ctx: Context) -> str:
    import numpy as np

    from studio.effects.api import FilterContext
    from studio.effects.isolation import START_METHOD, PluginWorker
    from studio.effects.registry import Registry

    examples = _example_plugins()
    registry = Registry()
    if examples is not None:
        registry.load_folder(examples)
        filter_id, where = EXAMPLE_PLUGIN, f"the examples in {examples}"
    else:
        folder = ctx.work / "plugins"
        folder.mkdir()
        (folder / "selftest_invert.py").write_text(TINY_PLUGIN, encoding="utf-8")
        registry.load_folder(folder)
        filter_id, where = "org.creatorstudio.selftest.invert", "a generated plugin (no examples here)"
    broken = [f"{s.id}: {s.error}" for s in registry.statuses() if s.third_party and not s.enabled]
    if broken:
        raise CheckFailed(f"plugins did not load: {'; '.join(broken)}")
    cls, loader = registry.get(filter_id), registry.loader(filter_id)
    if cls is None or loader is None:
        raise CheckFailed(f"{filter_id} was not found in {where}")
    image = np.zeros((64, 36, 3), np.uint8)
    image[:, :, 0] = np.arange(64, dtype=np.uint8)[:, None] * 4
    worker = PluginWorker(loader, FilterContext(36, 64, 30.0, mode="export"))
    try:
        worker.start()
        values = {p.name: p.default for p in cls.params}
        out = worker.process(image, 0.0, values, budget=30.0)
        pid = worker.pid
    finally:
        worker.close()
    if not isinstance(out, np.ndarray) or out.shape != image.shape or np.array_equal(out, image):
        raise CheckFailed(f"{filter_id} gave back no changed frame from its worker")
    loaded = sum(1 for s in registry.statuses() if s.third_party and s.enabled)
    return f"{loaded} loaded from {where}; {cls.name} ran in worker pid {pid} ({START_METHOD})"


def check_window(ctx: Context) -> str:
    platform = os.environ.get("QT_QPA_PLATFORM") or "offscreen"
    _run_child(["gui", "--quit-when-shown"], timeout=120.0, QT_QPA_PLATFORM=platform)
    return f"the editor painted its window and closed on '{platform}'"


def check_backend(ctx: Context) -> str:
    from studio.config import app_paths
    from studio.sync.demo import DemoBackend, DemoError

    demo = DemoBackend(app_paths().ensure().data / "backend", clock_speed=0.0)
    try:
        demo.start()
    except DemoError as exc:
        ctx.backend_error = str(exc)
        raise CheckFailed(str(exc)) from None
    ctx.demo = demo
    if demo.reused or demo.process is None:
        raise CheckFailed(f"found a stand-in already running at {demo.base_url} in a fresh profile")
    if not demo.alive():
        raise CheckFailed("the stand-in started and stopped at once")
    return f"started at {demo.base_url} (pid {demo.process.pid})"


def check_sync(ctx: Context) -> str:
    from studio.config import app_paths
    from studio.sync.engine import SyncEngine
    from studio.sync.errors import ApiError
    from studio.sync.vault import open_vault

    if ctx.demo is None or ctx.demo.config is None:
        raise CheckFailed(
            f"needs the local backend, which did not start ({ctx.backend_error or 'see above'})"
        )
    paths = app_paths().ensure()
    engine = SyncEngine(
        paths, platform=ctx.demo.config, vault=open_vault(paths, prefer="file"), webhooks=False
    )
    try:
        engine.open()
        account = engine.sign_in_demo()
        results = engine.run_once()
    finally:
        engine.close()
    if not results:
        raise CheckFailed("signed in, but the engine found no account to sync")
    for acc, outcome in results:
        if isinstance(outcome, ApiError):
            raise CheckFailed(f"{acc.label}: not synced: {outcome}")
    report = results[0][1]
    return f"signed in as {account.label}; {report.posts_seen} posts, {report.snapshots} snapshots"


def check_backend_stop(ctx: Context) -> str:
    demo = ctx.demo
    if demo is None:
        raise CheckFailed(f"the local backend never started ({ctx.backend_error or 'see above'})")
    process = demo.process
    demo.stop()
    ctx.demo = None
    if process is not None and process.poll() is None:
        raise CheckFailed(f"the stand-in (pid {process.pid}) is still running")
    return f"exited with code {process.returncode if process is not None else '?'}"


def check_drafts(ctx: Context) -> str:
    from studio.core.project import Project, TextItem, Track
    from studio.drafts.store import open_store

    store = open_store()
    try:
        doc = Project(
            title="Self-test draft", tracks=[Track("t1", "text", items=[TextItem("t", "Hi", 0, 1)])]
        )
        draft = store.create_draft(doc.to_dict(), kind="import")
        changed = doc.to_dict()
        changed["title"] = "Self-test draft (saved)"
        store.save(draft, changed)
        again = store.get_project_doc(draft)
        listed = [d.id for d in store.list_drafts()]
        problems = [line for line in store.integrity_check() if line != "ok"]
        where = store.path
    finally:
        store.close()
    if again.get("title") != "Self-test draft (saved)" or draft not in listed:
        raise CheckFailed(f"draft {draft} did not read back as saved")
    if problems:
        raise CheckFailed(f"integrity check: {'; '.join(problems[:3])}")
    return f"saved and read back draft {draft} in {where.parent}"


CHECKS: tuple[tuple[str, Callable[[Context], str]], ...] = (
    ("resources", check_resources),
    ("onnx", check_onnx),
    ("opencv", check_opencv),
    ("render", check_render),
    ("plugins", check_plugins),
    ("window", check_window),
    ("backend", check_backend),
    ("sync", check_sync),
    ("backend stop", check_backend_stop),
    ("drafts", check_drafts),
)


# ------------------------------------------------------------------------------------ runner


def _say(line: str) -> None:
    print(line, flush=True)


@contextlib.contextmanager
def temporary_profile(work: Path) -> Iterator[None]:
    """``CREATOR_STUDIO_HOME`` -> ``work/home`` (and no named profile) until the block ends."""
    saved = {name: os.environ.get(name) for name in (HOME_ENV, "CREATOR_STUDIO_PROFILE")}
    os.environ[HOME_ENV] = str(work / "home")
    os.environ.pop("CREATOR_STUDIO_PROFILE", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_checks(out: Callable[[str], None] = _say) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="creator-studio-selftest-") as tmp:
        ctx = Context(Path(tmp))
        with temporary_profile(ctx.work):
            try:
                for name, check in CHECKS:
                    started = time.perf_counter()
                    try:
                        detail, ok = check(ctx), True
                    except CheckFailed as exc:
                        detail, ok = str(exc), False
                    except Exception as exc:  # a bug or a missing library: name it, keep going
                        frame = traceback.extract_tb(exc.__traceback__)[-1]
                        where = f"{Path(frame.filename).name}:{frame.lineno}"
                        detail, ok = f"{type(exc).__name__}: {exc} ({where})", False
                    result = Result(name, ok, detail, time.perf_counter() - started)
                    results.append(result)
                    out(result.line())
            finally:
                if ctx.demo is not None:
                    ctx.demo.stop()
    return results


def main(out: Callable[[str], None] = _say) -> int:
    from studio import __version__
    from studio.process import is_frozen, worker_command

    kind = "frozen app" if is_frozen() else "Python " + ".".join(map(str, sys.version_info[:3]))
    out(f"Creator Studio {__version__} self-test ({kind}, {worker_command()[0]})")
    started = time.perf_counter()
    results = run_checks(out)
    failed = [r.name for r in results if not r.ok]
    took = time.perf_counter() - started
    if failed:
        out(f"self-test: {len(failed)} of {len(results)} checks FAILED ({', '.join(failed)}) in {took:.1f} s")
        return 1
    out(f"self-test: all {len(results)} checks passed in {took:.1f} s")
    return 0
