from __future__ import annotations

import pytest

from studio.core import Project, ProjectError
from studio.core.captions import CAPTION_STYLE, srt_to_track, track_to_srt

SRT = """1
00:00:01,000 --> 00:00:02,500
Hello there creators

2
00:00:03,250 --> 00:00:05,000
Two lines
of text

"""


def test_srt_to_track_and_back_is_identical() -> None:
    track = srt_to_track(SRT)
    assert track.kind == "text" and track.name == "Captions"
    a, b = track.items
    assert (a.text, a.start, a.end, a.reveal) == ("Hello there creators", 1.0, 2.5, "word")
    assert (b.text, b.start, b.end) == ("Two lines\nof text", 3.25, 5.0)
    assert a.style == CAPTION_STYLE and a.style is not CAPTION_STYLE
    assert a.visible_text(1.6) == "Hello there"
    assert track_to_srt(track) == SRT


def test_caption_track_survives_the_project_file_format() -> None:
    track = srt_to_track(SRT, reveal="none")
    p = Project(tracks=[track])
    again = Project.from_dict(p.to_dict())
    assert track_to_srt(again.tracks[0]) == SRT
    assert again.tracks[0].items[0].reveal == "none"


def test_bad_srt_names_the_line() -> None:
    broken = SRT + "3\n00:00:0x,000 --> 00:00:06,000\nbad time\n"
    with pytest.raises(ProjectError, match=r"^line 10: this is not valid SRT near '3'"):
        srt_to_track(broken)
    with pytest.raises(ProjectError, match=r"^line 5: this is not valid SRT"):
        srt_to_track(SRT.replace("00:00:03,250 -->", "00:00:03,250 ->"))
    with pytest.raises(ProjectError, match=r"^line 1: this is not valid SRT near 'garbage'"):
        srt_to_track("garbage\n")


def test_backwards_cue_is_rejected() -> None:
    with pytest.raises(ProjectError, match="caption 1: the caption ends"):
        srt_to_track("1\n00:00:05,000 --> 00:00:02,000\nx\n")


def test_only_text_tracks_export() -> None:
    from studio.core import Track

    with pytest.raises(ProjectError, match="only a text track"):
        track_to_srt(Track("v", "video"))


def test_import_captions_as_an_undoable_track() -> None:
    from studio.core.edits import AddTrack, History, SetKeyframe

    p = Project()
    h = History(p)
    track = srt_to_track(SRT)
    h.do(AddTrack("text", track=track))
    assert p.text_tracks() == [track] and p.duration == 5.0
    item = track.items[0]
    h.do(SetKeyframe(item.id, "position.y", 0.0, 0.9, "ease_out"))  # shapes the segment after it
    h.do(SetKeyframe(item.id, "position.y", 1.0, 0.7))
    assert item.value_at("position.y", 0.5) == pytest.approx(0.75)
    with pytest.raises(ProjectError, match="already used"):
        h.do(AddTrack("text", track=track))
    h.undo()
    h.undo()
    h.undo()
    assert p.tracks == []


def test_windows_line_endings() -> None:
    track = srt_to_track(SRT.replace("\n", "\r\n"))
    assert [i.text for i in track.items] == ["Hello there creators", "Two lines\nof text"]
