"""`creator-studio doctor [--json]`: what this machine can really do.

Versions are read from package metadata (Qt is not imported: the doctor must work where the
GUI cannot start). Encoders and ONNX Runtime providers are not taken from what a library
says it was built with: each is opened and made to do a tiny piece of work, and a failure
keeps the reason it gave, so "GPU export is off because libcuda is missing" is visible.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import re
import sys
import tempfile
from collections.abc import Iterator
from importlib import metadata
from typing import Any

from studio import __version__

QT_DISTRIBUTIONS = ("PySide6-Essentials", "PySide6")


def _dist_version(*names: str) -> str | None:
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def versions() -> dict[str, Any]:
    out: dict[str, Any] = {
        "creator_studio": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "qt": _dist_version(*QT_DISTRIBUTIONS),
        "numpy": _dist_version("numpy"),
        "onnx": _dist_version("onnx"),
        "onnxruntime": _dist_version("onnxruntime-gpu", "onnxruntime"),
        "opencv": _dist_version("opencv-python-headless", "opencv-python"),
        "sounddevice": _dist_version("sounddevice"),
    }
    try:
        import av

        out["pyav"] = av.__version__
        out["ffmpeg"] = av.ffmpeg_version_info
        out["ffmpeg_libraries"] = {k: ".".join(map(str, v)) for k, v in av.library_versions.items()}
    except ImportError as exc:
        out["pyav"] = f"missing ({exc})"
    try:
        import cv2

        out["opencv"] = cv2.__version__
    except ImportError as exc:
        out["opencv"] = f"missing ({exc})"
    return out


def encoders() -> dict[str, Any]:
    from studio.media.encoders import pick_encoder, probe_video_encoders
    from studio.media.errors import MediaError

    statuses = [s.to_dict() for s in probe_video_encoders()]
    chosen: dict[str, str | None] = {}
    for codec in ("h264", "hevc"):
        try:
            chosen[codec] = pick_encoder(codec)
        except MediaError:
            chosen[codec] = None
    return {"chosen": chosen, "encoders": statuses}


@contextlib.contextmanager
def _captured_stderr() -> Iterator[list[str]]:
    """Collect what native libraries write to file descriptor 2 (ORT logs there, not to Python)."""
    lines: list[str] = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield lines
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            lines.extend(line for line in tmp.read().decode("utf-8", "replace").splitlines() if line.strip())


def _tiny_model() -> bytes:
    """y = x + x on a 1x4 float tensor, built in memory."""
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    graph = helper.make_graph([helper.make_node("Add", ["x", "x"], ["y"])], "doctor", [x], [y])
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="creator-studio"
    )
    model.ir_version = 8
    return model.SerializeToString()


def _short(lines: list[str]) -> str:
    """The telling part of ONNX Runtime's messages: the library that failed to load and why."""
    errors = [line for line in lines if "FAIL" in line or "rror" in line] or lines
    cleaned = []
    for line in errors:
        line = re.sub(r"^.*?\[ONNXRuntimeError\] : \d+ : \w+ : ", "", line.strip())
        line = re.sub(r"^EP Error \S+ [^)]*\) ", "", line)
        line = re.sub(r"/\S*/([^/\s]+\.so(?:\.\d+)*)", r"\1", line)
        if line and not line.startswith(("*", "Falling back", " when using")):
            cleaned.append(line)
    return " | ".join(dict.fromkeys(cleaned[-2:]))[:400]


def onnx_providers() -> dict[str, Any]:
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as exc:
        return {"available": [], "providers": [], "reason": f"ONNX Runtime is not installed ({exc})"}
    ort.set_default_logger_severity(3)
    model = _tiny_model()
    x = np.arange(4, dtype=np.float32).reshape(1, 4)
    results = []
    for provider in ort.get_available_providers():
        options = ort.SessionOptions()
        options.log_severity_level = 3
        works, reason, used = False, "", []
        python_out = io.StringIO()
        with _captured_stderr() as native, contextlib.redirect_stdout(python_out):
            try:
                session = ort.InferenceSession(model, sess_options=options, providers=[provider])
                used = session.get_providers()
                (y,) = session.run(None, {"x": x})
                works = bool(np.allclose(y, 2 * x)) and bool(used) and used[0] == provider
            except Exception as exc:  # ORT raises its own error types (Fail, RuntimeException, ...)
                reason = str(exc).strip().splitlines()[0][:400]
        if not works and not reason:
            detail = _short(native + python_out.getvalue().splitlines())
            reason = "fell back to CPU" + (f": {detail}" if detail else "") if used else detail or "no result"
        results.append({"provider": provider, "works": works, "reason": reason})
    usable = [r["provider"] for r in results if r["works"]]
    return {
        "available": ort.get_available_providers(),
        "providers": results,
        "best": usable[0] if usable else None,
    }


def audio_devices() -> dict[str, Any]:
    try:
        import sounddevice as sd
    except OSError as exc:
        return {"ok": False, "reason": f"PortAudio is missing, so there is no sound ({exc})", "devices": []}
    except ImportError as exc:
        return {"ok": False, "reason": f"sounddevice is not installed ({exc})", "devices": []}
    try:
        hostapis = sd.query_hostapis()
        devices = [
            {
                "index": i,
                "name": d["name"],
                "hostapi": hostapis[d["hostapi"]]["name"],
                "inputs": d["max_input_channels"],
                "outputs": d["max_output_channels"],
                "default_samplerate": d["default_samplerate"],
            }
            for i, d in enumerate(sd.query_devices())
        ]
        default_in, default_out = sd.default.device
    except sd.PortAudioError as exc:
        return {"ok": False, "reason": f"PortAudio could not list devices ({exc})", "devices": []}
    out = {
        "portaudio": sd.get_portaudio_version()[1],
        "devices": devices,
        "default_input": default_in if default_in is not None and default_in >= 0 else None,
        "default_output": default_out if default_out is not None and default_out >= 0 else None,
    }
    if not any(d["outputs"] for d in devices):
        out.update(
            ok=False, reason="no audio output device: playback will be silent (no sound card or sound server)"
        )
    else:
        out.update(ok=True, reason="")
    return out


def data_dirs() -> dict[str, str]:
    from studio.config import app_paths
    from studio.resources import resource_dir

    paths = app_paths()
    return {
        "profile": paths.profile,
        "data": str(paths.data),
        "config": str(paths.config),
        "cache": str(paths.cache),
        "logs": str(paths.logs),
        "plugins": str(paths.plugins),
        "models": str(paths.models),
        "resources": str(resource_dir()),  # the shipped fonts, looks and stickers
    }


def token_store() -> dict[str, Any]:
    """Where sign-in tokens are kept (system keyring or the encrypted file)."""
    from studio.config import app_paths

    try:
        from studio.sync.vault import describe_store

        return {"ok": True, "store": describe_store(app_paths())}
    except Exception as exc:  # the doctor reports a broken store, it does not crash on it
        return {"ok": False, "store": f"the token store cannot be opened: {exc}"}


def collect() -> dict[str, Any]:
    """Everything the doctor knows, as plain JSON-able data."""
    return {
        "versions": versions(),
        "video_encoders": encoders(),
        "onnxruntime": onnx_providers(),
        "audio": audio_devices(),
        "paths": data_dirs(),
        "token_store": token_store(),
    }


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--export-encoder",
        action="store_true",
        help='only name the H.264 encoder an export would use, as JSON {"name", "hardware"}',
    )


def export_encoder() -> dict[str, Any]:
    """The H.264 encoder an export picks and whether it is a hardware one (the export dialog
    asks this in a child process). Raises MediaError when none works."""
    from studio.media.encoders import pick_encoder, probe_video_encoders

    chosen = pick_encoder("h264")
    status = next((s for s in probe_video_encoders() if s.name == chosen), None)
    return {"name": chosen, "hardware": bool(status and status.hardware)}


def _mark(ok: bool) -> str:
    return "ok  " if ok else "no  "


def report_lines(doc: dict[str, Any]) -> list[str]:
    lines = ["Versions"]
    for key, value in doc["versions"].items():
        if key != "ffmpeg_libraries":
            lines.append(f"  {key:<15} {value if value is not None else 'not installed'}")
    enc = doc["video_encoders"]
    lines.append(f"Video encoders (h264 -> {enc['chosen']['h264']}, hevc -> {enc['chosen']['hevc']})")
    for e in enc["encoders"]:
        reason = f"  ({e['reason']})" if e["reason"] else ""
        lines.append(f"  {_mark(e['works'])}{e['name']:<18}{reason}")
    ort = doc["onnxruntime"]
    lines.append(f"ONNX Runtime providers (using {ort.get('best')})")
    lines += [
        f"  {_mark(p['works'])}{p['provider']:<28}{'  (' + p['reason'] + ')' if p['reason'] else ''}"
        for p in ort["providers"]
    ]
    if ort.get("reason"):
        lines.append(f"  {ort['reason']}")
    audio = doc["audio"]
    lines.append("Audio" + ("" if audio["ok"] else f": {audio['reason']}"))
    for d in audio["devices"]:
        lines.append(f"  [{d['index']}] {d['name']} ({d['hostapi']}, in {d['inputs']}, out {d['outputs']})")
    store = doc.get("token_store")
    if store:
        lines += ["Token store", f"  {_mark(store['ok'])}{store['store']}"]
    lines.append("Folders")
    lines += [f"  {k:<8} {v}" for k, v in doc["paths"].items()]
    return lines


def main(args: argparse.Namespace) -> int:
    if getattr(args, "export_encoder", False):
        from studio.media.errors import MediaError

        try:
            print(json.dumps(export_encoder()))
        except MediaError as exc:
            print(f"creator-studio doctor: {exc}", file=sys.stderr)
            return 1
        return 0
    doc = collect()
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print("\n".join(report_lines(doc)))
    if doc["video_encoders"]["chosen"]["h264"] is None:
        print("creator-studio doctor: no working H.264 encoder; videos cannot be exported", file=sys.stderr)
        return 1
    return 0
