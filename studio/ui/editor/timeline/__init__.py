"""The timeline: model adapter over the core History, the painted view, thumbnails/waveforms."""

from studio.ui.editor.timeline.items import ThumbnailCache, WaveformStore
from studio.ui.editor.timeline.model import Group, SetMarkers, TimelineModel, TrackIndex
from studio.ui.editor.timeline.view import TimelineView, TimelineWidget

__all__ = [
    "Group",
    "SetMarkers",
    "ThumbnailCache",
    "TimelineModel",
    "TimelineView",
    "TimelineWidget",
    "TrackIndex",
    "WaveformStore",
]
