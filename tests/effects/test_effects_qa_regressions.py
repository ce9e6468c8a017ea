"""Regressions found by QA driving the command line."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest

from studio.effects.api import Filter, FilterError
from studio.effects.chain import build_chain
from studio.effects.registry import FOLDER, load_registry
from tests.effects.helpers import gradient, ref


class Throws(Filter):
    id = "com.example.qa-throws"
    name = "QA throws"

    def process(self, image: np.ndarray, t: float, values: dict[str, Any]) -> np.ndarray:
        raise RuntimeError("boom")


def _console_records(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_export_with_a_bad_builtin_setting_says_nothing_false_on_the_console(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`render` printed "WARNING: filter studio.color disabled" before its error, though a
    built-in is never disabled and the export stops anyway: one line, the error, is enough."""
    registry = load_registry(entry_points=False)
    chain = build_chain(
        [ref("studio.color", saturation="lots")],
        width=64,
        height=112,
        fps=30,
        mode="export",
        registry=registry,
    )
    with caplog.at_level(logging.INFO), pytest.raises(FilterError) as info:
        chain.process(gradient(), 0.0)
    assert "Saturation" in str(info.value)
    assert _console_records(caplog) == []
    status = registry.status("studio.color")
    assert status is not None and status.enabled
    assert any("studio.color failed" in r.getMessage() for r in caplog.records)


def test_preview_failure_of_a_plugin_still_warns_that_it_is_disabled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = load_registry(entry_points=False)
    registry.register(Throws, FOLDER, "test")
    chain = build_chain([ref(Throws.id)], width=64, height=112, fps=30, registry=registry)
    with caplog.at_level(logging.INFO):
        chain.process(gradient(), 0.0)
    assert any("disabled for this session" in m and "boom" in m for m in _console_records(caplog))
    chain.close()
