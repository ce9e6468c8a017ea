"""`creator-studio models add|list|remove`: ONNX models used by model filters."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _triple(text: str) -> tuple[float, float, float]:
    try:
        a, b, c = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected three numbers like 0.485,0.456,0.406, got {text!r}"
        ) from None
    return a, b, c


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT like 256x256, got {text!r}") from None
    return w, h


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = sub.add_parser("add", help="check an .onnx file and install it with its manifest")
    p.add_argument("file", help="the .onnx model")
    p.add_argument(
        "--kind", required=True, choices=("mask", "image"), help="mask: subject segmentation; image: a look"
    )
    p.add_argument("--name", help="short name (default: the file name)")
    p.add_argument("--size", type=_size, help="input size WxH when the model does not fix it")
    p.add_argument("--every", type=int, default=2, help="recompute masks every N frames (default 2)")
    p.add_argument(
        "--mean", type=_triple, default=(0.0, 0.0, 0.0), help="per-channel mean after scaling to 0..1"
    )
    p.add_argument(
        "--std", type=_triple, default=(1.0, 1.0, 1.0), help="per-channel std after scaling to 0..1"
    )
    p.add_argument("--bgr", action="store_true", help="the model expects BGR channel order")
    p.add_argument("--replace", action="store_true", help="replace a model of the same name")
    p = sub.add_parser("list", help="installed models and the ONNX Runtime provider in use")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = sub.add_parser("remove", help="remove an installed model")
    p.add_argument("name")


def main(args: argparse.Namespace) -> int:
    from studio import config
    from studio.effects.onnx import ModelError, add_model, list_models, providers

    models_dir = config.app_paths().models
    if args.action == "add":
        if not args.file.lower().endswith(".onnx"):
            print(f"creator-studio models: {args.file} is not an .onnx file", file=sys.stderr)
            return 2
        try:
            manifest = add_model(
                Path(args.file), models_dir, kind=args.kind, name=args.name, size=args.size,
                every_n_frames=args.every, mean=args.mean, std=args.std,
                color="bgr" if args.bgr else "rgb", replace=args.replace,
            )  # fmt: skip
        except (ModelError, OSError) as exc:
            print(f"creator-studio models: {exc}", file=sys.stderr)
            return 1
        print(f"added model.{manifest.name} ({manifest.kind}, {manifest.input_width}x{manifest.input_height}, "
              f"{manifest.layout}) to {models_dir}")  # fmt: skip
        return 0
    if args.action == "remove":
        removed = [
            p for p in (models_dir / f"{args.name}.onnx", models_dir / f"{args.name}.json") if p.exists()
        ]
        if not removed:
            print(f"creator-studio models: no model named '{args.name}'", file=sys.stderr)
            return 1
        for path in removed:
            path.unlink()
        print(f"removed {args.name}")
        return 0
    rows = list_models(models_dir)
    if args.json:
        doc = {
            "providers": list(providers()),
            "models": [{"name": n, "manifest": m.to_dict() if m else None, "error": e} for n, m, e in rows],
        }
        print(json.dumps(doc, indent=2))
        return 0
    print(f"ONNX Runtime provider: {providers()[0]}")
    if not rows:
        print(
            f"no models installed in {models_dir} (add one with 'creator-studio models add FILE.onnx --kind mask')"
        )
    for name, manifest, error in rows:
        if manifest is None:
            print(f"model.{name:<24} unusable: {error}")
        else:
            print(f"model.{name:<24} {manifest.kind:<6} {manifest.input_width}x{manifest.input_height} "
                  f"{manifest.layout}, every {manifest.every_n_frames} frames")  # fmt: skip
    return 0
