"""Timeline paint time with 300 clips, beside a QGraphicsView drawing the same 300 rectangles.

Ours: ``TimelineView.paintEvent`` (binary search for visible clips, cached thumbnail pixmaps)
rendered into a QImage with ``widget.render``, at the default zoom (a dozen clips visible),
zoomed out to show every clip, and while scrolling. Baseline: a ``QGraphicsView`` holding the
same 300 rectangles (plain coloured boxes, no thumbnails) rendered the same way, and an empty
QWidget's paint (the floor). Target: < 8 ms per frame. Run offscreen:
``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/timeline_paint.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication, QGraphicsScene, QGraphicsView, QWidget

from studio.core.edits import History
from studio.core.project import AudioClip, Project, TextItem, Track, VideoClip
from studio.ui.editor.timeline.items import Peaks
from studio.ui.editor.timeline.model import TimelineModel
from studio.ui.editor.timeline.view import ROW_H, TimelineView

WIDTH, HEIGHT = 1280, 260
CLIPS = 300
REPEATS = 200


def make_project() -> Project:
    video = Track("v1", "video")
    text = Track("t1", "text")
    audio = Track("a1", "audio")
    for i in range(200):
        video.clips.append(VideoClip(f"v{i}", f"/media/clip{i % 7}.mp4", 0.0, 2.0, i * 2.0))
    for i in range(60):
        text.items.append(TextItem(f"t{i}", f"Caption {i}", i * 6.0, i * 6.0 + 4.0))
    for i in range(40):
        audio.clips.append(AudioClip(f"a{i}", f"/media/song{i % 3}.m4a", 0.0, 9.0, i * 10.0))
    return Project(tracks=[video, text, audio])


def time_paints(target: QWidget, repeats: int, before: Callable[[int], None] | None = None) -> list[float]:
    """Milliseconds per full repaint into a QImage (a QGraphicsView paints its scene)."""
    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_ARGB32_Premultiplied)
    out = []
    for i in range(repeats):
        if before is not None:
            before(i)
        started = time.perf_counter()
        if isinstance(target, QGraphicsView):
            painter = QPainter(image)
            painter.fillRect(image.rect(), QColor(30, 31, 34))
            target.render(painter, QRectF(image.rect()), target.viewport().rect())
            painter.end()
        else:
            QWidget.render(target, image)
        out.append((time.perf_counter() - started) * 1000)
    return out


def graphics_baseline(project: Project) -> QGraphicsView:
    scene = QGraphicsScene()
    y = 0
    pps = 80.0
    for track in project.tracks:
        h = ROW_H[track.kind]
        for e in track.elements:
            scene.addRect(
                QRectF(e.start * pps, y, (e.end - e.start) * pps, h),
                QColor(255, 255, 255),
                QColor(58, 96, 160),
            )
        y += h + 3
    view = QGraphicsView(scene)
    view.keep_scene = scene  # type: ignore[attr-defined]  # the view does not own its scene
    view.resize(WIDTH, HEIGHT)
    view.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    return view


class Empty(QWidget):
    def paintEvent(self, _event: object) -> None:
        QPainter(self).fillRect(self.rect(), QColor(30, 31, 34))


def main() -> int:
    app = QApplication.instance() or QApplication([])
    project = make_project()
    assert sum(len(t.elements) for t in project.tracks) == CLIPS
    model = TimelineModel(History(project))
    view = TimelineView(model)
    view.resize(WIDTH, HEIGHT)
    thumb = QImage(27, 48, QImage.Format.Format_RGB888)
    thumb.fill(QColor(200, 120, 90))
    bucket = 0.25
    for src in {c.source for t in project.tracks for c in t.clips}:
        for k in range(int(2.0 / bucket) + 1):
            view.thumbnails.put(src, k * bucket, thumb)
    rate = 8000
    tone = np.sin(np.linspace(0, 2000 * np.pi, rate * 10, dtype=np.float32))[:, None].repeat(2, axis=1)
    for src in {c.source for c in project.tracks[2].clips}:
        view.waveforms.put(src, Peaks.from_samples(tone * 0.8, rate, block=64))
    view.show()
    app.processEvents()

    time_paints(view, 10)
    ours_default = time_paints(view, REPEATS)
    view.zoom_to_fit()
    ours_all = time_paints(view, REPEATS)
    view.set_zoom(80.0, 0)
    ours_scroll = time_paints(view, REPEATS, lambda i: view.set_offset(i * 1.7))
    baseline_view = graphics_baseline(project)
    baseline_view.show()
    time_paints(baseline_view, 10)
    base = time_paints(
        baseline_view, REPEATS, lambda i: baseline_view.horizontalScrollBar().setValue(i * 136)
    )
    baseline_view.fitInView(baseline_view.scene().sceneRect())
    base_all = time_paints(baseline_view, REPEATS)
    empty = Empty()
    empty.resize(WIDTH, HEIGHT)
    floor = time_paints(empty, REPEATS)

    def row(name: str, samples: list[float]) -> float:
        med = statistics.median(samples)
        p95 = sorted(samples)[int(len(samples) * 0.95)]
        print(f"{name:<44} median {med:6.2f} ms   p95 {p95:6.2f} ms")
        return med

    print(f"timeline paint, {CLIPS} clips, {WIDTH}x{HEIGHT}, {REPEATS} renders each (offscreen)")
    a = row("ours: default zoom (thumbnails, waveform rows)", ours_default)
    b = row("ours: zoomed out, all 300 clips visible", ours_all)
    c = row("ours: scrolling", ours_scroll)
    d = row("baseline: QGraphicsView, same rects, scrolling", base)
    d_all = row("baseline: QGraphicsView, all 300 rects visible", base_all)
    e = row("floor: empty QWidget paint", floor)
    worst = max(a, b, c)
    print(f"ratio ours/QGraphicsView scrolling: {c / d:.2f}x; all visible: {b / d_all:.2f}x")
    print(f"ratio ours(worst median)/empty widget: {worst / e:.1f}x")
    print(f"target < 8 ms per frame: {'met' if worst < 8 else 'NOT met'} ({worst:.2f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
