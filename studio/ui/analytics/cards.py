"""KPI cards: a metric's value over the range and its change against the previous period."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from studio.analytics.models import METRICS, Kpi

TITLES = {
    "views": "Views",
    "profile_views": "Profile views",
    "likes": "Likes",
    "comments": "Comments",
    "shares": "Shares",
    "followers": "Followers",
    "net_new_followers": "Net new followers",
}
UP, DOWN = "#1e9e5a", "#e0354f"  # readable on the light and the dark palette


def value_text(kpi: Kpi | None) -> str:
    if kpi is None or kpi.value is None:
        return "—"
    if kpi.metric == "net_new_followers" and kpi.value > 0:
        return f"+{kpi.value:,}"
    return f"{kpi.value:,}"


def not_available_reason(kpi: Kpi | None) -> str:
    if kpi is None:
        return "This number is not available."
    source = kpi.source or ""
    if source.startswith("not available"):
        why = source.partition(":")[2].strip()
        return why[:1].upper() + why[1:] if why else "This number is not available."
    if kpi.value is None:
        return "There is no number for this range yet."
    if kpi.previous is None:
        return "There is no number for the previous period: history starts with the first sync."
    return "The previous period was zero: a percentage would mean nothing."


def delta_text(kpi: Kpi | None) -> tuple[str, str]:
    """The change line and its direction ("up", "down", "flat" or "na")."""
    if kpi is None or kpi.delta is None:
        return "not available", "na"
    delta = kpi.delta
    pct = kpi.delta_pct
    if delta == 0:
        return "— no change", "flat"
    arrow = "▲" if delta > 0 else "▼"
    part = f"{abs(pct):.1f}%" if pct is not None else f"{abs(delta):,}"
    return f"{arrow} {part}", "up" if delta > 0 else "down"


class KpiCard(QFrame):
    """One metric: its title, its value and the ▲/▼ change (the reason in a tooltip when there
    is none)."""

    def __init__(self, metric: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = metric
        self.setObjectName(f"kpi_{metric}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(96)
        self.title = QLabel(TITLES.get(metric, metric))
        self.title.setObjectName("kpiTitle")
        self.value = QLabel("—")
        self.value.setObjectName("kpiValue")
        font = QFont(self.value.font())
        font.setPointSizeF(max(font.pointSizeF(), 9.0) * 1.6)
        font.setBold(True)
        self.value.setFont(font)
        self.delta = QLabel(" ")
        self.delta.setObjectName("kpiDelta")
        self.source = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(1)
        for label in (self.title, self.value, self.delta):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(label)

    def set_kpi(self, kpi: Kpi | None) -> None:
        self.value.setText(value_text(kpi))
        text, direction = delta_text(kpi)
        self.delta.setText(text)
        colour = {"up": UP, "down": DOWN}.get(direction)
        self.delta.setStyleSheet(f"color: {colour};" if colour else "")
        self.delta.setEnabled(direction != "na")
        self.source = kpi.source if kpi is not None else ""
        tip = [f"{TITLES.get(self.key, self.key)}: {value_text(kpi)}"]
        if kpi is not None and kpi.previous is not None:
            change = f" ({kpi.delta:+,})" if kpi.delta is not None else ""
            tip.append(f"Previous period: {kpi.previous:,}{change}")
        if direction == "na":
            tip.append(not_available_reason(kpi))
        if self.source and not self.source.startswith("not available"):
            tip.append(f"From {self.source}")
        self.setToolTip("\n".join(tip))
        self.delta.setToolTip(self.toolTip())


class KpiStrip(QWidget):
    """The seven cards in a row (two rows when the window is narrow)."""

    def __init__(self, parent: QWidget | None = None, columns: int = 7) -> None:
        super().__init__(parent)
        self.cards = {metric: KpiCard(metric) for metric in METRICS}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(8)
        for i, card in enumerate(self.cards.values()):
            grid.addWidget(card, i // columns, i % columns)

    def set_kpis(self, kpis: dict[str, Kpi]) -> None:
        for metric, card in self.cards.items():
            card.set_kpi(kpis.get(metric))

    def values(self) -> dict[str, str]:
        return {metric: card.value.text() for metric, card in self.cards.items()}
