"""``.csdraft`` bundles: one draft in one zip file, to move it between machines or keep a copy.

Layout: ``manifest.json`` (format, version, draft metadata, media list), ``project.json`` (the
project document exactly as stored), optionally ``cover.png`` and ``media/<n>-<name>`` files.
Importing reads only those names (never paths from the archive), so a hostile bundle cannot
write outside the store; bundled media go to ``<store>/media/<draft id>/`` and the project's
sources are rewritten to point there.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import time
import uuid
import zipfile
import zlib
from pathlib import Path
from typing import Any

from studio.drafts.store import DraftError, DraftStore
from studio.drafts.summary import iter_items

log = logging.getLogger(__name__)

FORMAT = "csdraft"
VERSION = 1
MAX_JSON_BYTES = 64 * 1024 * 1024
_MEDIA_NAME = re.compile(r"^media/[0-9]+-[^/\\]{1,200}$")
# What reading a member of a damaged zip raises (bad CRC, bad deflate data, cut short).
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError)


def _resolve(source: str, base: Path | None) -> Path:
    path = Path(source)
    return path if path.is_absolute() or base is None else base / path


def export_bundle(
    store: DraftStore, draft_id: int, out_path: str | os.PathLike[str], *, with_media: bool = False
) -> Path:
    """Write the draft's saved version to ``out_path`` (atomically); returns the path."""
    draft = store.get_draft(draft_id)
    doc = store.get_project_doc(draft_id)
    base = store.base_dir(draft_id)
    out = Path(out_path)
    if out.suffix != ".csdraft":
        out = out.with_name(out.name + ".csdraft")
    media: list[dict[str, Any]] = []
    files: list[tuple[Path, str]] = []
    if with_media:
        seen: dict[str, str] = {}
        missing = []
        for clip in iter_items(doc):
            source = clip.get("source")
            if not isinstance(source, str) or source in seen:
                continue
            path = _resolve(source, base)
            if not path.is_file():
                missing.append(source)
                continue
            member = f"media/{len(seen)}-{path.name}"
            seen[source] = member
            files.append((path, member))
            media.append({"source": source, "file": member, "size": path.stat().st_size})
        if missing:
            raise DraftError(
                "cannot bundle the media: missing "
                + ", ".join(missing[:5])
                + (" ..." if len(missing) > 5 else "")
                + " (relink them, or export without media)"
            )
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": time.time(),
        "draft": {
            "title": draft.title,
            "created_at": draft.created_at,
            "updated_at": draft.updated_at,
            "caption": draft.caption,
            "hashtags": draft.hashtags,
            "privacy": draft.privacy,
            "toggles": draft.toggles,
            "schedule_at": draft.schedule_at,
            "tags": draft.tags,
            "base_dir": draft.base_dir,
        },
        "media": media,
    }
    if out.is_dir():
        raise DraftError(f"{out} is a folder; give a file name such as my-draft.csdraft")
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
            zf.writestr("project.json", json.dumps(doc, indent=2, ensure_ascii=False))
            if draft.cover_path and Path(draft.cover_path).is_file():
                zf.write(draft.cover_path, "cover.png", compress_type=zipfile.ZIP_STORED)
            for path, member in files:
                zf.write(path, member, compress_type=zipfile.ZIP_STORED)
        os.replace(tmp, out)
    except OSError as exc:
        # The temporary name means nothing to the creator: name the file they asked for.
        raise DraftError(f"cannot write {out}: {(exc.strerror or str(exc)).lower()}") from None
    finally:
        with contextlib.suppress(OSError):  # a read-only folder answers EROFS even for a missing file
            tmp.unlink(missing_ok=True)
    return out


def _check_readable(doc: dict[str, Any], name: str) -> None:
    """Refuse a project the app could not open, rather than store a draft that never renders."""
    from studio.core.errors import ProjectError
    from studio.core.project import Project

    try:
        Project.from_dict(doc, None)
    except ProjectError as exc:
        raise DraftError(f"{name} cannot be imported: {exc}") from None


def _read_json(zf: zipfile.ZipFile, name: str) -> Any:
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise DraftError(f"this .csdraft bundle has no {name}; it is damaged or not a draft bundle") from None
    if info.file_size > MAX_JSON_BYTES:
        raise DraftError(f"{name} in this bundle is too large to be a project")
    try:
        data = zf.read(name)
    except _DAMAGED:
        raise DraftError(f"this .csdraft bundle is damaged: {name} cannot be read") from None
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise DraftError(f"{name} in this bundle is not valid JSON") from None


def import_bundle(store: DraftStore, path: str | os.PathLike[str]) -> int:
    """Add the bundled draft as a new draft; returns its id."""
    source = Path(path)
    try:
        zf = zipfile.ZipFile(source)
    except FileNotFoundError:
        raise DraftError(f"{source} does not exist") from None
    except (zipfile.BadZipFile, OSError):
        raise DraftError(f"{source.name} is not a .csdraft bundle (not a zip file)") from None
    with zf:
        manifest = _read_json(zf, "manifest.json")
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise DraftError(f"{source.name} is not a Creator Studio draft bundle")
        version = manifest.get("version")
        if not isinstance(version, int) or version < 1:
            raise DraftError(f"{source.name} has no valid bundle version; it is damaged")
        if version > VERSION:
            raise DraftError(f"{source.name} was made by a newer Creator Studio; update the app to import it")
        doc = _read_json(zf, "project.json")
        if not isinstance(doc, dict):
            raise DraftError("project.json in this bundle is not a project")
        _check_readable(doc, source.name)
        meta = manifest.get("draft") if isinstance(manifest.get("draft"), dict) else {}
        entries = [m for m in manifest.get("media", []) if isinstance(m, dict)]
        incoming = store.media_dir / f"incoming-{uuid.uuid4().hex}"
        mapping: dict[str, str] = {}
        try:
            for entry in entries:
                member = str(entry.get("file", ""))
                if not _MEDIA_NAME.match(member) or ".." in member:
                    raise DraftError(f"this bundle lists an unsafe media name: {member!r}")
                target = incoming / member.split("/", 1)[1]
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    with zf.open(member) as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
                except KeyError:
                    raise DraftError(f"this bundle is missing {member}") from None
                except _DAMAGED:
                    raise DraftError(f"this .csdraft bundle is damaged: {member} cannot be read") from None
                mapping[str(entry.get("source"))] = target.name
            base = meta.get("base_dir") if not mapping else None
            if base and not Path(str(base)).is_dir():
                base = None
            draft_id = store.create_draft(doc, base_dir=base, label=f"Imported from {source.name}")
            if mapping:
                final = store.media_dir / str(draft_id)
                os.replace(incoming, final)
                for clip in iter_items(doc):
                    src = clip.get("source")
                    if isinstance(src, str) and src in mapping:
                        clip["source"] = str(final / mapping[src])
                store.save(draft_id, doc, kind="import", label="Media unpacked next to the store")
                for name in sorted(set(mapping.values())):
                    store.media.import_file(final / name, draft_id=draft_id)
        except BaseException:
            shutil.rmtree(incoming, ignore_errors=True)
            raise
        store.set_publish(
            draft_id,
            caption=str(meta.get("caption") or ""),
            hashtags=[str(h) for h in meta.get("hashtags") or []],
            privacy=meta.get("privacy") if meta.get("privacy") in ("public", "friends", "private") else None,
            toggles={str(k): bool(v) for k, v in (meta.get("toggles") or {}).items()},
            schedule_at=meta.get("schedule_at") if isinstance(meta.get("schedule_at"), int | float) else None,
        )
        if meta.get("tags"):
            store.set_tags(draft_id, [str(t) for t in meta["tags"]])
        if "cover.png" in zf.namelist():
            cover = store.covers_dir / f"incoming-{uuid.uuid4().hex}.png"
            store.covers_dir.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open("cover.png") as src, open(cover, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                store.set_cover(draft_id, cover)
            except (OSError, ValueError) as exc:  # a bad cover must not cost the creator the draft
                log.warning(
                    "the cover in %s could not be read (%s); the draft has no cover", source.name, exc
                )
            finally:
                cover.unlink(missing_ok=True)
    return draft_id


def import_project_file(store: DraftStore, path: str | os.PathLike[str]) -> int:
    """Import a project JSON file; its relative sources stay relative to the file's folder."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DraftError(f"{source} does not exist") from None
    except IsADirectoryError:
        raise DraftError(f"{source} is a folder, not a project file or .csdraft bundle") from None
    except UnicodeDecodeError:
        raise DraftError(f"{source.name} is not a project file (it is not JSON text)") from None
    except OSError as exc:
        raise DraftError(f"cannot read {source}: {(exc.strerror or str(exc)).lower()}") from None
    if not text.strip():
        raise DraftError(f"{source.name} is empty, not a project file")
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise DraftError(f"{source.name} is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("tracks", []), list):
        raise DraftError(f"{source.name} is not a Creator Studio project")
    _check_readable(doc, source.name)
    title = None if isinstance(doc.get("title"), str) and doc["title"] else source.stem
    return store.create_draft(
        doc, title=title, base_dir=source.parent.resolve(), label=f"Imported from {source.name}"
    )


def import_any(store: DraftStore, path: str | os.PathLike[str]) -> int:
    """A ``.csdraft`` bundle (by its suffix, or any zip) or a project JSON file."""
    source = Path(path)
    if source.suffix.lower() == ".csdraft" or zipfile.is_zipfile(source):
        return import_bundle(store, source)
    return import_project_file(store, source)
