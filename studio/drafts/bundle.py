"""``.csdraft`` bundles: one draft in one zip file, to move it between machines or keep a copy.

Layout: ``manifest.json`` (format, version, draft metadata, media list), ``project.json`` (the
project document exactly as stored), optionally ``cover.png`` and ``media/<n>-<name>`` files.
Importing trusts nothing in the file (see :mod:`studio.drafts.bundle_checks`): names, sizes,
paths and pictures are checked, bundled media go to ``<store>/media/<draft id>/`` (the draft's
base folder), every clip source is made to point there, and the whole import is one
transaction, so a refused or failed import leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import json
import os
import shutil
import sqlite3
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

from studio.drafts import bundle_checks as checks
from studio.drafts import ownership
from studio.drafts.bundle_checks import DEFAULT_LIMITS, ImportLimits
from studio.drafts.media import MediaLibrary, PreparedFile
from studio.drafts.store import PRIVACY_LEVELS, DraftError, DraftStore
from studio.drafts.summary import iter_items

FORMAT = "csdraft"
VERSION = 1
MAX_JSON_BYTES = DEFAULT_LIMITS.json_bytes


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
            member = f"media/{len(seen)}-{checks.safe_file_name(path.name)}"
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


def import_bundle(
    store: DraftStore, path: str | os.PathLike[str], *, limits: ImportLimits = DEFAULT_LIMITS
) -> int:
    """Add the bundled draft as a new draft; returns its id. All or nothing: a bundle refused, or
    a failure part-way (a full disk), leaves no draft, no revision and no file behind."""
    source = Path(path)
    try:
        zf = zipfile.ZipFile(source)
    except FileNotFoundError:
        raise DraftError(f"{source} does not exist") from None
    except (zipfile.BadZipFile, OSError):
        raise DraftError(f"{source.name} is not a .csdraft bundle (not a zip file)") from None
    with zf:
        checks.check_archive(zf, source.name, limits)
        manifest = checks.read_json(zf, "manifest.json", limits)
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise DraftError(f"{source.name} is not a Creator Studio draft bundle")
        version = manifest.get("version")
        if not isinstance(version, int) or version < 1:
            raise DraftError(f"{source.name} has no valid bundle version; it is damaged")
        if version > VERSION:
            raise DraftError(f"{source.name} was made by a newer Creator Studio; update the app to import it")
        doc = checks.read_json(zf, "project.json", limits)
        if not isinstance(doc, dict):
            raise DraftError("project.json in this bundle is not a project")
        _check_readable(doc, source.name)
        meta = manifest.get("draft") if isinstance(manifest.get("draft"), dict) else {}
        entries = checks.media_entries(zf, manifest, source.name, limits)
        checks.check_free_space(store.media_dir, entries, source.name)
        cover, cover_problem = checks.read_cover(zf, limits)
        incoming = store.media_dir / f"incoming-{uuid.uuid4().hex}"
        try:
            prepared = _unpack(zf, entries, incoming, source.name, limits)
            label = f"Imported from {source.name}" + (
                f"; cover left out: {cover_problem}" if cover_problem else ""
            )
            return _commit(store, doc, meta, entries, incoming, prepared, cover, label)
        except OSError as exc:
            raise checks.refused(
                source.name, _disk_error(exc), "free some space (or fix the folder) and import it again"
            ) from None
        except sqlite3.OperationalError as exc:
            raise checks.refused(
                source.name, f"the drafts database could not be written ({exc})", "try again"
            ) from None
        finally:
            shutil.rmtree(incoming, ignore_errors=True)


def _disk_error(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    return f"a file could not be written ({(exc.strerror or str(exc)).lower()})"


def _unpack(
    zf: zipfile.ZipFile, entries: list[checks.MediaEntry], incoming: Path, bundle: str, limits: ImportLimits
) -> list[PreparedFile]:
    """Unpack each bundled file once into ``incoming`` and hash it (before the write job)."""
    incoming.mkdir(parents=True)
    done: dict[str, PreparedFile] = {}
    for entry in entries:
        if entry.name not in done:
            target = incoming / entry.name
            checks.copy_member(zf, entry.info, target, limits.entry_bytes, bundle)
            done[entry.name] = MediaLibrary.prepare(target)
    return list(done.values())


def _commit(
    store: DraftStore,
    doc: dict[str, Any],
    meta: dict[str, Any],
    entries: list[checks.MediaEntry],
    incoming: Path,
    prepared: list[PreparedFile],
    cover: bytes | None,
    label: str,
) -> int:
    """One write job: the draft, its revision, metadata, tags, library entries and cover; the
    unpacked folder moves into place inside it and is removed again if anything fails."""
    bundled = {e.source: e.name for e in entries}
    toggles = meta.get("toggles") if isinstance(meta.get("toggles"), dict) else {}
    schedule = meta.get("schedule_at")
    updates = store.publish_updates(
        caption=meta.get("caption") if isinstance(meta.get("caption"), str) else "",
        hashtags=_strings(meta.get("hashtags")),
        privacy=meta.get("privacy") if meta.get("privacy") in PRIVACY_LEVELS else None,
        toggles={str(k): bool(v) for k, v in toggles.items()},
        schedule_at=schedule
        if isinstance(schedule, int | float) and not isinstance(schedule, bool)
        else None,
    )
    tags = _strings(meta.get("tags"))
    made: list[Path] = []

    def job(conn: sqlite3.Connection) -> int:
        draft_id = store.next_draft_id(conn)
        folder = str(draft_id)
        if (store.media_dir / folder).exists() or ownership.in_use(conn, folder):
            folder = f"{draft_id}-{uuid.uuid4().hex[:8]}"  # a folder left by a crash is never reused
        final = store.media_dir / folder
        confined = copy.deepcopy(doc)
        missing, cleared = checks.confine_paths(confined, bundled, final)
        os.replace(incoming, final)
        made.append(final)
        new_id = store.insert_draft(
            conn,
            confined,
            base_dir=str(final.resolve()),
            kind="import",
            label=_label(label, missing, cleared),
            draft_id=draft_id,
        )
        ownership.register(conn, new_id, [folder])
        store.apply_updates(conn, new_id, updates)
        store.apply_tags(conn, new_id, tags)
        for file in prepared:
            MediaLibrary.link(conn, file, new_id, path=final / file.path.name)
        if cover is not None:
            cover_path = store.write_cover_file(new_id, cover)
            made.append(cover_path)
            conn.execute("UPDATE drafts SET cover_path = ? WHERE id = ?", (str(cover_path), new_id))
        return new_id

    try:
        return store.write(job)
    except BaseException:
        for path in made:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        raise


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value if isinstance(v, str | int)] if isinstance(value, list) else []


def _label(label: str, missing: int, cleared: int) -> str:
    """The import revision's note: what the creator has to relink, what was left out."""
    notes = []
    if missing:
        notes.append(f"{missing} clip{'s' if missing != 1 else ''} not in the bundle: relink")
    if cleared:
        notes.append(f"{cleared} filter file path{'s' if cleared != 1 else ''} cleared")
    return label + (f" ({'; '.join(notes)})" if notes else "")


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
