"""The project model: canvas, tracks, clips, text, keyframes, edits with undo. No I/O."""

from studio.core.errors import ProjectError
from studio.core.keyframes import Keyframe, evaluate
from studio.core.project import (
    CANVAS_PRESETS,
    SCHEMA_VERSION,
    AudioClip,
    Canvas,
    Crop,
    FilterRef,
    Project,
    TextItem,
    TextStyle,
    Track,
    Transform,
    Transition,
    VideoClip,
    new_id,
)

__all__ = [
    "CANVAS_PRESETS",
    "SCHEMA_VERSION",
    "AudioClip",
    "Canvas",
    "Crop",
    "FilterRef",
    "Keyframe",
    "Project",
    "ProjectError",
    "TextItem",
    "TextStyle",
    "Track",
    "Transform",
    "Transition",
    "VideoClip",
    "evaluate",
    "new_id",
]
