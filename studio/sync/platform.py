"""Which platform the engine talks to: the embedded local stand-in, or a creator's own app.

One :class:`PlatformConfig` carries every address and the app's credentials; pointing the
engine at the real API is a different config, never different code. The client secret never
goes into settings: it lives in the token vault under :func:`secret_key`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

REAL_API_BASE = "https://open.tiktokapis.com"
REAL_AUTHORIZE_URL = "https://www.tiktok.com/v2/auth/authorize/"
ALL_SCOPES: tuple[str, ...] = (
    "user.info.basic",
    "user.info.profile",
    "user.info.stats",
    "video.list",
    "video.upload",
    "video.publish",
)
DEMO_NAME = "Demo account (local)"
REDIRECT_PATH = "/callback/"


@dataclass(frozen=True)
class PlatformConfig:
    """Addresses and credentials of one platform app. ``repr`` never shows the secret."""

    name: str
    api_base: str
    authorize_url: str
    client_key: str
    client_secret: str = field(repr=False)
    redirect_port: int = 0
    stand_in: bool = False
    scopes: tuple[str, ...] = ALL_SCOPES

    @property
    def key(self) -> str:
        """Identifies the app (accounts of two apps never mix). The stand-in's port changes at
        every start, so only its client key (one per data dir) names it."""
        where = "stand-in" if self.stand_in else self.api_base
        return hashlib.sha256(f"{where}|{self.client_key}".encode()).hexdigest()[:16]

    def with_secret(self, secret: str) -> PlatformConfig:
        return replace(self, client_secret=secret)


def secret_key(client_key: str) -> str:
    return f"app-secret:{client_key}"


def custom_settings(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    """The ``platform`` settings block when it names the creator's own app, else None (demo)."""
    if not isinstance(doc, dict) or doc.get("mode") != "custom":
        return None
    if not str(doc.get("client_key") or "").strip():
        return None
    return doc


def custom_config(doc: dict[str, Any], secret: str) -> PlatformConfig:
    port = int(doc.get("redirect_port") or 0)
    if not 0 <= port <= 65535:
        raise ValueError(f"the redirect port must be 0-65535, not {port}")
    return PlatformConfig(
        name=str(doc.get("name") or "TikTok"),
        api_base=str(doc.get("api_base") or REAL_API_BASE).rstrip("/"),
        authorize_url=str(doc.get("authorize_url") or REAL_AUTHORIZE_URL),
        client_key=str(doc["client_key"]).strip(),
        client_secret=secret,
        redirect_port=port,
        stand_in=bool(doc.get("stand_in", False)),
    )


def stand_in_config(base_url: str, client_key: str, client_secret: str) -> PlatformConfig:
    return PlatformConfig(
        name=DEMO_NAME,
        api_base=base_url.rstrip("/"),
        authorize_url=base_url.rstrip("/") + "/v2/auth/authorize/",
        client_key=client_key,
        client_secret=client_secret,
        stand_in=True,
    )
