"""Tunable behaviour of the stand-in: lifetimes, limits and switches the contract leaves open."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

ALL_SCOPES: tuple[str, ...] = (
    "user.info.basic",
    "user.info.profile",
    "user.info.stats",
    "video.list",
    "video.upload",
    "video.publish",
)

DEFAULT_RATE_LIMITS: dict[str, int] = {
    "creator_info": 20,
    "video_init": 6,
    "inbox_init": 6,
    "content_init": 6,
    "status_fetch": 30,
    "cancel": 30,
    "user_info": 600,
    "video_list": 600,
    "video_query": 600,
}


@dataclass
class StubSettings:
    """Runtime settings; ``/_stub/settings`` reads and changes them while the server runs."""

    auto_approve: bool = False
    access_token_ttl_s: int = 86_400
    refresh_token_ttl_s: int = 31_536_000
    rotate_refresh_tokens: bool = True
    code_ttl_s: int = 300
    upload_url_ttl_s: int = 3_600
    accept_base64url_pkce: bool = True
    oauth_error_status: int = 400
    audited_client: bool = True
    daily_post_cap: int = 15
    pending_inbox_cap: int = 5
    rate_limits: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    webhook_max_attempts: int = 6
    webhook_backoff_base_s: float = 0.5
    webhook_timeout_s: float = 5.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update, checking names and types so a typo is an error, not a no-op."""
        known = {f.name: f for f in fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown setting '{name}'")
            current = getattr(self, name)
            if name == "rate_limits":
                if not isinstance(value, dict) or not all(
                    k in DEFAULT_RATE_LIMITS and isinstance(v, int) and v > 0 for k, v in value.items()
                ):
                    raise ValueError(f"rate_limits takes positive ints for {sorted(DEFAULT_RATE_LIMITS)}")
                self.rate_limits = {**self.rate_limits, **value}
                continue
            if isinstance(current, bool):
                if not isinstance(value, bool):
                    raise ValueError(f"'{name}' must be true or false")
            elif isinstance(current, (int, float)):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ValueError(f"'{name}' must be a non-negative number")
                value = type(current)(value)
            setattr(self, name, value)
