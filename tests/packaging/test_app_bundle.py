"""The app bundle's sources, checked without building it (fast): the desktop integration files
agree with each other and validate, the frozen entry dispatches like the CLI and hands the
creator's library path to children, and the make targets exist. The build and its self-test
are ``make package`` and ``make package-check`` (docs/packaging.md)."""

from __future__ import annotations

import configparser
import importlib.util
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

import studio

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
LINUX = PACKAGING / "linux"
APP_ID = "org.creatorstudio.CreatorStudio"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"
DESKTOP = LINUX / f"{APP_ID}.desktop"


def _entry() -> ModuleType:
    spec = importlib.util.spec_from_file_location("creator_studio_entry", PACKAGING / "entry.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _desktop() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(DESKTOP.read_text(encoding="utf-8"))
    return parser["Desktop Entry"]


def test_the_desktop_entry_metainfo_and_icons_name_the_same_app() -> None:
    entry = _desktop()
    assert entry["Type"] == "Application" and entry["Name"] == "Creator Studio"
    assert entry["Exec"].split()[0] == "creator-studio" == entry["TryExec"]
    assert entry["Icon"] == APP_ID
    assert "AudioVideo" in entry["Categories"].split(";")
    root = ET.parse(METAINFO).getroot()
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == DESKTOP.name
    assert root.findtext("provides/binary") == "creator-studio"
    assert studio.__version__ in [r.get("version") for r in root.iter("release")]
    assert (LINUX / f"{APP_ID}.svg").is_file() and (LINUX / f"{APP_ID}.png").is_file()
    from PIL import Image

    with Image.open(LINUX / f"{APP_ID}.png") as icon:
        assert icon.size == (256, 256)
    assert os.access(LINUX / "install.sh", os.X_OK)


@pytest.mark.skipif(
    shutil.which("appstreamcli") is None, reason="appstreamcli is not installed (apt-get install appstream)"
)
def test_the_metainfo_validates_with_appstreamcli() -> None:
    done = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(METAINFO)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None, reason="desktop-file-validate is not installed"
)
def test_the_desktop_entry_validates() -> None:
    done = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_frozen_entry_dispatches_like_the_cli(tmp_path: Path) -> None:
    env = {**os.environ, "CREATOR_STUDIO_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(PACKAGING / "entry.py"), "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for word in ("--self-test", "render", "backend", "doctor"):
        assert word in done.stdout
    done = subprocess.run(
        [sys.executable, str(PACKAGING / "entry.py"), "render", "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "--progress" in done.stdout, done.stderr


def test_children_get_the_creators_library_path_back(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = _entry()
    monkeypatch.setattr(sys, "_MEIPASS", "/opt/cs/_internal", raising=False)
    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/cs/_internal:/home/me/lib")
    monkeypatch.setenv("LD_LIBRARY_PATH_ORIG", "/home/me/lib")
    entry._restore_library_path()
    assert os.environ["LD_LIBRARY_PATH"] == "/home/me/lib" and "LD_LIBRARY_PATH_ORIG" not in os.environ
    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/cs/_internal")  # the creator had none
    entry._restore_library_path()
    assert "LD_LIBRARY_PATH" not in os.environ
    monkeypatch.setenv("LD_LIBRARY_PATH", "/home/me/lib")  # not the bootloader's: left alone
    entry._restore_library_path()
    assert os.environ["LD_LIBRARY_PATH"] == "/home/me/lib"


def test_the_spec_ships_what_the_wheel_ships_and_the_make_targets_exist() -> None:
    spec = (PACKAGING / "creator-studio.spec").read_text(encoding="utf-8")
    assert 'PACKAGE_DATA["studio.resources"]' in spec  # the resource globs have one source
    for needed in ('collect_submodules("studio")', 'collect_submodules("backend_stub")', '"cv2", subdir="data"',
                   "BUNDLE(", "libonnxruntime_providers_(cuda", '"plugins"'):  # fmt: skip
        assert needed in spec, needed
    compile(spec, "creator-studio.spec", "exec")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\npackage:" in makefile and "\npackage-check:" in makefile
    iss = (PACKAGING / "windows" / "installer.iss").read_text(encoding="utf-8")
    assert "creator-studio.exe" in iss and (PACKAGING / "windows" / "creator-studio.ico").is_file()
    assert (PACKAGING / "macos" / "entitlements.plist").is_file()
