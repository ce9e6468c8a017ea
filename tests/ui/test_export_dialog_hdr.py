"""The export dialog's "Keep HDR (HLG, 10-bit HEVC)" box: off with its reason for an SDR-only
project or one with a look, on for a project with an HLG clip, and an export with it checked
writes 10-bit HLG HEVC."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from studio.core.project import Canvas, FilterRef, Project, Track, VideoClip
from studio.ui.editor.export_dialog import HDR_CHECKING, HDR_LABEL, ExportDialog
from tests.media.colour_fixtures import encode_hdr, hlg_ramp
from tests.render.helpers import ffprobe, stream

CHECK_TIMEOUT_MS = 20000
EXPORT_TIMEOUT_MS = 90000


@pytest.fixture(scope="module")
def hlg_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ui-hdr")
    return encode_hdr(folder / "phone-hlg.mp4", hlg_ramp(360, 640), transfer="hlg", frames=10, fps=30)


def _project(clip: Path, filters: list[FilterRef] | None = None) -> Project:
    video = VideoClip("c1", str(clip), 0.0, 0.3, 0.0, fit="fill", filters=filters or [])
    return Project(title="hdr", canvas=Canvas(360, 640, 30.0), tracks=[Track("v1", "video", clips=[video])])


def _dialog(qtbot: QtBot, project: Project) -> ExportDialog:
    dialog = ExportDialog(project, None)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.hdr.text() == HDR_LABEL and not dialog.hdr.isEnabled()  # until the check answers
    qtbot.waitUntil(lambda: dialog.hdr_reason != HDR_CHECKING, timeout=CHECK_TIMEOUT_MS)
    return dialog


def test_hdr_box_is_off_with_its_reason_for_an_sdr_project(qtbot: QtBot, ui_media: dict[str, Path]) -> None:
    dialog = _dialog(qtbot, _project(ui_media["clip"]))
    assert not dialog.hdr.isEnabled() and not dialog.hdr.isChecked()
    assert "needs at least one HDR (HLG or PQ) video clip" in dialog.hdr.toolTip()
    assert dialog.hdr_label.text().startswith("HDR is off: ")
    assert dialog.export_button.isEnabled()  # the SDR export is still there


def test_hdr_box_names_the_looks_that_keep_it_off(qtbot: QtBot, hlg_clip: Path) -> None:
    dialog = _dialog(qtbot, _project(hlg_clip, [FilterRef("studio.lut", {"look": "warm-film"})]))
    assert not dialog.hdr.isEnabled()
    assert "LUT works in SDR only: remove it or export in SDR." in dialog.hdr.toolTip()


def test_hdr_box_is_offered_with_the_looks_that_run_on_10_bit_frames(qtbot: QtBot, hlg_clip: Path) -> None:
    looks = [
        FilterRef("studio.color", {"saturation": 1.3}),
        FilterRef("studio.vignette", {"amount": 0.4}),
        FilterRef("studio.face-sticker", {"sticker": "sunglasses"}),
        FilterRef("studio.chromakey", {}),
    ]
    dialog = _dialog(qtbot, _project(hlg_clip, looks))
    assert dialog.hdr.isEnabled() and dialog.hdr_reason is None


def test_hdr_box_is_offered_for_an_hlg_clip_and_exports_hlg(
    qtbot: QtBot, hlg_clip: Path, tmp_path: Path
) -> None:
    dialog = _dialog(qtbot, _project(hlg_clip))
    assert dialog.hdr.isEnabled() and dialog.hdr_reason is None
    assert "preview shows SDR" in dialog.hdr.toolTip()
    indicator = QPoint(8, dialog.hdr.height() // 2)  # the box itself, not the empty row beside it
    qtbot.mouseClick(dialog.hdr, Qt.MouseButton.LeftButton, pos=indicator)
    assert dialog.hdr.isChecked()
    out = tmp_path / "hdr.mp4"
    dialog.output.setText(str(out))
    dialog.preset.setCurrentIndex(dialog.preset.findData("canvas"))
    with qtbot.waitSignal(dialog.finished_export, timeout=EXPORT_TIMEOUT_MS) as done:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        assert not dialog.hdr.isEnabled()  # fixed while the worker runs
    assert done.args == [True, str(out)], dialog.status.text()
    v = stream(ffprobe(out), "video")
    assert (v["codec_name"], v["pix_fmt"], v["color_transfer"]) == ("hevc", "yuv420p10le", "arib-std-b67")
    assert dialog.hdr.isEnabled()
