"""Session-wide media for the media tests (and anyone who imports these fixtures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.media.fixtures import MediaLibrary


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder that lives for the whole test session; clips made in it are reused."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def clips(media_dir: Path) -> MediaLibrary:
    """``clips.get("h264_916")`` etc.: the standard clips, made on first use (see fixtures.STANDARD)."""
    return MediaLibrary(media_dir)
