"""Run the stand-in under uvicorn on a loopback port, in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from .clock import SimClock
from .seed import PRIVATE_USERNAME, PUBLIC_USERNAME
from .settings import StubSettings
from .state import StubState

HOST = "127.0.0.1"


class StubServer:
    """Embeddable stand-in: ``with StubServer(tmp) as s: httpx.get(s.base_url + ...)``.

    ``clock`` is a :class:`SimClock`, or an epoch start time (the clock then runs at ``clock_speed``).
    """

    def __init__(
        self,
        data_dir: str | Path,
        port: int = 0,
        seed: int = 1,
        auto_approve: bool = False,
        clock: SimClock | float | None = None,
        clock_speed: float = 1.0,
        settings: StubSettings | None = None,
        resume_paused: bool = False,
    ) -> None:
        if isinstance(clock, (int, float)):
            clock = SimClock(start=float(clock), speed=clock_speed)
        self.settings = settings or StubSettings()
        self.settings.auto_approve = auto_approve or self.settings.auto_approve
        self.state = StubState(
            Path(data_dir), seed=seed, clock=clock, settings=self.settings, resume_paused=resume_paused
        )
        self.port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._app: Any = None

    @property
    def app(self) -> Any:
        if self._app is None:
            from .app import create_app

            self._app = create_app(self.state)
        return self._app

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def demo_client_key(self) -> str:
        return str(self.state.demo_app()["client_key"])

    @property
    def demo_client_secret(self) -> str:
        return str(self.state.demo_app()["client_secret"])

    @property
    def demo_accounts(self) -> dict[str, str]:
        """username -> open_id of the seeded creators."""
        rows = self.state.db.all(
            "SELECT username, open_id FROM accounts WHERE username IN (?, ?)",
            (PUBLIC_USERNAME, PRIVATE_USERNAME),
        )
        return {r["username"]: r["open_id"] for r in rows}

    def start(self, timeout: float = 15.0) -> StubServer:
        import uvicorn

        # IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only then (else Nagle adds ~40 ms per
        # keep-alive request)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            host=HOST,
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            http="auto",
            loop="auto",
            timeout_keep_alive=30,
            h11_max_incomplete_event_size=64 * 1024,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="backend-stub", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                sock.close()
                raise RuntimeError(f"the backend stand-in did not start on {HOST}:{self.port}")
            time.sleep(0.01)
        self.state.webhooks.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.state.webhooks.stop()
        self.state.close()

    def serve_forever(self) -> None:
        """Block until interrupted (the CLI)."""
        assert self._thread is not None
        while self._thread.is_alive():
            self._thread.join(0.5)

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
