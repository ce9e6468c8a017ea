"""The drafts store's SQLite connections: the shared one-writer pattern with the drafts schema check."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from studio.dbwriter import AUTOSAVE_SYNCHRONOUS, SYNCHRONOUS, Readers
from studio.dbwriter import Writer as _Writer
from studio.dbwriter import connect as _connect
from studio.drafts.schema import check_not_newer

__all__ = ["AUTOSAVE_SYNCHRONOUS", "SYNCHRONOUS", "Readers", "Writer", "connect"]


def connect(path: Path, *, writer: bool) -> sqlite3.Connection:
    return _connect(path, writer=writer, check=check_not_newer if writer else None, label="drafts")


class Writer(_Writer):
    """Runs drafts write jobs ``fn(conn)`` one at a time on the ``drafts-writer`` thread."""

    def __init__(self, path: Path, setup: Callable[[sqlite3.Connection], None]) -> None:
        super().__init__(path, setup, name="drafts-writer", check=check_not_newer, label="drafts")
