"""Desktop redirect-URI rules (contract 1.3): loopback host, explicit port, '*' port wildcard."""

from __future__ import annotations

from urllib.parse import urlsplit

LOOPBACK = ("localhost", "127.0.0.1")


class RedirectUriError(ValueError):
    """A redirect URI that breaks the desktop rules; the message says which."""


def check_registration(uri: str) -> str:
    """Validate a URI an app wants to register."""
    if len(uri) >= 512:
        raise RedirectUriError("a redirect URI must be shorter than 512 characters")
    parts = urlsplit(uri.replace(":*", ":0", 1))
    if parts.scheme not in ("http", "https") or parts.hostname not in LOOPBACK:
        raise RedirectUriError("a desktop redirect URI must be http(s)://localhost or 127.0.0.1")
    if parts.query or parts.fragment or "?" in uri or "#" in uri:
        raise RedirectUriError("a redirect URI must be static: no query string or fragment")
    if parts.port is None:
        raise RedirectUriError("a desktop redirect URI needs a port (or '*')")
    return uri


def matches(registered: str, requested: str) -> bool:
    """Exact match, except that a registered '*' port matches any explicit port."""
    if registered == requested:
        return True
    if ":*" not in registered:
        return False
    want = urlsplit(registered.replace(":*", ":0", 1))
    got = urlsplit(requested)
    try:
        port = got.port
    except ValueError:
        return False
    return (
        port is not None
        and 0 < port < 65536
        and got.scheme == want.scheme
        and got.hostname == want.hostname
        and got.path == want.path
        and not got.query
        and not got.fragment
        and got.netloc == f"{got.hostname}:{port}"
    )
