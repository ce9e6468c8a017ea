"""Font fallback for text sprites: per character, the style's font if it has the glyph, else a
system font that fontconfig finds for it.

fontconfig does the finding (``fc-match ':charset=<hex code>'``, once per missing character, cached) and
tells which characters a font file holds (``fc-query -f '%{charset}'``, once per file): the same
database the desktop uses, with no font scanning of our own. ``fc-match`` always answers with
its best match, even one without the glyph, so its answer is checked against that font's
charset. Without fontconfig (no ``fc-query`` on PATH) every font is taken to cover everything,
which is what Pillow alone would do.
"""

from __future__ import annotations

import bisect
import logging
import shutil
import subprocess
import threading
from functools import lru_cache

log = logging.getLogger(__name__)

_TIMEOUT_S = 5.0
_lock = threading.Lock()


@lru_cache(maxsize=64)
def _charset(path: str) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """(range starts, range ends) of the code points ``path`` holds, or None when unknown."""
    exe = shutil.which("fc-query")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "-f", "%{charset}", path], capture_output=True, text=True, timeout=_TIMEOUT_S, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    starts: list[int] = []
    ends: list[int] = []
    for token in out.split():
        lo, _, hi = token.partition("-")
        try:
            a, b = int(lo, 16), int(hi or lo, 16)
        except ValueError:
            continue
        starts.append(a)
        ends.append(b)
    if not starts:
        return None
    order = sorted(range(len(starts)), key=starts.__getitem__)
    return tuple(starts[i] for i in order), tuple(ends[i] for i in order)


def covers(path: str, char: str) -> bool:
    """Whether the font file ``path`` has a glyph for ``char`` (True when it cannot be known)."""
    with _lock:
        charset = _charset(path)
    if charset is None:
        return True
    starts, ends = charset
    code = ord(char)
    i = bisect.bisect_right(starts, code) - 1
    return i >= 0 and code <= ends[i]


@lru_cache(maxsize=1024)
def _system_font_for(code: int) -> str | None:
    exe = shutil.which("fc-match")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "-f", "%{file}", f":charset={code:x}"],
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_S,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out or None


def font_for(char: str, primary: str) -> str | None:
    """The font file to draw ``char`` with: ``primary`` when it has the glyph, else a system
    font that has it, else None (no installed font can draw it)."""
    if char.isspace() or not char.isprintable() or covers(primary, char):
        return primary
    with _lock:
        found = _system_font_for(ord(char))
    if found and covers(found, char):
        return found
    return None


def runs(text: str, primary: str) -> tuple[list[tuple[str, str]], str]:
    """``text`` cut into (piece, font file) runs, and the characters no font has (drawn with
    ``primary``, as boxes)."""
    out: list[tuple[str, str]] = []
    missing: list[str] = []
    for ch in text:
        path = font_for(ch, primary)
        if path is None:
            if ch not in missing:
                missing.append(ch)
            path = primary
        if out and out[-1][1] == path:
            out[-1] = (out[-1][0] + ch, path)
        else:
            out.append((ch, path))
    return out, "".join(missing)
