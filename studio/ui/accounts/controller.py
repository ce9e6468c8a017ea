"""The Qt face of the sync engine: every engine call in a job, every engine event on the GUI thread.

The GUI thread only draws. :class:`SyncController` runs each engine call (open, start, the
account list, sign-in, sign-out, deletion, the platform switch) on the job runner's ``sync``
lane (sign-in, which waits minutes for the browser, on a lane of its own) and hands results
back through Qt signals. Engine listeners are called on the engine's thread; they are re-posted
through a :class:`~studio.ui.jobs.GuiDispatcher` made here, on the GUI thread.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from studio.config import AppPaths, Settings, save_settings
from studio.jobs.runner import JobContext, JobHandle, JobRunner
from studio.sync.demo import DemoError
from studio.sync.engine import EngineStatus, SyncEngine, SyncEvent
from studio.sync.errors import ApiError, SignInError
from studio.sync.models import Account
from studio.sync.platform import REAL_API_BASE, secret_key
from studio.sync.vault import VaultError
from studio.ui.jobs import GuiDispatcher, Op, close_bounded

if TYPE_CHECKING:
    from studio.ui.editor.window.main_window import MainWindow

log = logging.getLogger(__name__)

SYNC_LANE = "sync"  # one worker: engine calls never race each other
SIGN_IN_LANE = "sync-signin"  # the sign-in waits for the browser; it must not hold up the rest
REFRESH_DEBOUNCE_MS = 150
SHUTDOWN_WAIT_S = 10.0
QUIET_S = 15.0  # after our own sign-out/deletion, the engine's notices would repeat what we say
PLATFORM_MODES = ("demo", "custom")


def start_failure_text(exc: BaseException) -> str:
    """What went wrong when the engine could not start, and what to do about it."""
    if isinstance(exc, DemoError):
        what = f"The local backend could not start: {exc}"
    elif isinstance(exc, VaultError):
        what = f"The secret store could not be opened: {exc}"
    else:
        what = f"Sync could not start: {exc}"
    return f"{what.rstrip('.')}; sync is off. Restart the app to try again."


def sign_in_failure_text(exc: BaseException) -> str:
    if isinstance(exc, (SignInError, ApiError)):
        return str(exc)
    return f"The sign-in failed: {exc}"


class SyncController(QObject):
    """Owns the running app's :class:`SyncEngine`; the status indicator and the Accounts dialog
    talk to it only through these methods and signals."""

    statusChanged = Signal(object)  # EngineStatus
    accountsChanged = Signal(list)  # list[Account]
    dataChanged = Signal(str)  # account id whose numbers changed
    message = Signal(str)  # a sentence for the status line
    signInFinished = Signal(object, str)  # (Account or None, "" or why it failed)

    def __init__(
        self,
        runner: JobRunner,
        paths: AppPaths,
        settings: Settings,
        *,
        engine: SyncEngine | None = None,
        engine_factory: Callable[[], SyncEngine] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner = runner
        self.paths = paths
        self.settings = settings
        self._engine_factory = engine_factory or (lambda: SyncEngine(paths))
        self._dispatcher = GuiDispatcher(self)  # made on the GUI thread: posts land there
        self.engine: SyncEngine = engine if engine is not None else self._engine_factory()
        self.status = EngineStatus("stopped", "Sync is not running", time.time())
        self.accounts: list[Account] = []
        self.started = False
        self.closed = False
        self.notice = ""  # the engine's standing remark on how this platform syncs
        self.signing_in = False
        self._sign_in_cancel: threading.Event | None = None
        self._refreshing = False
        self._refresh_again = False
        self._quiet: dict[str, float] = {}  # account id -> monotonic time its notices may show again
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DEBOUNCE_MS)
        self._refresh_timer.timeout.connect(self.refresh_accounts)
        self._listen(self.engine)

    @classmethod
    def for_window(cls, window: MainWindow, engine: SyncEngine | None = None) -> SyncController:
        return cls(window.runner, window.paths, window.settings, engine=engine, parent=window)

    # ------------------------------------------------------------------ engine events

    def _listen(self, engine: SyncEngine) -> None:
        engine.add_listener(lambda event: self._from_engine(engine, event))

    def _from_engine(self, engine: SyncEngine, event: SyncEvent) -> None:
        """On the engine thread: only hand the event over."""
        if self.closed:
            return
        try:
            self._dispatcher(lambda: self._on_event(engine, event))
        except RuntimeError:  # the dispatcher's C++ side is gone: the app is closing
            pass

    def _on_event(self, engine: SyncEngine, event: SyncEvent) -> None:
        if self.closed or engine is not self.engine:
            return  # an engine replaced by apply_platform still winding down
        if event.kind == "status" and event.status is not None:
            self._set_status(event.status)
        elif event.kind == "accounts":
            quiet = self._quiet.get(event.account_id or "", 0.0) > time.monotonic()
            if event.message and not quiet:
                self.message.emit(event.message)
            self._refresh_timer.start()
        elif event.kind == "data":
            if event.account_id:
                self.dataChanged.emit(event.account_id)
            self._refresh_timer.start()

    def _set_status(self, status: EngineStatus) -> None:
        self.status = status
        self.statusChanged.emit(status)

    # ------------------------------------------------------------------ running

    def _op(self, fn: Callable[[JobContext], Any], name: str, lane: str = SYNC_LANE) -> Op[Any]:
        return Op(self.runner, fn, name=name, lane=lane)

    @staticmethod
    def _run(op: Op[Any]) -> JobHandle[Any] | None:
        """Start ``op``; None once the window has shut its runner down (the app is closing)."""
        try:
            return op.run()
        except RuntimeError as exc:
            log.debug("not started: %s", exc)
            return None

    def start(self) -> JobHandle[EngineStatus] | None:
        """Open the engine (store, platform, maybe the local backend) and start its thread."""
        if self.closed:
            return None
        engine = self.engine
        self._set_status(EngineStatus("starting", "Starting the sync engine…", time.time()))

        def work(_ctx: JobContext) -> EngineStatus:
            engine.open()
            engine.start()
            return engine.status

        def started(status: EngineStatus) -> None:
            if engine is not self.engine or self.closed:
                return
            self.started = True
            self.notice = str(getattr(engine, "notice", "") or "")
            if self.status.state == "starting":
                self._set_status(status)
            else:  # the engine's own status came first: the notice still has to reach the views
                self.statusChanged.emit(self.status)
            self.refresh_accounts()

        def failed(exc: BaseException) -> None:
            if engine is not self.engine or self.closed:
                return
            log.warning("the sync engine did not start: %s", exc, exc_info=exc)
            text = start_failure_text(exc)
            self._set_status(EngineStatus("error", text, time.time()))
            self.message.emit(text)

        return self._run(self._op(work, "Start sync").success(started).failure(failed))

    def refresh_accounts(self) -> None:
        """Read the account list in a job; ``accountsChanged`` brings it (one read at a time)."""
        if self.closed:
            return
        if self._refreshing:
            self._refresh_again = True
            return
        self._refreshing = True
        engine = self.engine

        def done(accounts: list[Account] | None) -> None:
            self._refreshing = False
            if accounts is not None and engine is self.engine and not self.closed:
                self.accounts = list(accounts)
                self.accountsChanged.emit(self.accounts)
            if self._refresh_again:
                self._refresh_again = False
                self.refresh_accounts()

        def failed(exc: BaseException) -> None:
            log.warning("could not read the accounts: %s", exc)
            if engine is self.engine and not self.closed:
                self.message.emit(f"The accounts could not be read: {exc}")
            done(None)

        op = self._op(lambda _ctx: engine.accounts(), "Read accounts")
        if self._run(op.success(done).failure(failed).cancelled(lambda: done(None))) is None:
            self._refreshing = False

    def account(self, account_id: str) -> Account | None:
        """The last account list read (no store access)."""
        return next((a for a in self.accounts if a.id == account_id), None)

    def _label(self, account_id: str) -> str:
        account = self.account(account_id)
        return account.label if account is not None else "the account"

    # ------------------------------------------------------------------ account actions

    def sign_in(
        self, cancel: threading.Event, open_browser: Callable[[str], object] | None = None
    ) -> JobHandle[Account] | None:
        """The browser sign-in; setting ``cancel`` (or cancelling the job) stops the wait."""
        if self.closed or self.signing_in:
            return None
        engine = self.engine
        self.signing_in = True
        self._sign_in_cancel = cancel

        def finish(account: Account | None, problem: str) -> None:
            self.signing_in = False
            self._sign_in_cancel = None
            if account is not None:
                self.message.emit(f"Signed in {account.label}.")
                self.refresh_accounts()
            else:
                self.message.emit(problem)
            self.signInFinished.emit(account, problem)

        handle = self._run(
            self._op(lambda _ctx: engine.sign_in(open_browser, cancel=cancel), "Sign in", SIGN_IN_LANE)
            .success(lambda account: finish(account, ""))
            .failure(lambda exc: finish(None, sign_in_failure_text(exc)))
            .cancelled(lambda: finish(None, "The sign-in was cancelled."))
        )
        if handle is None:
            self.signing_in = False
            self._sign_in_cancel = None
            return None
        handle.cancel_event = cancel  # the jobs widget's Cancel stops the browser wait as well
        return handle

    def _account_op(
        self,
        account_id: str,
        name: str,
        call: Callable[[SyncEngine], Any],
        said: Callable[[Any], str],
        quiet: bool = False,
    ) -> JobHandle[Any] | None:
        if self.closed:
            return None
        engine = self.engine
        if quiet:
            self._quiet[account_id] = time.monotonic() + QUIET_S

        def done(result: Any) -> None:
            text = said(result)
            if text:
                self.message.emit(text)
            self.refresh_accounts()

        def failed(exc: BaseException) -> None:
            log.warning("%s failed: %s", name, exc)
            self.message.emit(f"{name} did not work: {exc}")
            self.refresh_accounts()

        return self._run(self._op(lambda _ctx: call(engine), name).success(done).failure(failed))

    def sign_out(self, account_id: str) -> JobHandle[Any] | None:
        label = self._label(account_id)
        return self._account_op(
            account_id,
            "Sign out",
            lambda engine: engine.sign_out(account_id),
            lambda problem: f"Signed out of {label}." + (f" {problem}" if problem else ""),
            quiet=True,
        )

    def delete_data(self, account_id: str) -> JobHandle[Any] | None:
        label = self._label(account_id)
        return self._account_op(
            account_id,
            "Delete account data",
            lambda engine: engine.delete_account_data(account_id),
            lambda problem: (
                f"Deleted everything kept for {label}: its posts, numbers history, cached pictures "
                "and sign-in." + (f" {problem}" if problem else "")
            ),
            quiet=True,
        )

    def set_active(self, account_id: str) -> JobHandle[Any] | None:
        label = self._label(account_id)
        return self._account_op(
            account_id,
            "Make active",
            lambda engine: engine.set_active(account_id),
            lambda _none: f"{label} is the active account.",
        )

    def sync_now(self, account_id: str | None = None) -> JobHandle[Any] | None:
        return self._account_op(
            account_id or "",
            "Sync now",
            lambda engine: engine.sync_now(account_id),
            lambda _none: "Syncing now…",
        )

    # ------------------------------------------------------------------ platform

    def platform_block(self) -> dict[str, Any]:
        """The ``platform`` settings block as it is in memory (demo when unset)."""
        doc = self.settings.extra.get("platform")
        block: dict[str, Any] = {
            "mode": "demo",
            "client_key": "",
            "redirect_port": 0,
            "api_base": REAL_API_BASE,
        }
        if isinstance(doc, dict):
            block.update({k: doc[k] for k in block if k in doc})
        return block

    def check_secret(self, client_key: str, then: Callable[[bool], None]) -> JobHandle[bool] | None:
        """Whether the vault holds a secret for ``client_key`` (read in a job; ``then`` gets it)."""
        if self.closed or not client_key.strip():
            return None
        engine = self.engine
        key = client_key.strip()
        return self._run(
            self._op(lambda _ctx: engine.vault.get(secret_key(key)) is not None, "Read vault")
            .success(then)
            .failure(lambda exc: log.info("could not read the vault: %s", exc))
        )

    def apply_platform(
        self, mode: str, client_key: str, client_secret: str, redirect_port: int, api_base: str
    ) -> JobHandle[None] | None:
        """Save the platform choice (the secret into the vault, never into settings), then
        restart the engine on it. An empty ``client_secret`` keeps the one already saved."""
        if self.closed:
            return None
        key, base = client_key.strip(), (api_base.strip() or REAL_API_BASE).rstrip("/")
        problem = None
        if mode not in PLATFORM_MODES:
            problem = f"Unknown platform mode '{mode}'."
        elif mode == "custom" and not key:
            problem = "Enter your app's client key."
        elif not 0 <= int(redirect_port) <= 65535:
            problem = "The redirect port must be between 0 and 65535."
        elif not base.startswith(("https://", "http://")):
            problem = "The API address must start with https://."
        if problem is not None:
            self.message.emit(problem)
            return None
        before = copy.deepcopy(self.settings.extra.get("platform"))
        block = {"mode": mode, "client_key": key, "redirect_port": int(redirect_port), "api_base": base}
        self.settings.extra["platform"] = block
        snapshot = copy.deepcopy(self.settings)
        old = self.engine
        secret = client_secret.strip()
        if self._sign_in_cancel is not None:
            self._sign_in_cancel.set()

        def work(_ctx: JobContext) -> None:
            save_settings(self.paths, snapshot)
            if secret and key:
                old.vault.put(secret_key(key), secret)
            old.close()

        def done(_none: None) -> None:
            if self.closed:
                return
            self.engine = self._engine_factory()
            self._listen(self.engine)
            self.started = False
            self.notice = ""
            self.accounts = []
            self.accountsChanged.emit([])
            where = "the demo (local backend)" if mode == "demo" else f"your app at {base}"
            self.message.emit(f"Platform saved: syncing with {where}.")
            self.start()

        def failed(exc: BaseException) -> None:
            if before is None:
                self.settings.extra.pop("platform", None)
            else:
                self.settings.extra["platform"] = before
            self.message.emit(f"The platform settings were not saved: {exc}")

        return self._run(self._op(work, "Apply platform").success(done).failure(failed))

    # ------------------------------------------------------------------ exit

    def shutdown(self, timeout: float = SHUTDOWN_WAIT_S) -> bool:
        """Stop the engine at exit: the GUI waits at most ``timeout`` s (the engine thread is a
        daemon; what is left is cut off with the process). True when it closed in time."""
        if self.closed:
            return True
        self.closed = True
        self._refresh_timer.stop()
        if self._sign_in_cancel is not None:
            self._sign_in_cancel.set()
        return close_bounded(self.engine.close, "sync engine", timeout)
