"""Reading a ``.csdraft`` bundle from a stranger without trusting it.

A bundle is a zip anyone can make by hand, so nothing in it is believed:

* **Names.** Every member name must be relative, without ``..``, backslashes, drive letters,
  colons or control characters, and no member may be a symbolic link (Creator Studio never
  writes such a bundle). Media are unpacked only under names the importer builds.
* **Sizes.** Each media file and all of them together have limits (:class:`ImportLimits`); the
  sizes the manifest and the zip declare must agree, a member that would inflate more than
  ``max_ratio`` times its packed size is a zip bomb, and while unpacking the bytes are counted
  so a member that yields more than it declared (or than the limit) stops at once.
* **Paths in the project.** Clip sources may only name the bundle's own media: a source the
  bundle does not carry (an absolute path, ``../..``, a URL) becomes a bare file name in the
  draft's media folder, where it is missing until the creator relinks it. The manifest's
  ``base_dir`` is ignored. File paths in filter settings are cleared.
* **Pictures.** The cover is decoded with a pixel limit and Pillow's bomb guard
  (:mod:`studio.drafts.images`); a bad cover costs the cover (the import revision says why), not
  the draft.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.drafts import images
from studio.drafts.models import DraftError
from studio.drafts.summary import iter_items

log = logging.getLogger(__name__)

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30
CHUNK = 1 << 20
# What reading a member of a damaged zip raises (bad CRC, bad deflate data, cut short).
DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError)
_MEDIA_NAME = re.compile(r"^media/[0-9]+-[^/\\]{1,200}$")
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f:<>\"|?*]")  # not in a file name on some system
_READABLE = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)


@dataclass(frozen=True)
class ImportLimits:
    """How much a bundle may unpack to (bytes unless named otherwise)."""

    entry_bytes: int = 8 * GiB  # one media file
    total_bytes: int = 32 * GiB  # all media of one bundle
    entries: int = 1000  # media files in one bundle
    json_bytes: int = 64 * MiB  # manifest.json, project.json
    cover_bytes: int = 16 * MiB
    cover_pixels: int = images.MAX_COVER_PIXELS
    max_ratio: int = 100  # unpacked / packed size of a media file (real media barely deflate)


DEFAULT_LIMITS = ImportLimits()


@dataclass(frozen=True)
class MediaEntry:
    source: str  # the clip source in project.json this file stands for
    info: zipfile.ZipInfo
    name: str  # the file name in the draft's media folder


def size_text(size: int) -> str:
    for unit, scale in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"


def refused(bundle: str, why: str, todo: str = "ask the sender to export the draft again") -> DraftError:
    """The error for a bundle that is not imported: what is wrong, and what to do."""
    return DraftError(f"{bundle} was not imported: {why}; {todo} (nothing was added to your drafts)")


def unsafe_name(name: str) -> str | None:
    """Why a member name could write outside the folder it is unpacked into (``None``: safe)."""
    if not name:
        return "an empty name"
    if name.startswith(("/", "\\")):
        return "an absolute path"
    if "\\" in name:
        return "a backslash"
    parts = name[:-1].split("/") if name.endswith("/") else name.split("/")
    if any(_DRIVE.match(part) for part in parts):
        return "a drive letter"
    if any(part in ("", ".", "..") for part in parts):
        return "a '..' or empty folder"
    if _CONTROL.search(name):
        return "a control character"
    return None


def check_archive(zf: zipfile.ZipFile, bundle: str, limits: ImportLimits) -> None:
    """Refuse a zip with unsafe names, links or encryption anywhere in it (even unread members)."""
    members = zf.infolist()
    if len(members) > limits.entries + 3:
        raise refused(
            bundle, f"it holds {len(members)} files, more than the {limits.entries} media files allowed"
        )
    for info in members:
        why = unsafe_name(info.filename)
        if why:
            raise refused(bundle, f"the file name {info.filename!r} in it is unsafe ({why})")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise refused(bundle, f"{info.filename} in it is a symbolic link, which bundles never hold")
        if info.flag_bits & 0x1:
            raise refused(
                bundle, f"{info.filename} in it is encrypted", "export the draft without a password"
            )


def read_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, bundle: str) -> bytes:
    """A member's bytes, refusing more than ``limit`` or than it declares (counted while reading)."""
    if info.compress_type not in _READABLE:
        raise refused(bundle, f"{info.filename} is packed with a compression Creator Studio does not use")
    budget = min(info.file_size, limit)
    out = io.BytesIO()
    try:
        with zf.open(info) as src:
            while chunk := src.read(min(CHUNK, budget + 1 - out.tell())):
                out.write(chunk)
                if out.tell() > budget:
                    raise refused(
                        bundle, f"{info.filename} unpacks to more than the {size_text(budget)} it may"
                    )
    except DAMAGED:
        raise DraftError(f"this .csdraft bundle is damaged: {info.filename} cannot be read") from None
    return out.getvalue()


def read_json(zf: zipfile.ZipFile, name: str, limits: ImportLimits) -> Any:
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise DraftError(f"this .csdraft bundle has no {name}; it is damaged or not a draft bundle") from None
    if info.file_size > limits.json_bytes:
        raise DraftError(f"{name} in this bundle is too large to be a project")
    data = read_capped(zf, info, limits.json_bytes, "this bundle")
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise DraftError(f"{name} in this bundle is not valid JSON") from None


def _check_sizes(info: zipfile.ZipInfo, declared: Any, bundle: str, limits: ImportLimits) -> None:
    member, size, packed = info.filename, info.file_size, info.compress_size
    if isinstance(declared, int) and not isinstance(declared, bool) and declared != size:
        raise refused(bundle, f"the sizes recorded for {member} do not agree (it was damaged or altered)")
    if size > limits.entry_bytes:
        raise refused(
            bundle,
            f"{member} is {size_text(size)}, over the {size_text(limits.entry_bytes)} limit for one media file",
            "trim or re-encode that clip and export the draft again",
        )
    if info.compress_type not in _READABLE:
        raise refused(bundle, f"{member} is packed with a compression Creator Studio does not use")
    if info.compress_type == zipfile.ZIP_STORED and packed != size:
        raise refused(bundle, f"the sizes recorded for {member} do not agree (it was damaged or altered)")
    if packed > size + size // 100 + 1024:  # deflate never grows data by more than a few bytes per block
        raise refused(bundle, f"the sizes recorded for {member} do not agree (it was damaged or altered)")
    if size > MiB and size > limits.max_ratio * max(packed, 1):
        raise refused(
            bundle,
            f"{member} would unpack from {size_text(packed)} to {size_text(size)}, which real media never do"
            " (it looks like a zip bomb)",
        )


def media_entries(
    zf: zipfile.ZipFile, manifest: dict[str, Any], bundle: str, limits: ImportLimits
) -> list[MediaEntry]:
    """The manifest's media list, every name, size and ratio checked before anything is unpacked."""
    listed = manifest.get("media", [])
    if not isinstance(listed, list):
        raise DraftError(f"{bundle} has a damaged manifest: its media list is not a list")
    entries = [m for m in listed if isinstance(m, dict)]
    if len(entries) > limits.entries:
        raise refused(bundle, f"it lists {len(entries)} media files, more than the {limits.entries} allowed")
    result: list[MediaEntry] = []
    total = 0
    sizes: dict[str, int] = {}
    names: dict[str, str] = {}
    for entry in entries:
        member = entry.get("file")
        if not isinstance(member, str) or not _MEDIA_NAME.match(member) or unsafe_name(member):
            raise refused(bundle, f"it lists an unsafe media name: {member!r}")
        try:
            info = zf.getinfo(member)
        except KeyError:
            raise DraftError(f"this bundle is missing {member}") from None
        _check_sizes(info, entry.get("size"), bundle, limits)
        if member not in sizes:
            sizes[member] = info.file_size
            total += info.file_size
            if total > limits.total_bytes:
                raise refused(
                    bundle,
                    f"its media add up to more than the {size_text(limits.total_bytes)} limit for one bundle",
                    "export the draft with fewer or shorter clips",
                )
        source = entry.get("source")
        if isinstance(source, str) and source:
            result.append(MediaEntry(source, info, names.setdefault(member, _unused_name(member, names))))
    return result


def _unused_name(member: str, names: dict[str, str]) -> str:
    """The file name ``media/<n>-<name>`` unpacks to: safe on every system, unique in the bundle."""
    name = safe_file_name(member.split("/", 1)[1])
    taken = set(names.values())
    candidate, n = name, 1
    while candidate in taken:
        candidate, n = f"{n}-{name}", n + 1
    return candidate


def check_free_space(folder: Path, entries: list[MediaEntry], bundle: str) -> None:
    need = sum({e.info.filename: e.info.file_size for e in entries}.values())
    if not need:
        return
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if need + 64 * MiB > free:
        raise refused(
            bundle,
            f"its media need {size_text(need)} and only {size_text(free)} is free on that disk",
            "free some space and import it again",
        )


def copy_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limit: int, bundle: str) -> None:
    """Unpack one member to a new file ``target``, counting bytes: more than it declares, or than
    ``limit``, stops the copy at that point (the caller removes the partial file)."""
    budget = min(info.file_size, limit)
    written = 0
    try:
        with zf.open(info) as src, open(target, "xb") as dst:  # "x": never through an existing path
            while chunk := src.read(min(CHUNK, budget + 1 - written)):
                written += len(chunk)
                if written > budget:
                    raise refused(
                        bundle,
                        f"{info.filename} unpacks to more than the {size_text(budget)} it declares"
                        " (it looks like a zip bomb), so unpacking stopped",
                    )
                dst.write(chunk)
    except DAMAGED:
        raise DraftError(f"this .csdraft bundle is damaged: {info.filename} cannot be read") from None
    if written != info.file_size:
        raise DraftError(f"this .csdraft bundle is damaged: {info.filename} is cut short")


def read_cover(zf: zipfile.ZipFile, limits: ImportLimits) -> tuple[bytes | None, str]:
    """The bundle's cover as a checked, re-encoded PNG thumbnail, or ``None`` and why not (a bad
    cover must not cost the creator the draft: it is left out and the reason noted)."""
    try:
        info = zf.getinfo("cover.png")
    except KeyError:
        return None, ""
    try:
        if info.file_size > limits.cover_bytes:
            raise DraftError(
                f"the cover is {size_text(info.file_size)}, over the {size_text(limits.cover_bytes)} limit"
            )
        data = read_capped(zf, info, limits.cover_bytes, "this bundle")
        return images.cover_png(io.BytesIO(data), what="the cover", max_pixels=limits.cover_pixels), ""
    except DraftError as exc:
        log.warning("%s; the draft is imported without a cover", exc)
        return None, str(exc)


def safe_file_name(source: str) -> str:
    """The last component of any path or URL, made a plain file name (never ``..``)."""
    name = re.split(r"[/\\]", source.strip())[-1]
    name = _BAD_CHARS.sub("_", name).strip(" .")
    return name[:200] or "missing-media"


def _looks_like_path(value: str) -> bool:
    return any(c in value for c in "/\\") or value.startswith("~") or bool(_DRIVE.match(value))


def confine_paths(doc: dict[str, Any], bundled: dict[str, str], folder: Path) -> tuple[int, int]:
    """Point every clip source into ``folder`` (in place): bundled ones at their unpacked file,
    the rest at a bare name there (missing until relinked). Filter settings that hold a path are
    cleared. Returns (sources that are missing, filter paths cleared)."""
    missing = cleared = 0
    for item in iter_items(doc):
        source = item.get("source")
        if isinstance(source, str):
            if source in bundled:
                item["source"] = str(folder / bundled[source])
            else:
                item["source"] = safe_file_name(source)
                missing += 1
        filters = item.get("filters")
        for ref in filters if isinstance(filters, list) else []:
            params = ref.get("params") if isinstance(ref, dict) else None
            for key, value in (params or {}).items() if isinstance(params, dict) else ():
                if isinstance(value, str) and _looks_like_path(value):
                    params[key] = ""
                    cleared += 1
    inside = os.path.abspath(folder) + os.sep
    for item in iter_items(doc):
        source = item.get("source")
        if isinstance(source, str) and not os.path.abspath(os.path.join(folder, source)).startswith(inside):
            raise DraftError(f"a clip of this bundle could not be kept inside its media folder: {source!r}")
    return missing, cleared
