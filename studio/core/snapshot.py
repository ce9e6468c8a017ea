"""Frozen copies of a live project for other threads, sharing what did not change.

The editor changes its project in place (``studio.core.edits``); the preview threads need a
state nobody changes under them. :class:`Snapshots` gives one per edit without copying the
project: the project and its tracks are fresh shells each time (a few small fields), but every
clip and text item is a copy taken once and then shared by every later snapshot until an edit
touches that element (``Edit.touched``). A slider drag on one clip of a 300-clip project copies
that one clip. An edit that cannot say what it touched (``touched() -> None``) invalidates
every element, so correctness never depends on an edit's bookkeeping.

Snapshots are read-only by convention: nothing may change them (the preview only reads).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import fields
from typing import Any

from studio.core.project import Project, Track


def _shell(obj: Any, lists: dict[str, list[Any]]) -> Any:
    """A copy of a Track or Project: its list fields replaced by ``lists``, the rest deep-copied."""
    out = copy.copy(obj)
    for f in fields(obj):
        if f.name in lists:
            setattr(out, f.name, lists[f.name])
        else:
            setattr(out, f.name, copy.deepcopy(getattr(obj, f.name)))
    return out


class Snapshots:
    """Structural sharing between successive frozen states of one live project.

    ``take()`` returns a Project whose elements are frozen copies; ``invalidate(ids)`` says
    which live elements (by id) changed since; ``copies`` counts element copies (what a
    snapshot cost)."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.copies = 0
        self._frozen: dict[int, tuple[Any, Any]] = {}  # id(live element) -> (live, frozen copy)
        self._stale: set[str] = set()
        self._all_stale = False
        self._last: Project | None = None

    def invalidate(self, element_ids: Iterable[str] | None) -> None:
        """Elements with these ids changed in place (None: anything may have changed)."""
        self._last = None
        if element_ids is None:
            self._all_stale = True
        else:
            self._stale.update(element_ids)

    def _frozen_copy(self, live: Any, fresh: dict[int, tuple[Any, Any]]) -> Any:
        known = self._frozen.get(id(live))
        if known is not None and known[0] is live and not self._all_stale and live.id not in self._stale:
            fresh[id(live)] = known
            return known[1]
        frozen = copy.deepcopy(live)
        self.copies += 1
        fresh[id(live)] = (live, frozen)
        return frozen

    def take(self) -> Project:
        """A frozen state of the project now (the same object again while nothing changed)."""
        if self._last is not None:
            return self._last
        fresh: dict[int, tuple[Any, Any]] = {}
        tracks: list[Track] = []
        for track in self.project.tracks:
            clips = [self._frozen_copy(c, fresh) for c in track.clips]
            items = [self._frozen_copy(i, fresh) for i in track.items]
            tracks.append(_shell(track, {"clips": clips, "items": items}))
        snap = _shell(self.project, {"tracks": tracks})
        self._frozen = fresh  # elements no longer in the project are let go
        self._stale.clear()
        self._all_stale = False
        self._last = snap
        return snap
