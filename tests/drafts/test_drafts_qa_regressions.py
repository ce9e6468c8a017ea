"""Regressions found by QA driving `creator-studio drafts` from the command line."""

from __future__ import annotations

import errno
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from drafts_docs import project

from studio.drafts import DraftError, DraftStore
from studio.drafts.bundle import export_bundle, import_any


@pytest.fixture
def store(tmp_path: Path) -> DraftStore:
    s = DraftStore(tmp_path / "store" / "drafts.sqlite3")
    yield s
    s.close()


def test_a_csdraft_that_is_not_a_zip_is_called_a_bad_bundle_not_bad_json(
    store: DraftStore, tmp_path: Path
) -> None:
    good = export_bundle(store, store.create_draft(project()), tmp_path / "good.csdraft")
    cut = tmp_path / "cut.csdraft"
    cut.write_bytes(good.read_bytes()[:100])  # no central directory: "not a zip" to zipfile
    with pytest.raises(DraftError, match=r"cut\.csdraft is not a \.csdraft bundle"):
        import_any(store, cut)


def test_a_bundle_with_damaged_data_is_a_clear_error_not_a_crash(store: DraftStore, tmp_path: Path) -> None:
    bundle = tmp_path / "damaged.csdraft"
    with zipfile.ZipFile(bundle, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps({"format": "csdraft", "version": 1, "pad": "x" * 4000}))
        zf.writestr("project.json", json.dumps(project()))
    data = bytearray(bundle.read_bytes())
    for i in range(60, 90):  # inside manifest.json's deflated bytes
        data[i] ^= 0xFF
    bundle.write_bytes(bytes(data))
    with pytest.raises(DraftError, match="damaged"):
        import_any(store, bundle)
    assert store.count_drafts() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\x00\x00\x00\x18ftypmp42\xff\xfe", r"not a project file \(it is not JSON text\)"),
    ],
)
def test_importing_a_non_project_file_says_what_it_is(
    store: DraftStore, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(content)
    with pytest.raises(DraftError, match=message):
        import_any(store, path)


def test_importing_a_folder_says_it_is_a_folder(store: DraftStore, tmp_path: Path) -> None:
    with pytest.raises(DraftError, match="is a folder"):
        import_any(store, tmp_path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(schema_version=99), "newer Creator Studio"),
        (lambda d: d["tracks"][0]["clips"][0].update({"in": 5.0}), "in point"),
        (lambda d: d["canvas"].update(fps=0), "fps"),
    ],
)
def test_a_project_the_app_cannot_open_is_refused_at_import(
    store: DraftStore, tmp_path: Path, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    doc = project()
    change(doc)
    path = tmp_path / "project.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(DraftError, match=message):
        import_any(store, path)
    other = DraftStore(tmp_path / "other" / "drafts.sqlite3")
    try:
        bundle = export_bundle(other, other.create_draft(doc), tmp_path / "b.csdraft")
    finally:
        other.close()
    with pytest.raises(DraftError, match=message):
        import_any(store, bundle)
    assert store.count_drafts() == 0


def test_export_into_a_read_only_folder_names_the_bundle_not_a_temporary_file(
    store: DraftStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft_id = store.create_draft(project())

    def read_only(self: Path, *args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    def no_zip(path: object, *args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(Path, "unlink", read_only)
    monkeypatch.setattr(zipfile, "ZipFile", no_zip)
    with pytest.raises(DraftError) as info:
        export_bundle(store, draft_id, tmp_path / "keep.csdraft")
    assert str(info.value) == f"cannot write {tmp_path / 'keep.csdraft'}: read-only file system"
