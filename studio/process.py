"""How the app starts its own worker processes (render, doctor, encoder probe, the stand-in).

One function builds every such command line, so it works the same from a checkout, an
installed wheel and a frozen app:

- normally the child is this interpreter running the package (``python -m studio ARGS``); it
  finds ``studio`` where this process found it (installed, or the same working directory), so
  nothing is added to ``PYTHONPATH``;
- in a frozen app (PyInstaller sets ``sys.frozen``) there is no ``-m``: ``sys.executable`` is the
  app itself, whose entry is ``creator-studio``, so the child is ``<app> ARGS``.

Imports only the standard library (any layer may use it).
"""

from __future__ import annotations

import sys

# module run with -m -> the creator-studio subcommand that runs it in a frozen app
_FROZEN_ENTRY: dict[str, tuple[str, ...]] = {
    "studio": (),
    "backend_stub": ("backend",),
}


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def worker_command(*args: str, module: str = "studio") -> list[str]:
    """The argv that runs ``creator-studio ARGS`` (or ``python -m MODULE ARGS``) in a child.

    ``worker_command("render", "p.json", "-o", "out.mp4")`` ->
    ``[sys.executable, "-m", "studio", "render", ...]``, or ``[app, "render", ...]`` when frozen.
    """
    if module not in _FROZEN_ENTRY:
        raise ValueError(f"no worker entry for the module {module!r}")
    if is_frozen():
        return [sys.executable, *_FROZEN_ENTRY[module], *args]
    return [sys.executable, "-m", module, *args]
