"""Covers and avatars: small JPEGs the stub draws and serves behind expiring signed URLs."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from urllib.parse import urlencode

COVER_TTL_S = 6 * 3600
AVATAR_TTL_S = 2 * 3600


def sign(key: bytes, kind: str, ident: str, expires: int) -> str:
    return hmac.new(key, f"{kind}:{ident}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def signed_url(base_url: str, key: bytes, kind: str, ident: str, now: float, ttl: int) -> str:
    expires = int(now) + ttl
    query = urlencode({"x-expires": expires, "x-signature": sign(key, kind, ident, expires)})
    return f"{base_url.rstrip('/')}/_stub/{kind}/{ident}.jpg?{query}"


def verify(key: bytes, kind: str, ident: str, expires: int, signature: str, now: float) -> bool:
    return expires >= now and hmac.compare_digest(
        sign(key, kind, ident, expires).encode(), signature.encode()
    )


def draw(path: Path, label: str, seed_text: str, size: tuple[int, int] = (180, 320)) -> None:
    """A gradient card with a label, colours derived from ``seed_text``."""
    from PIL import Image, ImageDraw

    digest = hashlib.sha256(seed_text.encode()).digest()
    top, bottom = digest[:3], digest[3:6]
    width, height = size
    image = Image.new("RGB", size)
    pixels = ImageDraw.Draw(image)
    for y in range(height):
        mix = y / max(1, height - 1)
        colour = tuple(int(a * (1 - mix) + b * mix) for a, b in zip(top, bottom, strict=True))
        pixels.line([(0, y), (width, y)], fill=colour)
    pixels.rectangle([8, height - 44, width - 8, height - 12], fill=(0, 0, 0))
    pixels.text((14, height - 38), label[:24], fill=(255, 255, 255))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    image.save(tmp, "JPEG", quality=80)
    tmp.replace(path)
