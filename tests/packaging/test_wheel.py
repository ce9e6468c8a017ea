"""The wheel runs anywhere: build sdist + wheel, install the wheel into a fresh venv outside the
checkout, and use it there (opt-in: ``make wheel-check``, about a minute).

``python -m build`` makes the sdist and then the wheel *from the sdist*, so a file missing from
the sdist breaks the wheel too. The fresh venv gets the wheel with ``--no-deps``; the heavy
libraries come from this environment's site-packages through a ``.pth`` line (a plain path: the
checkout's editable-install hook there is not run), and every command runs from a temporary
folder with ``-I`` or a clean environment, so ``studio`` can only come from the wheel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from pathlib import Path

import numpy as np
import pytest
from old_profile import DRAFT_ID, make_old_profile

import studio

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.wheel,
    pytest.mark.slow,
    pytest.mark.timeout(900),
    pytest.mark.skipif(
        os.environ.get("CREATOR_STUDIO_WHEEL_CHECK") != "1",
        reason="builds and installs the wheel: run `make wheel-check` (CREATOR_STUDIO_WHEEL_CHECK=1)",
    ),
]

RESOURCE_FILES = (
    "studio/resources/fonts/DejaVuSans.ttf",
    "studio/resources/fonts/DejaVuSans-Bold.ttf",
    "studio/resources/luts/teal-orange.cube",
    "studio/resources/stickers/sunglasses.png",
    "studio/resources/stickers/stickers.json",
)


class Installed:
    def __init__(self, root: Path, dist: Path) -> None:
        self.root = root
        self.dist = dist
        self.venv = root / "venv"
        self.python = self.venv / "bin" / "python"
        self.cli = self.venv / "bin" / "creator-studio"
        self.work = root / "work"  # the cwd of every command: nothing importable in it
        self.work.mkdir()

    def env(self, home: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "CREATOR_STUDIO_"))}
        env.update(CREATOR_STUDIO_HOME=str(home), QT_QPA_PLATFORM="offscreen", PYTHONNOUSERSITE="1")
        return env

    def run(self, *args: str | Path, home: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(a) for a in args],
            cwd=self.work,
            env=self.env(home),
            capture_output=True,
            text=True,
            timeout=timeout,
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel-check")
    dist = root / "dist"
    built = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    box = Installed(root, dist)
    venv.EnvBuilder(with_pip=False, symlinks=True).create(box.venv)
    site = Path(
        subprocess.run(
            [str(box.python), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (site / "_creator_studio_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    [wheel] = dist.glob("*.whl")
    pip = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(box.python),
            "install",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]
    assert box.cli.is_file()
    return box


def test_build_makes_an_sdist_and_a_wheel_with_the_resources(installed: Installed) -> None:
    version = studio.__version__
    [wheel] = installed.dist.glob("*.whl")
    [sdist] = installed.dist.glob("*.tar.gz")
    assert wheel.name == f"creator_studio-{version}-py3-none-any.whl"
    assert sdist.name == f"creator_studio-{version}.tar.gz"
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        meta = z.read(f"creator_studio-{version}.dist-info/METADATA").decode()
    assert set(RESOURCE_FILES) <= names
    assert not any(n.startswith(("tests/", "resources/")) for n in names)
    assert f"\nVersion: {version}\n" in meta
    requires = [
        line.split(":", 1)[1].strip() for line in meta.splitlines() if line.startswith("Requires-Dist:")
    ]
    assert any(r.startswith("scipy") for r in requires) and any(r.startswith("psutil") for r in requires)
    with tarfile.open(sdist) as t:
        members = {m.name.split("/", 1)[1] for m in t.getmembers() if "/" in m.name}
    assert {"CHANGELOG.md", "pyproject.toml", *RESOURCE_FILES} <= members
    assert "studio/resources/luts/make_luts.py" in members


def test_the_installed_package_is_the_wheel_not_the_checkout(installed: Installed, tmp_path: Path) -> None:
    probe = (
        "import json, sys, studio; from importlib import metadata; from studio import resources; "
        "print(json.dumps({'file': studio.__file__, 'resources': str(resources.resource_dir()), "
        "'path': sys.path, 'version': studio.__version__, 'dist': metadata.version('creator-studio')}))"
    )
    done = installed.run(installed.python, "-I", "-c", probe, home=tmp_path)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    venv_dir = installed.venv.resolve()
    assert Path(doc["file"]).resolve().is_relative_to(venv_dir)
    assert Path(doc["resources"]).resolve().is_relative_to(venv_dir)
    assert not any(p and Path(p).resolve() == ROOT for p in doc["path"])
    assert doc["version"] == doc["dist"] == studio.__version__


def test_doctor_runs_from_the_wheel(installed: Installed, tmp_path: Path) -> None:
    done = installed.run(installed.cli, "doctor", "--json", home=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads(done.stdout)
    assert doc["versions"]["creator_studio"] == studio.__version__
    assert doc["video_encoders"]["chosen"]["h264"]
    folders = {k: Path(v).resolve() for k, v in doc["paths"].items() if k != "profile"}
    assert folders.pop("resources").is_relative_to(installed.venv.resolve())
    assert all(p.is_relative_to(tmp_path.resolve()) for p in folders.values()), folders
    encoder = installed.run(installed.cli, "doctor", "--export-encoder", home=tmp_path)
    assert encoder.returncode == 0 and json.loads(encoder.stdout)["name"], encoder.stderr


def _frames(path: Path) -> list[np.ndarray]:
    import av

    with av.open(str(path)) as container:
        return [f.to_ndarray(format="yuv420p").astype(np.int16) for f in container.decode(video=0)]


def test_a_text_project_renders_the_same_from_the_wheel_and_the_checkout(
    installed: Installed, tmp_path: Path
) -> None:
    from studio.core.project import Canvas, Project, TextItem, Track
    from studio.process import worker_command
    from studio.projectfile import save_project

    project = Project(
        title="wheel",
        canvas=Canvas(360, 640, 30.0),
        tracks=[Track("t1", "text", items=[TextItem("t", "Made from the wheel", 0.0, 1.0)])],
    )
    project_file = tmp_path / "project.json"
    save_project(project, project_file)
    from_wheel = tmp_path / "wheel.mp4"
    done = installed.run(
        installed.cli, "render", project_file, "-o", from_wheel, "--progress", "none", home=tmp_path / "h1"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    from_checkout = tmp_path / "checkout.mp4"
    env = {**os.environ, "CREATOR_STUDIO_HOME": str(tmp_path / "h2")}
    env.pop("CREATOR_STUDIO_RESOURCES", None)
    done = subprocess.run(
        worker_command("render", str(project_file), "-o", str(from_checkout), "--progress", "none"),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    ours, theirs = _frames(from_wheel), _frames(from_checkout)
    assert len(ours) == len(theirs) == 30
    assert max(int(np.abs(a - b).max()) for a, b in zip(ours, theirs, strict=True)) <= 1
    luma = np.stack([f[: f.shape[0] * 2 // 3] for f in ours])
    assert luma.max() > 200 and (luma > 128).mean() > 0.002  # the text is drawn (the fonts were found)


def test_an_old_profile_opens_in_the_installed_app(installed: Installed, tmp_path: Path) -> None:
    home = tmp_path / "old-home"
    make_old_profile(home)
    done = installed.run(installed.cli, "drafts", "list", "--json", home=home)
    assert done.returncode == 0, done.stderr[-3000:]
    [draft] = json.loads(done.stdout)
    assert (draft["id"], draft["title"]) == (DRAFT_ID, "Summer cut")
