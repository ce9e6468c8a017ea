"""A draft's history dialog: its versions newest first, what each changed, filmstrips of two
versions side by side, and "Restore this version" (opened from the drafts browser)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.core.changes import ChangeSummary, summarize_changes
from studio.drafts import DraftStore, RevisionInfo
from studio.jobs.runner import JobHandle, JobRunner
from studio.ui.drafts.change_summary import ChangeSummaryView
from studio.ui.drafts.filmstrip import VersionsComparison, duration_of, format_length, strip_cache
from studio.ui.jobs import Op, make_gui_runner

HISTORY_READS = "the history dialog reads the versions it compares (one draft's, on demand)"


@dataclass
class _History:
    """A draft's history as read in the background: revisions newest first and their documents."""

    title: str
    revisions: list[RevisionInfo]
    docs: list[dict[str, Any]]
    summaries: list[ChangeSummary | None]
    durations: list[float | None]
    base_dir: str | None


class RevisionsDialog(QDialog):
    """A draft's history, newest first: what each version changed against the one before it, what
    going back to it would change, the raw difference behind "Details", and "Restore this version"
    (a new current revision with the old content; nothing is lost). Each chosen version shows a
    filmstrip with its length, the current one above it at the same moments (choose two rows to
    compare them with each other), the change summary between the two strips.

    The history is read in the job runner's ``"db"`` lane (``loaded`` when it is shown); restoring
    writes there too, then ``restored(revision_id)`` and the history is read again."""

    restored = Signal(int)
    loaded = Signal()

    def __init__(
        self,
        store: DraftStore,
        draft_id: int,
        parent: QWidget | None = None,
        *,
        runner: JobRunner | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__(parent)
        from studio.drafts.recovery import describe_changes, json_diff

        self._describe, self._diff = describe_changes, json_diff
        self.store = store
        self.draft_id = draft_id
        self.runner = runner or make_gui_runner(self)
        self.revisions: list[RevisionInfo] = []
        self._docs: list[dict[str, Any]] = []
        self._base_dir: str | None = None
        self._generation = 0
        self._set_title(title)
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(["Saved", "Kind", "Note", "Changes", "Length", "Size"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.ExtendedSelection)
        self.summary_view = ChangeSummaryView(self.GOING_BACK)
        self.diff = self.summary_view.diff
        self.comparison = VersionsComparison(self.summary_view, "Current version", "This version")
        self.strips = self.comparison.strips
        self._strip_cache = strip_cache(store.cache_dir)
        self.status = QLabel()
        self.restore_button = QPushButton("Restore this version")
        self.restore_button.setEnabled(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.restore_button.clicked.connect(self.restore_selected)
        self.table.itemSelectionChanged.connect(self._show_selected)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.comparison)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(820, 680)
        self.reload()

    GOING_BACK = "Going back to this version would change:"
    BETWEEN = "From the older to the newer of the two versions:"

    def _set_title(self, title: str | None) -> None:
        self.setWindowTitle("History" if title is None else f"History of “{title or 'Untitled'}”")

    def reload(self) -> JobHandle[_History]:
        """Read the history in the background; the table is filled when it arrives."""
        store, draft_id = self.store, self.draft_id
        self._generation += 1
        generation = self._generation
        self.status.setText("Loading the history…")

        def read(_ctx: object) -> _History:
            title = store.get_draft(draft_id).title
            revisions = store.revisions(draft_id)
            docs = [store.get_project_doc(draft_id, rev.id) for rev in revisions]
            summaries = [
                summarize_changes(docs[row + 1], docs[row]) if row + 1 < len(docs) else None
                for row in range(len(docs))
            ]
            base = store.base_dir(draft_id)
            durations = [duration_of(d) for d in docs]
            return _History(title, revisions, docs, summaries, durations, str(base) if base else None)

        return (
            Op(self.runner, read, name="Read draft history", lane="db")
            .success(lambda history: self._show_history(generation, history))
            .failure(lambda exc: self._failed(generation, exc))
            .run()
        )

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self.status.setText(f"The history could not be read: {exc}")

    def _show_history(self, generation: int, history: _History) -> None:
        if generation != self._generation:
            return
        self.status.setText("")
        self._set_title(history.title)
        self.revisions, self._docs, self._base_dir = history.revisions, history.docs, history.base_dir
        self.table.setRowCount(len(self.revisions))
        for row, rev in enumerate(self.revisions):
            note = ("Current version. " if rev.is_head else "") + rev.label
            summary = history.summaries[row]
            cells = (
                time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(rev.created_at)),
                rev.kind,
                note,
                summary.text(3, "; ") if summary is not None else "first version",
                format_length(d) if (d := history.durations[row]) is not None else "?",
                f"{rev.size / 1024:.1f} KiB",
            )
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))
            if summary is not None:
                self.table.item(row, 3).setToolTip(summary.text(None))
        self.table.resizeColumnsToContents()
        if self.revisions:
            self.table.clearSelection()
            self.table.selectRow(0)
        self.loaded.emit()

    def _selected_rows(self) -> list[int]:
        rows = sorted({index.row() for index in self.table.selectedIndexes()})
        return [r for r in rows if r < len(self.revisions)]

    def _version_name(self, row: int) -> str:
        rev = self.revisions[row]
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(rev.created_at))
        return f"{'Current version' if rev.is_head else 'Version'} of {when}"

    def _show_selected(self) -> None:
        rows = self._selected_rows()
        if not rows:
            return
        if len(rows) >= 2:  # two versions: the older one above, the newer one below
            newer, older = rows[0], rows[-1]
            self.restore_button.setEnabled(False)
            self.summary_view.heading.setText(self.BETWEEN)
            self._compare(self._docs[older], self._docs[newer], names=(older, newer))
            return
        row = rows[0]
        rev = self.revisions[row]
        self.restore_button.setEnabled(not rev.is_head)
        self.summary_view.heading.setText(self.GOING_BACK)
        head = next((i for i, r in enumerate(self.revisions) if r.is_head), None)
        chosen = self._docs[row]
        if head is not None:
            self._compare(self._docs[head], chosen, names=(head, row))
            return
        store, draft_id, generation = self.store, self.draft_id, self._generation
        Op(self.runner, lambda _ctx: store.get_project_doc(draft_id), name="Read draft", lane="db").success(
            lambda current: (
                self._compare(current, chosen, names=(None, row)) if generation == self._generation else None
            )
        ).failure(lambda exc: self._failed(generation, exc)).run()

    def _compare(
        self, current: dict[str, Any], chosen: dict[str, Any], *, names: tuple[int | None, int] | None = None
    ) -> None:
        if names is not None:
            first, second = names
            self.comparison.compare(
                self.runner,
                (self._version_name(first) if first is not None else "Current version", current),
                (self._version_name(second), chosen),
                base_dir=self._base_dir,
                cache=self._strip_cache,
            )
        changes = self._describe(current, chosen)
        facts = (
            "\n".join(f"{c.what}: {c.before} → {c.after}" for c in changes) or "Same title, length and clips."
        )
        body = self._diff(current, chosen) or "(identical to the current version)"
        self.summary_view.set_summary(
            summarize_changes(current, chosen), f"Compared with the current version:\n{facts}\n\n{body}"
        )

    def restore_selected(self) -> JobHandle[int] | None:
        """Restore the selected version in the background; ``restored`` and a reload follow."""
        rows = self._selected_rows()
        if len(rows) != 1:
            return None
        rev = self.revisions[rows[0]]
        store, draft_id = self.store, self.draft_id
        self.restore_button.setEnabled(False)
        self.status.setText("Restoring…")
        return (
            Op(
                self.runner,
                lambda _ctx: store.restore_revision(draft_id, rev.id),
                name="Restore version",
                lane="db",
            )
            .success(self._restored)
            .failure(lambda exc: self.status.setText(f"That version could not be restored: {exc}"))
            .run()
        )

    def done(self, result: int) -> None:
        self.comparison.cancel()  # the strips still being rendered are not needed any more
        super().done(result)

    def _restored(self, new_rev: int) -> None:
        self.restored.emit(new_rev)
        self.reload()
