"""The Plugins dialog: origins, a broken plugin's reason, re-enabling, the folder, safe mode."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot

from studio import config
from studio.core.edits import History
from studio.core.project import Project, Track, VideoClip
from studio.effects.chain import build_chain
from studio.effects.registry import Registry, load_registry
from studio.ui.editor.effects.panel import EffectsPanel
from studio.ui.editor.plugins_dialog import COLUMNS, PluginsDialog
from tests.effects.helpers import gradient

THROWS = """
from studio.effects.api import Filter, FloatParam

class Throws(Filter):
    id = "com.example.throws"
    name = "Throws"
    params = (FloatParam("amount", default=0.5, minimum=0, maximum=1, help="How much."),)

    def process(self, image, t, values):
        raise RuntimeError("boom from the plugin")
"""


@pytest.fixture
def plugins_registry() -> tuple[Registry, Path]:
    """The profile's plugins folder with a plugin that throws when it renders and one that
    cannot even be imported; a registry loaded from it, the throwing one already disabled by
    a preview render."""
    folder = config.app_paths().plugins
    folder.mkdir(parents=True)
    (folder / "throws.py").write_text(THROWS)
    (folder / "broken.py").write_text("raise ImportError('needs torch, which is not installed')\n")
    registry = load_registry(plugins_dir=folder, entry_points=False)
    assert registry.get("com.example.throws") is not None
    with build_chain(
        [{"id": "com.example.throws", "params": {}}], width=64, height=112, fps=30, registry=registry
    ) as chain:
        chain.process(gradient(), 0.0)
    assert chain.problems and registry.get("com.example.throws") is None
    return registry, folder


def cell(dialog: PluginsDialog, filter_id: str, column: str) -> str:
    row = dialog.row_of(filter_id)
    assert row >= 0, filter_id
    return dialog.table.item(row, COLUMNS.index(column)).text()


class UrlCatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


def test_broken_plugins_are_listed_with_their_reasons_and_one_can_be_reenabled(
    qtbot: QtBot, plugins_registry: tuple[Registry, Path]
) -> None:
    registry, folder = plugins_registry
    panel = EffectsPanel(
        registry, History(Project(tracks=[Track("v", "video", clips=[VideoClip("c", "/x.mp4", 0, 2, 0)])]))
    )
    qtbot.addWidget(panel)
    assert panel.browser_item("com.example.throws") is None
    dialog = panel.plugins_dialog()
    assert isinstance(dialog, PluginsDialog)
    qtbot.addWidget(dialog)
    dialog.show()

    assert cell(dialog, "studio.color", "Origin") == "built-in"
    assert cell(dialog, "studio.color", "State") == "Enabled"
    assert cell(dialog, "com.example.throws", "Origin") == "plugins folder"
    assert cell(dialog, "com.example.throws", "State") == "Disabled"
    assert "raised RuntimeError: boom from the plugin" in cell(dialog, "com.example.throws", "Problem")
    assert cell(dialog, "broken.py", "State") == "Disabled"
    assert "needs torch" in cell(dialog, "broken.py", "Problem")
    assert "restart" in cell(dialog, "broken.py", "Problem")
    assert not dialog.safe_banner.isVisibleTo(dialog)

    dialog.table.selectRow(dialog.row_of("broken.py"))
    assert not dialog.reenable_button.isEnabled()  # an import failure needs a fix and a restart
    dialog.table.selectRow(dialog.row_of("com.example.throws"))
    assert "boom from the plugin" in dialog.detail.text()
    assert dialog.reenable_button.isEnabled()
    with qtbot.waitSignal(dialog.pluginsChanged):
        qtbot.mouseClick(dialog.reenable_button, Qt.MouseButton.LeftButton)
    assert registry.get("com.example.throws") is not None
    assert cell(dialog, "com.example.throws", "State") == "Enabled"
    assert cell(dialog, "com.example.throws", "Problem") == ""
    assert not dialog.reenable_button.isEnabled()
    assert panel.browser_item("com.example.throws") is not None  # offered again in the panel

    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    try:
        qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [Path(u.toLocalFile()) for u in catcher.urls] == [folder]
    panel.detach()


def test_safe_mode_is_shown(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREATOR_STUDIO_SAFE_MODE", "1")
    dialog = PluginsDialog(load_registry(safe_mode=True, entry_points=False))
    qtbot.addWidget(dialog)
    assert dialog.safe_banner.isVisibleTo(dialog)
    assert "Safe mode" in dialog.safe_banner.text()
    assert {dialog.table.item(r, COLUMNS.index("Origin")).text() for r in range(dialog.table.rowCount())} == {
        "built-in"
    }


def test_open_plugins_folder_creates_it(qtbot: QtBot, tmp_path: Path) -> None:
    target = tmp_path / "new" / "plugins"
    dialog = PluginsDialog(load_registry(entry_points=False), plugins_dir=target)
    qtbot.addWidget(dialog)
    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    try:
        assert dialog.open_plugins_folder()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert target.is_dir() and Path(catcher.urls[0].toLocalFile()) == target
    assert str(target) in dialog.folder_label.text()
