"""Access and refresh tokens: kept in the vault, refreshed ahead of expiry, one refresh at a time.

Rules (tiktok_api.md 1.4, publish_sync_anchors.md "Token refresh"):
- tokens live only in the vault (keyring or encrypted file), never in SQLite, settings or logs;
- a refresh happens ahead of expiry, under a per-account lock that also holds across processes
  (the app and ``creator-studio sync`` may run at once), and the token is re-read under the lock,
  so two racing callers make one refresh;
- the rotated refresh token is saved durably *before* the new access token is handed out;
- a dead refresh token marks the account "sign in again" once; after that no call goes out for
  it until the creator signs in again (never a refresh loop).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import filelock

from studio.sync.client import ApiClient, TokenRejected
from studio.sync.errors import NeedsSignIn, Offline, Retryable
from studio.sync.models import HEALTH_OK, HEALTH_SIGN_IN
from studio.sync.store import SyncStore
from studio.sync.vault import SecretVault, VaultError

log = logging.getLogger(__name__)
T = TypeVar("T")

REFRESH_AHEAD_S = 600.0
REFRESH_ATTEMPTS = 3
HEALTH_TTL_S = 1.0


@dataclass(frozen=True)
class TokenSet:
    open_id: str
    scopes: tuple[str, ...]
    access_token: str
    access_expires_at: float
    refresh_token: str
    refresh_expires_at: float
    lifetime_s: float

    def __repr__(self) -> str:
        return f"TokenSet(open_id={self.open_id!r}, access_expires_at={self.access_expires_at:.0f})"

    @classmethod
    def from_answer(cls, answer: dict[str, Any], now: float) -> TokenSet:
        refresh_in = answer["refresh_expires_in"] or 365 * 86_400
        return cls(
            open_id=answer["open_id"],
            scopes=tuple(s for s in answer["scope"].split(",") if s),
            access_token=answer["access_token"],
            access_expires_at=now + answer["expires_in"],
            refresh_token=answer["refresh_token"],
            refresh_expires_at=now + refresh_in,
            lifetime_s=float(answer["expires_in"]),
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "o": self.open_id,
                "s": ",".join(self.scopes),
                "a": self.access_token,
                "ae": round(self.access_expires_at),
                "r": self.refresh_token,
                "re": round(self.refresh_expires_at),
                "l": round(self.lifetime_s),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> TokenSet:
        d = json.loads(text)
        return cls(
            d["o"],
            tuple(s for s in d["s"].split(",") if s),
            d["a"],
            float(d["ae"]),
            d["r"],
            float(d["re"]),
            float(d.get("l", 86_400)),
        )

    def needs_refresh(self, now: float) -> bool:
        ahead = min(REFRESH_AHEAD_S, self.lifetime_s * 0.1)
        return self.access_expires_at - now <= ahead


def vault_key(account_id: str) -> str:
    return f"tokens:{account_id}"


class TokenManager:
    """Hands out valid access tokens for accounts; see the module doc for the rules."""

    def __init__(
        self,
        vault: SecretVault,
        store: SyncStore,
        client: ApiClient,
        clock: Callable[[], float],
        lock_dir: Path,
        on_health: Callable[[str, str, str], None] | None = None,
    ) -> None:
        self.vault = vault
        self.store = store
        self.client = client
        self.clock = clock
        self.lock_dir = lock_dir
        self.on_health = on_health or (lambda account_id, health, reason: None)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.refreshes = 0  # successful refreshes by this manager (for tests and the bench)
        self._cache: dict[str, TokenSet] = {}  # decrypted tokens; the vault stays the truth
        self._health: dict[str, tuple[float, str, str]] = {}  # account -> (read at, health, text)

    def _lock(self, account_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(account_id, threading.Lock())

    def _file_lock(self, account_id: str) -> filelock.FileLock:
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        return filelock.FileLock(str(self.lock_dir / f"{account_id}.lock"), timeout=60)

    def load(self, account_id: str, *, cached: bool = False) -> TokenSet | None:
        """The account's tokens from the vault (``cached``: the last ones this manager saw)."""
        if cached and account_id in self._cache:
            return self._cache[account_id]
        try:
            text = self.vault.get(vault_key(account_id))
        except VaultError as exc:
            raise self._dead(account_id, str(exc)) from None
        if text is None:
            self._cache.pop(account_id, None)
            return None
        try:
            tokens = TokenSet.from_json(text)
        except (ValueError, KeyError, TypeError):
            log.warning("the stored sign-in of account %s is unreadable; it must sign in again", account_id)
            return None
        self._cache[account_id] = tokens
        return tokens

    def save(self, account_id: str, tokens: TokenSet) -> None:
        self._health.pop(account_id, None)
        self.vault.put(vault_key(account_id), tokens.to_json())
        self._cache[account_id] = tokens

    def forget(self, account_id: str) -> None:
        self._cache.pop(account_id, None)
        self._health.pop(account_id, None)
        self.vault.delete(vault_key(account_id))

    def _account_health(self, account_id: str) -> tuple[str, str]:
        """The account's health, read at most once a second (every request asks)."""
        now = time.monotonic()
        seen = self._health.get(account_id)
        if seen is not None and now - seen[0] < HEALTH_TTL_S:
            return seen[1], seen[2]
        account = self.store.account(account_id)
        if account is None:
            result = ("unknown_account", "This account is no longer signed in.")
        else:
            result = (account.health, account.health_text())
        self._health[account_id] = (now, *result)
        return result

    def _dead(self, account_id: str, reason: str) -> NeedsSignIn:
        self._health.pop(account_id, None)
        if self.store.set_health(account_id, HEALTH_SIGN_IN, reason):
            log.info("account %s needs to sign in again: %s", account_id, reason)
            self.on_health(account_id, HEALTH_SIGN_IN, reason)
        return NeedsSignIn(f"{reason} Sign in again in Settings > Accounts.", code="sign_in_again")

    def access_token(self, account_id: str, *, rejected: str | None = None) -> str:
        """A valid access token. ``rejected`` is one the API just refused: refresh past it."""
        health, text = self._account_health(account_id)
        if health != HEALTH_OK:
            raise NeedsSignIn(text, code=health)
        tokens = self.load(account_id, cached=True)
        if tokens is None:
            raise self._dead(account_id, "The saved sign-in is missing.")
        if not tokens.needs_refresh(self.clock()) and tokens.access_token != rejected:
            return tokens.access_token
        with self._lock(account_id), self._file_lock(account_id):
            tokens = self.load(account_id)  # another thread or process may have refreshed already
            if tokens is None:
                raise self._dead(account_id, "The saved sign-in is missing.")
            now = self.clock()
            if not tokens.needs_refresh(now) and tokens.access_token != rejected:
                return tokens.access_token
            if tokens.refresh_expires_at <= now:
                raise self._dead(account_id, "The sign-in expired.")
            return self._refresh(account_id, tokens)

    def _refresh(self, account_id: str, tokens: TokenSet) -> str:
        last: Retryable | None = None
        for attempt in range(REFRESH_ATTEMPTS):
            try:
                answer = self.client.refresh(tokens.refresh_token)
            except NeedsSignIn:
                raise self._dead(account_id, "The platform no longer accepts this sign-in.") from None
            except Offline:
                raise
            except Retryable as exc:
                # 5xx or a lost answer: trying the same refresh token again is safe; if the server
                # had rotated it, the answer is invalid_grant and we ask to sign in (no loop).
                last = exc
                if self.client.cancel.wait(0.2 * 2**attempt):
                    break
                continue
            fresh = TokenSet.from_answer(answer, self.clock())
            if fresh.open_id != tokens.open_id:
                raise self._dead(account_id, "The platform answered for a different account.")
            self.save(account_id, fresh)  # durable before the new access token is used
            self.refreshes += 1
            scopes = ",".join(fresh.scopes)
            if fresh.scopes and fresh.scopes != tokens.scopes:
                self.store.update_account(account_id, scopes=scopes)
            return fresh.access_token
        assert last is not None
        raise last

    def call(self, account_id: str, fn: Callable[[str], T]) -> T:
        """``fn(access_token)``; a 401 ``access_token_invalid`` refreshes once and retries once."""
        token = self.access_token(account_id)
        try:
            return fn(token)
        except TokenRejected:
            token = self.access_token(account_id, rejected=token)
        try:
            return fn(token)
        except TokenRejected:
            raise self._dead(account_id, "The platform refused a freshly refreshed sign-in.") from None

    def revoke(self, account_id: str) -> str | None:
        """Revoke at the platform (best effort) and forget the tokens. Returns a problem or None."""
        tokens = self.load(account_id)
        problem = None
        if tokens is not None:
            try:
                self.client.revoke(tokens.access_token)
            except Exception as exc:  # the local sign-out still happens; say so
                problem = f"The platform could not be told ({exc}); remove the app in TikTok's settings too."
        self.forget(account_id)
        return problem
