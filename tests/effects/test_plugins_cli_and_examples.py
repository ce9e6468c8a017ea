"""`creator-studio plugins`, the generated skeleton, and the two example plugin packages."""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from studio import config
from studio.core.frame import Frame
from studio.effects import cli
from studio.effects.chain import build_chain
from studio.effects.registry import ENTRY_POINT, FOLDER, load_registry
from tests.effects.helpers import gradient, ref

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "plugins"


def plugins_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    cli.configure(parser)
    return cli.main(parser.parse_args(list(argv)))


def refresh() -> None:
    from studio.effects.registry import default_registry

    default_registry(refresh=True)


def test_list_and_info(capsys: pytest.CaptureFixture[str]) -> None:
    refresh()
    assert plugins_cli("list") == 0
    out = capsys.readouterr().out
    assert "studio.color" in out and "studio.face-sticker" in out and "plugins folder:" in out
    assert plugins_cli("info", "studio.vignette", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["id"] == "studio.vignette" and [p["name"] for p in doc["params"]][:2] == ["amount", "size"]
    assert plugins_cli("info", "com.nobody.nothing") == 1
    assert "no filter" in capsys.readouterr().err


def test_new_writes_a_package_that_loads_from_the_plugins_folder_and_passes_its_tests(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plugins = config.app_paths().plugins
    plugins.mkdir(parents=True)
    assert plugins_cli("new", "my-look", "--dir", str(plugins)) == 0
    package = plugins / "my-look"
    assert (package / "pyproject.toml").is_file() and (package / "tests" / "test_my_look.py").is_file()
    refresh()
    assert plugins_cli("info", "local.my-look") == 0
    assert "plugins folder" in capsys.readouterr().out
    sys.path.insert(0, str(package / "tests"))
    try:
        test_module = importlib.import_module("test_my_look")
        test_module.test_few_levels_leave_few_tones()
        test_module.test_runs_in_the_hosts_filter_chain()
    finally:
        sys.path.remove(str(package / "tests"))
        sys.modules.pop("test_my_look", None)
    assert plugins_cli("new", "my-look", "--dir", str(plugins)) == 1
    assert plugins_cli("new", "bad name!", "--dir", str(plugins)) == 2


def test_reference_prints_every_builtin(capsys: pytest.CaptureFixture[str]) -> None:
    assert plugins_cli("reference") == 0
    assert "`studio.lut`" in capsys.readouterr().out


def test_docs_reference_is_current() -> None:
    from studio.effects.api import describe_markdown
    from studio.effects.builtins import BUILTINS

    docs = (REPO / "docs" / "plugins.md").read_text(encoding="utf-8")
    start = docs.index("<!-- builtin-reference:start -->") + len("<!-- builtin-reference:start -->")
    end = docs.index("<!-- builtin-reference:end -->")
    assert docs[start:end].strip() == describe_markdown(BUILTINS).strip(), (
        "run: creator-studio plugins reference --update docs/plugins.md"
    )


@pytest.mark.parametrize(
    ("folder", "filter_id"),
    [
        ("duotone", "org.creatorstudio.examples.duotone"),
        ("edge-sketch", "org.creatorstudio.examples.edge-sketch"),
    ],
)
def test_example_plugins_load_and_render_from_the_plugins_folder(
    tmp_path: Path, folder: str, filter_id: str
) -> None:
    shutil.copytree(EXAMPLES / folder, tmp_path / folder)
    registry = load_registry(plugins_dir=tmp_path, entry_points=False)
    status = registry.status(filter_id)
    assert status is not None and status.enabled and status.origin == FOLDER, status
    frame = gradient()
    chain = build_chain([ref(filter_id)], width=64, height=112, fps=30, mode="export", registry=registry)
    out = chain.process(frame, 0.0).as_rgb()
    assert out.shape == (112, 64, 3) and np.abs(out.astype(int) - frame.as_rgb()).mean() > 10


def test_duotone_project_saved_with_version_1_renders_with_version_2(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES / "duotone", tmp_path / "duotone")
    registry = load_registry(plugins_dir=tmp_path, entry_points=False)
    old = {
        "id": "org.creatorstudio.examples.duotone",
        "version": 1,
        "params": {"dark": "#000000", "light": "#ff0000"},
    }
    white = Frame.from_rgb(np.full((8, 8, 3), 255, np.uint8))
    out = build_chain([old], width=8, height=8, fps=30, mode="export", registry=registry).process(white, 0.0)
    assert tuple(out.as_rgb()[0, 0]) == (255, 0, 0)


@pytest.mark.slow
def test_example_plugin_installs_with_pip_and_registers_its_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "site"
    source = shutil.copytree(EXAMPLES / "duotone", tmp_path / "duotone")  # builds write into the tree
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    if result.returncode != 0 and (
        "No matching distribution" in result.stderr or "Could not find" in result.stderr
    ):
        pytest.skip("pip cannot fetch the build backend (offline)")
    assert result.returncode == 0, result.stderr
    monkeypatch.syspath_prepend(str(target))
    importlib.invalidate_caches()
    registry = load_registry()
    status = registry.status("org.creatorstudio.examples.duotone")
    assert status is not None and status.origin == ENTRY_POINT and status.enabled
    assert "creator-studio-duotone 1.0.0" in status.source
