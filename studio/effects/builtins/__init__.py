"""The filters that ship with the app."""

from __future__ import annotations

from studio.effects.api import Filter
from studio.effects.builtins.blur import BlurFilter, SharpenFilter
from studio.effects.builtins.chromakey import ChromaKeyFilter
from studio.effects.builtins.color import ColorFilter
from studio.effects.builtins.faces import FaceBlurFilter, FaceStickerFilter, ReframeFilter
from studio.effects.builtins.grain import GrainFilter
from studio.effects.builtins.lut import LutFilter
from studio.effects.builtins.vignette import VignetteFilter

BUILTINS: tuple[type[Filter], ...] = (
    ColorFilter,
    LutFilter,
    BlurFilter,
    SharpenFilter,
    VignetteFilter,
    GrainFilter,
    ChromaKeyFilter,
    FaceBlurFilter,
    FaceStickerFilter,
    ReframeFilter,
)
