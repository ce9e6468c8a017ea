"""The frozen app's entry: ``creator-studio [COMMAND] ...`` exactly as the installed CLI.

PyInstaller runs this file as ``__main__`` of the executable. Everything the app starts of
itself goes through :func:`studio.process.worker_command`, which in a frozen app is
``<this executable> COMMAND ...`` (``render``, ``doctor``, ``backend``, ...), so this entry only
has to hand over to :func:`studio.cli.main`, which dispatches the subcommands (and
``--self-test``) the same way as ``python -m studio``.

Two things come first, before anything heavy is imported:

- :func:`multiprocessing.freeze_support`: the plugin isolation starts workers with 'forkserver'
  (POSIX) or 'spawn' (Windows); either way the child is this executable again, started with
  multiprocessing's own arguments (``-c 'from multiprocessing.forkserver import main; ...'``,
  ``-c '... resource_tracker ...'`` or ``--multiprocessing-fork``). PyInstaller's runtime hook
  makes ``freeze_support`` recognise all of those, run the child's code and exit, so such a
  child never reaches the CLI.
- the library path: the bootloader puts the bundle's folder first on ``LD_LIBRARY_PATH``
  (Linux) and keeps the user's value in ``LD_LIBRARY_PATH_ORIG``. System programs we start
  (``fc-match``, ``xdg-open``, ``ffprobe``) must not load our bundled libraries, so the user's
  value is put back for children; a child that is this app again sets its own up anew.
"""

from __future__ import annotations

import multiprocessing
import os
import sys


def _restore_library_path() -> None:
    bundle = getattr(sys, "_MEIPASS", "")
    for name in ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH"):
        original = os.environ.pop(f"{name}_ORIG", None)
        if original is not None:
            os.environ[name] = original
        elif bundle and os.environ.get(name, "").split(os.pathsep)[0] == bundle:
            os.environ.pop(name, None)  # the user had none: the bootloader's own value only


def main() -> int:
    multiprocessing.freeze_support()
    _restore_library_path()
    from studio.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    raise SystemExit(main())
