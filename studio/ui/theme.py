"""Light and dark palettes on the Fusion style, following the system unless the user picks one.

"system" asks Qt for the platform's colour scheme (``QStyleHints.colorScheme``, Qt 6.5+) and
follows it live when it changes; "light" and "dark" pin a palette.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("system", "light", "dark")

_ACCENT = QColor(254, 44, 85)  # the studio's pink, readable on both palettes


def system_is_dark() -> bool:
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def dark_palette() -> QPalette:
    p = QPalette()
    window, base, text = QColor(32, 33, 36), QColor(24, 25, 27), QColor(232, 234, 237)
    disabled = QColor(128, 130, 134)
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: QColor(40, 41, 45),
        QPalette.ColorRole.ToolTipBase: QColor(48, 49, 52),
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: disabled,
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: QColor(45, 46, 50),
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor(255, 110, 110),
        QPalette.ColorRole.Link: QColor(138, 180, 248),
        QPalette.ColorRole.Highlight: _ACCENT,
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Light: QColor(70, 71, 75),
        QPalette.ColorRole.Midlight: QColor(55, 56, 60),
        QPalette.ColorRole.Mid: QColor(40, 41, 44),
        QPalette.ColorRole.Dark: QColor(18, 18, 20),
        QPalette.ColorRole.Shadow: QColor(0, 0, 0),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return p


def light_palette() -> QPalette:
    p = QApplication.style().standardPalette()
    p.setColor(QPalette.ColorRole.Highlight, _ACCENT)
    p.setColor(QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))
    return p


class ThemeController:
    """Applies a theme and, in "system" mode, re-applies it when the platform scheme changes."""

    def __init__(self, app: QApplication, mode: str = "system") -> None:
        self._app = app
        self.mode = mode if mode in THEMES else "system"
        app.setStyle("Fusion")
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._system_changed)
        self.apply(self.mode)

    @property
    def is_dark(self) -> bool:
        return self.mode == "dark" or (self.mode == "system" and system_is_dark())

    def apply(self, mode: str) -> None:
        self.mode = mode if mode in THEMES else "system"
        self._app.setPalette(dark_palette() if self.is_dark else light_palette())

    def _system_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self.mode == "system":
            self.apply("system")
