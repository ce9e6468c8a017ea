"""The Effects panel's settings of the selected filter: the form, values at the playhead,
keyframes, one undo step per slider gesture (a part of
:class:`~studio.ui.editor.effects.panel.EffectsPanel`)."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtWidgets import QLabel

from studio.core.edits import Edit, RemoveKeyframe, SetKeyframe, SetParam
from studio.effects.api import Filter, ParamError
from studio.ui.param_widgets import ParamsForm, is_keyframable

KEY_TOLERANCE = 1e-3


class _KeyframeDrag(SetKeyframe):
    """SetKeyframe that merges with the next one on the same key, so dragging an animated
    setting's slider is one undo step like dragging a static one."""

    def merge(self, other: Edit) -> bool:
        if not (
            isinstance(other, _KeyframeDrag)
            and (other.target_id, other.param, other.filter_uid)
            == (self.target_id, self.param, self.filter_uid)
            and abs(other.t - self.t) <= KEY_TOLERANCE
        ):
            return False
        self.value = other.value
        return True


def _stored(value: Any) -> Any:
    """Tuples (points) are kept as lists, as the project document stores them."""
    return list(value) if isinstance(value, tuple) else value


def _checked_values(cls: type[Filter], raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` validated name by name; a value that cannot be used shows the default."""
    out = cls.defaults()
    for p in cls.params:
        if p.name in raw:
            try:
                out[p.name] = p.validate(raw[p.name])
            except (ParamError, TypeError, ValueError):
                out[p.name] = p.default_value
    return out


class SettingsMixin:
    """Mixed into EffectsPanel, which owns ``params_area`` and the form."""

    def _refresh_form(self) -> None:
        f = self.selected_filter()
        cls = self.registry.get(f.id) if f is not None else None
        key = (f.uid, f.id) if f is not None else None
        if key != self._form_key:
            self._form_key = key
            self._end_gesture()
            if cls is None:
                self._form = None
                empty = QLabel(
                    "" if f is None else "This filter is not available, so its settings cannot be edited."
                )
                empty.setWordWrap(True)
                self.params_area.setWidget(empty)
            else:
                self._form = ParamsForm(cls.params)
                self._form.valueChanged.connect(self._param_edited)
                self._form.keyframeToggled.connect(self._key_toggled)
                self.params_area.setWidget(self._form)
        if f is None:
            self.filter_title.setText("")
        else:
            name = self._display_name(f)
            desc = cls.description if cls is not None else ""
            self.filter_title.setText(
                f"<b>{html.escape(name)}</b>" + (f"<br>{html.escape(desc)}" if desc else "")
            )
        problem = self.problems().get(f.uid, "") if f is not None else ""
        self.problem_label.setText(problem)
        self.problem_label.setVisible(bool(problem))
        self._refresh_values()

    def _refresh_values(self) -> None:
        f = self.selected_filter()
        if f is None or self._form is None:
            return
        cls = self.registry.get(f.id)
        if cls is None:
            return
        self._form.set_values(_checked_values(cls, f.values_at(self.local_time)))
        for p in cls.params:
            if is_keyframable(p):
                keys = f.keyframes.get(p.name, [])
                here = any(abs(k.t - self.local_time) <= KEY_TOLERANCE for k in keys)
                self._form.set_keyframe_state(p.name, bool(keys), here)

    @property
    def form(self) -> ParamsForm | None:
        return self._form

    def _end_gesture(self) -> None:
        if self._gesture is not None:
            self._gesture = None
            self.history.seal()

    def _param_edited(self, name: str, value: Any, final: bool) -> None:
        f, clip = self.selected_filter(), self._clip()
        if f is None or clip is None:
            return
        key = (clip.id, f.uid, name)
        if self._gesture != key:
            self._end_gesture()
            self.history.seal()
        cls = self.registry.get(f.id)
        param = next((p for p in cls.params if p.name == name), None) if cls is not None else None
        title = param.title if param is not None else name
        edit: Edit | None
        if f.keyframes.get(name):
            current = f.values_at(self.local_time).get(name)
            edit = (
                None
                if current == value and self._gesture != key
                else _KeyframeDrag(clip.id, name, self.local_time, float(value), filter_uid=f.uid)
            )
        else:
            current = f.params.get(name)
            same = _stored(current) == _stored(value)
            edit = (
                None
                if same and self._gesture != key
                else SetParam(
                    clip.id,
                    f"filters.{f.uid}.params.{name}",
                    _stored(value),
                    merge=True,
                    label=f"Change {title.lower()}",
                )
            )
        if edit is not None:
            self._gesture = key
            self._do(edit)
        if final:
            self._end_gesture()

    def _key_toggled(self, name: str, on: bool) -> None:
        f, clip = self.selected_filter(), self._clip()
        if f is None or clip is None:
            return
        self._end_gesture()
        keys = f.keyframes.get(name, [])
        here = [k for k in keys if abs(k.t - self.local_time) <= KEY_TOLERANCE]
        if on and not here:
            cls = self.registry.get(f.id)
            values = _checked_values(cls, f.values_at(self.local_time)) if cls is not None else {}
            value = values.get(name, f.params.get(name, 0.0))
            self._do(SetKeyframe(clip.id, name, self.local_time, float(value), filter_uid=f.uid), seal=True)
        elif not on and here:
            self._do(RemoveKeyframe(clip.id, name, here[0].t, filter_uid=f.uid), seal=True)
        else:
            self._refresh_values()
