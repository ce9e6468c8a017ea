"""Relinking moved media when a project opens: a background check, then a dialog.

:func:`offer_relink` (called by the main window after a project is opened) checks every source in
the job runner; when some are missing it shows :class:`RelinkDialog`, listing them with
"Search folder…" (scan a folder the creator picks for each file, by name, confirmed by content
hash; a file renamed since is found by its hash alone) and "Locate…" (pick one file; its folder is
then searched for the others too). "Relink" applies every file found as one undoable edit
(:class:`studio.core.relink.RelinkSources` through the window's history), so one undo puts all
the old paths back. Scanning and hashing never run on the GUI thread.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.jobs.runner import JobContext, JobHandle, JobRunner
from studio.media.relink import Hasher, Wanted, confirms, missing_sources, search_folder
from studio.ui.jobs import Op

log = logging.getLogger(__name__)

PATH_ROLE = Qt.ItemDataRole.UserRole + 1


def default_hasher() -> Hasher:
    from studio.drafts.hashing import fast_hash

    return fast_hash


class RelinkDialog(QDialog):
    """The missing files, where each was found, and the buttons that find them.

    ``relinked(mapping)`` fires with ``{old path: new path}`` when the creator presses Relink;
    the dialog does not change the project itself."""

    relinked = Signal(dict)
    scanFinished = Signal()

    def __init__(
        self,
        wanted: list[Wanted],
        runner: JobRunner,
        parent: QWidget | None = None,
        *,
        hasher: Hasher | None = None,
        start_dir: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Relink missing media")
        self.runner = runner
        self.wanted = {w.path: w for w in wanted}
        self.found: dict[str, str] = {}
        self.warnings: dict[str, str] = {}
        self.start_dir = start_dir or str(Path.home())
        self._hasher = hasher or default_hasher()
        self._jobs = 0
        count = len(wanted)
        self.intro = QLabel(
            f"{count} file{'s' if count != 1 else ''} this project uses cannot be found. "
            "Search a folder for them, or locate each one."
        )
        self.intro.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["File", "Was in", "Found at"])
        self.tree.setRootIsDecorated(False)
        self.tree.setColumnWidth(0, 180)
        self.tree.setColumnWidth(1, 220)
        self._items: dict[str, QTreeWidgetItem] = {}
        for want in wanted:
            item = QTreeWidgetItem([want.name, str(Path(want.path).parent), "missing"])
            item.setData(0, PATH_ROLE, want.path)
            item.setToolTip(0, want.path)
            self.tree.addTopLevelItem(item)
            self._items[want.path] = item
        if wanted:
            self.tree.setCurrentItem(self._items[wanted[0].path])
        self.status = QLabel()
        self.search_button = QPushButton("Search folder…")
        self.locate_button = QPushButton("Locate…")
        self.search_button.clicked.connect(lambda: self.search_folder())
        self.locate_button.clicked.connect(lambda: self.locate())
        row = QHBoxLayout()
        row.addWidget(self.search_button)
        row.addWidget(self.locate_button)
        row.addStretch(1)
        self.buttons = QDialogButtonBox()
        self.relink_button = self.buttons.addButton("Relink", QDialogButtonBox.ButtonRole.AcceptRole)
        self.skip_button = self.buttons.addButton("Not now", QDialogButtonBox.ButtonRole.RejectRole)
        self.relink_button.clicked.connect(self.apply)
        self.skip_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.tree, 1)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(640, 320)
        self._sync()

    # -- state --------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._jobs > 0

    @property
    def still_missing(self) -> list[Wanted]:
        return [w for path, w in self.wanted.items() if path not in self.found]

    def listed(self) -> list[str]:
        """The missing paths as the list shows them, in order."""
        return [self.tree.topLevelItem(i).data(0, PATH_ROLE) for i in range(self.tree.topLevelItemCount())]

    def _sync(self) -> None:
        for path, item in self._items.items():
            new = self.found.get(path)
            item.setText(2, new if new else "missing")
            warning = self.warnings.get(path, "")
            item.setToolTip(2, warning or (new or "not found yet"))
            if warning and new:
                item.setText(2, f"⚠ {new}")
        self.relink_button.setEnabled(bool(self.found) and not self.busy)
        self.search_button.setEnabled(not self.busy and bool(self.still_missing))
        self.locate_button.setEnabled(not self.busy)

    def _selected_missing(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, PATH_ROLE) if item is not None else None

    # -- actions ------------------------------------------------------------------------
    def search_folder(self, folder: str | None = None) -> JobHandle[dict[str, str]] | None:
        """Scan ``folder`` (asked for when None) for every file still missing, in the background."""
        if folder is None:
            folder = QFileDialog.getExistingDirectory(
                self, "Search folder for the missing media", self.start_dir
            )
            if not folder:
                return None
        wants, hasher = self.still_missing, self._hasher
        self.start_dir = folder
        return self._run(
            lambda ctx: search_folder(folder, wants, hasher, check=ctx.check, progress=ctx.progress),
            f"Searching {Path(folder).name or folder}…",
            lambda found: self._merge(found, folder),
        )

    def locate(self, missing: str | None = None, path: str | None = None) -> JobHandle[Any] | None:
        """Point ``missing`` (the selected row when None) at ``path`` (asked for when None), then
        search that file's folder for the other missing files."""
        missing = missing or self._selected_missing()
        if missing is None or missing not in self.wanted:
            return None
        want = self.wanted[missing]
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, f"Locate {want.name}", self.start_dir)
            if not path:
                return None
        chosen = str(Path(path).absolute())
        folder = str(Path(chosen).parent)
        others = [w for w in self.still_missing if w.path != missing]
        hasher = self._hasher
        self.start_dir = folder

        def job(ctx: JobContext) -> tuple[bool, dict[str, str]]:
            same = confirms(chosen, want, hasher)
            return same, search_folder(folder, others, hasher, check=ctx.check, progress=ctx.progress)

        def done(result: tuple[bool, dict[str, str]]) -> None:
            same, found = result
            self.found[missing] = chosen
            if same:
                self.warnings.pop(missing, None)
            else:
                self.warnings[missing] = "This file is not the one the project was saved with"
            self._merge(found, folder)

        return self._run(job, f"Checking {Path(chosen).name}…", done)

    def _run(
        self, fn: Callable[[JobContext], Any], message: str, done: Callable[[Any], None]
    ) -> JobHandle[Any]:
        self._jobs += 1
        self.status.setText(message)
        self._sync()

        def finished() -> None:
            self._jobs -= 1
            self._sync()
            self.scanFinished.emit()

        def ok(result: Any) -> None:
            done(result)
            finished()

        def failed(exc: BaseException) -> None:
            log.info("relink search failed: %s", exc)
            self.status.setText(f"Could not search: {exc}")
            finished()

        return (
            Op(self.runner, fn, name="Find missing media")
            .success(ok)
            .failure(failed)
            .cancelled(finished)
            .run()
        )

    def _merge(self, found: dict[str, str], folder: str) -> None:
        for old, new in found.items():
            if old in self.wanted and old not in self.found:
                self.found[old] = new
        left = len(self.still_missing)
        name = Path(folder).name or folder
        self.status.setText(
            f"All files found in {name}"
            if not left
            else f"{left} file{'s' if left != 1 else ''} still missing"
        )
        self._sync()

    def apply(self) -> dict[str, str]:
        """Relink every file found (one undoable edit, made by the listener of ``relinked``)."""
        mapping = dict(self.found)
        if mapping:
            self.relinked.emit(mapping)
        self.accept()
        return mapping


class RelinkOffer(QObject):
    """Checks a just-opened project's sources in the background and offers the dialog."""

    checked = Signal(list)

    def __init__(self, window: Any, *, hasher: Hasher | None = None) -> None:
        super().__init__(window)
        from studio.projectfile import source_fingerprints

        self.window = window
        self.history = window.history
        self.dialog: RelinkDialog | None = None
        self.missing: list[Wanted] | None = None
        self._hasher = hasher
        sources = window.project.sources()
        prints = source_fingerprints(window.project, None)
        Op(window.runner, lambda _ctx: missing_sources(sources, prints), name="Check media").success(
            self._checked
        ).failure(lambda exc: log.info("could not check the project's media: %s", exc)).run()

    def _checked(self, wanted: list[Wanted]) -> None:
        self.missing = wanted
        self.checked.emit(wanted)
        if not wanted or self.window.history is not self.history:
            return
        path = getattr(self.window, "project_path", None)
        start = str(path.parent) if isinstance(path, Path) else None
        self.dialog = RelinkDialog(
            wanted, self.window.runner, self.window, hasher=self._hasher, start_dir=start
        )
        self.dialog.relinked.connect(self._relink)
        self.dialog.show()
        self.window.show_message(
            f"{len(wanted)} media file{'s' if len(wanted) != 1 else ''} of this project cannot be found"
        )

    def _relink(self, mapping: dict[str, str]) -> None:
        from studio.core.relink import RelinkSources

        if self.window.history is not self.history:  # another project was opened meanwhile
            return
        if self.window.timeline_model.do(RelinkSources(mapping)):
            names = ", ".join(sorted(os.path.basename(p) for p in mapping))
            self.window.show_message(f"Relinked {names}")


def offer_relink(window: Any, *, hasher: Hasher | None = None) -> RelinkOffer:
    """Check ``window``'s project for missing media in the background; offer relinking if any."""
    return RelinkOffer(window, hasher=hasher)
