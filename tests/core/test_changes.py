"""Change summaries in words, from two project documents as stored."""

from __future__ import annotations

import copy
from typing import Any

from studio.core import Project
from studio.core.changes import describe_changes, summarize_changes


def clip(
    cid: str, source: str, start: float, in_point: float = 0.0, out_point: float = 4.0, **kw: Any
) -> dict:
    return {"id": cid, "source": source, "in_point": in_point, "out_point": out_point, "start": start, **kw}


def base() -> dict[str, Any]:
    return {
        "schema_version": 2,
        "title": "Weekend",
        "canvas": {"width": 1080, "height": 1920, "fps": 30.0, "background": "#000000"},
        "tracks": [
            {
                "id": "v1",
                "kind": "video",
                "clips": [
                    clip("c1", "/media/city-walk.mp4", 3.0),
                    clip("c2", "/media/Megamind.avi", 7.0),
                    clip("c3", "clips/beach.mov", 11.0),
                ],
            },
            {"id": "t1", "kind": "text", "items": [{"id": "x1", "text": "A", "start": 0.0, "end": 2.0}]},
            {"id": "a1", "kind": "audio", "clips": [clip("m1", "song.m4a", 0.0, volume=0.6, role="music")]},
        ],
    }


def track(doc: dict, tid: str) -> dict:
    return next(t for t in doc["tracks"] if t["id"] == tid)


def element(doc: dict, eid: str) -> dict:
    return next(e for t in doc["tracks"] for e in t.get("clips", t.get("items", [])) if e["id"] == eid)


def test_identical_documents_have_no_changes() -> None:
    doc = base()
    summary = summarize_changes(doc, copy.deepcopy(doc))
    assert not summary and summary.lines() == ["no changes"] and summary.kinds == frozenset()
    assert describe_changes(Project.from_dict(doc), Project.from_dict(doc).to_dict()) == ["no changes"]


def test_each_kind_of_edit_reads_as_a_sentence() -> None:
    before, after = base(), base()
    after["title"] = "Weekend v2"
    track(after, "t1")["items"].append({"id": "x2", "text": "Your text", "start": 0.0, "end": 1.5})
    element(after, "x1")["text"] = "B"
    track(after, "v1")["clips"] = [c for c in track(after, "v1")["clips"] if c["id"] != "c3"]
    element(after, "c2").update(in_point=1.0, out_point=3.0, start=8.0)  # head cut, so it starts later
    element(after, "c1")["start"] = 1.0
    element(after, "m1")["volume"] = 0.8
    lines = describe_changes(before, after, limit=None)
    assert lines == [
        "renamed the project from 'Weekend' to 'Weekend v2'",
        "removed clip beach.mov",
        "moved city-walk.mp4 from 0:03 to 0:01",
        "trimmed Megamind.avi to 0:08–0:10",
        "changed text 'A' to 'B'",
        "added text 'Your text' at 0:00",
        "music volume 60% → 80% (song.m4a)",
    ]


def test_a_trim_that_keeps_the_content_in_place_is_not_a_move() -> None:
    before, after = base(), base()
    element(after, "c2").update(in_point=1.0, start=8.0)
    summary = summarize_changes(before, after)
    assert summary.kinds == {"clip.trimmed"}
    assert summary.lines() == ["trimmed Megamind.avi to 0:08–0:11"]


def test_effects_are_grouped_across_clips() -> None:
    before, after = base(), base()
    lut = {"id": "studio.lut", "params": {"look": "warm-film"}, "enabled": True, "version": 1}
    element(after, "c1")["filters"] = [{**lut, "uid": "f1"}]
    element(after, "c2")["filters"] = [{**lut, "uid": "f2"}]
    element(after, "c3")["filters"] = [{"id": "studio.blur", "uid": "f3", "params": {"radius": 2}}]
    assert describe_changes(before, after) == [
        "added the LUT look 'warm film' to 2 clips",
        "added the Blur effect to beach.mov",
    ]
    again = copy.deepcopy(after)
    for cid in ("c1", "c2"):
        element(again, cid)["filters"][0]["enabled"] = False
    element(again, "c3")["filters"][0]["params"]["radius"] = 5
    assert describe_changes(after, again) == [
        "turned off the LUT look 'warm film' on 2 clips",
        "changed the Blur effect on beach.mov",
    ]


def test_output_format_tracks_and_mix() -> None:
    before, after = base(), base()
    after["canvas"].update(width=1920, height=1080, fps=60.0)
    after["audio"] = {"ducking": {"amount_db": 12, "threshold_db": -40}}
    track(after, "a1")["muted"] = True
    after["tracks"].append(
        {"id": "v2", "kind": "video", "name": "B-roll", "clips": [clip("n1", "x.mp4", 0.0)]}
    )
    summary = summarize_changes(before, after)
    assert summary.lines() == [
        "changed the frame size from 1080×1920 to 1920×1080",
        "changed the frame rate from 30 to 60 fps",
        "turned on ducking",
        "muted audio track 1",
        "added the video track 'B-roll' with 1 clip",
    ]
    assert summary.kinds == {"project.format", "project.audio", "track.changed", "track.added"}


def test_many_changes_are_capped() -> None:
    before, after = base(), base()
    track(after, "t1")["items"] += [
        {"id": f"n{i}", "text": f"Line {i}", "start": float(i), "end": i + 1.0} for i in range(18)
    ]
    lines = describe_changes(before, after)
    assert (
        len(lines) == 7 and lines[0] == "added text 'Line 0' at 0:00" and lines[-1] == "and 12 more changes"
    )
    assert len(summarize_changes(before, after).changes) == 18


def test_documents_without_ids_match_by_position() -> None:
    v1 = {
        "title": "Old",
        "tracks": [{"kind": "video", "clips": [{"source": "a.mp4", "in": 0.0, "out": 4.0, "start": 0.0}]}],
    }
    moved = copy.deepcopy(v1)
    moved["tracks"][0]["clips"][0]["start"] = 2.5
    assert describe_changes(v1, moved) == ["moved a.mp4 from 0:00 to 0:02.5"]
    assert describe_changes(v1, copy.deepcopy(v1)) == ["no changes"]


def test_unreadable_documents_do_not_raise() -> None:
    assert describe_changes({}, base())[0] == "renamed the project from 'Untitled' to 'Weekend'"
    assert describe_changes({"tracks": "nonsense", "canvas": 3}, {"tracks": [None, 5]}) == ["no changes"]
