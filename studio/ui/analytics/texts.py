"""The dashboard's sentences, as pure functions of what the engine and the queries said."""

from __future__ import annotations

import time

from studio.analytics.models import BestTime
from studio.sync.engine import EngineStatus
from studio.sync.models import ago
from studio.ui.analytics.charts import WEEKDAYS

NO_ACCOUNT = "Sign in from Account > Accounts to see your numbers here."
NO_DATA = (
    "No numbers yet: they appear after the first sync, usually a minute after signing in. "
    "From then on Creator Studio keeps every day's numbers on this computer."
)


def banner_text(status: EngineStatus) -> str:
    """The warning above the numbers: offline or signed out ("" when all is well)."""
    if status.state == "offline":
        since = status.offline_since
        when = f" since {time.strftime('%H:%M', time.localtime(since))}" if since else ""
        return (
            f"Offline{when}: these are the numbers kept on this computer. Creator Studio keeps "
            "trying and brings the new ones in by itself."
        )
    if status.state == "sign_in_again":
        return "The sign-in ran out: open Account > Accounts and sign in again."
    return ""


def sync_line(status: EngineStatus, last: float | None) -> tuple[str, str]:
    """The "Last synced …" line and its tooltip."""
    tip = ""
    if status.state == "syncing":
        text = "Syncing now…"
    elif last is not None:
        text = f"Last synced {ago(last)}"
        tip = time.strftime("Last synced on %d %b %Y at %H:%M", time.localtime(last))
    else:
        text = "Not synced yet"
    if status.state == "offline":
        text += " · offline"
    return text, tip


def best_text(best: BestTime) -> str:
    slots = best.best[:3]
    if not slots:
        return "Post a few more times: the best slots show once a slot has enough posts."
    names = ", ".join(f"{WEEKDAYS[c.weekday]} {c.hour:02d}:00" for c in slots)
    return f"Your best slots so far: {names} ({best.tz})."
