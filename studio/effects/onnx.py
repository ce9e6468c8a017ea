"""ONNX Runtime host: provider choice by a working probe, I/O-bound sessions, model filters.

* :func:`providers` tries each accelerated provider ORT reports (CUDA, DirectML, CoreML, ...)
  on a tiny graph and keeps the first that really runs and gives the right answer; CPU
  otherwise. ORT's own logging is silenced (failures surface as exceptions instead).
* :class:`Runner` wraps a session with I/O binding, so inputs and outputs are bound once per
  call without extra copies on the Python side.
* A model filter is an ``.onnx`` file plus a small JSON manifest (input size, layout,
  normalisation, output kind ``image`` or ``mask``) in the profile's models folder, added with
  ``creator-studio models add``. Masks are recomputed every N frames and upsampled.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
import shutil
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from studio.effects.api import ChoiceParam, ColorParam, Filter, FilterContext, FloatParam, parse_color

log = logging.getLogger(__name__)

MANIFEST_VERSION = 1
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
_PREFERRED = (
    "CUDAExecutionProvider",
    "ROCMExecutionProvider",
    "DmlExecutionProvider",
    "CoreMLExecutionProvider",
    "OpenVINOExecutionProvider",
)


class ModelError(ValueError):
    """A model or manifest that cannot be used, with the reason for the creator."""


def ort() -> Any:
    import onnxruntime

    onnxruntime.set_default_logger_severity(4)
    return onnxruntime


def session_options(threads: int = 0) -> Any:
    opts = ort().SessionOptions()
    opts.log_severity_level = 4
    opts.graph_optimization_level = ort().GraphOptimizationLevel.ORT_ENABLE_ALL
    if threads:
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
    return opts


def _probe_model() -> bytes:
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    two = helper.make_tensor("two", TensorProto.FLOAT, [1], [2.0])
    graph = helper.make_graph([helper.make_node("Mul", ["x", "two"], ["y"])], "probe", [x], [y], [two])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model.SerializeToString()


@functools.cache
def providers() -> tuple[str, ...]:
    """The provider list to use: the first accelerated one that really works, then CPU."""
    rt = ort()
    available = rt.get_available_providers()
    probe = _probe_model()
    x = np.arange(4, dtype=np.float32).reshape(1, 4)
    for name in _PREFERRED:
        if name not in available:
            continue
        try:
            sess = rt.InferenceSession(probe, session_options(), providers=[name, "CPUExecutionProvider"])
            if sess.get_providers()[0] != name:
                raise RuntimeError("fell back to CPU")
            if not np.allclose(sess.run(None, {"x": x})[0], x * 2):
                raise RuntimeError("wrong result")
        except Exception as exc:
            log.info("ONNX Runtime provider %s is not usable: %s", name, exc)
            continue
        return (name, "CPUExecutionProvider")
    return ("CPUExecutionProvider",)


def device() -> str:
    """``cuda``, ``dml``, ... or ``cpu``: where model filters run."""
    first = providers()[0]
    return "cpu" if first == "CPUExecutionProvider" else first.removesuffix("ExecutionProvider").lower()


class Runner:
    """One ONNX Runtime session run through I/O binding (single input, first output)."""

    def __init__(
        self, model: bytes | str | Path, *, provider_list: tuple[str, ...] | None = None, threads: int = 0
    ) -> None:
        source = str(model) if isinstance(model, Path) else model
        self.session = ort().InferenceSession(
            source, session_options(threads), providers=list(provider_list or providers())
        )
        self.input = self.session.get_inputs()[0]
        self.output = self.session.get_outputs()[0].name
        self.extra_inputs = [i.name for i in self.session.get_inputs()[1:]]
        self._lock = threading.Lock()

    @property
    def provider(self) -> str:
        return self.session.get_providers()[0]

    def run(self, x: np.ndarray, **extra: np.ndarray) -> np.ndarray:
        with self._lock:
            binding = self.session.io_binding()
            binding.bind_cpu_input(self.input.name, np.ascontiguousarray(x))
            for name, value in extra.items():
                binding.bind_cpu_input(name, np.ascontiguousarray(value))
            binding.bind_output(self.output, "cpu")
            self.session.run_with_iobinding(binding)
            return binding.copy_outputs_to_cpu()[0]


@dataclass(frozen=True)
class ModelManifest:
    """How to feed a model and read its output. Stored as ``NAME.json`` next to ``NAME.onnx``."""

    name: str
    kind: str  # "mask" (1 channel, 0..1, 1 = subject) or "image" (3 channels)
    input_width: int
    input_height: int
    layout: str = "nchw"  # or "nhwc"
    color: str = "rgb"  # or "bgr"
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    scale: float = 1 / 255  # applied before mean/std
    output_scale: float = 255.0  # image outputs: multiply to get 0..255
    every_n_frames: int = 2
    description: str = ""
    manifest_version: int = MANIFEST_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def file(self) -> str:
        return f"{self.name}.onnx"

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["mean"], doc["std"] = list(self.mean), list(self.std)
        return doc

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> ModelManifest:
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        values = {k: doc[k] for k in known if k in doc}
        try:
            manifest = cls(**values, extra={k: v for k, v in doc.items() if k not in known})
            manifest = ModelManifest(
                **{
                    **asdict(manifest),
                    "mean": tuple(map(float, manifest.mean)),
                    "std": tuple(map(float, manifest.std)),
                }
            )
        except TypeError as exc:
            raise ModelError(f"model manifest is incomplete: {exc}") from None
        manifest.check()
        return manifest

    def check(self) -> None:
        if not _NAME_RE.match(self.name):
            raise ModelError(f"model name {self.name!r}: use lower-case letters, digits, '-' or '_'")
        if self.kind not in ("mask", "image"):
            raise ModelError(f"{self.name}: kind must be 'mask' or 'image', not {self.kind!r}")
        if self.layout not in ("nchw", "nhwc") or self.color not in ("rgb", "bgr"):
            raise ModelError(f"{self.name}: layout must be nchw/nhwc and color rgb/bgr")
        if not (8 <= self.input_width <= 4096 and 8 <= self.input_height <= 4096):
            raise ModelError(
                f"{self.name}: input size {self.input_width}x{self.input_height} is out of range"
            )
        if len(self.mean) != 3 or len(self.std) != 3 or any(s == 0 for s in self.std):
            raise ModelError(f"{self.name}: mean and std need three numbers (std not zero)")
        if self.every_n_frames < 1:
            raise ModelError(f"{self.name}: every_n_frames must be at least 1")


def inspect_model(path: Path) -> tuple[str, int | None, int | None, int | None]:
    """(layout, width, height, output channels) read from a model's first input and output."""
    import onnx

    try:
        model = onnx.load(str(path))
        onnx.checker.check_model(model)
    except Exception as exc:
        raise ModelError(f"{path.name} is not a valid ONNX model: {exc}") from None

    def dims(value_info: Any) -> list[int | None]:
        return [d.dim_value or None for d in value_info.type.tensor_type.shape.dim]

    init = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in init]
    if not inputs:
        raise ModelError(f"{path.name} has no input")
    shape = dims(inputs[0])
    if len(shape) != 4:
        raise ModelError(f"{path.name}: the input must be an image batch (4 dimensions), got {len(shape)}")
    out_shape = dims(model.graph.output[0]) if model.graph.output else []
    if shape[1] in (1, 3):
        layout, h, w = "nchw", shape[2], shape[3]
        channels = out_shape[1] if len(out_shape) == 4 else None
    else:
        layout, h, w = "nhwc", shape[1], shape[2]
        channels = out_shape[3] if len(out_shape) == 4 else None
    return layout, w, h, channels


def add_model(
    source: Path,
    models_dir: Path,
    *,
    kind: str,
    name: str | None = None,
    size: tuple[int, int] | None = None,
    every_n_frames: int = 2,
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0),
    std: tuple[float, float, float] = (1.0, 1.0, 1.0),
    color: str = "rgb",
    replace: bool = False,
) -> ModelManifest:
    """Check ``source``, copy it into ``models_dir`` with its manifest; return the manifest."""
    source = Path(source)
    if not source.is_file():
        raise ModelError(f"model file not found: {source}")
    layout, w, h, channels = inspect_model(source)
    if size is not None:
        w, h = size
    if w is None or h is None:
        raise ModelError(f"{source.name} has a dynamic input size; say which with --size WxH")
    if channels is not None and kind == "mask" and channels not in (1, 2):
        raise ModelError(f"{source.name} outputs {channels} channels; a mask model outputs 1")
    if channels is not None and kind == "image" and channels != 3:
        raise ModelError(f"{source.name} outputs {channels} channels; an image model outputs 3")
    name = name or re.sub(r"[^a-z0-9_-]", "-", source.stem.lower()).strip("-") or "model"
    manifest = ModelManifest(
        name, kind, int(w), int(h), layout, color, mean, std, every_n_frames=every_n_frames
    )
    manifest.check()
    models_dir.mkdir(parents=True, exist_ok=True)
    target = models_dir / manifest.file
    if target.exists() and not replace:
        raise ModelError(f"a model named '{name}' already exists; pick another --name or use --replace")
    Runner(source, provider_list=("CPUExecutionProvider",))  # loads in ORT, not only in the checker
    tmp = target.with_suffix(".onnx.tmp")
    shutil.copyfile(source, tmp)
    tmp.replace(target)
    (models_dir / f"{name}.json").write_text(
        json.dumps(manifest.to_dict(), indent=2) + "\n", encoding="utf-8"
    )
    return manifest


def list_models(models_dir: Path) -> list[tuple[str, ModelManifest | None, str]]:
    """(name, manifest or None, error) for every manifest in ``models_dir``."""
    out: list[tuple[str, ModelManifest | None, str]] = []
    if not models_dir.is_dir():
        return out
    for path in sorted(models_dir.glob("*.json")):
        try:
            manifest = ModelManifest.from_dict(json.loads(path.read_text(encoding="utf-8")))
            if not (models_dir / manifest.file).is_file():
                raise ModelError(f"{manifest.file} is missing")
            out.append((path.stem, manifest, ""))
        except (OSError, ValueError) as exc:
            out.append((path.stem, None, str(exc)))
    return out


def to_input(rgb: np.ndarray, manifest: ModelManifest) -> np.ndarray:
    small = cv2.resize(rgb, (manifest.input_width, manifest.input_height), interpolation=cv2.INTER_AREA)
    if manifest.color == "bgr":
        small = small[..., ::-1]
    x = small.astype(np.float32) * manifest.scale
    x = (x - np.asarray(manifest.mean, np.float32)) / np.asarray(manifest.std, np.float32)
    return (x.transpose(2, 0, 1) if manifest.layout == "nchw" else x)[None]


def from_output(y: np.ndarray, manifest: ModelManifest) -> np.ndarray:
    """A mask (H, W) float32 0..1, or an image (H, W, 3) uint8, at the model's size."""
    y = np.asarray(y)[0]
    if y.ndim == 2:
        y = y[None] if manifest.layout == "nchw" else y[..., None]
    chw = y if manifest.layout == "nchw" else y.transpose(2, 0, 1)
    if manifest.kind == "mask":
        return np.clip(chw[-1].astype(np.float32), 0.0, 1.0)
    img = np.clip(chw.transpose(1, 2, 0) * manifest.output_scale, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(img[..., ::-1] if manifest.color == "bgr" else img)


class ModelFilter(Filter):
    """Base of the filters made from installed models (one subclass per model)."""

    manifest: ModelManifest
    model_path: Path
    category = "Models"
    temporal = True

    def open(self, ctx: FilterContext) -> None:
        super().open(ctx)
        self._runner: Runner | None = None
        self._bucket: int | None = None
        self._result: np.ndarray | None = None

    def runner(self) -> Runner:
        if self._runner is None:
            self._runner = Runner(self.model_path)
        return self._runner

    def infer(self, rgb: np.ndarray, t: float) -> np.ndarray:
        """Model output for time ``t``; mask models reuse it for ``every_n_frames`` frames."""
        every = self.manifest.every_n_frames if self.manifest.kind == "mask" else 1
        bucket = math.floor(t * self.ctx.fps + 1e-6) // every
        if bucket != self._bucket or self._result is None:
            self._result = from_output(self.runner().run(to_input(rgb, self.manifest)), self.manifest)
            self._bucket = bucket
        return self._result

    def close(self) -> None:
        self._runner = None


MASK_EFFECTS = ("blur background", "replace background", "darken background")


class MaskModelFilter(ModelFilter):
    params = (
        ChoiceParam("effect", default="blur background", choices=MASK_EFFECTS, help="What happens outside the subject."),
        FloatParam("blur", default=40.0, minimum=0.0, maximum=200.0, unit="px", help="Background blur radius (px at 1080 wide)."),
        ColorParam("background", default="#101010", help="Colour for 'replace background'."),
        FloatParam("intensity", default=1.0, minimum=0.0, maximum=1.0, help="How strongly the effect applies."),
    )  # fmt: skip

    def is_identity(self, values: Mapping[str, Any]) -> bool:
        return values["intensity"] <= 0.0

    def process(self, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray:
        h, w = image.shape[:2]
        mask = cv2.resize(self.infer(image, t), (w, h), interpolation=cv2.INTER_LINEAR)
        keep = 1.0 - values["intensity"] * (1.0 - mask)
        effect = values["effect"]
        if effect == "blur background":
            k = max(1, round(values["blur"] * self.ctx.scale)) * 2 + 1
            other = cv2.stackBlur(image, (k, k))
        elif effect == "replace background":
            other = np.empty_like(image)
            other[...] = parse_color(values["background"])
        else:
            other = (image * 0.35).astype(np.uint8)
        return cv2.blendLinear(np.ascontiguousarray(image), other, keep, 1.0 - keep)


class ImageModelFilter(ModelFilter):
    params = (
        FloatParam("intensity", default=1.0, minimum=0.0, maximum=1.0, help="Mix with the original frame."),
    )

    def is_identity(self, values: Mapping[str, Any]) -> bool:
        return values["intensity"] <= 0.0

    def process(self, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray:
        h, w = image.shape[:2]
        styled = cv2.resize(self.infer(image, t), (w, h), interpolation=cv2.INTER_LINEAR)
        if values["intensity"] >= 1.0:
            return styled
        return cv2.addWeighted(styled, values["intensity"], image, 1.0 - values["intensity"], 0.0)


def model_filter_class(manifest: ModelManifest, model_path: Path) -> type[ModelFilter]:
    base = MaskModelFilter if manifest.kind == "mask" else ImageModelFilter
    attrs = {
        "id": f"model.{manifest.name}",
        "name": manifest.name.replace("-", " ").replace("_", " ").title(),
        "description": manifest.description
        or (
            f"Segmentation model {manifest.file}"
            if manifest.kind == "mask"
            else f"Image model {manifest.file}"
        ),
        "manifest": manifest,
        "model_path": model_path,
    }
    return type(f"Model_{manifest.name.replace('-', '_')}", (base,), attrs)


def model_filter_classes(models_dir: Path) -> list[tuple[type[Filter], str]]:
    """Filter classes for the installed models, with an error string for unusable ones."""
    out: list[tuple[type[Filter], str]] = []
    for name, manifest, error in list_models(models_dir):
        if manifest is None:
            stub = type(f"Broken_{name}", (Filter,), {"id": f"model.{name}", "name": name})
            out.append((stub, error))
        else:
            out.append((model_filter_class(manifest, models_dir / manifest.file), ""))
    return out
