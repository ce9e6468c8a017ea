"""Captions: SRT text <-> a text track, with the `srt` library doing the parsing and writing.

Pure functions on strings; the file dialog and encoding live in the UI.
"""

from __future__ import annotations

import copy
import datetime as dt

import srt

from studio.core.errors import ProjectError
from studio.core.project import REVEAL_MODES, TextItem, TextStyle, Track, new_id

CAPTION_STYLE = TextStyle(
    font="Inter",
    size=64.0,
    color="#ffffff",
    stroke="#000000",
    stroke_width=6.0,
    background="#00000099",
    align="center",
    bold=True,
)
CAPTION_POSITION = (0.5, 0.72)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, max(0, offset)) + 1


def srt_to_track(
    text: str,
    *,
    style: TextStyle | None = None,
    reveal: str = "word",
    position: tuple[float, float] = CAPTION_POSITION,
    name: str = "Captions",
) -> Track:
    """A new text track with one TextItem per SRT cue (caption style, word reveal by default).

    Bad SRT raises ProjectError naming the line."""
    if reveal not in REVEAL_MODES:
        raise ProjectError(f"unknown reveal {reveal!r} (use one of {', '.join(REVEAL_MODES)})")
    text = text.lstrip("\ufeff")
    try:
        cues = list(srt.parse(text))
    except srt.SRTParseError as e:
        line = _line_of(text, e.expected_start)
        bad = e.unmatched_content.strip().splitlines()[0] if e.unmatched_content.strip() else ""
        raise ProjectError(f"this is not valid SRT near {bad!r}", f"line {line}") from None
    except ValueError as e:
        raise ProjectError(f"a caption has a bad timestamp ({e})") from None
    items: list[TextItem] = []
    for cue in cues:
        body = cue.content.strip()
        if not body:
            continue
        start, end = cue.start.total_seconds(), cue.end.total_seconds()
        where = f"caption {cue.index}"
        if start < 0:
            raise ProjectError("the caption starts before 0", where)
        if end <= start:
            raise ProjectError(f"the caption ends ({end:g} s) before it starts ({start:g} s)", where)
        items.append(
            TextItem(
                id=new_id(),
                text=body,
                start=start,
                end=end,
                style=copy.deepcopy(style if style is not None else CAPTION_STYLE),
                position=position,
                reveal=reveal,
            )
        )
    items.sort(key=lambda i: i.start)
    return Track(id=new_id(), kind="text", items=items, name=name)


def _td(seconds: float) -> dt.timedelta:
    return dt.timedelta(milliseconds=round(seconds * 1000))


def track_to_srt(track: Track) -> str:
    """The track's text items as SRT, numbered from 1 in time order (millisecond precision)."""
    if track.kind != "text":
        raise ProjectError(f"only a text track can be saved as captions, not a {track.kind} track")
    cues = [
        srt.Subtitle(index=i, start=_td(item.start), end=_td(item.end), content=item.text)
        for i, item in enumerate(sorted(track.items, key=lambda x: x.start), start=1)
        if item.text.strip()
    ]
    return srt.compose(cues, reindex=False)
