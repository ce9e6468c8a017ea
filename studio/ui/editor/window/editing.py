"""What the creator adds from the editor window: media (imported to the bin, placed on the
timeline, a quick video), text and captions (SRT in and out), a voice-over, and the export
dialog (a part of :class:`~studio.ui.editor.window.main_window.MainWindow`)."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QFileDialog, QMessageBox

from studio.core.errors import ProjectError
from studio.core.project import AudioClip
from studio.ui.editor.export_dialog import ExportDialog
from studio.ui.editor.media_bin import file_filter
from studio.ui.editor.text_tools import (
    DEFAULT_TEXT,
    add_text_edit,
    captions_track,
    export_srt,
    srt_import_edit,
    text_at,
    text_rect,
)
from studio.ui.editor.timeline.building import place_media, quick_video
from studio.ui.jobs import Op

log = logging.getLogger(__name__)


class EditingMixin:
    """Mixed into MainWindow: slots of the File, Edit and Playback menus and of the timeline."""

    def add_media(self, paths: list[str], at: float, track_id: str | None = None) -> None:
        """Probe ``paths`` in the background, then lay them on the timeline from ``at``."""
        self.import_files([p for p in paths if self.bin.entry(p) is None])

        def probe_all(ctx: Any) -> list[Any]:
            from studio.media.errors import MediaError
            from studio.media.probe import probe

            out = []
            for p in paths:
                ctx.check()
                try:
                    out.append(probe(p))
                except MediaError as exc:
                    log.info("not placed on the timeline: %s", exc)
            return out

        def place(infos: list[Any]) -> None:
            group = place_media(self.project, infos, at, track_id, magnetic=self.timeline_model.magnetic)
            if group is None:
                self.show_message("None of those files can go on the timeline")
                return
            if self.timeline_model.do(group) and not self._showing_project:
                self.show_project()

        Op(self.runner, probe_all, name="Add clips").success(place).failure(
            lambda exc: self.show_message(f"Could not add the clips: {exc}")
        ).run()

    def quick_video(self) -> bool:
        """Selected bin clips, end to end on a vertical canvas, fill-cropped."""
        entries = [e for e in self.bin.selected_entries() if e.previewable] or [
            e for e in self.bin.entries if e.previewable
        ]
        group = quick_video(self.project, [e.info for e in entries])
        if group is None:
            self.show_message("Select video clips in the media bin first")
            return False
        if self.timeline_model.do(group):
            self.timeline.view.zoom_to_fit()
            self.show_project()
            return True
        return False

    def add_text(self, text: str = DEFAULT_TEXT) -> str | None:
        """A text item at the playhead, selected so the inspector shows it."""
        edit, item_id = add_text_edit(self.project, self.timeline.view.playhead, text)
        if not self.timeline_model.do(edit):
            return None
        self.timeline.view.select([item_id])
        if not self._showing_project:
            self.show_project()
        return item_id

    def edit_text_in_place(self) -> bool:
        """Open the inline editor over the text shown at the playhead in the preview."""
        if not self._showing_project:
            return False
        item = text_at(self.project, self.timeline.view.playhead, self.timeline.view.selection)
        if item is None:
            self.show_message("No text at the playhead: press T to add one")
            return False
        frame = self.player.view.image_rect()
        if frame.isEmpty():
            return False
        canvas = self.project.canvas
        self.inline_text.open(item, text_rect(item, frame, canvas.width, canvas.height))
        return True

    def import_srt(self, path: str | Path | None = None) -> bool:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(
                self, "Import captions", str(Path.home()), "Subtitles (*.srt)"
            )
            if not path:
                return False
        try:
            edit = srt_import_edit(path)
        except ProjectError as exc:
            self.show_message(f"Cannot import captions: {exc}")
            QMessageBox.warning(self, "Cannot import the captions", str(exc))
            return False
        if self.timeline_model.do(edit):
            self.show_message(f"Imported {len(edit.track.items)} captions from {Path(path).name}")
            return True
        return False

    def export_srt(self, path: str | Path | None = None) -> bool:
        selected = self.timeline.view.selection[0] if self.timeline.view.selection else None
        track = captions_track(self.project, selected)
        if track is None:
            self.show_message("There is no text track to save as captions")
            return False
        if path is None:
            path, _ = QFileDialog.getSaveFileName(
                self, "Export captions", str(Path.home() / "captions.srt"), "Subtitles (*.srt)"
            )
            if not path:
                return False
        try:
            count = export_srt(track, path)
        except (OSError, ProjectError) as exc:
            self.show_message(f"Captions not saved: {exc}")
            return False
        self.show_message(f"Saved {count} captions to {Path(path).name}")
        return True

    def show_voiceover(self) -> Any:
        """Record a voice-over onto a new audio track at the playhead, the video playing."""
        from studio.ui.editor.voiceover_dialog import VoiceoverDialog

        media_dir = (self.project_path.parent if self.project_path else self.paths.data) / "voiceovers"
        playhead = self.timeline.view.playhead
        selected = self.timeline.view.selection
        punch = self.project.find(selected[0])[1] if len(selected) == 1 else None
        if not (
            isinstance(punch, AudioClip) and punch.role == "voiceover" and punch.start <= playhead < punch.end
        ):
            punch = None  # punch-in needs a selected voice-over under the playhead
        dialog = VoiceoverDialog(
            self.history, playhead, media_dir, self, player=self.player, punch_clip=punch
        )
        dialog.recorded.connect(lambda path, _clip: self.show_message(f"Voice-over added: {Path(path).name}"))
        dialog.recorded.connect(lambda path, _clip: self.mediaCreated.emit(path))
        dialog.show()
        return dialog

    def show_export(self) -> ExportDialog:
        """The export dialog for the project as it is now (a copy: edits go on meanwhile)."""
        if self.export_dialog is not None and self.export_dialog.running:
            self.export_dialog.raise_()
            return self.export_dialog
        dialog = ExportDialog(copy.deepcopy(self.project), self.runner, self.project_path, self)
        dialog.finished_export.connect(
            lambda ok, text: self.show_message(f"Exported {Path(text).name}" if ok else text)
        )
        self.export_dialog = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()  # keys (Escape) go to it, not to the editor behind
        return dialog

    def import_files(self, paths: Iterable[str | Path]) -> None:
        added = self.bin.import_paths(paths)
        if added:
            names = ", ".join(e.name for e in added[:3]) + ("…" if len(added) > 3 else "")
            self.show_message(f"Importing {names}")

    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Import media", str(Path.home()), file_filter())
        if files:
            self.import_files(files)

    def _import_failed(self, path: str, message: str) -> None:
        self.show_message(f"Could not import {Path(path).name}: {message}")
