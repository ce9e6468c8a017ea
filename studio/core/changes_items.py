"""What changed on the clips, text items and effects both versions have (matched by id)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from studio.core.changes_read import (
    Change,
    Doc,
    TrackDoc,
    clip_name,
    fmt_percent,
    fmt_seconds,
    fmt_times,
    join_words,
    same,
    text_name,
)

FILTER_NAMES = {
    "studio.color": "Colour",
    "studio.lut": "LUT",
    "studio.blur": "Blur",
    "studio.sharpen": "Sharpen",
    "studio.vignette": "Vignette",
    "studio.grain": "Film grain",
    "studio.chromakey": "Chroma key",
    "studio.face-blur": "Face blur",
    "studio.face-sticker": "Face sticker",
    "studio.reframe": "Auto reframe",
}
_TRANSITIONS = {"crossfade": "a crossfade", "dip_to_black": "a dip to black", "slide": "a slide"}


def filter_label(f: dict[str, Any]) -> str:
    fid = f.get("id", "")
    params = f.get("params", {})
    if fid == "studio.lut":
        file = params.get("file")
        look = PurePosixPath(str(file)).stem if file else params.get("look")
        if isinstance(look, str) and look and look != "none":
            return f"the LUT look '{look.replace('-', ' ').replace('_', ' ')}'"
        return "a LUT"
    name = FILTER_NAMES.get(fid) or fid.rsplit(".", 1)[-1].replace("-", " ").replace("_", " ") or "an"
    return f"the {name} effect"


def _end(c: dict[str, Any]) -> float:
    return float(c["start"] + (c["out_point"] - c["in_point"]) / c["speed"])


def _moved_sentence(
    name: str, a: dict[str, Any], b: dict[str, Any], tb: TrackDoc | None, new_track: bool
) -> str:
    onto = f" onto {tb.label}" if new_track and tb is not None else ""
    if same(a["start"], b["start"]):
        return f"moved {name}{onto}"
    old, new = fmt_times(a["start"], b["start"])
    return f"moved {name} from {old} to {new}{onto}"


def _move(kind: str, key: str, name: str, a: dict[str, Any], b: dict[str, Any], doc_b: Doc) -> Change:
    new_track = a["_track"] != b["_track"]
    sentence = _moved_sentence(name, a, b, doc_b.track(b["_track"]), new_track)
    if new_track:
        return Change(kind, key, name, sentence)
    delta = b["start"] - a["start"]
    things = "clips" if kind.startswith("clip") else "texts"
    way = "later" if delta > 0 else "earlier"
    return Change(
        kind, key, name, sentence, f"{delta:.3f}", f"moved {{n}} {things} {fmt_seconds(delta)} {way}"
    )


def _volume(key: str, name: str, a: dict[str, Any], b: dict[str, Any]) -> Change:
    old, new = fmt_percent(a["volume"], b["volume"])
    role = b.get("role")
    if role in ("music", "voiceover"):
        what = "music" if role == "music" else "voice-over"
        return Change("clip.volume", key, name, f"{what} volume {old} → {new} ({name})")
    return Change("clip.volume", key, name, f"volume of {name} {old} → {new}")


def _transition(key: str, name: str, a: Any, b: Any) -> Change:
    if a is None:
        what = _TRANSITIONS.get(b.get("kind"), "a transition")
        return Change("clip.transition", key, name, f"added {what} into {name}")
    if b is None:
        return Change("clip.transition", key, name, f"removed the transition into {name}")
    what = _TRANSITIONS.get(b.get("kind"), "a transition")
    return Change("clip.transition", key, name, f"changed the transition into {name} to {what}")


def _aspects(a: dict[str, Any], b: dict[str, Any], names: dict[str, str]) -> list[str]:
    return list(dict.fromkeys(word for field, word in names.items() if not same(a.get(field), b.get(field))))


_CLIP_ASPECTS = {
    "opacity": "opacity",
    "fit": "framing",
    "transform": "framing",
    "crop": "framing",
    "fade_in": "fades",
    "fade_out": "fades",
    "role": "role",
    "extra": "other settings",
}
_TEXT_ASPECTS = {
    "style": "style",
    "position": "position",
    "fades": "fades",
    "reveal": "reveal",
    "keyframes": "animation",
    "extra": "other settings",
}


def _filters(key: str, name: str, a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    fa, fb = a.get("filters", {}), b.get("filters", {})
    out: list[Change] = []
    for uid, f in fa.items():
        if uid not in fb:
            label = filter_label(f)
            out.append(
                Change("filter.removed", f"{key}/{uid}", name, f"removed {label} from {name}", label,
                       f"removed {label} from {{n}} clips")
            )  # fmt: skip
    for uid, f in fb.items():
        if uid not in fa:
            label = filter_label(f)
            out.append(
                Change("filter.added", f"{key}/{uid}", name, f"added {label} to {name}", label,
                       f"added {label} to {{n}} clips")
            )  # fmt: skip
    for uid, new in fb.items():
        old = fa.get(uid)
        if old is None or same(old, new):
            continue
        label = filter_label(new)
        if old["enabled"] != new["enabled"] and same({**old, "enabled": new["enabled"]}, new):
            verb = "turned on" if new["enabled"] else "turned off"
        else:
            verb, was = "changed", filter_label(old)
            label = label if was == label else f"{was} to {label}"
        out.append(
            Change("filter.changed", f"{key}/{uid}", name, f"{verb} {label} on {name}", f"{verb} {label}",
                   f"{verb} {label} on {{n}} clips")
        )  # fmt: skip
    common_a = [u for u in fa if u in fb]
    common_b = [u for u in fb if u in fa]
    if common_a != common_b:
        out.append(Change("filter.reordered", key, name, f"changed the order of the effects on {name}"))
    return out


def clip_changes(key: str, a: dict[str, Any], b: dict[str, Any], doc_b: Doc) -> list[Change]:
    name = clip_name(b)
    out: list[Change] = []
    if a["source"] != b["source"]:
        out.append(Change("clip.source", key, name, f"replaced the media of {clip_name(a)} with {name}"))
    trimmed = not same(a["in_point"], b["in_point"]) or not same(a["out_point"], b["out_point"])
    explained = (
        trimmed
        and same(a["speed"], b["speed"])
        and same(b["start"] - a["start"], (b["in_point"] - a["in_point"]) / b["speed"])
    )
    if trimmed:
        start, end = fmt_times(b["start"], _end(b))
        out.append(Change("clip.trimmed", key, name, f"trimmed {name} to {start}–{end}"))
    if a["_track"] != b["_track"] or (not same(a["start"], b["start"]) and not explained):
        out.append(_move("clip.moved", key, name, a, b, doc_b))
    if not same(a["speed"], b["speed"]):
        out.append(
            Change(
                "clip.speed",
                key,
                name,
                f"changed the speed of {name} from {a['speed']:g}× to {b['speed']:g}×",
            )
        )
    if not same(a["volume"], b["volume"]):
        out.append(_volume(key, name, a, b))
    if not same(a["keyframes"], b["keyframes"]):
        out.append(Change("clip.keyframes", key, name, f"changed the keyframes of {name}"))
    if not same(a.get("transition_in"), b.get("transition_in")):
        out.append(_transition(key, name, a.get("transition_in"), b.get("transition_in")))
    aspects = _aspects(a, b, _CLIP_ASPECTS)
    if aspects:
        out.append(Change("clip.changed", key, name, f"changed the {join_words(aspects)} of {name}"))
    return out + _filters(key, name, a, b)


def text_changes(key: str, a: dict[str, Any], b: dict[str, Any], doc_b: Doc) -> list[Change]:
    name = text_name(b)
    out: list[Change] = []
    if a["text"] != b["text"]:
        out.append(Change("text.edited", key, name, f"changed text {text_name(a)} to {name}"))
    if not same(a["end"] - a["start"], b["end"] - b["start"]):
        start, end = fmt_times(b["start"], b["end"])
        out.append(Change("text.trimmed", key, name, f"text {name} now shows {start}–{end}"))
    moved = not same(a["start"], b["start"]) and not same(a["end"], b["end"])
    if a["_track"] != b["_track"] or moved:
        out.append(_move("text.moved", key, f"text {name}", a, b, doc_b))
    aspects = _aspects(a, b, _TEXT_ASPECTS)
    if aspects:
        out.append(Change("text.styled", key, name, f"changed the {join_words(aspects)} of text {name}"))
    return out


def element_added(key: str, el: dict[str, Any]) -> Change:
    if el["_kind"] == "text":
        name = text_name(el)
        start = fmt_times(el["start"])[0]
        return Change("text.added", key, name, f"added text {name} at {start}")
    name = clip_name(el)
    start = fmt_times(el["start"])[0]
    return Change("clip.added", key, name, f"added clip {name} at {start}")


def element_removed(key: str, el: dict[str, Any]) -> Change:
    if el["_kind"] == "text":
        name = text_name(el)
        return Change("text.removed", key, name, f"removed text {name}")
    name = clip_name(el)
    return Change("clip.removed", key, name, f"removed clip {name}")


def element_changes(a: Doc, b: Doc) -> list[Change]:
    out: list[Change] = []
    tracks_a = {t.key for t in a.tracks}
    tracks_b = {t.key for t in b.tracks}
    for key, el in a.elements.items():
        if key not in b.elements and el["_track"] in tracks_b:
            out.append(element_removed(key, el))
    for key, el in b.elements.items():
        old = a.elements.get(key)
        if old is None:
            if el["_track"] in tracks_a:
                out.append(element_added(key, el))
        elif old["_kind"] != el["_kind"]:
            out += [element_removed(key, old), element_added(key, el)]
        elif el["_kind"] == "text":
            out += text_changes(key, old, el, b)
        else:
            out += clip_changes(key, old, el, b)
    return out
