"""Face detection, tracking and smoothing for face-driven effects.

Pipeline per frame, all on a small grey copy (short side ~270 px):

* every ``detect_every`` frames (and after a seek) OpenCV's Haar cascade finds faces
  (``cv2.data.haarcascades``, ships in the wheel; ~13 ms at this size), and an eye cascade
  inside each face estimates its roll angle;
* in between, pyramidal Lucas-Kanade optical flow moves each box by the median motion of
  corner features inside it (~1 ms);
* a One-Euro filter per coordinate removes jitter while following fast moves. It takes the
  timestamps it is given, so it behaves the same when a clip is sped up or slowed down.

Boxes are in frame fractions (0..1), so a 0.5-scale preview and a full-size export agree.
Results are cached per clip (key: the clip's source + in/out, plus the detector settings)
in memory and, when a cache folder is given, on disk, so export reuses what preview found.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

SEEK_GAP_S = 0.5


@dataclass(frozen=True)
class DetectorSettings:
    detect_every: int = 5
    work_width: int = 270
    min_face: float = 0.09
    scale_factor: float = 1.15
    min_neighbors: int = 5
    min_cutoff: float = 1.5
    beta: float = 0.3
    max_faces: int = 4

    def key(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass(frozen=True)
class FaceBox:
    """A face in frame fractions: centre (cx, cy), size (w, h), roll ``angle`` in degrees."""

    cx: float
    cy: float
    w: float
    h: float
    angle: float = 0.0
    track_id: int = 0

    def pixels(self, width: int, height: int, pad: float = 0.0) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) clipped to the frame, grown by ``pad`` of the box size per side."""
        w = self.w * (1 + 2 * pad) * width
        h = self.h * (1 + 2 * pad) * height
        x0 = max(0, round(self.cx * width - w / 2))
        y0 = max(0, round(self.cy * height - h / 2))
        x1 = min(width, round(self.cx * width + w / 2))
        y1 = min(height, round(self.cy * height + h / 2))
        return x0, y0, x1, y1


class OneEuro:
    """The One-Euro filter (Casiez et al. 2012): low jitter at rest, low lag in motion."""

    def __init__(self, min_cutoff: float, beta: float, d_cutoff: float = 1.0) -> None:
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self._x: float | None = None
        self._dx = 0.0
        self._t = 0.0

    @staticmethod
    def _alpha(cutoff: float, dt: float) -> float:
        tau = 1.0 / (2 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, x: float, t: float) -> float:
        if self._x is None or t <= self._t:
            self._x, self._dx, self._t = x, 0.0, t
            return x
        dt = t - self._t
        dx = (x - self._x) / dt
        a_d = self._alpha(self.d_cutoff, dt)
        self._dx = a_d * dx + (1 - a_d) * self._dx
        cutoff = self.min_cutoff + self.beta * abs(self._dx)
        a = self._alpha(cutoff, dt)
        self._x = a * x + (1 - a) * self._x
        self._t = t
        return self._x


@dataclass
class _Track:
    track_id: int
    box: np.ndarray  # x, y, w, h in small-image pixels
    angle: float
    filters: list[OneEuro]
    misses: int = 0
    smoothed: tuple[float, ...] = ()


_cascades: dict[str, cv2.CascadeClassifier] = {}
_cascade_lock = threading.Lock()


def cascade(name: str) -> cv2.CascadeClassifier:
    with _cascade_lock:
        if name not in _cascades:
            path = str(Path(cv2.data.haarcascades) / name)
            clf = cv2.CascadeClassifier(path)
            if clf.empty():
                raise RuntimeError(f"OpenCV's {name} is missing from {cv2.data.haarcascades}")
            _cascades[name] = clf
        return _cascades[name]


def small_grey(image: np.ndarray, work_width: int) -> np.ndarray:
    """A grey copy of an RGB image or a Y plane whose short side is about ``work_width``
    (270 x 480 for a vertical frame, 480 x 270 for a wide one: the same cost either way)."""
    h, w = image.shape[:2]
    scale = min(1.0, work_width / min(w, h))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA) if scale < 1.0 else image
    if small.ndim == 3:
        small = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    return cv2.equalizeHist(small)


def detect_faces(grey: np.ndarray, settings: DetectorSettings) -> list[tuple[np.ndarray, float]]:
    """Faces in a small grey image: [(x, y, w, h), roll angle in degrees]."""
    min_side = max(24, int(settings.min_face * min(grey.shape)))
    found = cascade("haarcascade_frontalface_default.xml").detectMultiScale(
        grey,
        scaleFactor=settings.scale_factor,
        minNeighbors=settings.min_neighbors,
        minSize=(min_side, min_side),
    )
    faces = sorted((np.asarray(f, np.float32) for f in found), key=lambda b: -b[2] * b[3])
    return [(b, _roll(grey, b)) for b in faces[: settings.max_faces]]


def _roll(grey: np.ndarray, box: np.ndarray) -> float:
    x, y, w, h = (int(v) for v in box)
    roi = grey[y : y + h // 2 + h // 8, x : x + w]
    if roi.size == 0:
        return 0.0
    eyes = cascade("haarcascade_eye.xml").detectMultiScale(roi, 1.1, 3, minSize=(max(4, w // 8),) * 2)
    if len(eyes) < 2:
        return 0.0
    eyes = sorted(eyes, key=lambda e: -e[2] * e[3])[:2]
    (ax, ay), (bx, by) = sorted((e[0] + e[2] / 2, e[1] + e[3] / 2) for e in eyes)
    if bx - ax < w * 0.2:
        return 0.0
    angle = math.degrees(math.atan2(by - ay, bx - ax))
    return angle if abs(angle) < 35 else 0.0


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    return float(inter / (a[2] * a[3] + b[2] * b[3] - inter + 1e-6))


class FaceTracker:
    """Sequential detector + tracker + smoother. Feed frames in time order with ``update``."""

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.settings = settings or DetectorSettings()
        self._tracks: list[_Track] = []
        self._prev: np.ndarray | None = None
        self._last_t: float | None = None
        self._since_detect = 0
        self._next_id = 1

    def reset(self) -> None:
        self._tracks, self._prev, self._last_t, self._since_detect = [], None, None, 0

    def update(self, image: np.ndarray, t: float) -> list[FaceBox]:
        """Faces in ``image`` (RGB HxWx3 or a grey/Y plane) at time ``t`` seconds."""
        grey = small_grey(image, self.settings.work_width)
        if self._last_t is None or t < self._last_t or t - self._last_t > SEEK_GAP_S:
            self.reset()
        elif self._prev is not None and self._prev.shape == grey.shape:
            self._flow(self._prev, grey)
        if self._last_t is None or self._since_detect >= self.settings.detect_every - 1:
            self._detect(grey)
            self._since_detect = 0
        else:
            self._since_detect += 1
        self._prev, self._last_t = grey, t
        gh, gw = grey.shape
        out = []
        for track in self._tracks:
            x, y, w, h = track.box
            raw = ((x + w / 2) / gw, (y + h / 2) / gh, w / gw, h / gh, track.angle)
            track.smoothed = tuple(f(v, t) for f, v in zip(track.filters, raw, strict=True))
            cx, cy, bw, bh, angle = track.smoothed
            out.append(FaceBox(float(cx), float(cy), float(bw), float(bh), float(angle), track.track_id))
        return out

    def _detect(self, grey: np.ndarray) -> None:
        found = detect_faces(grey, self.settings)
        matched: set[int] = set()
        for track in self._tracks:
            best, best_iou = None, 0.2
            for i, (box, _) in enumerate(found):
                score = _iou(track.box, box)
                if i not in matched and score > best_iou:
                    best, best_iou = i, score
            if best is None:
                track.misses += 1
            else:
                matched.add(best)
                track.box, track.angle, track.misses = found[best][0], found[best][1], 0
        self._tracks = [tr for tr in self._tracks if tr.misses < 2]
        s = self.settings
        for i, (box, angle) in enumerate(found):
            if i not in matched and len(self._tracks) < s.max_faces:
                filters = [OneEuro(s.min_cutoff, s.beta) for _ in range(4)] + [OneEuro(0.5, 0.05)]
                self._tracks.append(_Track(self._next_id, box, angle, filters))
                self._next_id += 1

    def _flow(self, prev: np.ndarray, grey: np.ndarray) -> None:
        for track in self._tracks:
            x, y, w, h = (int(v) for v in track.box)
            mask = np.zeros_like(prev)
            mask[max(0, y) : y + h, max(0, x) : x + w] = 255
            pts = cv2.goodFeaturesToTrack(prev, 30, 0.01, 3, mask=mask)
            if pts is None or len(pts) < 4:
                continue
            nxt, ok, _ = cv2.calcOpticalFlowPyrLK(prev, grey, pts, None, winSize=(15, 15), maxLevel=2)
            good = ok.reshape(-1) == 1
            if good.sum() < 4:
                continue
            p0, p1 = pts.reshape(-1, 2)[good], nxt.reshape(-1, 2)[good]
            dx, dy = np.median(p1 - p0, axis=0)
            d0 = np.linalg.norm(p0 - p0.mean(0), axis=1)
            d1 = np.linalg.norm(p1 - p1.mean(0), axis=1)
            scale = float(np.median(d1[d0 > 1e-3] / d0[d0 > 1e-3])) if (d0 > 1e-3).any() else 1.0
            scale = min(max(scale, 0.9), 1.1)
            cx, cy = x + w / 2 + dx, y + h / 2 + dy
            track.box = np.array([cx - w * scale / 2, cy - h * scale / 2, w * scale, h * scale], np.float32)


@dataclass
class ClipFaces:
    """The boxes found for one clip, by frame time in milliseconds."""

    key: str
    frames: dict[int, list[FaceBox]] = field(default_factory=dict)
    tracker: FaceTracker = field(default_factory=FaceTracker)
    dirty: int = 0
    derived: dict[str, dict[int, tuple[float, ...]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def boxes_at(self, image: np.ndarray, t: float) -> list[FaceBox]:
        ms = round(t * 1000)
        with self.lock:
            cached = self.frames.get(ms)
            if cached is not None:
                return cached
            boxes = self.tracker.update(image, t)
            self.frames[ms] = boxes
            self.dirty += 1
            return boxes


class FaceCache:
    """Per-clip face tracks shared by every chain in the process (and on disk when asked)."""

    def __init__(self, max_clips: int = 16) -> None:
        self._clips: OrderedDict[str, ClipFaces] = OrderedDict()
        self._lock = threading.Lock()
        self.max_clips = max_clips

    @staticmethod
    def key(clip_key: str, settings: DetectorSettings) -> str:
        return hashlib.sha1(f"{clip_key}|{settings.key()}".encode()).hexdigest()[:20]

    def clip(self, clip_key: str, settings: DetectorSettings, cache_dir: str = "") -> ClipFaces:
        key = self.key(clip_key, settings)
        with self._lock:
            found = self._clips.get(key)
            if found is None:
                found = ClipFaces(key, tracker=FaceTracker(settings))
                if clip_key and cache_dir:
                    found.frames = _load(Path(cache_dir) / f"faces-{key}.json")
                self._clips[key] = found
                while len(self._clips) > self.max_clips:
                    self._clips.popitem(last=False)
            self._clips.move_to_end(key)
            return found

    def save(self, clip: ClipFaces, cache_dir: str) -> None:
        if not cache_dir or not clip.dirty:
            return
        folder = Path(cache_dir)
        folder.mkdir(parents=True, exist_ok=True)
        doc = {str(ms): [asdict(b) for b in boxes] for ms, boxes in clip.frames.items()}
        tmp = folder / f"faces-{clip.key}.json.tmp"
        tmp.write_text(json.dumps(doc), encoding="utf-8")
        tmp.replace(folder / f"faces-{clip.key}.json")
        clip.dirty = 0

    def clear(self) -> None:
        with self._lock:
            self._clips.clear()


def _load(path: Path) -> dict[int, list[FaceBox]]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return {int(ms): [FaceBox(**b) for b in boxes] for ms, boxes in doc.items()}
    except (OSError, ValueError, TypeError):
        return {}


FACE_CACHE = FaceCache()


def track_faces(
    frames: list[tuple[float, np.ndarray]], settings: DetectorSettings | None = None
) -> list[list[FaceBox]]:
    """Boxes for a list of (t, image) in time order (a convenience for tools and tests)."""
    tracker = FaceTracker(settings)
    return [tracker.update(image, t) for t, image in frames]
