"""What makes an installed wheel work anywhere, checked from the source tree (fast).

Every imported third-party module is a declared dependency; the version is written once; the
shipped files live in the package, are listed as package data and are found through
``studio.resources`` only (the ``CREATOR_STUDIO_RESOURCES`` override included); worker processes
start through ``studio.process.worker_command`` only (frozen apps too, no PYTHONPATH).
The build itself is ``test_wheel.py`` (opt-in: ``make wheel-check``).
"""

from __future__ import annotations

import ast
import fnmatch
import json
import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import studio
from studio import process, resources

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
RUNTIME_PACKAGES = ("studio", "backend_stub")
FIRST_PARTY = {"studio", "backend_stub"}

# import name -> distribution, for modules not installed here (packages_distributions() knows
# only what is installed) and for names that differ from their distribution's.
IMPORT_TO_DIST = {
    "cv2": "opencv-python-headless",
    "yaml": "PyYAML",
    "PIL": "Pillow",
    "av": "av",
    "sklearn": "scikit-learn",
    "skimage": "scikit-image",
    "multipart": "python-multipart",
    "dateutil": "python-dateutil",
    "onnxruntime": "onnxruntime",
}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    names = set()
    for requirement in PYPROJECT["project"]["dependencies"]:
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        assert match, requirement
        names.add(_norm(match.group(1)))
    return names


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> set[str]:
    """Top-level names of every absolute import, at any depth (lazy imports count), except
    those under ``if TYPE_CHECKING:``."""
    found: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        stack.extend(ast.iter_child_nodes(node))
    return found


def runtime_imports() -> dict[str, list[str]]:
    """Third-party top-level module -> the files (relative) importing it."""
    users: dict[str, list[str]] = {}
    for package in RUNTIME_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for name in _imports(tree):
                if name in sys.stdlib_module_names or name in FIRST_PARTY or name == "__future__":
                    continue
                users.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return users


def test_every_runtime_import_is_a_declared_dependency() -> None:
    installed = metadata.packages_distributions()
    declared = _declared()
    undeclared = {}
    for module, files in sorted(runtime_imports().items()):
        providers = {_norm(d) for d in installed.get(module, [])}
        if module in IMPORT_TO_DIST:
            providers.add(_norm(IMPORT_TO_DIST[module]))
        if not providers:
            providers = {_norm(module)}
        if not providers & declared:
            undeclared[module] = (sorted(providers), files[:3])
    assert not undeclared, (
        "imported but not in pyproject's [project] dependencies (module: (distributions, used in)): "
        f"{undeclared}"
    )


def test_the_import_scan_sees_lazy_imports_and_skips_type_checking_ones() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import only_for_types\n"
        "def f():\n    from scipy.signal import lfilter\n    import cv2.data\n"
        "from . import sibling\n"
    )
    assert _imports(tree) == {"typing", "scipy", "cv2"}
    assert {"scipy", "psutil", "cv2", "PIL"} <= set(runtime_imports())


def test_the_version_is_written_once() -> None:
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "studio.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?(\.dev\d+)?", studio.__version__)
    literal = re.compile(r"""^\s*(__version__|version)\s*=\s*["']\d+\.\d+""", re.M)
    writers = {
        str(p.relative_to(ROOT))
        for p in (ROOT / "studio").rglob("*.py")
        if literal.search(p.read_text(encoding="utf-8"))
    }
    # the plugin scaffold writes a *plugin's* pyproject: that is the plugin's version, not ours
    # (and backend_stub's API version is the stand-in's protocol, not the app's)
    assert writers - {"studio/effects/scaffold.py"} == {"studio/__init__.py"}, writers
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(studio.__version__)}\b", changelog, re.M), (
        "CHANGELOG lacks this version"
    )


def test_doctor_reports_the_one_version() -> None:
    from studio.doctor import versions

    assert versions()["creator_studio"] == studio.__version__


# ------------------------------------------------------------------ resources


def _shipped_files() -> list[Path]:
    folder = ROOT / "studio" / "resources"
    return sorted(
        p
        for kind in resources.KINDS
        for p in (folder / kind).iterdir()
        if p.is_file() and not p.name.startswith("make_") and p.suffix != ".pyc"
    )


def test_resources_live_in_the_package_and_are_found_through_importlib() -> None:
    folder = resources.resource_dir()
    assert folder == Path(studio.__file__).resolve().parent / "resources"
    assert not (ROOT / "resources").exists(), "the old top-level resources/ folder is back"
    assert resources.resource("fonts", "DejaVuSans.ttf").is_file()
    assert set(resources.shipped("luts", ".cube")) >= {"teal-orange", "warm-film", "faded", "mono-contrast"}
    assert {"sunglasses", "crown"} <= set(resources.shipped("stickers", ".png"))
    assert resources.resource("stickers", "stickers.json").is_file()


def test_every_shipped_file_is_package_data() -> None:
    globs = PYPROJECT["tool"]["setuptools"]["package-data"]["studio.resources"]
    missing = [
        str(p.relative_to(ROOT))
        for p in _shipped_files()
        if not any(fnmatch.fnmatch(p.relative_to(ROOT / "studio" / "resources").as_posix(), g) for g in globs)
    ]
    assert not missing, f"not listed in [tool.setuptools.package-data] 'studio.resources': {missing}"


def test_the_environment_override_reaches_fonts_looks_and_stickers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from studio.effects.builtins import faces, lut
    from studio.render.text import resolve_font

    for kind in resources.KINDS:
        shutil.copytree(ROOT / "studio" / "resources" / kind, tmp_path / kind)
    (tmp_path / "luts" / "teal-orange.cube").rename(tmp_path / "luts" / "only-here.cube")
    (tmp_path / "stickers" / "stickers.json").write_text(json.dumps({"crown": {"width": 9.0, "dy": 0.0}}))
    monkeypatch.setenv(resources.RESOURCES_ENV, str(tmp_path))
    faces.sticker_anchors.cache_clear()
    try:
        assert resources.resource_dir() == tmp_path
        assert resolve_font(None) == tmp_path / "fonts" / "DejaVuSans.ttf"
        assert resolve_font("DejaVuSans-Bold") == tmp_path / "fonts" / "DejaVuSans-Bold.ttf"
        assert "only-here" in resources.shipped("luts", ".cube")
        with pytest.raises(Exception, match=re.escape(str(tmp_path / "luts" / "teal-orange.cube"))):
            lut.look_path("teal-orange")
        assert faces.sticker_anchors() == {"crown": {"width": 9.0, "dy": 0.0}}
    finally:
        faces.sticker_anchors.cache_clear()


def _python_sources() -> list[Path]:
    return [p for package in RUNTIME_PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]


def test_only_studio_resources_builds_paths_to_the_shipped_files() -> None:
    kinds = r"""["'](resources|fonts|luts|stickers)["']"""
    pattern = re.compile(rf"""/\s*{kinds}|{kinds}\s*/|CREATOR_STUDIO_RESOURCES""")  # path joins
    allowed = {ROOT / "studio" / "resources" / "__init__.py"}
    offenders = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in _python_sources()
        if p not in allowed and p.parent.parent != ROOT / "studio" / "resources"
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders, f"use studio.resources instead: {offenders}"


# ------------------------------------------------------------------ worker processes


def test_worker_command_runs_the_package_or_the_frozen_app(monkeypatch: pytest.MonkeyPatch) -> None:
    assert process.worker_command("render", "p.json") == [sys.executable, "-m", "studio", "render", "p.json"]
    assert process.worker_command("--port", "0", module="backend_stub") == [
        sys.executable,
        "-m",
        "backend_stub",
        "--port",
        "0",
    ]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/CreatorStudio/creator-studio")
    assert process.worker_command("doctor", "--json") == [
        "/opt/CreatorStudio/creator-studio",
        "doctor",
        "--json",
    ]
    assert process.worker_command("--port", "0", module="backend_stub") == [
        "/opt/CreatorStudio/creator-studio",
        "backend",
        "--port",
        "0",
    ]
    with pytest.raises(ValueError):
        process.worker_command("x", module="somewhere.else")


def test_the_frozen_backend_subcommand_is_the_stand_in() -> None:
    from studio.cli import COMMANDS

    assert COMMANDS["backend"][0] == "backend_stub.cli"


def test_no_worker_is_started_around_studio_process() -> None:
    """``-m``, ``-c`` and PYTHONPATH games break in a frozen app and in an installed wheel."""
    pattern = re.compile(r"""["']-m["']|["']-c["']|PYTHONPATH|sys\.executable""")
    allowed = {ROOT / "studio" / "process.py"}
    offenders = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in _python_sources()
        if p not in allowed
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line) and "could not start" not in line
    ]
    assert not offenders, f"start workers with studio.process.worker_command: {offenders}"


def test_doctor_names_the_export_encoder_for_the_dialog() -> None:
    done = subprocess.run(
        process.worker_command("doctor", "--export-encoder"), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert isinstance(found["name"], str) and found["name"] and isinstance(found["hardware"], bool)
