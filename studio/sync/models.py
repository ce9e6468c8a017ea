"""What the rest of the app sees of an account: identity, health, scopes and what they allow."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

# feature -> (scope it needs, what the feature is, for the sentence)
FEATURES: dict[str, tuple[str, str]] = {
    "profile": ("user.info.profile", "the profile details (username, bio)"),
    "stats": ("user.info.stats", "follower and like counts"),
    "posts": ("video.list", "your posts and their views"),
    "upload": ("video.upload", "sending videos to your TikTok inbox"),
    "publish": ("video.publish", "posting videos directly"),
}

HEALTH_OK = "ok"
HEALTH_SIGN_IN = "sign_in_again"
HEALTH_SIGNED_OUT = "signed_out"


@dataclass(frozen=True)
class Account:
    id: str
    platform_key: str
    platform_name: str
    stand_in: bool
    open_id: str
    username: str
    display_name: str
    avatar_file: str
    scopes: tuple[str, ...]
    health: str
    health_reason: str
    signed_in_at: float
    last_sync_at: float | None
    last_error: str
    active: bool
    insights: bool | None
    followers: int | None = None  # from the latest snapshots (None before the first sync)
    likes: int | None = None
    post_count: int | None = None
    views: int | None = None

    @classmethod
    def from_row(cls, row: Any) -> Account:
        return cls(
            id=row["id"],
            platform_key=row["platform_key"],
            platform_name=row["platform_name"],
            stand_in=bool(row["stand_in"]),
            open_id=row["open_id"],
            username=row["username"],
            display_name=row["display_name"],
            avatar_file=row["avatar_file"],
            scopes=tuple(s for s in row["scopes"].split(",") if s),
            health=row["health"],
            health_reason=row["health_reason"],
            signed_in_at=row["signed_in_at"],
            last_sync_at=row["last_sync_at"],
            last_error=row["last_error"],
            active=bool(row["active"]),
            insights=None if row["insights"] is None else bool(row["insights"]),
            **{k: row[k] for k in ("followers", "likes", "post_count", "views") if k in row.keys()},  # noqa: SIM118 (sqlite3.Row: "in" tests values)
        )

    @property
    def label(self) -> str:
        """How the account is named wherever it shows."""
        if self.stand_in:
            who = self.display_name or self.username
            return f"Demo account (local){' · ' + who if who else ''}"
        return self.display_name or (f"@{self.username}" if self.username else self.open_id[:12])

    @property
    def usable(self) -> bool:
        return self.health == HEALTH_OK

    def can(self, feature: str) -> bool:
        return FEATURES[feature][0] in self.scopes

    def missing(self, feature: str) -> str | None:
        """None when the feature works, else the sentence saying which scope it lacks."""
        scope, what = FEATURES[feature]
        if scope in self.scopes:
            return None
        return (
            f"{what[0].upper()}{what[1:]} is off for {self.label}: the account did not grant the "
            f"'{scope}' permission. Sign in again and allow it to turn this on."
        )

    def numbers_text(self) -> str:
        """ "12,400 followers · 56,100 likes · 26 posts · 1,203,311 views" (what is known)."""
        parts = [
            f"{value:,} {name}"
            for value, name in (
                (self.followers, "followers"),
                (self.likes, "likes"),
                (self.post_count, "posts"),
                (self.views, "views"),
            )
            if value is not None
        ]
        return " · ".join(parts)

    def health_text(self, now: float | None = None) -> str:
        if self.health == HEALTH_SIGN_IN:
            return f"Sign in again: {self.health_reason}" if self.health_reason else "Sign in again"
        if self.health == HEALTH_SIGNED_OUT:
            return "Signed out"
        if self.last_sync_at is None:
            return "Signed in, not synced yet"
        return f"Synced {ago(self.last_sync_at, now)}"


def ago(when: float, now: float | None = None) -> str:
    seconds = max(0.0, (time.time() if now is None else now) - when)
    if seconds < 45:
        return "just now"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min ago"
    hours = round(seconds / 3600)
    if hours < 48:
        return f"{hours} h ago"
    return f"{round(seconds / 86400)} days ago"
