"""Profiles, directories and settings: what a user (or CI) relies on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio import config


def test_home_override_keeps_everything_under_one_folder(studio_home: Path) -> None:
    paths = config.app_paths().ensure()
    for folder in (paths.data, paths.config, paths.cache, paths.logs):
        assert folder.is_dir()
        assert studio_home in folder.parents
    assert paths.profile == "default"


def test_profiles_are_separate(monkeypatch: pytest.MonkeyPatch) -> None:
    a = config.app_paths("alice")
    monkeypatch.setenv(config.PROFILE_ENV, "bob")
    b = config.app_paths()
    assert a.data != b.data and b.profile == "bob"


@pytest.mark.parametrize("name", ["../escape", "a/b", "x" * 65, ".hidden", "a b"])
def test_bad_profile_names_are_refused(name: str) -> None:
    with pytest.raises(config.ConfigError, match="profile name"):
        config.app_paths(name)


def test_settings_round_trip_and_unknown_keys_survive() -> None:
    paths = config.app_paths().ensure()
    settings = config.Settings(theme="dark", extra={"from_the_future": 42})
    settings.add_recent("/a.json")
    settings.add_recent("/b.json")
    settings.add_recent("/a.json")
    config.save_settings(paths, settings)
    loaded = config.load_settings(paths)
    assert loaded.theme == "dark"
    assert loaded.recent_projects == ["/a.json", "/b.json"]
    assert loaded.extra == {"from_the_future": 42}


def test_v1_settings_are_migrated() -> None:
    paths = config.app_paths().ensure()
    paths.settings_file.write_text(json.dumps({"schema_version": 1, "dark": True, "encoder": "libx264"}))
    loaded = config.load_settings(paths)
    assert loaded.theme == "dark" and loaded.encoder == "libx264"
    config.save_settings(paths, loaded)
    assert json.loads(paths.settings_file.read_text())["schema_version"] == config.SETTINGS_VERSION


def test_damaged_settings_are_set_aside_not_lost() -> None:
    paths = config.app_paths().ensure()
    paths.settings_file.write_text("{not json")
    assert config.load_settings(paths) == config.Settings()
    kept = list(paths.config.glob("settings.json.bad-*"))
    assert len(kept) == 1 and kept[0].read_text() == "{not json"


@pytest.mark.parametrize(
    "doc",
    [
        {"schema_version": 0, "theme": "dark"},
        {"schema_version": -3, "theme": "dark"},
        {"schema_version": "2", "theme": "dark"},
        {"schema_version": 1.5, "theme": "dark"},
        {"schema_version": True, "theme": "dark"},
        {"schema_version": None, "theme": "dark"},
        {"theme": "dark"},
        ["not", "an", "object"],
    ],
)
def test_a_bad_schema_version_resets_to_defaults_and_keeps_the_file(doc: object) -> None:
    paths = config.app_paths().ensure()
    paths.settings_file.write_text(json.dumps(doc))
    loaded = config.load_settings(paths)
    assert loaded == config.Settings()
    assert not paths.settings_file.exists()
    [kept] = paths.config.glob("settings.json.bad-*")
    assert json.loads(kept.read_text()) == doc
    assert kept.name in loaded.load_notice and len(loaded.load_notice.splitlines()) == 1
    assert config.load_settings(paths).load_notice == ""  # said once: the next start is clean
    config.save_settings(paths, loaded)
    assert "load_notice" not in json.loads(paths.settings_file.read_text())


def test_two_bad_files_in_the_same_second_are_both_kept() -> None:
    paths = config.app_paths().ensure()
    for version in (0, -1):
        paths.settings_file.write_text(json.dumps({"schema_version": version}))
        config.load_settings(paths)
    kept = sorted(
        json.loads(p.read_text())["schema_version"] for p in paths.config.glob("settings.json.bad-*")
    )
    assert kept == [-1, 0]
