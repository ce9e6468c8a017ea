"""Project documents for the drafts tests."""

from __future__ import annotations

import copy
from typing import Any

MINIMAL: dict[str, Any] = {
    "schema_version": 1,
    "title": "Minimal example",
    "canvas": {"width": 1080, "height": 1920, "fps": 30},
    "tracks": [
        {
            "kind": "video",
            "clips": [
                {"source": "clip-a.mp4", "in": 0.0, "out": 4.0, "start": 0.0, "fit": "fill"},
                {"source": "clip-b.mp4", "in": 1.0, "out": 5.0, "start": 4.0, "fit": "fit"},
            ],
        },
        {"kind": "text", "items": [{"text": "Hello #creators", "start": 0.5, "end": 3.5}]},
        {"kind": "audio", "clips": [{"source": "music.m4a", "in": 0.0, "out": 8.0, "start": 0.0}]},
    ],
}


def project(title: str = "Minimal example", clips: int = 0) -> dict[str, Any]:
    """The minimal example, retitled, with ``clips`` extra one-second video clips appended."""
    doc = copy.deepcopy(MINIMAL)
    doc["title"] = title
    video = doc["tracks"][0]["clips"]
    for i in range(clips):
        video.append({"source": f"take-{i}.mp4", "in": 0.0, "out": 1.0, "start": 9.0 + i})
    return doc
