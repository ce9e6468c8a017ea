"""Bundles from strangers: nothing in a .csdraft is trusted, and a refused or failed import leaves
the store exactly as it was (no draft row, no revision, no file)."""

from __future__ import annotations

import errno
import io
import json
import os
import stat
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from drafts_docs import project
from PIL import Image

from studio.core.project import Project
from studio.drafts import DraftError, DraftStore
from studio.drafts import bundle_checks as checks
from studio.drafts.bundle import export_bundle, import_bundle
from studio.drafts.bundle_checks import ImportLimits

MiB = 1 << 20


@pytest.fixture
def store(tmp_path: Path) -> DraftStore:
    s = DraftStore(tmp_path / "store" / "drafts.sqlite3")
    yield s
    s.close()


def _write_bundle(
    path: Path,
    *,
    doc: dict[str, Any] | None = None,
    media: list[tuple[str, bytes, str]] = (),
    draft: dict[str, Any] | None = None,
    extra: dict[str, bytes] | None = None,
    cover: bytes | None = None,
    compression: int = zipfile.ZIP_STORED,
) -> Path:
    """A bundle made by hand: ``media`` is (member, bytes, the clip source it stands for)."""
    manifest = {
        "format": "csdraft",
        "version": 1,
        "draft": draft or {"title": "Hostile"},
        "media": [{"source": src, "file": member, "size": len(data)} for member, data, src in media],
    }
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        zf.writestr("project.json", json.dumps(doc or project("Hostile")))
        for member, data, _src in media:
            zf.writestr(member, data, compress_type=compression)
        for member, data in (extra or {}).items():
            zf.writestr(member, data)
        if cover is not None:
            zf.writestr("cover.png", cover)
    return path


def _random(size: int, seed: int = 0) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()


def _state(store: DraftStore) -> tuple[list[str], dict[str, int]]:
    """Every file and folder the store has (but its database files), and every table's size."""
    files = sorted(
        str(p.relative_to(store.root))
        for p in store.root.rglob("*")
        if not p.name.startswith(store.path.name)
    )
    conn = store.reader()
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return files, {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


@pytest.fixture
def settled(store: DraftStore, tmp_path: Path) -> tuple[list[str], dict[str, int]]:
    """A store that already holds an imported draft with media and a cover, and its state."""
    good = _write_bundle(
        tmp_path / "good.csdraft",
        media=[("media/0-clip-a.mp4", _random(5000), "clip-a.mp4")],
        cover=_png(8, 8),
    )
    import_bundle(store, good)
    return _state(store)


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels but carries almost no data (a bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def _resolved_sources(store: DraftStore, draft_id: int) -> list[Path]:
    base = store.base_dir(draft_id)
    doc = store.get_project_doc(draft_id)
    return [Path(s) for s in Project.from_dict(doc, base_dir=str(base) if base else None).sources()]


@pytest.mark.parametrize(
    ("listed", "member"),
    [
        ("media/0-../../evil.mp4", None),  # traversal hidden in a listed media name
        ("../evil.mp4", "../evil.mp4"),
        ("/tmp/evil.mp4", "/tmp/evil.mp4"),  # absolute
        ("C:/evil.mp4", "C:/evil.mp4"),  # a drive letter
        ("media\\0-evil.mp4", "media\\0-evil.mp4"),  # a Windows separator
        (None, "media/../../../evil.mp4"),  # not even listed: the bundle is refused all the same
    ],
)
def test_member_names_that_could_escape_are_refused(
    store: DraftStore,
    tmp_path: Path,
    settled: tuple[list[str], dict[str, int]],
    listed: str | None,
    member: str | None,
) -> None:
    path = tmp_path / "evil.csdraft"
    media = [{"source": "clip-a.mp4", "file": listed, "size": 10}] if listed else []
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", json.dumps({"format": "csdraft", "version": 1, "media": media}))
        zf.writestr("project.json", json.dumps(project()))
        if member:
            zf.writestr(member, b"x" * 10)
    with pytest.raises(DraftError, match=r"evil\.csdraft was not imported: .*unsafe"):
        import_bundle(store, path)
    assert _state(store) == settled
    assert not list(tmp_path.rglob("evil.mp4"))


def test_a_symbolic_link_member_is_refused(
    store: DraftStore, tmp_path: Path, settled: tuple[list[str], dict[str, int]]
) -> None:
    path = tmp_path / "link.csdraft"
    _write_bundle(path)
    link = zipfile.ZipInfo("media/0-clip-a.mp4")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(link, str(Path.home() / ".ssh" / "id_rsa"))
    with pytest.raises(DraftError, match="symbolic link"):
        import_bundle(store, path)
    assert _state(store) == settled


def test_absolute_and_escaping_sources_never_point_outside_the_media_folder(
    store: DraftStore, tmp_path: Path
) -> None:
    secret = tmp_path / "home" / ".ssh" / "id_rsa"
    secret.parent.mkdir(parents=True)
    secret.write_bytes(b"PRIVATE KEY " * 10)
    doc = project("Hostile")
    clips = doc["tracks"][0]["clips"]
    clips[0]["source"] = str(secret)
    clips[1]["source"] = "../../../home/.ssh/id_rsa"
    clips[1]["filters"] = [
        {"id": "studio.lut", "params": {"file": str(tmp_path / "look.cube"), "look": "warm"}}
    ]
    doc["tracks"][2]["clips"][0]["source"] = "file://" + str(secret)
    path = _write_bundle(
        tmp_path / "hostile.csdraft", doc=doc, media=[("media/0-music.m4a", b"m" * 100, "x")]
    )

    draft_id = import_bundle(store, path)

    base = store.base_dir(draft_id)
    assert base is not None and base.parent == store.media_dir.resolve()
    for source in _resolved_sources(store, draft_id):
        assert source.resolve().is_relative_to(base), source
        assert source.resolve() != secret.resolve()
    stored = store.get_project_doc(draft_id)
    assert stored["tracks"][0]["clips"][1]["filters"][0]["params"] == {"file": "", "look": "warm"}
    # a later "export with media" cannot pack the private file: the clips are missing instead
    with pytest.raises(DraftError, match="missing id_rsa"):
        export_bundle(store, draft_id, tmp_path / "out.csdraft", with_media=True)
    assert not (tmp_path / "out.csdraft").exists()


def test_the_manifests_base_dir_is_ignored(store: DraftStore, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    for name in ("clip-a.mp4", "clip-b.mp4", "music.m4a"):
        (victim / name).write_bytes(b"someone else's file")
    path = _write_bundle(tmp_path / "b.csdraft", draft={"title": "x", "base_dir": str(victim)})

    draft_id = import_bundle(store, path)

    assert store.base_dir(draft_id) != victim
    assert not any(s.resolve().is_relative_to(victim) for s in _resolved_sources(store, draft_id))
    with pytest.raises(DraftError, match="missing"):
        export_bundle(store, draft_id, tmp_path / "out.csdraft", with_media=True)


def test_an_oversized_media_file_is_refused_naming_the_limit(
    store: DraftStore, tmp_path: Path, settled: tuple[list[str], dict[str, int]]
) -> None:
    path = _write_bundle(
        tmp_path / "big.csdraft", media=[("media/0-clip-a.mp4", _random(2 * MiB), "clip-a.mp4")]
    )
    with pytest.raises(DraftError, match=r"is 2 MiB, over the 1 MiB limit for one media file"):
        import_bundle(store, path, limits=ImportLimits(entry_bytes=MiB))
    assert _state(store) == settled


def test_media_over_the_total_limit_are_refused_naming_the_limit(
    store: DraftStore, tmp_path: Path, settled: tuple[list[str], dict[str, int]]
) -> None:
    media = [(f"media/{i}-clip.mp4", _random(600 * 1024, i), f"clip-{i}.mp4") for i in range(2)]
    path = _write_bundle(tmp_path / "many.csdraft", media=media)
    with pytest.raises(DraftError, match=r"more than the 1 MiB limit for one bundle"):
        import_bundle(store, path, limits=ImportLimits(total_bytes=MiB))
    assert _state(store) == settled


def test_a_zip_bomb_is_refused_before_anything_is_unpacked(
    store: DraftStore, tmp_path: Path, settled: tuple[list[str], dict[str, int]]
) -> None:
    bomb = b"\0" * (48 * MiB)  # deflates about a thousand times
    path = _write_bundle(
        tmp_path / "bomb.csdraft",
        media=[("media/0-clip-a.mp4", bomb, "clip-a.mp4")],
        compression=zipfile.ZIP_DEFLATED,
    )
    assert path.stat().st_size < MiB
    with pytest.raises(DraftError, match="zip bomb"):
        import_bundle(store, path)  # the default limits
    assert _state(store) == settled


def test_a_member_that_inflates_past_what_it_declares_stops_there(
    store: DraftStore,
    tmp_path: Path,
    settled: tuple[list[str], dict[str, int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """However the zip lies, the importer counts the bytes itself and stops at the declared size."""
    path = _write_bundle(tmp_path / "liar.csdraft", media=[("media/0-clip-a.mp4", b"x" * 4096, "clip-a.mp4")])
    original_read = zipfile.ZipExtFile.read
    handed_out = []

    def endless(self: zipfile.ZipExtFile, n: int = -1) -> bytes:
        if not self.name.startswith("media/"):
            return original_read(self, n)
        if sum(handed_out) >= 8 * MiB:  # a finite lie, so a regression cannot fill the disk
            return b""
        chunk = b"\0" * min(n if n and n > 0 else MiB, MiB)
        handed_out.append(len(chunk))
        return chunk

    monkeypatch.setattr(zipfile.ZipExtFile, "read", endless)
    with pytest.raises(DraftError, match="more than the 4 KiB it declares"):
        import_bundle(store, path)
    assert sum(handed_out) == 4096 + 1  # not one chunk more than it takes to notice
    assert _state(store) == settled


def test_sizes_that_disagree_are_refused(
    store: DraftStore, tmp_path: Path, settled: tuple[list[str], dict[str, int]]
) -> None:
    path = tmp_path / "sizes.csdraft"
    manifest = {
        "format": "csdraft",
        "version": 1,
        "media": [{"source": "clip-a.mp4", "file": "media/0-clip-a.mp4", "size": 10}],
    }
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        zf.writestr("project.json", json.dumps(project()))
        zf.writestr("media/0-clip-a.mp4", b"y" * 5000)
    with pytest.raises(DraftError, match="do not agree"):
        import_bundle(store, path)
    assert _state(store) == settled


def test_a_cover_bomb_costs_the_cover_not_the_draft(store: DraftStore, tmp_path: Path) -> None:
    path = _write_bundle(tmp_path / "cover.csdraft", cover=_png_header_only(100_000, 100_000))
    draft_id = import_bundle(store, path)
    assert store.get_draft(draft_id).cover_path is None
    assert "cover left out: the cover claims to be an enormous picture" in store.revisions(draft_id)[0].label
    # a picture over the pixel limit is refused from its header, before it is decoded
    path = _write_bundle(tmp_path / "big-cover.csdraft", cover=_png(40, 40))
    assert (
        store.get_draft(import_bundle(store, path, limits=ImportLimits(cover_pixels=1000))).cover_path is None
    )
    kept = store.get_draft(import_bundle(store, path)).cover_path
    assert kept is not None and Image.open(kept).size == (40, 40)


def test_pictures_from_disk_are_checked_before_they_are_decoded(store: DraftStore, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_header_only(100_000, 100_000))
    draft_id = store.create_draft(project())
    with pytest.raises(DraftError, match="enormous picture"):
        store.set_cover(draft_id, bomb)
    item = store.media.import_file(bomb, draft_id=draft_id)
    with pytest.raises(DraftError, match="enormous picture"):
        store.media.thumbnail(item.id)


def test_a_full_disk_while_unpacking_leaves_nothing_behind(
    store: DraftStore,
    tmp_path: Path,
    settled: tuple[list[str], dict[str, int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    media = [(f"media/{i}-clip-{i}.mp4", _random(3000, i), f"clip-{i}.mp4") for i in range(3)]
    path = _write_bundle(tmp_path / "three.csdraft", media=media, cover=_png(8, 8))
    real_copy = checks.copy_member
    calls = []

    def copy_then_fill_the_disk(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, *args: Any) -> None:
        calls.append(info.filename)
        if len(calls) == 2:
            target.write_bytes(b"half")  # a partial file, as a full disk leaves it
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))
        real_copy(zf, info, target, *args)

    monkeypatch.setattr(checks, "copy_member", copy_then_fill_the_disk)
    with pytest.raises(
        DraftError, match=r"three\.csdraft was not imported: the disk is full; free some space"
    ):
        import_bundle(store, path)
    assert len(calls) == 2
    assert _state(store) == settled


def test_a_failure_inside_the_database_step_leaves_nothing_behind(
    store: DraftStore,
    tmp_path: Path,
    settled: tuple[list[str], dict[str, int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The unpacked folder is moved into place inside the write job; a failure after that (here:
    writing the cover) rolls the rows back and takes the folder away again."""
    media = [(f"media/{i}-clip-{i}.mp4", _random(3000, i), f"clip-{i}.mp4") for i in range(2)]
    path = _write_bundle(tmp_path / "late.csdraft", media=media, cover=_png(8, 8))

    def full_disk(draft_id: int, png: bytes) -> Path:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(store, "write_cover_file", full_disk)
    with pytest.raises(DraftError, match="the disk is full"):
        import_bundle(store, path)
    assert _state(store) == settled
