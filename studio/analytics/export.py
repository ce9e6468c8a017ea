"""CSV export of the analytics tables: a header, plain numbers, ISO dates (spreadsheet friendly)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import IO, Any

from studio.analytics.models import METRICS, Overview, PostRow

POST_COLUMNS = tuple(f.name for f in fields(PostRow))


def _cell(value: Any) -> str:
    """Plain text: no thousands separators, ISO dates, '' for unknown, full float precision."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return " ".join(f"#{v}" for v in value)
    return str(value)


def post_cells(row: PostRow) -> list[str]:
    out = []
    for name in POST_COLUMNS:
        value = getattr(row, name)
        if name == "created_at":
            value = dt.datetime.fromtimestamp(value, dt.UTC).isoformat()
        out.append(_cell(value))
    return out


def overview_rows(ov: Overview) -> list[list[str]]:
    """One row per day of the range: ``day`` and every metric; totals and the previous period
    are the last two rows (``day`` = "total" and "previous")."""
    header = ["day", *METRICS]
    rows = [header]
    days = [p.day for p in ov.daily[METRICS[0]]]
    for i, day in enumerate(days):
        rows.append([day.isoformat(), *(_cell(ov.daily[m][i].value) for m in METRICS)])
    rows.append(["total", *(_cell(ov.kpis[m].value) for m in METRICS)])
    rows.append(["previous", *(_cell(ov.kpis[m].previous) for m in METRICS)])
    return rows


@contextmanager
def _opened(path_or_file: str | Path | IO[str]) -> Iterator[IO[str]]:
    if isinstance(path_or_file, (str, Path)):
        with open(path_or_file, "w", newline="", encoding="utf-8") as fh:
            yield fh
    else:
        yield path_or_file


def to_csv(rows: list[PostRow] | Overview, path_or_file: str | Path | IO[str]) -> None:
    """Write the posts table (created_at as ISO UTC) or an overview (one row per day) as CSV."""
    if isinstance(rows, Overview):
        table = overview_rows(rows)
    else:
        table = [list(POST_COLUMNS), *(post_cells(r) for r in rows)]
    with _opened(path_or_file) as fh:
        csv.writer(fh, lineterminator="\n").writerows(table)


def to_csv_text(rows: list[PostRow] | Overview) -> str:
    buffer = io.StringIO()
    to_csv(rows, buffer)
    return buffer.getvalue()
