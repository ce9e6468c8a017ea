"""The inspector: edits the selected clip, text item, its transition and its filters.

Every editor is generated from a parameter description: filters describe themselves
(``studio.effects.api`` ``Param`` specs from the registry); clip and text fields are described
once in :data:`FIELDS`, built from the core model's own metadata (field defaults, ``KEYFRAMABLE``,
``FIT_MODES``, speed limits...). Changes go through core edits: a slider drag is merged into
one undo step (``SetParams(merge=True)``, sealed on release); an animated parameter sets a
keyframe at the playhead instead; the ◇ button adds or removes that keyframe.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import MISSING, dataclass, fields
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.core import project as core
from studio.core.edits import (
    AddFilter,
    Edit,
    RemoveFilter,
    RemoveKeyframe,
    SetKeyframe,
    SetParam,
    SetParams,
    SetSpeed,
)
from studio.core.errors import ProjectError
from studio.core.project import AudioClip, FilterRef, TextItem, TextStyle, VideoClip
from studio.effects.api import BoolParam, ChoiceParam, ColorParam, FloatParam, Param
from studio.ui.editor.timeline.model import TimelineModel
from studio.ui.param_widgets import ParamsForm

log = logging.getLogger(__name__)


def _default(cls: type, path: str) -> Any:
    """A field's default from the core dataclass (``"transform.x"`` walks into Transform)."""
    head, _, rest = path.partition(".")
    for f in fields(cls):
        if f.name == head:
            value = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
            if rest and isinstance(value, tuple):  # position: (x, y)
                return value["xy".index(rest)]
            return _default(type(value), rest) if rest else value
    raise KeyError(path)


def _num(
    cls: type, path: str, label: str, lo: float, hi: float, *, step: float = 0.01, unit: str = "", **kw: Any
) -> FloatParam:
    return FloatParam(
        path, label, default=float(_default(cls, path)), minimum=lo, maximum=hi, step=step, unit=unit,
        animates=path in getattr(cls, "KEYFRAMABLE", ()), **kw,
    )  # fmt: skip


def _choice(cls: type, path: str, label: str, choices: tuple[str, ...]) -> ChoiceParam:
    return ChoiceParam(path, label, default=str(_default(cls, path)), choices=choices)


FIELDS: dict[type, tuple[Param, ...]] = {
    VideoClip: (
        _choice(VideoClip, "fit", "Fit", core.FIT_MODES),
        FloatParam("speed", "Speed", default=1.0, minimum=core.MIN_SPEED, maximum=core.MAX_SPEED, step=0.05, unit="x",
                   animates=False, help="Playback speed; the clip gets shorter or longer"),
        _num(VideoClip, "opacity", "Opacity", 0.0, 1.0),
        _num(VideoClip, "volume", "Volume", 0.0, 4.0, display_max=2.0),
        _num(VideoClip, "transform.x", "Position X", -1.0, 2.0, display_min=0.0, display_max=1.0),
        _num(VideoClip, "transform.y", "Position Y", -1.0, 2.0, display_min=0.0, display_max=1.0),
        _num(VideoClip, "transform.scale", "Scale", 0.05, 10.0, display_max=3.0),
        _num(VideoClip, "transform.rotation", "Rotation", -360.0, 360.0, step=1.0, unit="°"),
    ),
    AudioClip: (
        FloatParam("speed", "Speed", default=1.0, minimum=core.MIN_SPEED, maximum=core.MAX_SPEED, step=0.05, unit="x",
                   animates=False),
        _num(AudioClip, "volume", "Volume", 0.0, 4.0, display_max=2.0),
        _num(AudioClip, "fade_in", "Fade in", 0.0, 30.0, unit="s", display_max=5.0),
        _num(AudioClip, "fade_out", "Fade out", 0.0, 30.0, unit="s", display_max=5.0),
        _choice(AudioClip, "role", "Role", core.AUDIO_ROLES),
    ),
    TextItem: (
        Param("text", "Text", help="Double-click the text in the preview to edit it there"),
        _num(TextItem, "style.size", "Size", 1.0, 1000.0, step=1.0, unit="px", display_max=300.0),
        ColorParam("style.color", "Colour", default=TextStyle().color),
        BoolParam("style.bold", "Bold", default=TextStyle().bold),
        _choice(TextItem, "style.align", "Align", core.TEXT_ALIGNS),
        _num(TextItem, "position.x", "Position X", 0.0, 1.0),
        _num(TextItem, "position.y", "Position Y", 0.0, 1.0),
        _num(TextItem, "fade_in", "Fade in", 0.0, 10.0, unit="s"),
        _num(TextItem, "fade_out", "Fade out", 0.0, 10.0, unit="s"),
        _choice(TextItem, "reveal", "Reveal", core.REVEAL_MODES),
    ),
}  # fmt: skip

TRANSITION_PARAMS = (
    ChoiceParam("kind", "Transition in", default="none", choices=("none", *core.TRANSITION_KINDS)),
    FloatParam("duration", "Duration", default=0.5, minimum=0.05, maximum=10.0, display_max=2.0, unit="s",
               animates=False),
)  # fmt: skip

TEXT_PRESETS: dict[str, TextStyle] = {
    "Plain": TextStyle(),
    "Caption": TextStyle(size=64.0, stroke="#000000", stroke_width=6.0, background="#00000099", bold=True),
    "Title": TextStyle(size=120.0, bold=True, stroke="#000000", stroke_width=8.0),
    "Label": TextStyle(size=56.0, color="#111111", background="#ffffffee", background_padding=20.0),
    "Neon": TextStyle(size=96.0, color="#39ff14", stroke="#0b3d02", stroke_width=4.0, bold=True),
}


def read_field(element: Any, path: str) -> Any:
    if path == "position.x":
        return element.position[0]
    if path == "position.y":
        return element.position[1]
    value: Any = element
    for seg in path.split("."):
        value = getattr(value, seg)
    return value


def field_change(element: Any, path: str, value: Any) -> dict[str, Any]:
    """The SetParams change for one field (position is one tuple in the model)."""
    if path in ("position.x", "position.y"):
        x, y = element.position
        return {"position": (float(value), y) if path.endswith("x") else (x, float(value))}
    return {path: value}


@dataclass
class _Shown:
    element_id: str
    kind: type
    filters: tuple[tuple[str, str], ...]


class Inspector(QWidget):
    """Edits the first selected element; rebuilt when the selection or its filters change."""

    message = Signal(str)

    def __init__(self, model: TimelineModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.playhead = 0.0
        self.element_id: str | None = None
        self._shown: _Shown | None = None
        self.fields_form: ParamsForm | None = None
        self.transition_form: ParamsForm | None = None
        self.filter_forms: dict[str, ParamsForm] = {}
        self.title = QLabel("<b>Inspector</b>")
        self.empty = QLabel("Select a clip or a text on the timeline to edit it.")
        self.empty.setWordWrap(True)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.empty)
        layout.addWidget(scroll, 1)
        self.setMinimumWidth(240)
        model.changed.connect(self.refresh)
        self.refresh()

    # ------------------------------------------------------------------ what is shown

    def show_element(self, element_id: str | None) -> None:
        self.element_id = element_id
        self.refresh()

    def set_playhead(self, t: float) -> None:
        self.playhead = t
        if self.element_id is not None:
            self._show_values()

    def element(self) -> Any:
        if self.element_id is None:
            return None
        found = self.model.find(self.element_id)
        return None if found is None else found[1]

    def refresh(self) -> None:
        element = self.element()
        if element is None:
            self._clear()
            self.empty.setVisible(True)
            self._shown = None
            return
        self.empty.setVisible(False)
        filters = tuple((f.uid, f.id) for f in getattr(element, "filters", []))
        shown = _Shown(element.id, type(element), filters)
        if shown != self._shown:
            self._build(element)
            self._shown = shown
        self._show_values()

    def _clear(self) -> None:
        while self.body_layout.count():
            item = self.body_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.fields_form = self.transition_form = None
        self.filter_forms = {}

    def _build(self, element: Any) -> None:
        self._clear()
        kind = {VideoClip: "Video clip", AudioClip: "Audio clip", TextItem: "Text"}[type(element)]
        self.title.setText(f"<b>{kind}</b>")
        self.fields_form = ParamsForm(FIELDS[type(element)])
        self.fields_form.valueChanged.connect(self._field_changed)
        self.fields_form.keyframeToggled.connect(lambda name, on: self._toggle_key(name, on, None))
        self.body_layout.addWidget(self.fields_form)
        if isinstance(element, TextItem):
            self.body_layout.addWidget(self._preset_row())
        if isinstance(element, VideoClip):
            self.transition_form = ParamsForm(TRANSITION_PARAMS, keyframes=False)
            self.transition_form.valueChanged.connect(self._transition_changed)
            self.body_layout.addWidget(self.transition_form)
            for ref in element.filters:
                self.body_layout.addWidget(self._filter_box(ref))
            self.body_layout.addWidget(self._add_filter_row())
        self.body_layout.addStretch(1)

    def _preset_row(self) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Style preset"))
        self.preset_combo = QComboBox()
        self.preset_combo.addItems(list(TEXT_PRESETS))
        layout.addWidget(self.preset_combo, 1)
        apply = QPushButton("Apply")
        apply.clicked.connect(lambda: self.apply_preset(self.preset_combo.currentText()))
        layout.addWidget(apply)
        return row

    def _filter_box(self, ref: FilterRef) -> QWidget:
        from studio.effects.registry import default_registry

        cls = default_registry().get(ref.id)
        box = QGroupBox(cls.name if cls is not None and cls.name else ref.id)
        layout = QVBoxLayout(box)
        header = QHBoxLayout()
        enabled = QCheckBox("On")
        enabled.setChecked(ref.enabled)
        enabled.toggled.connect(
            lambda on, uid=ref.uid: self._do(
                SetParam(self.element_id or "", f"filters.{uid}.enabled", bool(on), label="Switch filter")
            )
        )
        remove = QToolButton()
        remove.setText("Remove")
        remove.clicked.connect(
            lambda _c=False, uid=ref.uid: self._do(RemoveFilter(self.element_id or "", uid))
        )
        header.addWidget(enabled)
        header.addStretch(1)
        header.addWidget(remove)
        layout.addLayout(header)
        if cls is None:
            layout.addWidget(QLabel(f"The filter {ref.id} is not installed; it is kept but not shown."))
            return box
        form = ParamsForm(cls.params)
        form.valueChanged.connect(
            lambda name, value, final, uid=ref.uid: self._filter_changed(uid, name, value, final)
        )
        form.keyframeToggled.connect(lambda name, on, uid=ref.uid: self._toggle_key(name, on, uid))
        self.filter_forms[ref.uid] = form
        layout.addWidget(form)
        return box

    def _add_filter_row(self) -> QWidget:
        from studio.effects.registry import default_registry

        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        self.filter_combo = QComboBox()
        for cls in sorted(default_registry().classes(), key=lambda c: c.name or c.id):
            self.filter_combo.addItem(cls.name or cls.id, cls.id)
        add = QPushButton("Add filter")
        add.clicked.connect(lambda: self.add_filter(str(self.filter_combo.currentData())))
        layout.addWidget(self.filter_combo, 1)
        layout.addWidget(add)
        return row

    def _local_t(self, element: Any) -> float:
        return min(max(0.0, self.playhead - element.start), max(0.0, element.end - element.start))

    def _show_values(self) -> None:
        element = self.element()
        if element is None or self.fields_form is None:
            return
        local = self._local_t(element)
        values = {}
        for param in self.fields_form.params:
            keys = element.keyframes.get(param.name) if hasattr(element, "keyframes") else None
            values[param.name] = (
                element.value_at(param.name, local) if keys else read_field(element, param.name)
            )
            if param.name in self.fields_form.key_buttons:
                here = bool(keys) and any(abs(k.t - local) < 1e-3 for k in keys)
                self.fields_form.set_keyframe_state(param.name, bool(keys), here)
        self.fields_form.set_values(values)
        if self.transition_form is not None:
            tr = element.transition_in
            self.transition_form.set_values(
                {"kind": tr.kind if tr else "none", "duration": tr.duration if tr else 0.5}
            )
        for ref in getattr(element, "filters", []):
            form = self.filter_forms.get(ref.uid)
            if form is None:
                continue
            form.set_values(ref.values_at(local))
            for name in form.key_buttons:
                keys = ref.keyframes.get(name)
                form.set_keyframe_state(
                    name, bool(keys), bool(keys) and any(abs(k.t - local) < 1e-3 for k in keys)
                )

    # ------------------------------------------------------------------ edits

    def _do(self, edit: Edit) -> bool:
        return self.model.do(edit)

    def _seal(self) -> None:
        self.model.history.seal()

    def _field_changed(self, name: str, value: Any, final: bool) -> None:
        element = self.element()
        if element is None:
            return
        if name == "speed":
            if final and abs(float(value) - element.speed) > 1e-9:
                self._do(SetSpeed(element.id, float(value)))
            return
        if element.keyframes.get(name):
            if final:
                self._do(SetKeyframe(element.id, name, self._local_t(element), float(value)))
            return
        if read_field(element, name) == value and not final:
            return
        if read_field(element, name) != value:
            self._do(
                SetParams(element.id, field_change(element, name, value), merge=True, label=f"Change {name}")
            )
        if final:
            self._seal()

    def _filter_changed(self, uid: str, name: str, value: Any, final: bool) -> None:
        element = self.element()
        if element is None:
            return
        ref = element.filter(uid)
        if ref.keyframes.get(name):
            if final:
                self._do(SetKeyframe(element.id, name, self._local_t(element), float(value), filter_uid=uid))
            return
        if ref.params.get(name) != value:
            self._do(
                SetParam(
                    element.id, f"filters.{uid}.params.{name}", value, merge=True, label=f"Change {name}"
                )
            )
        if final:
            self._seal()

    def _transition_changed(self, name: str, value: Any, final: bool) -> None:
        element = self.element()
        if element is None or (not final and name == "kind"):
            return
        values = self.transition_form.values() if self.transition_form is not None else {}
        values[name] = value
        new = (
            None
            if values["kind"] == "none"
            else {"kind": values["kind"], "duration": float(values["duration"])}
        )
        old = element.transition_in.to_dict() if element.transition_in is not None else None
        if old is not None and new is not None:
            new = {**old, **new}
        if new != old:
            self._do(SetParam(element.id, "transition_in", new, merge=True, label="Change transition"))
        if final:
            self._seal()

    def _toggle_key(self, name: str, on: bool, filter_uid: str | None) -> None:
        element = self.element()
        if element is None:
            return
        local = self._local_t(element)
        if on:
            if filter_uid is None:
                value = (
                    element.value_at(name, local)
                    if element.keyframes.get(name)
                    else read_field(element, name)
                )
            else:
                value = element.filter(filter_uid).values_at(local)[name]
            self._do(SetKeyframe(element.id, name, local, float(value), filter_uid=filter_uid))
        else:
            try:
                self.model.history.do(RemoveKeyframe(element.id, name, local, filter_uid=filter_uid))
            except ProjectError as exc:
                self.message.emit(exc.message)
        self.refresh()

    def add_filter(self, filter_id: str) -> bool:
        from studio.effects.registry import default_registry

        element = self.element()
        cls = default_registry().get(filter_id)
        if not isinstance(element, VideoClip) or cls is None:
            return False
        return self._do(
            AddFilter(element.id, FilterRef(filter_id, params=cls.defaults(), version=cls.version))
        )

    def apply_preset(self, name: str) -> bool:
        element = self.element()
        if not isinstance(element, TextItem) or name not in TEXT_PRESETS:
            return False
        style = copy.deepcopy(TEXT_PRESETS[name])
        style.font = element.style.font
        return self._do(SetParams(element.id, {"style": style}, label=f"Text style {name}"))


__all__ = ["FIELDS", "TEXT_PRESETS", "Inspector"]
