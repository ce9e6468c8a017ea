"""Suite-wide fixtures: every test gets its own profile home, so nothing touches the real one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def studio_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh CREATOR_STUDIO_HOME per test."""
    home = tmp_path_factory.mktemp("studio-home")
    monkeypatch.setenv("CREATOR_STUDIO_HOME", str(home))
    monkeypatch.delenv("CREATOR_STUDIO_PROFILE", raising=False)
    monkeypatch.delenv("CREATOR_STUDIO_SAFE_MODE", raising=False)
    yield home
