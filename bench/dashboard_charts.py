"""Bench: a dashboard chart update (new data, then the repaint) beside bare pyqtgraph.

Data: the overview of 1,000 posts x 365 days (``bench/analytics.py``'s year, imported), the
views line with a comparison period, and the best-time heatmap. Ours: ``SeriesChart.set_series``
+ ``set_compare`` and ``HeatmapChart.set_cells``, each followed by rendering the widget into a
QImage (what a repaint costs). Baseline: a bare ``pg.PlotWidget`` whose two curves get the same
arrays with ``setData`` and the same render. Target: a chart update <= 16 ms (one frame).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/dashboard_charts.py [--runs 100]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pyqtgraph as pg
from analytics import START, TZ, raw_write, sign_in
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QWidget

from studio.analytics.models import DateRange
from studio.analytics.queries import Analytics
from studio.analytics.ranges import previous_period
from studio.sync.history import import_history
from studio.sync.store import SyncStore
from studio.ui.analytics.charts import HeatmapChart, SeriesChart, day_x

W, H = 900, 280


def render(widget: QWidget, image: QImage) -> None:
    QWidget.render(widget, image)


def timed(fn: Callable[[], None], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[18]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=100)
    args = ap.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old" / "sync.sqlite3"
        with SyncStore(old) as source:
            raw_write(old, sign_in(source), 1000, 365)
        with SyncStore(Path(tmp) / "sync.sqlite3") as store:
            account = sign_in(store)
            import_history(store, old)
            queries = Analytics(store)
            last = (dt.datetime.fromtimestamp(START, dt.UTC) + dt.timedelta(days=364)).date()
            rng = DateRange(last - dt.timedelta(days=364), last, "365d", TZ)
            views = queries.overview(account, rng).daily["views"]
            before = queries.overview(account, previous_period(rng)).daily["views"]
            cells = queries.best_time(account, TZ).cells
    image = QImage(W, H, QImage.Format.Format_ARGB32_Premultiplied)

    chart = SeriesChart("Views", "views")
    chart.resize(W, H)
    chart.show()
    heat = HeatmapChart("Best time to post")
    heat.resize(W, H)
    heat.show()
    app.processEvents()

    def ours_series() -> None:
        chart.set_series(views, "last 365 days")
        chart.set_compare(before, "the 365 days before")
        render(chart, image)

    def ours_heat() -> None:
        heat.set_cells(cells, TZ)
        render(heat, image)

    bare = pg.PlotWidget()
    bare.resize(W, H)
    bare.show()
    c1, c2 = bare.plot([], []), bare.plot([], [])
    app.processEvents()
    x = np.array([day_x(p.day) for p in views], dtype=float)
    y1 = np.array([np.nan if p.value is None else p.value for p in views], dtype=float)
    y2 = np.array([np.nan if p.value is None else p.value for p in before], dtype=float)

    def base() -> None:
        c1.setData(x, y1, connect="finite")
        c2.setData(x, y2, connect="finite")
        render(bare, image)

    for fn in (ours_series, ours_heat, base):  # warm up caches and fonts
        fn()
    base_ms = timed(base, args.runs)
    ok = True
    for name, fn in (("views line, 365 days + comparison", ours_series), ("best-time heatmap", ours_heat)):
        mine = timed(fn, args.runs)
        a, b = p95(mine), p95(base_ms)
        verdict = "PASS" if a <= 16.0 else "FAIL"
        ok &= verdict == "PASS"
        print(
            f"{name:<36} p95 ours {a:6.2f} ms  bare pyqtgraph two curves {b:6.2f} ms  ratio {a / b:5.2f}"
            f"  (target <= 16 ms) {verdict}"
        )
    print("overall:", "PASS" if ok else "FAIL")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
