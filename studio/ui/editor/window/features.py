"""The editor window's doors to the other features: accounts (sync), analytics and publishing.
Each is attached by app.py once it runs, adds its status-bar indicator and opens its own dialog
or tab (a part of :class:`~studio.ui.editor.window.main_window.MainWindow`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class FeaturesMixin:
    """Mixed into MainWindow; the feature packages are imported when first used."""

    def attach_sync(self, controller: Any) -> None:
        """Show the sync controller's state in the status bar; Account > Accounts… opens its
        dialog. app.py calls this after the first paint (tests call it with their own engine)."""
        from studio.ui.accounts.status import SyncStatusIndicator

        self.sync = controller
        self.sync_status = SyncStatusIndicator(controller)
        self.statusBar().addPermanentWidget(self.sync_status)
        self.sync_status.openRequested.connect(self.show_accounts)
        controller.message.connect(self.show_message)

    def show_accounts(self) -> Any:
        """The Accounts dialog (one per window); None while sync is not attached."""
        if self.sync is None:
            self.show_message("Accounts are not available yet: sync has not started.")
            return None
        from studio.ui.accounts.page import AccountsDialog

        if self.accounts_dialog is None:
            self.accounts_dialog = AccountsDialog(self.sync, self)
        self.accounts_dialog.show()
        self.accounts_dialog.raise_()
        self.accounts_dialog.activateWindow()
        return self.accounts_dialog

    def attach_analytics(self, controller: Any) -> Any:
        """The Analytics tab next to the editor, shown while the sync controller lists an
        account (studio.ui.analytics.entry). app.py calls this after attach_sync."""
        from studio.ui.analytics.entry import attach

        return attach(self, controller)

    def show_analytics(self) -> Any:
        from studio.ui.analytics.entry import show

        return show(self)

    def attach_publish(self, controller: Any) -> None:
        """The uploads indicator in the status bar, the end-of-job notice; File > Publish… and
        Account > Uploads… use the controller. app.py calls this once sync is attached."""
        from studio.ui.publish.status import EndNotifier, UploadsIndicator

        self.publish = controller
        self.uploads_status = UploadsIndicator(controller)
        self.statusBar().addPermanentWidget(self.uploads_status)
        self.uploads_status.openRequested.connect(self.show_uploads)
        self.publish_notifier = EndNotifier(controller, self.show_message, self.windowIcon(), self)
        controller.message.connect(self.show_message)

    def show_publish(
        self,
        file: str | Path | None = None,
        draft_id: int | None = None,
        draft_store: Any = None,
        title: str = "",
    ) -> Any:
        """The publish dialog for a file, a stored draft, or (neither given) the draft being edited."""
        if self.publish is None:
            self.show_message("Publishing is not available yet: sync has not started.")
            return None
        from studio.ui.publish.entry import open_publish

        return open_publish(self, file=file, draft_id=draft_id, draft_store=draft_store, title=title)

    def show_uploads(self) -> Any:
        """The Uploads panel (one per window); None while publishing is not attached."""
        if self.publish is None:
            self.show_message("Uploads are not available yet: sync has not started.")
            return None
        from studio.ui.publish.uploads import UploadsPanel

        if self.uploads_panel is None:
            self.uploads_panel = UploadsPanel(self.publish, self)
        self.uploads_panel.show()
        self.uploads_panel.raise_()
        self.uploads_panel.activateWindow()
        return self.uploads_panel
