"""Sign-in: authorization code + PKCE through the system browser and a loopback listener.

The platform's PKCE is its own: ``code_challenge`` is the *hex* SHA-256 of the verifier
(tiktok_api.md 1.2), not RFC 7636's base64url. The listener binds 127.0.0.1 on a random port
(or the app's registered one), accepts exactly one callback on ``/callback/`` whose ``state``
matches, answers the browser with a short "you can close this tab" page and hands the code to
the caller. Timeout, cancel and a denied consent end the wait with a :class:`SignInError`.
"""

from __future__ import annotations

import hashlib
import html
import secrets
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from studio.sync.errors import SignInError
from studio.sync.platform import REDIRECT_PATH, PlatformConfig

VERIFIER_CHARS = string.ascii_letters + string.digits + "-._~"
SIGN_IN_TIMEOUT_S = 300.0


def make_verifier(length: int = 64) -> str:
    if not 43 <= length <= 128:
        raise ValueError("a PKCE verifier has 43-128 characters")
    return "".join(secrets.choice(VERIFIER_CHARS) for _ in range(length))


def challenge(verifier: str) -> str:
    """The platform's S256: lowercase hex of SHA-256 (64 characters)."""
    return hashlib.sha256(verifier.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Callback:
    code: str
    scopes: tuple[str, ...]


def _page(title: str, text: str) -> bytes:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;max-width:30rem;"
        "margin:4rem auto;text-align:center}</style></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    ).encode()


class LoopbackListener:
    """One-shot HTTP listener on 127.0.0.1 for the OAuth redirect."""

    def __init__(self, expected_state: str, port: int = 0, path: str = REDIRECT_PATH) -> None:
        self.expected_state = expected_state
        self.path = path
        self._done = threading.Event()
        self._result: Callback | None = None
        self._error: SignInError | None = None
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                listener._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        try:
            self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        except OSError as exc:
            raise SignInError(
                f"Cannot listen for the sign-in on 127.0.0.1:{port} ({exc.strerror or exc}); "
                "close the program using that port or choose another redirect port.",
                reason="port",
            ) from None
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="signin-loopback", daemon=True
        )

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def start(self) -> LoopbackListener:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _reply(self, handler: BaseHTTPRequestHandler, status: int, title: str, text: str) -> None:
        body = _page(title, text)
        handler.send_response(status)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Cache-Control", "no-store")
        handler.end_headers()
        handler.wfile.write(body)

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        if parts.path != self.path:
            self._reply(handler, 404, "Not found", "This address is only for signing in to Creator Studio.")
            return
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if self._done.is_set():
            self._reply(handler, 409, "Already done", "This sign-in is finished; you can close this tab.")
            return
        if not secrets.compare_digest(query.get("state", ""), self.expected_state):
            # A stray or forged callback: ignore it and keep waiting for the real one.
            self._reply(
                handler,
                400,
                "Sign-in not recognised",
                "This sign-in link does not belong to the current attempt.",
            )
            return
        error = query.get("error")
        if error:
            denied = error == "access_denied"
            message = (
                "You did not allow Creator Studio to access the account."
                if denied
                else f"The platform refused the sign-in: {query.get('error_description') or error}."
            )
            self._error = SignInError(message, reason="denied" if denied else "refused")
            self._reply(handler, 200, "Sign-in cancelled", message + " You can close this tab.")
        elif not query.get("code"):
            self._error = SignInError("The platform's answer had no authorization code.", reason="refused")
            self._reply(
                handler, 400, "Sign-in failed", "The answer had no code. Try again from Creator Studio."
            )
        else:
            scopes = tuple(s for s in query.get("scopes", "").split(",") if s)
            self._result = Callback(query["code"], scopes)
            self._reply(handler, 200, "Signed in", "You can close this tab and go back to Creator Studio.")
        self._done.set()

    def wait(self, timeout: float, cancel: threading.Event | _Either | None = None) -> Callback:
        deadline = time.monotonic() + timeout
        while not self._done.wait(0.1):
            if cancel is not None and cancel.is_set():
                raise SignInError("The sign-in was cancelled.", reason="cancelled")
            if time.monotonic() > deadline:
                raise SignInError(
                    f"No answer from the browser within {timeout:.0f} s; the sign-in was stopped. Try again.",
                    reason="timeout",
                )
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


def authorize_url(
    config: PlatformConfig, redirect_uri: str, state: str, code_challenge: str, **extra: str
) -> str:
    params = {
        "client_key": config.client_key,
        "scope": ",".join(config.scopes),
        "redirect_uri": redirect_uri,
        "state": state,
        "response_type": "code",
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return f"{config.authorize_url}?{urlencode(params)}"


class _Either:
    """Looks like a threading.Event that is set when either of two events is."""

    def __init__(self, a: threading.Event | None, b: threading.Event) -> None:
        self.a, self.b = a, b

    def is_set(self) -> bool:
        return self.b.is_set() or (self.a is not None and self.a.is_set())


@dataclass(frozen=True)
class Authorization:
    code: str
    scopes: tuple[str, ...]
    redirect_uri: str
    verifier: str


def authorize(
    config: PlatformConfig,
    open_browser: Callable[[str], object],
    *,
    timeout: float = SIGN_IN_TIMEOUT_S,
    cancel: threading.Event | None = None,
    extra: dict[str, str] | None = None,
) -> Authorization:
    """Open the consent page and wait for the redirect. ``open_browser(url)`` may run in a thread."""
    verifier = make_verifier()
    state = secrets.token_urlsafe(24)
    listener = LoopbackListener(state, port=config.redirect_port).start()
    try:
        url = authorize_url(config, listener.redirect_uri, state, challenge(verifier), **(extra or {}))
        failed: list[BaseException] = []
        stop = threading.Event()

        def open_it() -> None:
            try:
                open_browser(url)
            except BaseException as exc:  # a browser that cannot start ends the wait at once
                failed.append(exc)
                stop.set()

        opener = threading.Thread(target=open_it, name="signin-browser", daemon=True)
        opener.start()
        watch = _Either(cancel, stop)
        try:
            callback = listener.wait(timeout, watch)
        except SignInError as exc:
            if failed:
                raise SignInError(
                    f"The browser could not be opened ({type(failed[0]).__name__}: {failed[0]}).",
                    reason="browser",
                ) from None
            raise exc from None
    finally:
        listener.close()
    return Authorization(callback.code, callback.scopes, listener.redirect_uri, verifier)
