"""Helpers for the publish tests: real videos, the stand-in's record of posts and uploads."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

from backend_stub.server import StubServer
from tests.media.fixtures import make_video


def video(path: Path, seconds: float = 2.0, pad_bytes: int = 0) -> Path:
    """A real 360x640 H.264 MP4; ``pad_bytes`` appends a top-level ``free`` box (players and the
    platform's check skip it), so a large upload costs no encoding time."""
    make_video(path, 360, 640, 30, seconds)
    if pad_bytes:
        with open(path, "ab") as f:
            size = pad_bytes + 16
            f.write(struct.pack(">I4sQ", 1, b"free", size))  # 64-bit box size
            block = bytes(range(256)) * 4096
            left = pad_bytes
            while left:
                n = min(left, len(block))
                f.write(block[:n])
                left -= n
    return path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def posts_with_caption(stub: StubServer, caption: str) -> list[dict[str, object]]:
    return [dict(r) for r in stub.state.db.all("SELECT * FROM videos WHERE title = ?", (caption,))]


def publishes(stub: StubServer) -> list[dict[str, object]]:
    return [dict(r) for r in stub.state.db.all("SELECT * FROM publishes")]


def stored_upload(stub: StubServer, publish_id: str) -> Path:
    """The file the stand-in kept for a publish (``<upload_id>.video`` once it passed its check)."""
    row = stub.state.db.one("SELECT upload_id FROM publishes WHERE publish_id = ?", (publish_id,))
    assert row is not None, publish_id
    return stub.state.uploads_dir / f"{row['upload_id']}.video"
