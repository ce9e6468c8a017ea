"""What the editor's player shows: the project (re-rendered after each edit, reopened when its
length changes, the playhead followed) or one file of the media bin on its own (a part of
:class:`~studio.ui.editor.window.main_window.MainWindow`)."""

from __future__ import annotations

from pathlib import Path

from studio.core.project import Canvas
from studio.ui.editor.preview_mode import PROJECT, SOURCE

EMPTY_PROJECT_HINT = (
    "Drag clips from the media bin onto the timeline, or select clips and use Edit › Quick Video"
)


def is_vertical(canvas: Canvas) -> bool:
    return abs(canvas.height / canvas.width - 16 / 9) < 0.02


class PreviewMixin:
    """Mixed into MainWindow, which owns the player, the project source and the preview bar."""

    def _project_edited(self) -> None:
        self._update_edit_actions()
        self._update_title()
        self.timeline.view.fps = self.project.canvas.fps
        if self._showing_project:
            self.preview_bar.set_mode(PROJECT, self.project.title)
        self._preview_timer.start()
        self.projectChanged.emit()

    def _push_preview(self) -> None:
        """Hand the edited project to the player thread; reopen when its length changed."""
        old_frames = self.player.frame_count
        self.source.update(self.history.snapshot())
        if not self._showing_project:
            return
        fps = self.project.canvas.fps
        frames = max(1, round(self.project.duration * fps))
        if self.player.info is None or frames != old_frames or abs(self.player.info.fps - fps) > 1e-6:
            self._reopen_project(self.timeline.view.playhead)
        else:
            self.player.refresh()
        self._update_safe_area()

    def _reopen_project(self, at: float) -> None:
        if self.project.duration <= 0:
            self.player.clear(EMPTY_PROJECT_HINT)
            return
        self._resume_at = at
        source = self.source
        self.player.set_source(lambda: source, self.project.title or "Project")

    def show_project(self) -> None:
        """Put the project (not a single bin file) in the player."""
        self.player.attach_audio(self.audio)
        self.audio.set_project(self.history.snapshot())
        self.audio_strip.set_project(self.project)
        self.source.update(self.history.snapshot())
        self.source.full_quality = not self.player.is_playing
        self._showing_project = True
        self.preview_bar.set_mode(PROJECT, self.project.title)
        self._reopen_project(self.timeline.view.playhead)
        self._update_safe_area()

    def seek_project(self, t: float) -> None:
        if not self._showing_project:
            self.show_project()
            self._resume_at = t
            return
        self.player.seek(t)

    def _source_opened(self, _info: object) -> None:
        self._enable_playback(True)
        if self._showing_project and self._resume_at is not None:
            at, self._resume_at = self._resume_at, None
            if at > 0:
                self.player.seek(min(at, max(0.0, self.project.duration - 1e-3)))

    def _frame_shown(self, _index: int, t: float) -> None:
        if self._showing_project:
            self.timeline.view.set_playhead(t)
            if self.effects is not None:
                self.effects.set_playhead(t)
            if not self.player.is_playing:
                self.inspector.set_playhead(t)

    def _playing_changed(self, playing: bool) -> None:
        """Paused: draw the shown frame again at full size (scale 1.0)."""
        if not self._showing_project:
            return
        self.source.full_quality = not playing
        if not playing:
            self.player.refresh()

    def _update_safe_area(self) -> None:
        shown = (
            self._showing_project and self.safe_area_action.isChecked() and is_vertical(self.project.canvas)
        )
        self.player.view.set_safe_area(shown)

    def open_in_player(self, path: str) -> None:
        """Preview one file from the bin on its own (the project comes back on a timeline click)."""
        self._showing_project = False
        self._source_path = path
        self.preview_bar.set_mode(SOURCE, Path(path).name)
        self.source.full_quality = False
        self.player.view.set_safe_area(False)
        self.player.attach_audio(None)
        self.player.open_clip(path)
        self.show_message(f"Previewing {Path(path).name}")

    def _source_requested(self) -> None:
        """The Source button: the selected bin clip, else the one previewed last."""
        chosen = next((e.path for e in self.bin.selected_entries() if e.previewable), self._source_path)
        if chosen is None:
            self.preview_bar.set_mode(PROJECT, self.project.title)
            self.show_message("Double-click a clip in the media bin to preview it on its own")
            return
        self.open_in_player(chosen)
