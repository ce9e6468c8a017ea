"""Logging: a rotating file in the profile's data dir plus stderr, with secrets scrubbed."""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys

from studio.config import app_paths

_SECRET_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|client_secret|code_verifier|upload_token|token|code)"
        r"[\"']?\s*[=:]\s*[\"']?)[^\s&\"',}]+"
    ),
    re.compile(r"\b((?:act|rft|clt)\.)[A-Za-z0-9._-]+"),
]


def scrub(text: str) -> str:
    """Replace anything that looks like a credential with ``***``."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(r"\1***", text)
    return text


class SecretFilter(logging.Filter):
    """Scrubs credentials from every record before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_configured = False


def setup(verbose: bool = False, to_file: bool = True) -> None:
    """Configure the root logger once per process."""
    global _configured
    if _configured:
        return
    _configured = True
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    secret_filter = SecretFilter()

    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    console.addFilter(secret_filter)
    root.addHandler(console)

    if to_file:
        try:
            paths = app_paths().ensure()
            handler = logging.handlers.RotatingFileHandler(
                paths.logs / "studio.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8"
            )
        except OSError as exc:
            root.warning("cannot write the log file (%s); logging to stderr only", exc)
        else:
            handler.setFormatter(fmt)
            handler.addFilter(secret_filter)
            root.addHandler(handler)
    for noisy in ("httpx", "httpcore", "PIL", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
