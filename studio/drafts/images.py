"""Decoding pictures the drafts store did not make (covers, bundled stills) without trusting them.

A picture's size is read from its header and checked against a pixel limit before a single
pixel is decoded; Pillow's own decompression-bomb guard (``DecompressionBombError``, raised by
``Image.open`` for pictures over twice ``Image.MAX_IMAGE_PIXELS``) backs it up. Our limits sit
below Pillow's warning threshold (about 89 megapixels), so nothing between the two is decoded.
Any other decoding failure of a hostile or damaged file is a :class:`DraftError` with a sentence
for the creator, never a crash.
"""

from __future__ import annotations

import io
import os
from typing import IO, TYPE_CHECKING

from studio.drafts.models import DraftError

if TYPE_CHECKING:
    from PIL import Image

COVER_SIZE = (360, 640)
MAX_COVER_PIXELS = 40_000_000  # a 40-megapixel photo is fine as a cover; anything larger is refused
MAX_PICTURE_PIXELS = 80_000_000  # stills in the media library (thumbnails are made from them)
COVER_FORMATS = ("PNG", "JPEG", "MPO", "WEBP", "GIF", "BMP", "TIFF")

Source = str | os.PathLike[str] | IO[bytes]


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:g} megapixels"


def open_picture(source: Source, *, what: str, max_pixels: int) -> Image.Image:
    """The decoded picture at ``source``; refuses one over ``max_pixels`` from its header."""
    from PIL import Image

    try:
        picture = Image.open(source)
    except Image.DecompressionBombError:
        raise DraftError(
            f"{what} claims to be an enormous picture (a decompression bomb); it was not opened"
        ) from None
    except FileNotFoundError:
        raise DraftError(f"{what} does not exist") from None
    except Exception:  # Pillow raises many types for hostile headers
        raise DraftError(f"{what} is not a picture this app can read (PNG, JPEG or WebP)") from None
    try:
        width, height = picture.size
        if width * height > max_pixels:
            raise DraftError(
                f"{what} is {width}×{height} pixels, more than the {_megapixels(max_pixels)} allowed;"
                " use a smaller picture"
            )
        if picture.format not in COVER_FORMATS:
            raise DraftError(f"{what} is not a picture this app can read (PNG, JPEG or WebP)")
        picture.load()
    except DraftError:
        picture.close()
        raise
    except Image.DecompressionBombError:
        picture.close()
        raise DraftError(f"{what} unpacks to an enormous picture; it was not opened") from None
    except Exception:
        picture.close()
        raise DraftError(f"{what} is damaged: the picture cannot be decoded") from None
    return picture


def cover_thumbnail(
    source: Source, *, what: str = "the cover", max_pixels: int = MAX_COVER_PIXELS
) -> Image.Image:
    """An RGB picture at most :data:`COVER_SIZE`, from a picture file (checked as above)."""
    picture = open_picture(source, what=what, max_pixels=max_pixels)
    try:
        rgb = picture.convert("RGB")
    finally:
        picture.close()
    rgb.thumbnail(COVER_SIZE)
    return rgb


def cover_png(source: Source, *, what: str = "the cover", max_pixels: int = MAX_COVER_PIXELS) -> bytes:
    """:func:`cover_thumbnail` encoded as PNG bytes (a few hundred KiB at most)."""
    out = io.BytesIO()
    cover_thumbnail(source, what=what, max_pixels=max_pixels).save(out, format="PNG")
    return out.getvalue()


def check_still(path: str | os.PathLike[str], *, max_pixels: int = MAX_PICTURE_PIXELS) -> None:
    """Refuse a still picture larger than ``max_pixels`` before a decoder expands it (read from
    the header only). Files that are not pictures Pillow knows (videos, audio) pass."""
    from PIL import Image

    name = os.path.basename(os.fspath(path))
    try:
        with Image.open(path) as picture:
            width, height = picture.size
    except Image.DecompressionBombError:
        raise DraftError(f"{name} claims to be an enormous picture; no thumbnail was made") from None
    except Exception:
        return  # not a still picture: the media decoder handles (and limits) it
    if width * height > max_pixels:
        raise DraftError(
            f"{name} is {width}×{height} pixels, more than the {_megapixels(max_pixels)} a picture in"
            " the library may have; no thumbnail was made"
        )
