"""Editors generated from parameter descriptions (``studio.effects.api`` ``Param`` objects).

One description drives everything a creator sees: the widget kind (slider + spin box for
numbers, check box, combo box, colour button, file chooser, x/y spin pair), its range, step,
default, tooltip and choices. :class:`ParamsForm` lays out one editor per parameter and emits
``valueChanged(name, value, final)``: ``final`` is False while a gesture is still going on (a
slider drag, arrow clicks in a spin box) and True when it ends (release, Enter, a click), so a
caller can merge the in-between edits into one undo step and seal it at the end.

Numeric parameters that animate get a keyframe toggle (``keyframeToggled(name, on)``); the
caller adds or removes the keyframe and reports back with :meth:`ParamsForm.set_keyframe_state`.
Any list of ``Param`` objects works, so the inspector can build clip fields the same way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
    QWidget,
)

from studio.effects.api import (
    BoolParam,
    ChoiceParam,
    ColorParam,
    FileParam,
    FloatParam,
    IntParam,
    Param,
    ParamError,
    PointParam,
)

SLIDER_TICKS = 1000
SPIN_LIMIT = 1e9
KEY_ON = "◆"
KEY_OFF = "◇"


def tooltip(param: Param) -> str:
    """Help text, the range and the default, as the hover text of a parameter's row."""
    parts = [param.help] if param.help else []
    rng = param.range_text()
    if rng:
        parts.append(f"Range: {rng}")
    default = param.default_value
    if default not in (None, ""):
        parts.append(f"Default: {_format(default)}")
    return "\n".join(parts)


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_format(v) for v in value) + ")"
    return str(value)


def is_keyframable(param: Param) -> bool:
    """Numbers that animate: the host keeps keyframes of plain numbers only."""
    return isinstance(param, FloatParam | IntParam) and param.animates


def _decimals(step: float) -> int:
    if step <= 0 or not math.isfinite(step):
        return 3
    return max(0, min(6, math.ceil(-math.log10(step) - 1e-9)))


def _finite(low: float, high: float) -> bool:
    return math.isfinite(low) and math.isfinite(high) and high > low


class ParamEditor(QWidget):
    """One parameter's editor. ``edited(value, final)``; :meth:`set_value` never emits."""

    edited = Signal(object, bool)

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.param = param
        self._value: Any = param.default_value
        self._quiet = False
        self.layout_ = QHBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.setToolTip(tooltip(param))

    @property
    def editing(self) -> bool:
        """True while a gesture (a slider drag) is under way: callers must not overwrite it."""
        return False

    def value(self) -> Any:
        return self._value

    def set_value(self, value: Any) -> None:
        try:
            value = self.param.validate(value)
        except ParamError:
            value = self.param.default_value
        self._value = value
        self._quiet = True
        try:
            self._show(value)
        finally:
            self._quiet = False

    def _show(self, value: Any) -> None:
        raise TypeError(f"{type(self).__name__} must define _show")

    def _emit(self, value: Any, final: bool) -> None:
        if self._quiet:
            return
        try:
            value = self.param.validate(value)
        except ParamError as exc:
            self.setToolTip(f"{exc}\n\n{tooltip(self.param)}")
            self.set_value(self._value)
            return
        self.setToolTip(tooltip(self.param))
        self._value = value
        self.edited.emit(value, final)


class NumberEditor(ParamEditor):
    """A slider over the display range beside a spin box that accepts the full hard range."""

    def __init__(self, param: FloatParam | IntParam, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.is_int = isinstance(param, IntParam)
        if isinstance(param, FloatParam):
            low, high = param.slider_range
            step = param.step
        else:
            low = param.display_min if param.display_min is not None else param.minimum
            high = param.display_max if param.display_max is not None else param.maximum
            step = 1.0
        self.low, self.high = float(low), float(high)
        self.slider: QSlider | None = None
        if _finite(self.low, self.high) and (not self.is_int or self.high - self.low <= 10000):
            ticks = round((self.high - self.low) / step) if step > 0 else SLIDER_TICKS
            self.ticks = max(1, min(SLIDER_TICKS, ticks))
            self.slider = QSlider(Qt.Orientation.Horizontal)
            self.slider.setRange(0, self.ticks)
            self.slider.setPageStep(max(1, self.ticks // 10))
            self.slider.setMinimumWidth(90)
            self.slider.valueChanged.connect(self._slider_moved)
            self.slider.sliderReleased.connect(self._slider_released)
            self.layout_.addWidget(self.slider, 1)
        hard_low = max(float(param.minimum), -SPIN_LIMIT)
        hard_high = min(float(param.maximum), SPIN_LIMIT)
        if self.is_int:
            self.spin: QSpinBox | QDoubleSpinBox = QSpinBox()
            self.spin.setRange(int(hard_low), int(hard_high))
        else:
            spin = QDoubleSpinBox()
            spin.setDecimals(_decimals(step))
            spin.setSingleStep(step if step > 0 else 0.01)
            spin.setRange(hard_low, hard_high)
            self.spin = spin
        self.spin.setKeyboardTracking(False)
        self.spin.setAccelerated(True)
        if param.unit:
            self.spin.setSuffix(f" {param.unit}")
        self.spin.valueChanged.connect(self._spin_changed)
        self.spin.editingFinished.connect(self._spin_finished)
        self.layout_.addWidget(self.spin)
        self._spin_pending = False
        self.set_value(param.default_value)

    @property
    def editing(self) -> bool:
        return self.slider is not None and self.slider.isSliderDown()

    def _to_tick(self, value: float) -> int:
        frac = (value - self.low) / (self.high - self.low)
        return round(min(1.0, max(0.0, frac)) * self.ticks)

    def _from_tick(self, tick: int) -> float:
        value = self.low + (self.high - self.low) * tick / self.ticks
        return float(round(value)) if self.is_int else value

    def _show(self, value: Any) -> None:
        self.spin.blockSignals(True)
        self.spin.setValue(value)
        self.spin.blockSignals(False)
        if self.slider is not None:
            self.slider.blockSignals(True)
            self.slider.setValue(self._to_tick(float(value)))
            self.slider.blockSignals(False)

    def _sync_spin(self, value: Any) -> None:
        self.spin.blockSignals(True)
        self.spin.setValue(value)
        self.spin.blockSignals(False)

    def _slider_moved(self, tick: int) -> None:
        assert self.slider is not None
        value = self._from_tick(tick)
        self._sync_spin(value)
        self._emit(value, not self.slider.isSliderDown())

    def _slider_released(self) -> None:
        assert self.slider is not None
        self._emit(self._from_tick(self.slider.value()), True)

    def _spin_changed(self, value: float) -> None:
        if self.slider is not None:
            self.slider.blockSignals(True)
            self.slider.setValue(self._to_tick(float(value)))
            self.slider.blockSignals(False)
        self._spin_pending = True
        self._emit(value, False)

    def _spin_finished(self) -> None:
        if self._spin_pending:
            self._spin_pending = False
            self._emit(self.spin.value(), True)


class BoolEditor(ParamEditor):
    def __init__(self, param: BoolParam, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.check = QCheckBox()
        self.check.toggled.connect(lambda on: self._emit(bool(on), True))
        self.layout_.addWidget(self.check)
        self.layout_.addStretch(1)
        self.set_value(param.default_value)

    def _show(self, value: Any) -> None:
        self.check.setChecked(bool(value))


class ChoiceEditor(ParamEditor):
    def __init__(self, param: ChoiceParam, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.combo = QComboBox()
        for choice in param.choices:
            self.combo.addItem(choice.replace("-", " ").replace("_", " ").capitalize(), choice)
        self.combo.currentIndexChanged.connect(lambda i: self._emit(self.combo.itemData(i), True))
        self.layout_.addWidget(self.combo, 1)
        self.set_value(param.default_value)

    def _show(self, value: Any) -> None:
        self.combo.setCurrentIndex(max(0, self.combo.findData(value)))


class ColorEditor(ParamEditor):
    """A swatch button (opens the colour picker) and the ``#rrggbb`` text."""

    def __init__(self, param: ColorParam, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.button = QPushButton()
        self.button.setFixedWidth(40)
        self.button.setToolTip("Choose a colour")
        self.button.clicked.connect(self.choose)
        self.text = QLineEdit()
        self.text.setMaxLength(7)
        self.text.setPlaceholderText("#rrggbb")
        self.text.editingFinished.connect(self._typed)
        self.layout_.addWidget(self.button)
        self.layout_.addWidget(self.text, 1)
        self.set_value(param.default_value)

    def _show(self, value: Any) -> None:
        self.text.setText(value)
        self.button.setStyleSheet(f"background-color: {value}; border: 1px solid palette(mid);")

    def _typed(self) -> None:
        text = self.text.text().strip()
        if text and not text.startswith("#"):
            text = "#" + text
        if text.lower() != self._value:
            self._emit(text, True)
        self._show(self._value)

    def choose(self) -> None:
        color = QColorDialog.getColor(QColor(self._value), self, self.param.title)
        if color.isValid():
            self.pick(color.name())

    def pick(self, value: str) -> None:
        """Set a colour as if chosen in the picker (emits)."""
        self._emit(value, True)
        self._show(self._value)


class FileEditor(ParamEditor):
    """The path, a Browse button filtered to the parameter's extensions, and Clear."""

    def __init__(self, param: FileParam, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.text = QLineEdit()
        self.text.setPlaceholderText("(none)")
        self.text.editingFinished.connect(self._typed)
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self.choose)
        self.clear = QToolButton()
        self.clear.setText("✕")
        self.clear.setToolTip("Use no file")
        self.clear.clicked.connect(lambda: self.pick(""))
        self.layout_.addWidget(self.text, 1)
        self.layout_.addWidget(self.browse)
        self.layout_.addWidget(self.clear)
        self.set_value(param.default_value)

    def name_filter(self) -> str:
        assert isinstance(self.param, FileParam)
        if not self.param.extensions:
            return "All files (*)"
        patterns = " ".join(f"*{e}" for e in self.param.extensions)
        return f"{self.param.title} ({patterns});;All files (*)"

    def _show(self, value: Any) -> None:
        self.text.setText(value)
        self.text.setToolTip(value or tooltip(self.param))

    def _typed(self) -> None:
        if self.text.text().strip() != self._value:
            self.pick(self.text.text().strip())

    def choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.param.title, self._value, self.name_filter())
        if path:
            self.pick(path)

    def pick(self, path: str) -> None:
        """Set a path as if chosen in the file dialog (emits; a wrong type is refused)."""
        self._emit(path, True)
        self._show(self._value)


class PointEditor(ParamEditor):
    """x and y spin boxes (fractions of the frame)."""

    def __init__(self, param: PointParam, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.x = self._spin("x")
        self.y = self._spin("y")
        self._pending = False
        self.set_value(param.default_value)

    def _spin(self, axis: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(-1.0, 2.0)
        spin.setDecimals(3)
        spin.setSingleStep(0.01)
        spin.setPrefix(f"{axis} ")
        spin.setKeyboardTracking(False)
        spin.valueChanged.connect(self._changed)
        spin.editingFinished.connect(self._finished)
        self.layout_.addWidget(spin, 1)
        return spin

    def _show(self, value: Any) -> None:
        for spin, v in ((self.x, value[0]), (self.y, value[1])):
            spin.blockSignals(True)
            spin.setValue(v)
            spin.blockSignals(False)

    def _changed(self, _v: float) -> None:
        self._pending = True
        self._emit([self.x.value(), self.y.value()], False)

    def _finished(self) -> None:
        if self._pending:
            self._pending = False
            self._emit([self.x.value(), self.y.value()], True)

    def _emit(self, value: Any, final: bool) -> None:
        if self._quiet:
            return
        try:
            point = self.param.validate(value)
        except ParamError:
            self.set_value(self._value)
            return
        self._value = point
        self.edited.emit([point[0], point[1]], final)


class TextEditor(ParamEditor):
    """Fallback for parameter kinds this app version does not know: the value as text."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.text = QLineEdit()
        self.text.editingFinished.connect(lambda: self._emit(self.text.text(), True))
        self.layout_.addWidget(self.text, 1)
        self.set_value(param.default_value)

    def _show(self, value: Any) -> None:
        self.text.setText("" if value is None else str(value))


def make_editor(param: Param, parent: QWidget | None = None) -> ParamEditor:
    """The editor for one parameter description."""
    if isinstance(param, FloatParam | IntParam):
        return NumberEditor(param, parent)
    if isinstance(param, BoolParam):
        return BoolEditor(param, parent)
    if isinstance(param, ChoiceParam):
        return ChoiceEditor(param, parent)
    if isinstance(param, ColorParam):
        return ColorEditor(param, parent)
    if isinstance(param, FileParam):
        return FileEditor(param, parent)
    if isinstance(param, PointParam):
        return PointEditor(param, parent)
    return TextEditor(param, parent)


class ParamsForm(QWidget):
    """One row per parameter: label (help as tooltip), editor, keyframe toggle for numbers.

    ``valueChanged(name, value, final)``; ``keyframeToggled(name, on)``.
    """

    valueChanged = Signal(str, object, bool)
    keyframeToggled = Signal(str, bool)

    def __init__(
        self, params: Sequence[Param], parent: QWidget | None = None, *, keyframes: bool = True
    ) -> None:
        super().__init__(parent)
        self.params = list(params)
        self.editors: dict[str, ParamEditor] = {}
        self.key_buttons: dict[str, QToolButton] = {}
        self.labels: dict[str, QLabel] = {}
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for param in self.params:
            label = QLabel(param.title)
            label.setToolTip(tooltip(param))
            editor = make_editor(param)
            editor.setObjectName(f"param-{param.name}")
            editor.edited.connect(lambda value, final, n=param.name: self.valueChanged.emit(n, value, final))
            row = QWidget()
            row_layout = QHBoxLayout(row)
            row_layout.setContentsMargins(0, 0, 0, 0)
            row_layout.addWidget(editor, 1)
            if keyframes and is_keyframable(param):
                button = QToolButton()
                button.setCheckable(True)
                button.setAutoRaise(True)
                button.setObjectName(f"key-{param.name}")
                button.clicked.connect(lambda on, n=param.name: self.keyframeToggled.emit(n, bool(on)))
                self.key_buttons[param.name] = button
                row_layout.addWidget(button)
                self._paint_key(button, False, False)
            form.addRow(label, row)
            self.editors[param.name] = editor
            self.labels[param.name] = label
        if not self.params:
            form.addRow(QLabel("This filter has no settings."))

    def editor(self, name: str) -> ParamEditor:
        return self.editors[name]

    def values(self) -> dict[str, Any]:
        return {name: editor.value() for name, editor in self.editors.items()}

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Show ``values`` (missing names show their default); an editor mid-drag keeps its value."""
        for param in self.params:
            editor = self.editors[param.name]
            if not editor.editing:
                editor.set_value(values.get(param.name, param.default_value))

    def set_keyframe_state(self, name: str, animated: bool, here: bool) -> None:
        """``animated``: the parameter has keyframes; ``here``: one sits at the current time."""
        button = self.key_buttons.get(name)
        if button is not None:
            self._paint_key(button, animated, here)
        label = self.labels.get(name)
        if label is not None:
            font = label.font()
            font.setItalic(animated)
            label.setFont(font)

    @staticmethod
    def _paint_key(button: QToolButton, animated: bool, here: bool) -> None:
        button.setChecked(here)
        button.setText(KEY_ON if here else KEY_OFF)
        if here:
            tip = "Remove the keyframe at the playhead"
        elif animated:
            tip = "Add a keyframe at the playhead (this setting is animated)"
        else:
            tip = "Animate: add a keyframe at the playhead"
        button.setToolTip(tip)
        button.setProperty("animated", animated)
