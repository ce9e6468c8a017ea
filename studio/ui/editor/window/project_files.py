"""The project open/save/close flow of the editor window: new, open (then offer to relink
missing media), save and save as, "save changes?", the recent projects, undo/redo and the
window title (a part of :class:`~studio.ui.editor.window.main_window.MainWindow`)."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from studio.config import save_settings
from studio.core.edits import History
from studio.core.errors import ProjectError
from studio.core.project import Canvas, Project

log = logging.getLogger(__name__)

APP_TITLE = "Creator Studio"
PROJECT_FILTER = "Creator Studio project (*.json);;All files (*)"


def new_project() -> Project:
    """An empty vertical project: 1080x1920 at 30 fps."""
    return Project(title="Untitled", canvas=Canvas(1080, 1920, 30.0))


class ProjectFilesMixin:
    """Mixed into MainWindow, which owns ``history`` and ``project_path``."""

    def _update_title(self) -> None:
        name = self.project_path.name if self.project_path else self.history.project.title or "Untitled"
        dirty = "*" if self.history.is_dirty else ""
        self.setWindowTitle(f"{dirty}{name} — {APP_TITLE}")

    def undo(self) -> None:
        label = self.history.undo()
        if label:
            self.show_message(f"Undid {label}")

    def redo(self) -> None:
        label = self.history.redo()
        if label:
            self.show_message(f"Redid {label}")

    def undo_steps(self, steps: int) -> None:
        for _ in range(steps):
            if self.history.undo() is None:
                break

    def set_history(self, history: History, path: Path | None) -> None:
        self.history = history
        self.project_path = path
        self.timeline_model.set_history(history)
        if self.effects is not None:
            self.effects.set_history(history)
        self.timeline.view.select([])
        self.timeline.view.set_playhead(0.0)
        self.timeline.view.zoom_to_fit()
        self.show_project()
        self._project_edited()

    def maybe_discard(self) -> bool:
        """True when the current project may be replaced (saved, or the creator agreed)."""
        if not self.history.is_dirty or not self.confirm_unsaved or not self.history.labels:
            return True
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            "Save the changes to this project first?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save_project()
        return answer == QMessageBox.StandardButton.Discard

    def new_project(self) -> None:
        if self.maybe_discard():
            self.set_history(History(new_project()), None)
            self.show_message("New project")

    def open_project(self, path: str | Path | None = None) -> bool:
        if not self.maybe_discard():
            return False
        if path is None:
            start = str(self.project_path.parent if self.project_path else Path.home())
            chosen, _ = QFileDialog.getOpenFileName(self, "Open project", start, PROJECT_FILTER)
            if not chosen:
                return False
            path = chosen
        from studio.projectfile import load_project

        target = Path(path).expanduser().absolute()
        try:
            project = load_project(target)
        except ProjectError as exc:
            self.show_message(f"Cannot open {target.name}: {exc.message}")
            QMessageBox.warning(self, "Cannot open the project", f"{target}\n\n{exc}")
            return False
        self.set_history(History(project), target)
        self._remember(target)
        self.show_message(f"Opened {target.name}")
        from studio.ui.editor.relink_dialog import offer_relink

        self.relink_offer = offer_relink(self)  # checks the sources in the background
        return True

    def save_project(self) -> bool:
        if self.project_path is None:
            return self.save_project_as()
        return self._save_to(self.project_path)

    def save_project_as(self, path: str | Path | None = None) -> bool:
        if path is None:
            start = str(self.project_path or Path.home() / "project.json")
            chosen, _ = QFileDialog.getSaveFileName(self, "Save project", start, PROJECT_FILTER)
            if not chosen:
                return False
            path = chosen if chosen.lower().endswith(".json") else chosen + ".json"
        return self._save_to(Path(path).expanduser().absolute())

    def _save_to(self, path: Path) -> bool:
        from studio.projectfile import save_project

        try:
            save_project(self.project, path)
        except (ProjectError, OSError) as exc:
            message = exc.message if isinstance(exc, ProjectError) else (exc.strerror or str(exc))
            self.show_message(f"Not saved: {message}")
            QMessageBox.warning(self, "Cannot save the project", f"{path}\n\n{message}")
            return False
        self.project_path = path
        self.history.mark_saved()
        self._remember(path)
        self._update_title()
        self.show_message(f"Saved {path.name}")
        self.projectSaved.emit()
        return True

    def _remember(self, path: Path) -> None:
        self.settings.add_recent(str(path))
        try:
            save_settings(self.paths, self.settings)
        except OSError as exc:
            log.warning("could not save the recent projects: %s", exc)
