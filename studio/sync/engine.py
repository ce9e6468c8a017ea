"""The sync engine: a background thread that keeps every account's numbers current.

It owns the store, the vault, the API client and the token manager for one profile, decides
when each account is due (schedule.py; platform time, which the demo's stand-in runs fast),
runs :class:`~studio.sync.cycle.AccountPass` for it, and tells listeners what changed. With no
account of its own configured it starts the local stand-in (demo.py), signs in to its demo
creator through the same loopback OAuth code a real sign-in uses, and registers the webhook
receiver. Offline pauses it ("offline since …"); it probes with a growing pause and resumes by
itself. Listeners are called on the engine's thread: the Qt side re-posts them (job bridge).
"""

from __future__ import annotations

import logging
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from studio.config import AppPaths, load_settings
from studio.sync.client import ApiClient
from studio.sync.cycle import AccountPass, PassReport
from studio.sync.demo import DEMO_CLOCK_SPEED, DemoBackend, DemoError
from studio.sync.errors import ApiError, NeedsSignIn, Offline, Retryable, SignInError
from studio.sync.models import HEALTH_OK, HEALTH_SIGN_IN, HEALTH_SIGNED_OUT, Account, ago
from studio.sync.platform import PlatformConfig, custom_config, custom_settings, secret_key
from studio.sync.schedule import ACCOUNT_EVERY
from studio.sync.signin import SIGN_IN_TIMEOUT_S, authorize
from studio.sync.store import SyncStore
from studio.sync.tokens import TokenManager, TokenSet
from studio.sync.vault import SecretVault, open_vault

log = logging.getLogger(__name__)

MIN_WAIT_S = 5.0
MAX_WAIT_S = 900.0
OFFLINE_BACKOFF_S = (5.0, 10.0, 20.0, 40.0, 60.0)
REMOVAL_REASONS = {
    0: "The platform removed Creator Studio's access.",
    1: "You disconnected Creator Studio in the TikTok app.",
    2: "The TikTok account was deleted.",
    3: "The account's age settings changed.",
    4: "The TikTok account was banned.",
    5: "Creator Studio's access was revoked.",
}


@dataclass(frozen=True)
class EngineStatus:
    state: str  # starting | syncing | synced | offline | sign_in_again | no_account | error | stopped
    message: str
    since: float
    last_sync_at: float | None = None
    offline_since: float | None = None

    def text(self, now: float | None = None) -> str:
        if self.state == "synced" and self.last_sync_at is not None:
            return f"Synced {ago(self.last_sync_at, now)}"
        if self.state == "offline" and self.offline_since is not None:
            return f"Offline since {time.strftime('%H:%M', time.localtime(self.offline_since))}"
        return self.message


@dataclass(frozen=True)
class SyncEvent:
    kind: str  # status | accounts | data
    account_id: str | None = None
    status: EngineStatus | None = None
    message: str = ""


class PlatformClock:
    """Platform time: the wall clock, or the stand-in's (possibly fast) simulated clock."""

    def __init__(self) -> None:
        self._sim = 0.0
        self._real = 0.0
        self.speed = 1.0
        self.simulated = False

    def set(self, sim: float, speed: float) -> None:
        self._sim, self._real, self.speed, self.simulated = sim, time.time(), speed, True

    def now(self) -> float:
        if not self.simulated:
            return time.time()
        return self._sim + (time.time() - self._real) * self.speed


class SyncEngine:
    def __init__(
        self,
        paths: AppPaths,
        *,
        platform: PlatformConfig | None = None,
        vault: SecretVault | None = None,
        clock_speed: float | None = None,
        webhooks: bool = True,
        open_browser: Callable[[str], object] | None = None,
    ) -> None:
        self.paths = paths
        self._explicit_platform = platform
        self._vault = vault
        self.clock_speed = clock_speed
        self.use_webhooks = webhooks
        self.open_browser = open_browser or webbrowser.open
        self.clock = PlatformClock()
        self.platform: PlatformConfig | None = None
        self.store: SyncStore | None = None
        self.client: ApiClient | None = None
        self.tokens: TokenManager | None = None
        self.demo: DemoBackend | None = None
        self.receiver: object | None = None
        self._listeners: list[Callable[[SyncEvent], None]] = []
        self._webhook_listeners: list[Callable[[object], None]] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._opened = False
        self._open_lock = threading.Lock()
        self._due: dict[str, float] = {}  # account id -> platform time of its next pass
        self._offline_since: float | None = None
        self._offline_tries = 0
        self.last_sync_at: float | None = None
        self._status = EngineStatus("starting", "Starting the sync engine…", time.time())
        self.notice = ""  # a standing remark about how this platform is synced (shown by the UI)

    # -- listeners ---------------------------------------------------------------------------

    def add_listener(self, fn: Callable[[SyncEvent], None]) -> None:
        self._listeners.append(fn)

    def add_webhook_listener(self, fn: Callable[[object], None]) -> None:
        """Called with every new verified webhook event (the publish queue listens here)."""
        self._webhook_listeners.append(fn)

    def remove_webhook_listener(self, fn: Callable[[object], None]) -> None:
        if fn in self._webhook_listeners:
            self._webhook_listeners.remove(fn)

    def _emit(self, event: SyncEvent) -> None:
        for fn in list(self._listeners):
            try:
                fn(event)
            except Exception:
                log.exception("a sync listener failed")

    @property
    def status(self) -> EngineStatus:
        return self._status

    def _set_status(self, state: str, message: str) -> None:
        old = self._status
        since = old.since if old.state == state else time.time()
        self._status = EngineStatus(state, message, since, self.last_sync_at, self._offline_since)
        if (old.state, old.message, old.last_sync_at) != (state, message, self.last_sync_at):
            self._emit(SyncEvent("status", status=self._status))

    # -- set-up ------------------------------------------------------------------------------

    @property
    def vault(self) -> SecretVault:
        if self._vault is None:
            self._vault = open_vault(self.paths)
        return self._vault

    def open(self) -> None:
        """Store, platform (starting the demo backend when needed), client, tokens, webhooks.
        Blocking: call it from a worker thread or the CLI. Idempotent."""
        with self._open_lock:
            if self._opened:
                return
            self.paths.ensure()
            self.store = self.store or SyncStore(self.paths.data / "sync" / "sync.sqlite3")
            self.platform = self._explicit_platform or self._configured_platform()
            if self.platform is None:
                self.demo = DemoBackend(self.paths.data / "backend", self.clock_speed or DEMO_CLOCK_SPEED)
                self.platform = self.demo.start()
                self._sync_clock(initial=True)
            elif self.platform.stand_in:
                self._sync_clock(initial=True)
            self.client = ApiClient(self.platform)
            self.tokens = TokenManager(
                self.vault,
                self.store,
                self.client,
                self.clock.now,
                self.paths.data / "sync" / "locks",
                on_health=self._health_changed,
            )
            self._opened = True
        if self.platform.stand_in and self.use_webhooks and not (self.demo is not None and self.demo.reused):
            # a reused demo backend keeps sending to the engine that started it (one URL per app)
            self._start_webhooks()
        elif not self.platform.stand_in:
            self.notice = (
                f"{self.platform.name} sends webhooks only to a public address, which a desktop app does "
                "not have: Creator Studio checks for changes on a schedule instead."
            )
        if self.demo is not None and not self.store.accounts(self.platform.key):
            self.sign_in_demo()

    def _configured_platform(self) -> PlatformConfig | None:
        doc = custom_settings(load_settings(self.paths).extra.get("platform"))
        if doc is None:
            return None
        secret = self.vault.get(secret_key(str(doc["client_key"]).strip())) or ""
        return custom_config(doc, secret)

    def _sync_clock(self, initial: bool = False) -> None:
        """Read the stand-in's clock; never let platform time run backwards across restarts."""
        assert self.platform is not None and self.store is not None
        base = self.platform.api_base
        http = self.client.http if self.client is not None else httpx.Client(timeout=5.0, trust_env=False)
        try:
            doc = http.get(base + "/_stub/clock", timeout=5.0).json()
            sim, speed = float(doc["now"]), float(doc["speed"])
            seen = float(self.store.meta("platform_time_max") or 0.0)
            if initial and sim < seen:
                http.post(base + "/_stub/clock", json={"set_time": seen}, timeout=5.0)
                sim = seen
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return
        finally:
            if self.client is None:
                http.close()
        self.clock.set(sim, speed)

    def _start_webhooks(self) -> None:
        from studio.sync.webhooks import WebhookReceiver, register_with_stand_in

        assert self.platform is not None and self.store is not None
        store = self.store
        receiver = WebhookReceiver(
            lambda: self.platform.client_secret if self.platform else None,
            self._on_webhook,
            remember=lambda e: store.remember_webhook(e.event_id, e.event, e.user_openid, e.create_time),
            replay_status=200,  # the stand-in's duplicate may repeat the same signature: ack, never handle
        ).start()
        self.receiver = receiver
        try:
            with httpx.Client(timeout=10.0, trust_env=False) as http:
                register_with_stand_in(http, self.platform.api_base, receiver.url, self.platform.client_key)
        except (httpx.HTTPError, RuntimeError) as exc:
            log.warning("webhooks not registered (%s); polling only", exc)

    def _rewire_webhooks(self) -> None:
        """After the demo backend was started again: our receiver's URL goes to the new one."""
        from studio.sync.webhooks import register_with_stand_in

        if self.receiver is None:
            self._start_webhooks()
            return
        assert self.platform is not None
        try:
            with httpx.Client(timeout=10.0, trust_env=False) as http:
                register_with_stand_in(
                    http,
                    self.platform.api_base,
                    self.receiver.url,
                    self.platform.client_key,  # type: ignore[attr-defined]
                )
        except (httpx.HTTPError, RuntimeError) as exc:
            log.warning("webhooks not registered again (%s); polling only", exc)

    def close(self) -> None:
        self.stop()
        receiver, self.receiver = self.receiver, None
        if receiver is not None:
            receiver.stop()  # type: ignore[attr-defined]
        if self.client is not None:
            self.client.close()
        if self.demo is not None:
            self.demo.stop()
        if self.store is not None:
            self.store.close()
            self.store = None
        self._opened = False

    # -- accounts ----------------------------------------------------------------------------

    def accounts(self) -> list[Account]:
        self.open()
        assert self.store is not None and self.platform is not None
        return self.store.accounts(self.platform.key, numbers=True)

    def sign_in(
        self,
        open_browser: Callable[[str], object] | None = None,
        *,
        cancel: threading.Event | None = None,
        timeout: float = SIGN_IN_TIMEOUT_S,
        extra: dict[str, str] | None = None,
    ) -> Account:
        """The full sign-in: consent in the browser, loopback redirect, code exchange, vault."""
        self.open()
        assert self.platform is not None and self.client is not None and self.store is not None
        assert self.tokens is not None
        if not self.platform.client_secret:
            raise SignInError(
                "The app's client secret is missing; enter it in Settings > Accounts.", reason="config"
            )
        auth = authorize(
            self.platform, open_browser or self.open_browser, timeout=timeout, cancel=cancel, extra=extra
        )
        answer = self.client.exchange_code(auth.code, auth.redirect_uri, auth.verifier)
        tokens = TokenSet.from_answer(answer, self.clock.now())
        account = self.store.save_sign_in(
            platform_key=self.platform.key,
            platform_name=self.platform.name,
            stand_in=self.platform.stand_in,
            open_id=tokens.open_id,
            scopes=tokens.scopes or auth.scopes,
            signed_in_at=self.clock.now(),
        )
        self.tokens.save(account.id, tokens)
        self._due[account.id] = 0.0
        log.info("signed in account %s (%s)", account.id, ",".join(tokens.scopes))
        self._emit(SyncEvent("accounts", account.id, message=f"Signed in to {account.label}"))
        self.sync_now()
        return self.store.account(account.id, numbers=True) or account

    def sign_in_demo(self) -> Account:
        """The demo creator, through the same code path; the 'browser' is an HTTP client that
        follows the stand-in's auto-approve redirect to our loopback listener."""

        def browse(url: str) -> None:
            with httpx.Client(timeout=30.0, trust_env=False, follow_redirects=True) as http:
                http.get(url)

        return self.sign_in(browse, timeout=60.0)

    def sign_out(self, account_id: str) -> str | None:
        """Revoke at the platform and forget the tokens; the account's history stays."""
        self.open()
        assert self.tokens is not None and self.store is not None
        # first: the revoke's own authorization.removed webhook must find the account signed out
        self.store.set_health(account_id, HEALTH_SIGNED_OUT, "")
        problem = self.tokens.revoke(account_id)
        self._emit(SyncEvent("accounts", account_id, message="Signed out"))
        return problem

    def delete_account_data(self, account_id: str) -> str | None:
        """Revoke, then remove every row, snapshot, cached file and lock of the account."""
        self.open()
        assert self.tokens is not None and self.store is not None
        account = self.store.account(account_id)
        self.store.set_health(account_id, HEALTH_SIGNED_OUT, "")
        problem = self.tokens.revoke(account_id)
        self.store.delete_account(account_id)
        if account is not None and account.avatar_file:
            Path(account.avatar_file).unlink(missing_ok=True)
        (self.paths.cache / "avatars" / f"{account_id}.jpg").unlink(missing_ok=True)
        (self.paths.data / "sync" / "locks" / f"{account_id}.lock").unlink(missing_ok=True)
        self._due.pop(account_id, None)
        self._emit(SyncEvent("accounts", account_id, message="Deleted"))
        return problem

    def set_active(self, account_id: str) -> None:
        self.open()
        assert self.store is not None
        self.store.set_active(account_id)
        self._emit(SyncEvent("accounts", account_id))

    def _health_changed(self, account_id: str, health: str, reason: str) -> None:
        self._emit(SyncEvent("accounts", account_id, message=reason))

    # -- webhooks ----------------------------------------------------------------------------

    def _on_webhook(self, event: object) -> None:
        from studio.sync.webhooks import WebhookEvent

        assert isinstance(event, WebhookEvent)
        store, platform = self.store, self.platform
        if store is None or platform is None:
            return
        matches = [a for a in store.accounts(platform.key) if a.open_id == event.user_openid]
        if event.event == "authorization.removed":
            for account in matches:
                # deliveries come out of order: a removal from before the latest sign-in is old news
                if event.create_time + 1 < account.signed_in_at or account.health != HEALTH_OK:
                    continue
                reason = REMOVAL_REASONS.get(int(event.content.get("reason", 0) or 0), REMOVAL_REASONS[0])
                if store.set_health(account.id, HEALTH_SIGN_IN, reason):
                    assert self.tokens is not None
                    self.tokens.forget(account.id)
                    self._emit(SyncEvent("accounts", account.id, message=reason))
        elif event.event.startswith("post.publish.") or event.event.startswith("video."):
            for account in matches:
                self._due[account.id] = 0.0
            self._wake.set()
        for fn in list(self._webhook_listeners):
            try:
                fn(event)
            except Exception:
                log.exception("a webhook listener failed")
        store.webhook_handled(event.event_id)

    # -- syncing -----------------------------------------------------------------------------

    def sync_now(self, account_id: str | None = None) -> None:
        for key in [account_id] if account_id else list(self._due):
            self._due[key] = 0.0
        self._offline_tries = 0
        self._wake.set()

    def run_pass(self, account: Account, *, full: bool = False) -> PassReport:
        assert self.client is not None and self.tokens is not None and self.store is not None
        if self.clock.simulated:
            self._sync_clock()
        cache = self.paths.cache
        report = AccountPass(account, self.client, self.tokens, self.store, self.clock.now, cache, full).run()
        self.store.set_meta("platform_time_max", repr(self.clock.now()))
        return report

    def run_once(self, account: str | None = None) -> list[tuple[Account, PassReport | ApiError]]:
        """One pass for every usable account (or the one named); for ``sync --once``."""
        self.open()
        assert self.store is not None and self.platform is not None
        chosen = self.store.accounts(self.platform.key)
        if account is not None:
            found = {a.id for a in self.store.find(account)}
            chosen = [a for a in chosen if a.id in found]
        results: list[tuple[Account, PassReport | ApiError]] = []
        for acc in chosen:
            if acc.health != HEALTH_OK:
                results.append((acc, NeedsSignIn(acc.health_text())))
                continue
            results.append((acc, self._pass_with_retries(acc)))
        return results

    def _pass_with_retries(self, account: Account, tries: int = 3) -> PassReport | ApiError:
        """A pass that failed on a temporary error is run again: it is idempotent, and what the
        first try wrote stays (``--once`` should finish through a flaky network)."""
        assert self.store is not None
        for attempt in range(tries):
            try:
                return self._pass(self.store.account(account.id) or account)
            except Offline as exc:
                return exc
            except Retryable as exc:
                if attempt == tries - 1 or self._stop.wait(1.0 * 2**attempt):
                    return exc
            except ApiError as exc:
                return exc
        raise AssertionError("unreachable")

    def _pass(self, account: Account) -> PassReport:
        assert self.store is not None
        try:
            report = self.run_pass(account)
        except ApiError as exc:
            self.store.update_account(account.id, last_error=str(exc))
            raise
        self.last_sync_at = time.time()
        self.store.update_account(account.id, last_sync_at=self.last_sync_at, last_error="")
        return report

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sync-engine", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._wake.set()
        if self.client is not None:
            self.client.cancel.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._thread = None
        if self.client is not None:
            self.client.cancel.clear()
        self._set_status("stopped", "Sync stopped")

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.open()
                break
            except (DemoError, Offline, Retryable, SignInError, OSError) as exc:
                self._went_offline(f"Cannot start syncing: {exc}")
                if self._stop.wait(self._offline_wait()):
                    return
            except Exception as exc:
                log.exception("the sync engine could not start")
                self._set_status("error", f"Sync could not start: {exc}")
                if self._stop.wait(60.0):
                    return
        while not self._stop.is_set():
            self._wake.clear()
            try:
                wait = self._tick()
            except Exception as exc:  # a full disk, a damaged file: say so, keep the thread alive
                log.exception("the sync engine hit a problem")
                self._set_status("error", f"Sync hit a problem ({exc}); it tries again in a minute.")
                wait = 60.0
            self._wake.wait(wait)

    def _offline_wait(self) -> float:
        wait = OFFLINE_BACKOFF_S[min(self._offline_tries, len(OFFLINE_BACKOFF_S) - 1)]
        self._offline_tries += 1
        return wait

    def _went_offline(self, message: str) -> None:
        if self._offline_since is None:
            self._offline_since = time.time()
            log.info("sync offline: %s", message)
        self._set_status("offline", message)

    def _tick(self) -> float:
        """Run every due pass; return the real seconds to sleep."""
        assert self.store is not None and self.platform is not None
        if self.demo is not None and not self.demo.alive():
            try:
                self.platform = self.demo.start()
                assert self.client is not None
                self.client.config = self.platform  # a new port (and the same app)
                self._sync_clock(initial=True)
                if self.use_webhooks and not self.demo.reused:
                    self._rewire_webhooks()
            except DemoError as exc:
                self._went_offline(str(exc))
                return self._offline_wait()
        accounts = [a for a in self.store.accounts(self.platform.key) if a.health == HEALTH_OK]
        if not accounts:
            signed = self.store.accounts(self.platform.key)
            if any(a.health == HEALTH_SIGN_IN for a in signed):
                self._set_status("sign_in_again", "Sign in again")
            else:
                self._set_status("no_account", "No account signed in")
            return MAX_WAIT_S
        now = self.clock.now()
        for account in accounts:
            if self._stop.is_set():
                break
            if self._due.get(account.id, 0.0) > now:
                continue
            self._set_status("syncing", f"Syncing {account.label}…")
            try:
                report = self._pass(account)
            except Offline as exc:
                self._went_offline(str(exc))
                return self._offline_wait()
            except NeedsSignIn:
                continue
            except Retryable as exc:
                log.info("sync of %s will be retried: %s", account.id, exc)
                self._due[account.id] = self.clock.now() + 60.0 * self.clock.speed
                continue
            except ApiError as exc:
                log.warning("sync of %s failed: %s", account.id, exc)
                self._due[account.id] = self.clock.now() + ACCOUNT_EVERY
                continue
            self._offline_since = None
            self._offline_tries = 0
            self._due[account.id] = self.clock.now() + ACCOUNT_EVERY
            if report.snapshots or report.daily_rows or report.new_posts:
                self._emit(SyncEvent("data", account.id, message=report.summary()))
        fresh = self.store.accounts(self.platform.key)
        if any(a.health == HEALTH_SIGN_IN for a in fresh) and not any(a.health == HEALTH_OK for a in fresh):
            self._set_status("sign_in_again", "Sign in again")
        elif self._offline_since is None:
            self._set_status("synced", "Synced")
        now = self.clock.now()
        nxt = min((self._due.get(a.id, now) for a in accounts), default=now + ACCOUNT_EVERY)
        return max(MIN_WAIT_S, min(MAX_WAIT_S, (nxt - now) / max(self.clock.speed, 1e-6)))
