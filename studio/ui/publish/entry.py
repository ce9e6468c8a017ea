"""Where publishing is reached from: File > Publish… (the editor's draft), the drafts browser
(a stored draft) and a video file. :func:`open_publish` opens the dialog for one of them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt

from studio.ui.publish.dialog import PublishDialog
from studio.ui.publish.models import PublishTarget

if TYPE_CHECKING:
    from studio.ui.editor.window.main_window import MainWindow

NO_DRAFT = "Edit or save the project first"


def draft_session(window: MainWindow) -> Any:
    """The window's :class:`~studio.ui.drafts.session.DraftSession` (None before the store opens)."""
    from studio.ui.drafts.session import DraftSession

    return window.findChild(DraftSession)


def editor_target(window: MainWindow) -> PublishTarget | None:
    """The draft being edited, with the project as shown (None when it is not a draft yet)."""
    session = draft_session(window)
    if session is None or session.draft_id is None:
        return None
    project = window.project
    return PublishTarget(
        draft_id=int(session.draft_id),
        title=project.title or "",
        draft_store=session.store,
        doc=project.to_dict(),  # cheap, and on the GUI thread like the autosave snapshot
    )


def open_publish(
    window: MainWindow,
    *,
    file: str | Path | None = None,
    draft_id: int | None = None,
    draft_store: Any = None,
    title: str = "",
) -> PublishDialog | None:
    """The publish dialog for a file, a stored draft, or (neither given) the editor's draft."""
    controller = window.publish
    if file is not None:
        target: PublishTarget | None = PublishTarget(
            file=str(Path(file).expanduser().absolute()), title=title
        )
    elif draft_id is not None:
        session = draft_session(window)
        store = draft_store if draft_store is not None else getattr(session, "store", None)
        target = PublishTarget(draft_id=int(draft_id), title=title, draft_store=store)
    else:
        target = editor_target(window)
    if target is None:
        window.show_message(NO_DRAFT)
        return None
    dialog = PublishDialog(controller, target, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.publish_dialog = dialog
    dialog.destroyed.connect(lambda *_args: _forget(window, dialog))
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def _forget(window: MainWindow, dialog: PublishDialog) -> None:
    if getattr(window, "publish_dialog", None) is dialog:
        window.publish_dialog = None
