"""The dashboard's charts on pyqtgraph: a daily line chart, a bar chart and the best-time heatmap.

Every chart is built once; an update is ``setData``/``setImage``/``setOpts`` on the items it
already has (no rebuild), so a redraw fits in a frame. Colours come from the application
palette (:func:`chart_theme`) and follow a light/dark switch through ``changeEvent``.
Days are drawn at their UTC midnight on a ``DateAxisItem(utcOffset=0)``: the axis then shows
the creator's local calendar day whatever this machine's time zone is.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from studio.analytics.models import HeatCell, SeriesPoint

GRID_ALPHA = 0.18  # of the already faint grid colour
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ACCENT = QColor(254, 44, 85)  # the studio's pink (theme.py)
SECOND = QColor(37, 186, 200)  # the comparison series: a teal that reads on both palettes


@dataclass(frozen=True)
class ChartTheme:
    background: QColor
    foreground: QColor
    muted: QColor
    grid: QColor
    accent: QColor
    second: QColor
    dark: bool


def chart_theme(palette: QPalette | None = None) -> ChartTheme:
    pal = palette or QApplication.palette()
    base = pal.color(QPalette.ColorRole.Base)
    text = pal.color(QPalette.ColorRole.Text)
    dark = base.lightness() < 128
    muted = QColor(text)
    muted.setAlpha(150)
    grid = QColor(text)
    grid.setAlpha(28 if dark else 22)
    return ChartTheme(base, text, muted, grid, QColor(ACCENT), QColor(SECOND), dark)


def day_x(day: dt.date) -> float:
    """A local calendar day as the x of its UTC midnight (see the module docstring)."""
    return float(calendar.timegm(day.timetuple()))


def compact(value: float) -> str:
    """12, 1.2k, 34k, 1.2M: tick labels that stay short."""
    v = abs(value)
    sign = "-" if value < 0 else ""
    if v >= 1_000_000:
        return f"{sign}{v / 1_000_000:.3g}M"
    if v >= 10_000:
        return f"{sign}{v / 1000:.0f}k"
    if v >= 1000:
        return f"{sign}{v / 1000:.2g}k"
    return f"{sign}{v:.0f}" if v == int(v) else f"{sign}{v:.2g}"


class CountAxis(pg.AxisItem):
    """A value axis with compact counts (1.2k, 3M) instead of scientific notation."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        if spacing * scale < 1000:  # fine steps between big numbers: 13,650 13,700 (not 14k 14k)
            return [f"{v * scale:,.0f}" for v in values]
        return [compact(v * scale) for v in values]


class Chart(QWidget):
    """A titled pyqtgraph plot with a hover line under the title; recolours with the palette."""

    def __init__(
        self, title: str, axis_items: dict[str, pg.AxisItem] | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.title = QLabel(title)
        font = QFont(self.title.font())
        font.setBold(True)
        self.title.setFont(font)
        self.hover = QLabel(" ")
        self.hover.setObjectName("chartHover")
        self.plot = pg.PlotWidget(axisItems=axis_items or {})
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setMinimumHeight(170)
        self.item: pg.PlotItem = self.plot.getPlotItem()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.hover)
        layout.addWidget(self.plot, 1)
        self.plot.scene().sigMouseMoved.connect(self._mouse_moved)
        self.theme = chart_theme()

    def sizeHint(self) -> QSize:
        return QSize(480, 270)

    def apply_theme(self) -> None:
        t = self.theme = chart_theme(self.palette())
        self.plot.setBackground(t.background)
        for name in ("left", "bottom", "right"):
            axis = self.item.getAxis(name)
            axis.setPen(pg.mkPen(t.grid))
            axis.setTextPen(pg.mkPen(t.muted))
        self.hover.setStyleSheet(f"color: {t.muted.name(QColor.NameFormat.HexArgb)};")

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.apply_theme()

    def _mouse_moved(self, pos: QPointF) -> None:
        if self.item.sceneBoundingRect().contains(pos):
            self.hover_at(self.item.vb.mapSceneToView(pos))

    def hover_at(self, point: QPointF) -> None:
        """Show the values under ``point`` (view coordinates); subclasses fill it in."""


class SeriesChart(Chart):
    """Values per day: a filled line with gaps where there is no data, an optional comparison
    line (another period or post, aligned by day index), a crosshair and a hover readout."""

    def __init__(
        self, title: str, unit: str, parent: QWidget | None = None, *, additive: bool = True
    ) -> None:
        super().__init__(title, {"bottom": pg.DateAxisItem(utcOffset=0), "left": CountAxis("left")}, parent)
        self.unit = unit
        self.additive = additive  # values per day that add up (views), not a level (followers)
        self.item.showGrid(x=False, y=True, alpha=GRID_ALPHA)
        self.item.getAxis("left").setStyle(maxTickLevel=0)
        self.item.setLabel("left", unit)
        self.curve = self.item.plot([], [], connect="finite", name=title)
        self.compare_curve = self.item.plot([], [], connect="finite")
        self.vline = pg.InfiniteLine(angle=90, movable=False)
        self.vline.setVisible(False)
        self.item.addItem(self.vline, ignoreBounds=True)
        self.days: list[dt.date] = []
        self.values: list[int | None] = []
        self.compare_days: list[dt.date] = []
        self.compare_values: list[int | None] = []
        self.compare_label = ""
        self.compare_dated = True
        self.primary_label = ""
        self.apply_theme()

    def apply_theme(self) -> None:
        super().apply_theme()
        t = self.theme
        fill = QColor(t.accent)
        fill.setAlpha(50 if t.dark else 40)
        self.curve.setPen(pg.mkPen(t.accent, width=2.2))
        self.curve.setBrush(pg.mkBrush(fill) if self.additive else None)
        self.compare_curve.setPen(pg.mkPen(t.second, width=1.8, style=Qt.PenStyle.DashLine))
        self.vline.setPen(pg.mkPen(t.muted, width=1, style=Qt.PenStyle.DotLine))

    def set_series(self, points: Sequence[SeriesPoint], label: str = "") -> None:
        self.days = [p.day for p in points]
        self.values = [p.value for p in points]
        self.primary_label = label
        x = np.fromiter((day_x(d) for d in self.days), dtype=float, count=len(self.days))
        y = np.fromiter(
            (math.nan if v is None else float(v) for v in self.values), dtype=float, count=len(self.values)
        )
        self.curve.setData(x, y, connect="finite")
        self.curve.setFillLevel(0 if self.additive and len(x) > 1 else None)
        self._refresh_compare()
        self.hover.setText(self._summary())

    def set_compare(
        self, points: Sequence[SeriesPoint] | None, label: str = "", *, dated: bool = True
    ) -> None:
        """Overlay ``points`` by index; ``dated=False`` when their days are not real dates (a
        post's series re-dated to line up by age): the hover then says "day N"."""
        self.compare_dated = dated
        self.compare_days = [p.day for p in points or ()]
        self.compare_values = [p.value for p in points or ()]
        self.compare_label = label
        self._refresh_compare()
        self.hover.setText(self._summary())

    def _refresh_compare(self) -> None:
        n = min(len(self.days), len(self.compare_values))
        if not n:
            self.compare_curve.setData([], [])
            return
        x = np.fromiter((day_x(d) for d in self.days[:n]), dtype=float, count=n)
        y = np.array([math.nan if v is None else float(v) for v in self.compare_values[:n]], dtype=float)
        self.compare_curve.setData(x, y, connect="finite")

    def data(self) -> tuple[list[dt.date], list[int | None]]:
        return list(self.days), list(self.values)

    def _summary(self) -> str:
        known = [v for v in self.values if v is not None]
        if not known:
            return "No numbers for these days yet"
        head = f"{self.primary_label}: " if self.primary_label else ""
        if self.additive:
            text = f"{head}{sum(known):,} {self.unit} in total"
        else:
            text = f"{head}{known[-1]:,} {self.unit} at the end ({known[-1] - known[0]:+,})"
        other = [v for v in self.compare_values if v is not None]
        if self.compare_label and other:
            text += f"  ·  {self.compare_label}: {sum(other) if self.additive else other[-1]:,}"
        return text + "  ·  hover for a day"

    def hover_at(self, point: QPointF) -> None:
        if not self.days:
            return
        xs = [day_x(d) for d in self.days]
        i = min(range(len(xs)), key=lambda k: abs(xs[k] - point.x()))
        self.vline.setPos(xs[i])
        self.vline.setVisible(True)
        self.hover.setText(self.describe(i))

    def describe(self, i: int) -> str:
        value = self.values[i]
        text = f"{self.days[i]:%a %d %b %Y}: " + ("no data" if value is None else f"{value:,} {self.unit}")
        if i < len(self.compare_values):
            other = self.compare_values[i]
            when = f" ({self.compare_days[i]:%d %b})" if self.compare_dated else f" (day {i + 1})"
            text += f"  ·  {self.compare_label}{when}: " + ("no data" if other is None else f"{other:,}")
        return text

    def leaveEvent(self, event: QEvent) -> None:
        super().leaveEvent(event)
        self.vline.setVisible(False)
        self.hover.setText(self._summary())


class BarChart(Chart):
    """Horizontal bars, one per post, longest on top; a click emits the bar's key."""

    barClicked = Signal(str)

    def __init__(self, title: str, unit: str, parent: QWidget | None = None) -> None:
        super().__init__(title, {"bottom": CountAxis("bottom")}, parent)
        self.unit = unit
        self.item.showGrid(x=True, y=False, alpha=GRID_ALPHA)
        self.item.setLabel("bottom", unit)
        self.item.getAxis("bottom").setStyle(maxTickLevel=0)
        self.item.getAxis("left").setWidth(170)
        self.item.invertY(True)
        self.bars = pg.BarGraphItem(x0=[], y=[], height=0.62, width=[])
        self.item.addItem(self.bars)
        self.keys: list[str] = []
        self.labels: list[str] = []
        self.values: list[float] = []
        self.plot.scene().sigMouseClicked.connect(self._clicked)
        self.apply_theme()

    def apply_theme(self) -> None:
        super().apply_theme()
        self.bars.setOpts(brush=pg.mkBrush(self.theme.accent), pen=pg.mkPen(None))

    def set_bars(self, items: Sequence[tuple[str, str, float]]) -> None:
        """``(key, label, value)`` per bar, in the order to show (top first)."""
        self.keys = [k for k, _l, _v in items]
        self.labels = [lbl for _k, lbl, _v in items]
        self.values = [float(v) for _k, _l, v in items]
        n = len(items)
        self.bars.setOpts(
            x0=np.zeros(n), y=np.arange(n, dtype=float), width=np.array(self.values), height=0.62
        )
        short = [(i, (lbl if len(lbl) <= 22 else lbl[:21] + "…")) for i, lbl in enumerate(self.labels)]
        self.item.getAxis("left").setTicks([short, []])
        self.item.setYRange(-0.6, max(n, 1) - 0.4, padding=0)
        self.item.setXRange(0, max(self.values, default=1.0) * 1.05 or 1.0, padding=0)
        self.hover.setText("Hover a bar for its numbers; click it to open the post" if n else "No posts yet")

    def _index(self, point: QPointF) -> int | None:
        i = round(point.y())
        return i if 0 <= i < len(self.keys) and abs(point.y() - i) <= 0.35 else None

    def hover_at(self, point: QPointF) -> None:
        i = self._index(point)
        if i is not None:
            self.hover.setText(f"{self.labels[i]}: {self.values[i]:,.0f} {self.unit}")

    def _clicked(self, event: object) -> None:
        pos = event.scenePos()  # type: ignore[attr-defined]
        if self.item.sceneBoundingRect().contains(pos):
            i = self._index(self.item.vb.mapSceneToView(pos))
            if i is not None:
                self.barClicked.emit(self.keys[i])


class HeatmapChart(Chart):
    """Weekday x hour: an ``ImageItem`` of the cells' quantile levels (no samples: left blank)
    with a ``ColorBarItem``; the hover text gives each cell's sample count and median."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, None, parent)
        self.image = pg.ImageItem()
        self.image.setImage(np.zeros((24, 7)), levels=(0.0, 1.0), autoLevels=False)
        self.image.setRect(0, 0, 24, 7)
        self.item.addItem(self.image)
        self.item.invertY(True)
        self.item.setLabel("bottom", "hour of the day (local time)")
        self.item.getAxis("bottom").setTicks([[(h + 0.5, f"{h:02d}") for h in range(0, 24, 3)], []])
        self.item.getAxis("left").setTicks([[(d + 0.5, WEEKDAYS[d]) for d in range(7)], []])
        self.item.setXRange(0, 24, padding=0)
        self.item.setYRange(0, 7, padding=0)
        self.colorbar = pg.ColorBarItem(
            values=(0, 1), width=14, interactive=False, label="views at 72 h (quantile)"
        )
        self.colorbar.setImageItem(self.image, insert_in=self.item)
        self.cells: dict[tuple[int, int], HeatCell] = {}
        self.tz = ""
        self.apply_theme()

    def apply_theme(self) -> None:
        super().apply_theme()
        t = self.theme
        low = QColor.fromHslF(t.accent.hslHueF(), 0.55, 0.92 if not t.dark else 0.2)
        cmap = pg.ColorMap(
            [0.0, 0.5, 1.0], [low, QColor(255, 120, 140) if not t.dark else QColor(170, 40, 75), t.accent]
        )
        self.colorbar.setColorMap(cmap)
        for name in ("left", "right", "top", "bottom"):
            axis = self.colorbar.getAxis(name)
            axis.setTextPen(pg.mkPen(t.muted))
            axis.setPen(pg.mkPen(t.grid))

    def set_cells(self, cells: Sequence[HeatCell], tz: str = "") -> None:
        self.cells = {(c.weekday, c.hour): c for c in cells}
        self.tz = tz
        levels = np.full((24, 7), np.nan)
        for c in cells:
            if c.samples:
                levels[c.hour, c.weekday] = c.level
        self.image.setImage(levels, levels=(0.0, 1.0), autoLevels=False)
        self.image.setRect(0, 0, 24, 7)
        sampled = sum(1 for c in cells if c.samples)
        where = f" ({tz})" if tz else ""
        self.hover.setText(f"{sampled} of {len(cells)} slots have posts{where} · hover a cell")

    @property
    def cell_count(self) -> int:
        return int(self.image.image.size) if self.image.image is not None else 0

    def describe(self, weekday: int, hour: int) -> str:
        cell = self.cells.get((weekday, hour))
        slot = f"{WEEKDAYS[weekday]} {hour:02d}:00–{hour:02d}:59"
        if cell is None or not cell.samples:
            return f"{slot}: no posts yet (0 samples)"
        median = "no 72 h number yet" if cell.value is None else f"median {cell.value:,.0f} views at 72 h"
        return f"{slot}: {median} · {cell.samples} post{'s' if cell.samples != 1 else ''}"

    def hover_at(self, point: QPointF) -> None:
        hour, weekday = math.floor(point.x()), math.floor(point.y())
        if 0 <= hour < 24 and 0 <= weekday < 7:
            self.hover.setText(self.describe(weekday, hour))
