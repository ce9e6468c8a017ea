"""Drafts store benchmark: autosave latency of a 300-item project and opening the browser model
with 10,000 drafts, each beside raw sqlite3 doing the same bytes in the same run.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/drafts.py

Targets: autosave p95 <= 10 ms; browser first page of 10,000 drafts <= 100 ms.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.drafts import DraftStore
from studio.drafts.store import dumps
from studio.drafts.writer import AUTOSAVE_SYNCHRONOUS

AUTOSAVES = 200
DRAFTS = 10_000


def realistic_project(rng: random.Random, items: int = 300) -> dict[str, Any]:
    """A 300-item project shaped like the editor's: clips with filters, transforms, keyframes,
    transitions; captions with styles; music and voice-over."""
    video, text, audio = [], [], []
    t = 0.0
    for i in range(int(items * 0.65)):
        length = rng.uniform(0.4, 3.0)
        video.append(
            {
                "id": f"v{i}",
                "source": f"/home/creator/Videos/shoot-{i // 20}/clip-{i:04d}.mp4",
                "in": round(rng.uniform(0, 5), 3),
                "out": round(rng.uniform(5, 5 + length), 3),
                "start": round(t, 3),
                "speed": rng.choice([1.0, 1.0, 0.5, 2.0]),
                "volume": 1.0,
                "fit": rng.choice(["fill", "fit", "crop"]),
                "transform": {"x": 0.5, "y": 0.5, "scale": round(rng.uniform(1, 1.3), 3), "rotation": 0.0},
                "filters": [
                    {
                        "id": "studio.color",
                        "params": {
                            "saturation": round(rng.uniform(0.8, 1.4), 2),
                            "brightness": round(rng.uniform(-0.1, 0.1), 3),
                        },
                        "enabled": True,
                        "version": 1,
                        "keyframes": {
                            "saturation": [
                                {"t": 0.0, "value": 1.0, "interp": "ease_in_out"},
                                {"t": length, "value": 1.3, "interp": "linear"},
                            ]
                        },
                    }
                ],
                "transition_in": {"kind": "crossfade", "duration": 0.3} if i % 5 == 0 else None,
            }
        )
        t += length
    for i in range(int(items * 0.22)):
        start = rng.uniform(0, t)
        text.append(
            {
                "id": f"t{i}",
                "text": f"Caption number {i} #creators",
                "start": round(start, 3),
                "end": round(start + 2.5, 3),
                "style": {
                    "font": "DejaVu Sans",
                    "size": 64,
                    "color": "#ffffff",
                    "stroke": "#000000",
                    "stroke_width": 4,
                    "background": None,
                    "align": "center",
                },
                "position": {"x": 0.5, "y": 0.8},
                "fade_in": 0.2,
                "fade_out": 0.2,
                "reveal": "word",
            }
        )
    for i in range(items - len(video) - len(text)):
        audio.append(
            {
                "id": f"a{i}",
                "source": f"/home/creator/Music/track-{i}.m4a",
                "in": 0.0,
                "out": round(rng.uniform(5, 30), 3),
                "start": round(rng.uniform(0, t), 3),
                "volume": 0.6,
                "fade_in": 0.5,
                "fade_out": 1.0,
                "speed": 1.0,
                "role": rng.choice(["music", "voiceover"]),
            }
        )
    return {
        "schema_version": 1,
        "title": "Benchmark project",
        "canvas": {"width": 1080, "height": 1920, "fps": 30},
        "tracks": [
            {"id": "V1", "kind": "video", "clips": video},
            {"id": "T1", "kind": "text", "items": text},
            {"id": "A1", "kind": "audio", "clips": audio},
        ],
    }


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def bench_autosave(folder: Path) -> tuple[list[float], list[float], list[float], int]:
    rng = random.Random(7)
    doc = realistic_project(rng)
    store = DraftStore(folder / "ours" / "drafts.sqlite3")
    draft_id = store.create_draft(doc)
    docs = []
    for i in range(AUTOSAVES):
        doc["tracks"][0]["clips"][i % 150]["in"] = round(rng.uniform(0, 5), 3)
        doc["title"] = f"Benchmark project {i}"
        docs.append(json.loads(json.dumps(doc)))
    texts = [dumps(d) for d in docs]
    ours = []
    for d in docs:
        t0 = time.perf_counter()
        store.autosave(draft_id, d)  # serialization, hash, writer thread hand-off, commit
        ours.append((time.perf_counter() - t0) * 1000)
    same_bytes = []
    for i, text in enumerate(texts):
        t0 = time.perf_counter()
        store.autosave(draft_id, text + " " * (i + 1))  # pre-serialized: the same bytes the baseline writes
        same_bytes.append((time.perf_counter() - t0) * 1000)
    store.close()

    conn = sqlite3.connect(folder / "raw.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {AUTOSAVE_SYNCHRONOUS}")
    conn.execute(
        "CREATE TABLE revisions (id INTEGER PRIMARY KEY, draft_id INTEGER, created_at REAL, content TEXT)"
    )
    raw = []
    for text in texts:
        t0 = time.perf_counter()
        conn.execute("BEGIN")
        conn.execute(
            "INSERT INTO revisions (draft_id, created_at, content) VALUES (1, ?, ?)", (time.time(), text)
        )
        conn.execute("COMMIT")
        raw.append((time.perf_counter() - t0) * 1000)
    conn.close()
    return ours, same_bytes, raw, len(texts[0])


def bench_browser(folder: Path) -> tuple[float, float, float, float, int]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from studio.ui.drafts.model import DraftsModel

    app = QApplication.instance() or QApplication([])
    rng = random.Random(3)
    store = DraftStore(folder / "many" / "drafts.sqlite3")
    base = realistic_project(rng, items=30)
    store.create_drafts(
        {**base, "title": f"Draft {i} {rng.choice(['beach', 'food', 'gym'])}"} for i in range(DRAFTS)
    )
    store.close()

    store = DraftStore(folder / "many" / "drafts.sqlite3")  # cold: a fresh process-like open
    t0 = time.perf_counter()
    model = DraftsModel(store)
    model.refresh()  # the page is read in the background; the rows land through the event loop
    while model.loading:
        app.processEvents()
        time.sleep(0.0005)
    for row in range(model.rowCount()):
        index = model.index(row)
        model.data(index, Qt.ItemDataRole.DisplayRole)
        model.data(index, Qt.ItemDataRole.DecorationRole)
    ours = (time.perf_counter() - t0) * 1000
    rows = model.rowCount()
    store.close()

    from studio.ui.drafts.browser import DraftsBrowser

    store = DraftStore(folder / "many" / "drafts.sqlite3")
    t0 = time.perf_counter()
    browser = DraftsBrowser(store)
    browser.resize(1000, 800)
    browser.show()
    while browser.model.loading:
        app.processEvents()
        time.sleep(0.0005)
    browser.view.viewport().repaint()
    app.processEvents()
    widget = (time.perf_counter() - t0) * 1000
    browser.close()
    store.close()

    conn = sqlite3.connect(folder / "many" / "drafts.sqlite3")
    t0 = time.perf_counter()
    conn.execute(
        "SELECT id, title, duration, updated_at, cover_path FROM drafts WHERE deleted_at IS NULL"
        " ORDER BY updated_at DESC LIMIT ?",
        (rows,),
    ).fetchall()
    raw_page = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    conn.execute(
        "SELECT id, title, duration, updated_at, cover_path FROM drafts WHERE deleted_at IS NULL"
        " ORDER BY updated_at DESC"
    ).fetchall()
    raw_all = (time.perf_counter() - t0) * 1000
    conn.close()
    del app
    return ours, widget, raw_page, raw_all, rows


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-drafts-") as tmp:
        folder = Path(tmp)
        ours, same_bytes, raw, size = bench_autosave(folder)
        print(
            f"autosave of a 300-item project ({size / 1024:.0f} KiB JSON, synchronous={AUTOSAVE_SYNCHRONOUS}, "
            f"{AUTOSAVES} saves)"
        )
        print(
            f"  ours (DraftStore.autosave): p50 {statistics.median(ours):6.2f} ms  p95 {pct(ours, 95):6.2f} ms"
        )
        print(
            f"  ours with pre-serialized text (the baseline's bytes): p50 {statistics.median(same_bytes):6.2f} ms"
            f"  p95 {pct(same_bytes, 95):6.2f} ms"
        )
        print(
            f"  baseline (raw sqlite3 INSERT of the same bytes): p50 {statistics.median(raw):6.2f} ms"
            f"  p95 {pct(raw, 95):6.2f} ms"
        )
        print(
            f"  ratio p95 ours/raw: {pct(ours, 95) / pct(raw, 95):.2f}x (same bytes:"
            f" {pct(same_bytes, 95) / pct(raw, 95):.2f}x)   target p95 <= 10 ms: "
            f"{'PASS' if pct(ours, 95) <= 10 else 'FAIL'}"
        )
        model_ms, widget_ms, raw_page, raw_all, rows = bench_browser(folder)
        print(f"browser model with {DRAFTS} drafts (first {rows} rows paint-ready)")
        print(f"  ours (DraftsModel.refresh + data for the loaded rows): {model_ms:6.2f} ms")
        print(f"  ours (DraftsBrowser built, shown and painted): {widget_ms:6.2f} ms")
        print(
            f"  baseline (raw sqlite3 SELECT of the same page): {raw_page:6.2f} ms;"
            f" of all {DRAFTS} rows: {raw_all:6.2f} ms"
        )
        print(
            f"  ratio ours/raw page: {model_ms / raw_page:.2f}x   target <= 100 ms: "
            f"{'PASS' if max(model_ms, widget_ms) <= 100 else 'FAIL'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
