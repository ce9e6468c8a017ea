from __future__ import annotations

import copy
import json

import pytest

from studio.core import Project, ProjectError
from studio.core.migrations import CURRENT_VERSION, migrate, v1_to_v2
from tests.shared_files import EXAMPLE


def test_v1_to_v2_renames_and_fills_in() -> None:
    v1 = json.loads(EXAMPLE.read_text())
    before = copy.deepcopy(v1)
    v2 = v1_to_v2(v1)
    assert v1 == before  # input untouched
    assert v2["schema_version"] == 2
    assert v2["canvas"]["fps"] == 30.0 and isinstance(v2["canvas"]["fps"], float)
    clip_a, clip_b = v2["tracks"][0]["clips"]
    assert "in" not in clip_a and "out" not in clip_a
    assert (clip_a["in_point"], clip_a["out_point"], clip_a["start"]) == (0.0, 4.0, 0.0)
    assert (clip_b["in_point"], clip_b["out_point"]) == (1.0, 5.0)
    assert clip_a["filters"][0] | {"uid": "x"} == {
        "id": "studio.color",
        "params": {"saturation": 1.2, "brightness": 0.05},
        "enabled": True,
        "version": 1,
        "uid": "x",
    }
    assert clip_b["transition_in"] == {"kind": "crossfade", "duration": 0.5}
    assert v2["tracks"][1]["items"][0]["style"]["stroke_width"] == 4.0
    assert v2["tracks"][2]["clips"][0]["role"] == "music"
    assert all("id" in t for t in v2["tracks"])
    assert all("id" in c for t in v2["tracks"] for c in t.get("clips", []) + t.get("items", []))


def test_missing_schema_version_means_v1() -> None:
    doc = {"tracks": [{"kind": "video", "clips": [{"source": "/a.mp4", "in": 1, "out": 2, "start": 0}]}]}
    p = Project.from_dict(doc)
    assert p.tracks[0].clips[0].in_point == 1.0


def test_current_documents_pass_through_unchanged() -> None:
    doc = Project.from_dict(json.loads(EXAMPLE.read_text())).to_dict()
    assert doc["schema_version"] == CURRENT_VERSION
    assert migrate(doc) == doc


@pytest.mark.parametrize("version", [0, "2", 2.5, True])
def test_bad_schema_version(version: object) -> None:
    with pytest.raises(ProjectError, match="schema_version"):
        migrate({"schema_version": version})
