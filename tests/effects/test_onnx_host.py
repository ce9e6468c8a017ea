"""ONNX Runtime host: provider probe, models added through the CLI, masks, the fused path."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from studio import config
from studio.core.frame import Frame
from studio.effects import cli_models
from studio.effects.chain import build_chain
from studio.effects.onnx import Runner, providers
from studio.effects.registry import load_registry
from tests.effects.helpers import gradient, ref
from tests.effects.onnx_models import invert_model, red_subject_mask_model


def models_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    cli_models.configure(parser)
    return cli_models.main(parser.parse_args(list(argv)))


def registry():  # type: ignore[no-untyped-def]
    return load_registry(models_dir=config.app_paths().models, entry_points=False)


def halves(left: tuple[int, int, int], right: tuple[int, int, int]) -> Frame:
    rgb = np.zeros((64, 64, 3), np.uint8)
    rgb[:, :32], rgb[:, 32:] = left, right
    return Frame.from_rgb(rgb)


def test_provider_probe_ends_with_a_working_cpu_fallback(tmp_path: Path) -> None:
    chosen = providers()
    assert chosen[-1] == "CPUExecutionProvider"
    runner = Runner(invert_model(tmp_path / "inv.onnx"))
    assert runner.provider in chosen
    out = runner.run(np.zeros((1, 3, 32, 32), np.float32))
    assert out.shape == (1, 3, 32, 32) and np.allclose(out, 1.0)


def test_models_add_installs_the_model_with_its_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = red_subject_mask_model(tmp_path / "Red Mask.onnx")
    assert models_cli("add", str(src), "--kind", "mask", "--name", "redmask", "--every", "3") == 0
    models = config.app_paths().models
    manifest = json.loads((models / "redmask.json").read_text())
    assert (models / "redmask.onnx").read_bytes() == src.read_bytes()
    assert manifest["kind"] == "mask" and manifest["input_width"] == 32 and manifest["layout"] == "nchw"
    assert models_cli("list") == 0
    assert "model.redmask" in capsys.readouterr().out
    assert registry().get("model.redmask") is not None


def test_models_add_refuses_bad_files_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    assert models_cli("add", str(junk), "--kind", "mask") == 1
    assert "not a valid ONNX model" in capsys.readouterr().err
    image_model = invert_model(tmp_path / "inv.onnx")
    assert models_cli("add", str(image_model), "--kind", "mask") == 1
    assert "outputs 3 channels" in capsys.readouterr().err
    assert not any(config.app_paths().models.glob("*.onnx"))


def test_mask_model_replaces_the_background_and_is_refreshed_every_n_frames(tmp_path: Path) -> None:
    models_cli(
        "add",
        str(red_subject_mask_model(tmp_path / "m.onnx")),
        "--kind",
        "mask",
        "--name",
        "redmask",
        "--every",
        "3",
    )
    spec = ref("model.redmask", effect="replace background", background="#0000ff")
    chain = build_chain([spec], width=64, height=64, fps=30, mode="export", registry=registry())
    red, green = (220, 30, 30), (30, 200, 30)
    first = chain.process(halves(red, green), 0.0).as_rgb()
    assert tuple(first[32, 5]) == red and tuple(first[32, 60]) == (0, 0, 255)
    # Frames 1 and 2 reuse frame 0's mask, frame 3 gets a new one.
    swapped = halves(green, red)
    stale = chain.process(swapped, 1 / 30).as_rgb()
    assert tuple(stale[32, 5]) == green and tuple(stale[32, 60]) == (0, 0, 255)
    fresh = chain.process(swapped, 3 / 30).as_rgb()
    assert tuple(fresh[32, 5]) == (0, 0, 255) and tuple(fresh[32, 60]) == red


def test_image_model_filter_with_intensity(tmp_path: Path) -> None:
    models_cli("add", str(invert_model(tmp_path / "inv.onnx")), "--kind", "image", "--name", "invert")
    frame = Frame.from_rgb(np.full((64, 64, 3), (200, 100, 0), np.uint8))
    full = build_chain([ref("model.invert")], width=64, height=64, fps=30, registry=registry())
    assert np.abs(full.process(frame, 0.0).as_rgb()[10, 10].astype(int) - (55, 155, 255)).max() <= 1
    half = build_chain([ref("model.invert", intensity=0.5)], width=64, height=64, fps=30, registry=registry())
    assert np.abs(half.process(frame, 0.0).as_rgb()[10, 10].astype(int) - 127).max() <= 1


def test_a_damaged_manifest_is_listed_as_unusable_not_a_crash(tmp_path: Path) -> None:
    models = config.app_paths().models
    models.mkdir(parents=True)
    (models / "broken.json").write_text('{"name": "broken", "kind": "sparkles"}')
    status = registry().status("model.broken")
    assert status is not None and not status.enabled and status.error


def test_fused_onnx_path_matches_the_opencv_path() -> None:
    frame = gradient(96, 160)
    specs = [
        ref("studio.color", exposure=0.3, saturation=1.4, contrast=1.2, temperature=0.3),
        ref("studio.lut", look="warm-film", intensity=0.7),
        ref("studio.vignette", amount=0.5),
        ref("studio.blur", radius=60),
    ]
    fused = (
        build_chain(specs, width=96, height=160, fps=30, fuse="always")
        .process(frame, 0.0)
        .as_rgb()
        .astype(int)
    )
    plain = (
        build_chain(specs, width=96, height=160, fps=30, fuse="never")
        .process(frame, 0.0)
        .as_rgb()
        .astype(int)
    )
    diff = np.abs(fused - plain)
    assert diff.mean() < 2.5 and np.percentile(diff, 99) < 12
    assert np.abs(fused - frame.as_rgb()).mean() > 10
