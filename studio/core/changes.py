"""Change summaries in words: what differs between two versions of a project.

:func:`summarize_changes` reads two project documents (dicts as stored, of any schema version,
or :class:`~studio.core.project.Project`) and returns a :class:`ChangeSummary`: structured
:class:`Change` records (a kind from :data:`KINDS`, the stable id, the name a creator knows the
thing by) and sentences such as "trimmed city-walk.mp4 to 0:04–0:09", with effect changes grouped
across clips. The recovery dialog, the revisions browser and ``drafts revisions`` all use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from studio.core.changes_items import element_changes
from studio.core.changes_read import Change, Doc, TrackDoc, read_pair, same

__all__ = ["KINDS", "MAX_SENTENCES", "Change", "ChangeSummary", "describe_changes", "summarize_changes"]

MAX_SENTENCES = 6
KINDS = frozenset(
    {
        "project.renamed", "project.format", "project.audio", "project.other",
        "track.added", "track.removed", "track.changed", "track.reordered",
        "clip.added", "clip.removed", "clip.moved", "clip.trimmed", "clip.speed", "clip.volume",
        "clip.keyframes", "clip.transition", "clip.source", "clip.changed",
        "text.added", "text.removed", "text.moved", "text.trimmed", "text.edited", "text.styled",
        "filter.added", "filter.removed", "filter.changed", "filter.reordered",
    }
)  # fmt: skip


@dataclass(frozen=True)
class ChangeSummary:
    changes: tuple[Change, ...]
    sentences: tuple[str, ...]

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(c.kind for c in self.changes)

    def __bool__(self) -> bool:
        return bool(self.changes)

    def lines(self, limit: int | None = MAX_SENTENCES) -> list[str]:
        """The sentences, the first ``limit`` then "and N more changes"; ["no changes"] if none."""
        if not self.sentences:
            return ["no changes"]
        if limit is None or len(self.sentences) <= limit:
            return list(self.sentences)
        rest = len(self.sentences) - limit
        return [*self.sentences[:limit], f"and {rest} more change{'s' if rest > 1 else ''}"]

    def text(self, limit: int | None = MAX_SENTENCES, sep: str = "\n") -> str:
        return sep.join(self.lines(limit))


def _project(a: Doc, b: Doc) -> list[Change]:
    out: list[Change] = []
    if a.title != b.title:
        out.append(
            Change(
                "project.renamed", "project", b.title, f"renamed the project from '{a.title}' to '{b.title}'"
            )
        )
    ca, cb = a.canvas, b.canvas
    if (ca["width"], ca["height"]) != (cb["width"], cb["height"]):
        size = f"from {ca['width']}×{ca['height']} to {cb['width']}×{cb['height']}"
        out.append(Change("project.format", "canvas", "frame size", f"changed the frame size {size}"))
    if not same(ca["fps"], cb["fps"]):
        rate = f"from {ca['fps']:g} to {cb['fps']:g} fps"
        out.append(Change("project.format", "canvas", "frame rate", f"changed the frame rate {rate}"))
    if ca["background"] != cb["background"]:
        colour = f"from {ca['background']} to {cb['background']}"
        out.append(
            Change("project.format", "canvas", "background", f"changed the background colour {colour}")
        )
    if not same(ca["extra"], cb["extra"]):
        out.append(Change("project.format", "canvas", "output", "changed other output settings"))
    for key, what in (("ducking", "ducking"), ("noise_gate", "the noise gate")):
        old, new = a.audio.get(key), b.audio.get(key)
        if not same(old, new):
            verb = "turned on" if old is None else "turned off" if new is None else "changed"
            out.append(Change("project.audio", f"audio.{key}", what, f"{verb} {what}"))
    others = {k: v for k, v in a.audio.items() if k not in ("ducking", "noise_gate")}
    if not same(others, {k: v for k, v in b.audio.items() if k not in ("ducking", "noise_gate")}):
        out.append(Change("project.audio", "audio", "audio", "changed other audio settings"))
    if not same(a.extra, b.extra):
        out.append(Change("project.other", "project", "project", "changed other project settings"))
    return out


def _count(track: TrackDoc, elsewhere: Doc) -> str:
    n = sum(1 for k in track.keys if k not in elsewhere.elements)
    if not n:
        return ""
    things = "text" if track.kind == "text" else "clip"
    return f" with {n} {things}{'s' if n > 1 else ''}"


def _track_fields(a: TrackDoc, b: TrackDoc) -> list[Change]:
    out: list[Change] = []
    fa, fb = a.fields, b.fields
    for field, on, off in (
        ("muted", "muted", "unmuted"),
        ("hidden", "hid", "showed"),
        ("locked", "locked", "unlocked"),
    ):
        if bool(fa[field]) != bool(fb[field]):
            out.append(Change("track.changed", b.key, b.label, f"{on if fb[field] else off} {a.label}"))
    if fa["name"] != fb["name"]:
        new = f"'{fb['name']}'" if fb["name"] else "no name"
        out.append(Change("track.changed", b.key, b.label, f"renamed {a.label} to {new}"))
    if not same(fa["extra"], fb["extra"]):
        out.append(Change("track.changed", b.key, b.label, f"changed other settings of {b.label}"))
    return out


def _tracks(a: Doc, b: Doc) -> list[Change]:
    out: list[Change] = []
    keys_a, keys_b = [t.key for t in a.tracks], [t.key for t in b.tracks]
    for t in a.tracks:
        if t.key not in keys_b:
            out.append(Change("track.removed", t.key, t.label, f"removed {t.label}{_count(t, b)}"))
    for t in b.tracks:
        old = a.track(t.key)
        if old is None:
            what = f"the {t.kind} track '{t.fields['name']}'" if t.fields["name"] else f"a {t.kind} track"
            out.append(Change("track.added", t.key, t.label, f"added {what}{_count(t, a)}"))
        elif old.kind != t.kind:
            out.append(Change("track.removed", t.key, old.label, f"removed {old.label}{_count(old, b)}"))
            out.append(Change("track.added", t.key, t.label, f"added a {t.kind} track{_count(t, a)}"))
        else:
            out += _track_fields(old, t)
    if [k for k in keys_a if k in keys_b] != [k for k in keys_b if k in keys_a]:
        out.append(Change("track.reordered", "tracks", "tracks", "changed the order of the tracks"))
    return out


def _sentences(changes: list[Change]) -> tuple[str, ...]:
    groups: dict[tuple[str, str], list[Change]] = {}
    order: list[tuple[str, str] | int] = []
    for i, c in enumerate(changes):
        if not c.group:
            order.append(i)
            continue
        key = (c.kind, c.group)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(c)
    out: list[str] = []
    for item in order:
        if isinstance(item, int):
            out.append(changes[item].sentence)
        else:
            members = groups[item]
            one = len(members) == 1 or not members[0].plural
            out.append(members[0].sentence if one else members[0].plural.format(n=len(members)))
    return tuple(out)


def summarize_changes(before: Any, after: Any) -> ChangeSummary:
    """What changed from ``before`` to ``after`` (project dicts as stored, or Projects)."""
    a, b = read_pair(before, after)
    changes = _project(a, b) + _tracks(a, b) + element_changes(a, b)
    return ChangeSummary(tuple(changes), _sentences(changes))


def describe_changes(before: Any, after: Any, limit: int | None = MAX_SENTENCES) -> list[str]:
    """The summary's sentences, capped: ``["added text 'Hi' at 0:00", ...]`` or ``["no changes"]``."""
    return summarize_changes(before, after).lines(limit)
