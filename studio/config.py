"""Where a profile's files live, and its settings.

Directories come from platformdirs, one set per profile. ``CREATOR_STUDIO_HOME`` moves all of
them under one folder (tests and CI set it so they never touch the real home);
``CREATOR_STUDIO_PROFILE`` picks the profile (default ``default``).

Settings are a small JSON document with a ``schema_version``; older documents are migrated
step by step on load, unknown keys are kept, and a damaged file (not JSON, not an object, or a
``schema_version`` that is missing, not an integer or below 1) is moved aside as
``settings.json.bad-<timestamp>`` and the defaults are used; ``Settings.load_notice`` then
holds a one-line message for the UI to show once.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

APP_NAME = "creator-studio"
HOME_ENV = "CREATOR_STUDIO_HOME"
PROFILE_ENV = "CREATOR_STUDIO_PROFILE"
SAFE_MODE_ENV = "CREATOR_STUDIO_SAFE_MODE"
DEFAULT_PROFILE = "default"
_PROFILE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

log = logging.getLogger(__name__)


class ConfigError(ValueError):
    """A setting or profile name that cannot be used, with a message for the user."""


class SettingsError(ValueError):
    """A settings document this version cannot read."""


@dataclass(frozen=True)
class AppPaths:
    """The folders of one profile. Created on first use by :meth:`ensure`."""

    profile: str
    data: Path
    config: Path
    cache: Path

    @property
    def logs(self) -> Path:
        return self.data / "logs"

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def plugins(self) -> Path:
        return self.data / "plugins"

    @property
    def models(self) -> Path:
        return self.data / "models"

    def ensure(self) -> AppPaths:
        for folder in (self.data, self.config, self.cache, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def validate_profile(name: str) -> str:
    if not _PROFILE_RE.match(name):
        raise ConfigError(
            f"'{name}' is not a usable profile name: use letters, digits, '-', '_' or '.' (max 64)"
        )
    return name


def app_paths(profile: str | None = None) -> AppPaths:
    """The folders for ``profile`` (or the one named by the environment)."""
    name = validate_profile(profile or os.environ.get(PROFILE_ENV) or DEFAULT_PROFILE)
    home = os.environ.get(HOME_ENV)
    if home:
        root = Path(home).expanduser().resolve() / "profiles" / name
        return AppPaths(name, root / "data", root / "config", root / "cache")
    import platformdirs

    dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
    return AppPaths(
        name,
        Path(dirs.user_data_dir) / "profiles" / name,
        Path(dirs.user_config_dir) / "profiles" / name,
        Path(dirs.user_cache_dir) / "profiles" / name,
    )


def safe_mode() -> bool:
    return os.environ.get(SAFE_MODE_ENV, "") not in ("", "0")


SETTINGS_VERSION = 2


def _v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    # v1 kept the theme as a bool "dark"; v2 says "system", "light" or "dark".
    dark = doc.pop("dark", None)
    doc.setdefault("theme", "dark" if dark else "system")
    return doc


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


@dataclass
class Settings:
    """User preferences. Unknown keys from newer versions survive a load/save round trip."""

    theme: str = "system"
    recent_projects: list[str] = field(default_factory=list)
    preview_scale: float = 0.5
    window_state: str = ""
    encoder: str = "auto"
    extra: dict[str, Any] = field(default_factory=dict)
    load_notice: str = field(default="", compare=False, repr=False)  # never saved

    MAX_RECENT = 10

    def add_recent(self, path: str) -> None:
        self.recent_projects = [path, *[p for p in self.recent_projects if p != path]][: self.MAX_RECENT]

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.extra,
            "schema_version": SETTINGS_VERSION,
            "theme": self.theme,
            "recent_projects": list(self.recent_projects),
            "preview_scale": self.preview_scale,
            "window_state": self.window_state,
            "encoder": self.encoder,
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Settings:
        if not isinstance(doc, dict):
            raise SettingsError(f"expected an object, found {type(doc).__name__}")
        doc = migrate_settings(dict(doc))
        known = {"theme", "recent_projects", "preview_scale", "window_state", "encoder"}
        values = {k: doc[k] for k in known if k in doc}
        if values.get("theme") not in (None, "system", "light", "dark"):
            values["theme"] = "system"
        extra = {k: v for k, v in doc.items() if k not in known and k != "schema_version"}
        return cls(**values, extra=extra)


def settings_version(doc: dict[str, Any]) -> int:
    version = doc.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise SettingsError(f"schema_version {version!r} is not a version (1 or more)")
    return version


def migrate_settings(doc: dict[str, Any]) -> dict[str, Any]:
    version = settings_version(doc)
    if version > SETTINGS_VERSION:
        log.warning("settings were written by a newer version (%s); reading what is known", version)
        return doc
    while version < SETTINGS_VERSION:
        doc = MIGRATIONS[version](doc)
        version += 1
        doc["schema_version"] = version
    return doc


def load_settings(paths: AppPaths) -> Settings:
    path = paths.settings_file
    if not path.exists():
        return Settings()
    try:
        return Settings.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        return _start_fresh(path, exc)


def _start_fresh(path: Path, reason: Exception) -> Settings:
    """Move the unreadable file aside (never lose it) and use the defaults."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.name}.bad-{stamp}")
    n = 1
    while backup.exists():
        n += 1
        backup = path.with_name(f"{path.name}.bad-{stamp}-{n}")
    try:
        path.replace(backup)
    except OSError as exc:
        log.warning("settings file was unreadable (%s) and could not be moved aside (%s)", reason, exc)
        notice = f"Your settings could not be read ({reason}); using the defaults."
    else:
        log.warning("settings file was unreadable (%s); kept it as %s and started fresh", reason, backup)
        notice = f"Your settings could not be read and were reset; the old file is kept as {backup.name}."
    return Settings(load_notice=notice)


def save_settings(paths: AppPaths, settings: Settings) -> None:
    """Write atomically: a crash mid-write leaves the previous file intact."""
    paths.config.mkdir(parents=True, exist_ok=True)
    tmp = paths.settings_file.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(settings.to_dict(), indent=2), encoding="utf-8")
    os.replace(tmp, paths.settings_file)
