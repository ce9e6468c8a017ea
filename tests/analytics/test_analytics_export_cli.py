"""CSV export round-trips; `creator-studio analytics` prints the same numbers as the queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from studio.analytics.export import POST_COLUMNS, to_csv
from studio.analytics.models import METRICS, PostRow
from studio.analytics.queries import Analytics
from studio.config import app_paths
from studio.sync.store import SyncStore

from .conftest import Synced

INTS = {
    "duration_s",
    "views",
    "likes",
    "comments",
    "shares",
    "views_24h",
    "views_72h",
    "views_7d",
    "draft_id",
}
FLOATS = {"engagement_rate", "avg_watch_time_s", "full_watch_rate"}


def _parse_post(cells: dict[str, str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for name, text in cells.items():
        if name in INTS:
            out[name] = None if text == "" else int(text)
        elif name in FLOATS:
            out[name] = None if text == "" else float(text)
        elif name == "created_at":
            out[name] = dt.datetime.fromisoformat(text).timestamp()
        elif name == "hashtags":
            out[name] = tuple(t.lstrip("#") for t in text.split())
        else:
            out[name] = text
    return out


def _as_dict(row: PostRow) -> dict[str, object]:
    return {name: getattr(row, name) for name in POST_COLUMNS}


def test_posts_csv_round_trips_through_csv_reader(synced: Synced, tmp_path: Path) -> None:
    rows = synced.analytics.posts(synced.account.id, sort="created_at", descending=False)
    path = tmp_path / "posts.csv"
    to_csv(rows, path)
    with path.open(newline="", encoding="utf-8") as fh:
        parsed = list(csv.DictReader(fh))
    assert list(parsed[0]) == list(POST_COLUMNS)
    assert [_parse_post(p) for p in parsed] == [_as_dict(r) for r in rows]
    assert all("," not in p["views"] for p in parsed)  # no thousands separators


def test_overview_csv_has_one_row_per_day_and_the_totals(synced: Synced) -> None:
    a, acc = synced.analytics, synced.account
    ov = a.overview(acc.id, a.range(acc.id, "28d", "UTC"))
    buffer = io.StringIO()
    to_csv(ov, buffer)
    table = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert table[0] == ["day", *METRICS] and len(table) == 1 + 28 + 2
    for i, line in enumerate(table[1:29]):
        assert dt.date.fromisoformat(line[0]) == ov.daily["views"][i].day
        for m, text in zip(METRICS, line[1:], strict=True):
            assert (None if text == "" else int(text)) == ov.daily[m][i].value
    assert table[-2][0] == "total" and table[-1][0] == "previous"
    for m, text in zip(METRICS, table[-2][1:], strict=True):
        assert (None if text == "" else int(text)) == ov.kpis[m].value


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CREATOR_STUDIO_HOME": str(home), "CREATOR_STUDIO_TOKEN_STORE": "file"}
    env.pop("CREATOR_STUDIO_PROFILE", None)
    return subprocess.run(
        [sys.executable, "-m", "studio", *args], env=env, capture_output=True, text=True, timeout=180
    )


def test_cli_prints_what_the_queries_return(studio_home: Path) -> None:
    run = _cli(studio_home, "sync", "--once")
    assert run.returncode == 0, run.stderr
    run = _cli(studio_home, "analytics", "overview", "--json", "--tz", "UTC", "--range", "28d")
    assert run.returncode == 0, run.stderr
    shown = json.loads(run.stdout)
    with SyncStore(app_paths().data / "sync" / "sync.sqlite3") as store:
        [account] = store.accounts()
        a = Analytics(store)
        ov = a.overview(account.id, a.range(account.id, "28d", "UTC"))
        posts = a.posts(account.id)
        best = a.best_time(account.id, "UTC")
    assert shown["range"] == {
        "first": ov.range.first.isoformat(),
        "last": ov.range.last.isoformat(),
        "label": "Last 28 days",
    }
    for m in METRICS:
        assert shown["kpis"][m]["value"] == ov.kpis[m].value, m
        assert shown["kpis"][m]["previous"] == ov.kpis[m].previous, m
        assert [p["value"] for p in shown["daily"][m]] == [p.value for p in ov.daily[m]], m
    assert shown["kpis"]["views"]["value"] and shown["kpis"]["views"]["source"] == "platform daily series"
    run = _cli(studio_home, "analytics", "posts", "--csv", "--tz", "UTC")
    assert run.returncode == 0, run.stderr
    parsed = [_parse_post(p) for p in csv.DictReader(io.StringIO(run.stdout))]
    assert parsed == [_as_dict(r) for r in posts] and len(parsed) >= 20
    run = _cli(studio_home, "analytics", "posts", "--tz", "UTC", "--account", "demo")
    assert run.returncode == 0 and posts[0].video_id in run.stdout and f"{posts[0].views:,}" in run.stdout
    run = _cli(studio_home, "analytics", "post", posts[0].video_id, "--json", "--tz", "UTC")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["post"]["views"] == posts[0].views
    run = _cli(studio_home, "analytics", "best-time", "--json", "--tz", "UTC")
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)
    assert [(c["weekday"], c["hour"], c["samples"]) for c in doc["best"]] == [
        (c.weekday, c.hour, c.samples) for c in best.best
    ]
    run = _cli(studio_home, "analytics", "overview", "--tz", "UTC")
    assert run.returncode == 0 and "Views" in run.stdout and "Last 28 days" in run.stdout
    run = _cli(studio_home, "analytics", "best-time", "--tz", "UTC")
    assert run.returncode == 0 and "best:" in run.stdout
    for args, message in (
        (("overview", "--account", "@nobody"), "no account matches '@nobody'"),
        (("overview", "--range", "3x"), "unknown range '3x'"),
        (("post", "12345"), "no post 12345"),
        (("post",), "'post' needs the post's id"),
        (("overview", "--tz", "Mars/Base"), "unknown time zone 'Mars/Base'"),
    ):
        run = _cli(studio_home, "analytics", *args)
        assert run.returncode != 0 and message in run.stderr, (args, run.stderr)
        assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


def test_cli_without_an_account_says_what_to_do(tmp_path: Path) -> None:
    run = _cli(tmp_path / "fresh", "analytics", "overview")
    assert run.returncode == 1
    assert run.stderr.strip() == "analytics: no account yet: run `creator-studio sync --once` or open the app"
