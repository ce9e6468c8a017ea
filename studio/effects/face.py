"""Face detection, tracking and smoothing for face-driven effects.

Pipeline per frame, all on a small grey copy (short side ~270 px):

* every ``detect_every`` frames (and after a seek) OpenCV's Haar cascades find faces
  (``cv2.data.haarcascades``, ships in the wheel; see :mod:`studio.effects.face_detect`): the
  frontal cascade on the frame, plus one more view per round in turn (the frame rotated by
  ±15°/±30°, the profile cascade on the frame and on its mirror, upright and leant forward
  or back by 15°/30°; a view that found a face not yet confirmed runs again the next round;
  all but the leant-back ones on the first round after a seek, until one finds a face with
  eyes), and around each tracked face an upright search at its current roll; candidates are
  merged by non-maximum suppression. While
  every tracked face is confirmed and matched, the whole-frame scan runs every
  ``rescan_every`` rounds and the extra view every other round;
* the eye cascade on an upright copy of each face gives the eyes and the roll (the eye line),
  on a tracked face every ``eye_every`` rounds (flow carries the eyes in between);
  nose and mouth follow from the eyes (:mod:`studio.effects.landmarks`);
* in between, pyramidal Lucas-Kanade optical flow moves each box by the median motion of
  corner features inside it and turns it by their rotation (~1 ms);
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
from typing import Any

import cv2
import numpy as np

from studio.effects.face_detect import (
    EXTRA_VIEWS,
    FIRST_VIEWS,
    Detection,
    cascade,
    iou,
    search_near,
    suppress,
    view_candidates,
    with_eyes,
)
from studio.effects.landmarks import PRIOR_EYE_U, PRIOR_EYE_V, face_points, prior_eyes, rotate

__all__ = ["Detection", "DetectorSettings", "FaceBox", "FaceTracker", "cascade", "detect_faces"]

SEEK_GAP_S = 0.5
MAX_FLOW_TURN = 6.0  # degrees per frame the optical flow may turn a face
Point = tuple[float, float]


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
    rotated_scale: float = 0.6  # extra downscale for the rotated and profile views
    multi_view: bool = True
    # While every tracked face is confirmed and was matched in the last round, the whole-frame
    # frontal scan (which finds new faces) runs every ``rescan_every`` rounds, the extra view
    # every other round, and the eye cascade on a tracked face every ``eye_every`` rounds; in
    # between, the upright search around each face keeps it and flow carries its eyes.
    rescan_every: int = 4
    eye_every: int = 2
    version: int = 4  # bump when what is cached changes (2: multi-view + landmarks, 3: schedule,
    # 4: tilted profile views)

    def key(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass(frozen=True)
class FaceBox:
    """A face in frame fractions: centre (cx, cy), size (w, h), roll ``angle`` in degrees
    (clockwise positive, from the eye line), and landmarks in frame fractions: the eyes
    (``eye_l`` is the one on the image's left), the nose tip and the mouth centre.
    ``eyes_found`` says the eyes were seen rather than placed by the average-face prior."""

    cx: float
    cy: float
    w: float
    h: float
    angle: float = 0.0
    track_id: int = 0
    eye_l: Point | None = None
    eye_r: Point | None = None
    nose: Point | None = None
    mouth: Point | None = None
    eyes_found: bool = False

    @property
    def roll(self) -> float:
        return self.angle

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> FaceBox:
        fields = dict(doc)
        for name in ("eye_l", "eye_r", "nose", "mouth"):
            if fields.get(name) is not None:
                fields[name] = (float(fields[name][0]), float(fields[name][1]))
        return cls(**fields)

    def points(self, width: int, height: int) -> dict[str, Point]:
        """Landmarks in pixels of a ``width`` x ``height`` frame: ``eye_l``, ``eye_r``,
        ``eyes`` (their middle), ``nose``, ``mouth``, ``cheek_l``, ``cheek_r``, ``cheeks``,
        ``head_top``. Without landmarks (an old cache), the average-face prior."""
        if self.eye_l is None or self.eye_r is None:
            side = math.sqrt(self.w * width * self.h * height)
            eye_l, eye_r = prior_eyes(self.cx * width, self.cy * height, side, self.angle)
        else:
            eye_l = (self.eye_l[0] * width, self.eye_l[1] * height)
            eye_r = (self.eye_r[0] * width, self.eye_r[1] * height)
        points = face_points(eye_l, eye_r)
        if self.nose is not None and self.mouth is not None:
            points["nose"] = (self.nose[0] * width, self.nose[1] * height)
            points["mouth"] = (self.mouth[0] * width, self.mouth[1] * height)
        return points

    def eye_distance(self, width: int, height: int) -> float:
        """Inter-ocular distance in pixels, kept within 0.3..0.6 of the face width (a turned
        face foreshortens its eyes; a sticker should not shrink to nothing)."""
        p = self.points(width, height)
        d = math.dist(p["eye_l"], p["eye_r"])
        fw = self.w * width
        return min(max(d, 0.3 * fw), 0.6 * fw)

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
    box: np.ndarray  # x, y, w, h in small-image pixels (the face's own square)
    angle: float
    filters: list[OneEuro]
    eyes: np.ndarray = field(default_factory=lambda: _PRIOR_REL.copy())  # in face sizes
    eyes_found: bool = False
    misses: int = 0
    hits: int = 0
    smoothed: tuple[float, ...] = ()
    eye_age: int = 0  # detection rounds since the eye cascade last ran on this face
    view: str = ""  # the extra view that last found it ("" for the frontal or near searches)

    @property
    def confirmed(self) -> bool:
        """Seen with its eyes, or in two detection rounds: worth a search of its own (a
        one-off false hit is not kept alive by the lenient search around it)."""
        return self.eyes_found or self.hits >= 2

    def take(self, det: Detection) -> None:
        """Adopt a detection: its box, roll and eyes (in the face's own frame)."""
        self.misses = 0
        self.hits += 1
        self.view = det.view if det.view in EXTRA_VIEWS else ""
        fit = det.eyes
        if fit is None:
            # No eye fit this round: keep the roll and eyes that flow carried, take the place.
            self.box = det.box
            self.eye_age += 1
            return
        self.box, self.angle, self.eye_age = det.box, det.angle, 0
        cx, cy = det.centre
        side = float(det.box[2])
        rel = []
        for px, py in (fit.eye_l, fit.eye_r):
            rel.extend(v / side for v in rotate(px - cx, py - cy, -det.angle))
        self.eyes, self.eyes_found = np.array(rel, np.float64), fit.found


_PRIOR_REL = np.array([-PRIOR_EYE_U, PRIOR_EYE_V, PRIOR_EYE_U, PRIOR_EYE_V], np.float64)


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


def detect_faces(
    grey: np.ndarray, settings: DetectorSettings, views: tuple[str, ...] | None = None
) -> list[Detection]:
    """Faces in a small grey image, largest first, each with its roll and eyes. ``views``:
    the extra views to search besides the frontal one (all of them by default)."""
    if views is None:
        views = EXTRA_VIEWS if settings.multi_view else ()
    found = _candidates(grey, settings, views)
    faces = sorted(suppress(found), key=lambda d: -float(d.box[2] * d.box[3]))
    return [with_eyes(grey, d) for d in faces[: settings.max_faces]]


def _candidates(grey: np.ndarray, settings: DetectorSettings, views: tuple[str, ...]) -> list[Detection]:
    s = settings
    found = view_candidates(grey, "frontal", s.scale_factor, s.min_neighbors, s.min_face)
    for view in views:
        found += view_candidates(grey, view, s.scale_factor, s.min_neighbors, s.min_face, s.rotated_scale)
    return found


class FaceTracker:
    """Sequential detector + tracker + smoother. Feed frames in time order with ``update``."""

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.settings = settings or DetectorSettings()
        self._tracks: list[_Track] = []
        self._prev: np.ndarray | None = None
        self._last_t: float | None = None
        self._since_detect = 0
        self._rounds = 0
        self._turn = 0  # which extra view is next
        self._next_id = 1

    def reset(self) -> None:
        self._tracks, self._prev, self._last_t, self._since_detect, self._rounds = [], None, None, 0, 0
        self._turn = 0

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
        return [self._output(track, grey.shape, t) for track in self._tracks]

    def _output(self, track: _Track, shape: tuple[int, ...], t: float) -> FaceBox:
        gh, gw = shape[:2]
        x, y, w, h = (float(v) for v in track.box)
        raw = ((x + w / 2) / gw, (y + h / 2) / gh, w / gw, h / gh, track.angle, *track.eyes)
        track.smoothed = tuple(f(v, t) for f, v in zip(track.filters, raw, strict=True))
        cx, cy, bw, bh, angle, *rel = (float(v) for v in track.smoothed)
        side = math.sqrt(bw * gw * bh * gh)
        eyes = []
        for u, v in ((rel[0], rel[1]), (rel[2], rel[3])):
            du, dv = rotate(u * side, v * side, angle)
            eyes.append((cx * gw + du, cy * gh + dv))
        pts = face_points(eyes[0], eyes[1])

        def frac(p: Point) -> Point:
            return p[0] / gw, p[1] / gh

        return FaceBox(
            cx, cy, bw, bh, angle, track.track_id,
            eye_l=frac(pts["eye_l"]), eye_r=frac(pts["eye_r"]),
            nose=frac(pts["nose"]), mouth=frac(pts["mouth"]),
            eyes_found=track.eyes_found,
        )  # fmt: skip

    def _steady(self) -> bool:
        """Every tracked face is confirmed and was matched in the last round."""
        return bool(self._tracks) and all(t.confirmed and t.misses == 0 for t in self._tracks)

    def _views(self) -> tuple[str, ...]:
        """The extra views of the first round after a reset (``FIRST_VIEWS``: all but the
        leant-back profiles; skipped when the frontal view finds a face with eyes there), then
        one per round in turn; while the tracking is steady, one every other round."""
        if not self.settings.multi_view:
            return ()
        if self._rounds == 0:
            return FIRST_VIEWS
        if self._steady() and self._rounds % 2:
            return ()
        return (EXTRA_VIEWS[self._turn % len(EXTRA_VIEWS)],)

    def _detect(self, grey: np.ndarray) -> None:
        s = self.settings
        steady = s.multi_view and self._steady()
        views = self._views()
        turned = len(views) == 1
        # A face one view found once (no eyes seen: a profile) is looked for by that view again
        # next round, so it is confirmed (two hits) or dropped then, not lost until the view
        # comes round again (the cameraman's profile flickered off for 6 rounds before).
        again = (t.view for t in self._tracks if t.view and not t.confirmed and t.view not in views)
        views = (*views, *dict.fromkeys(again))
        candidates: list[Detection] = []
        if not steady or self._rounds % max(1, s.rescan_every) == 0:
            candidates = view_candidates(grey, "frontal", s.scale_factor, s.min_neighbors, s.min_face)
        first = self._rounds == 0
        for view in views:
            if first:
                # A face whose eyes are seen ends the first round: the slower views can wait
                # for their turn (a hit without eyes, often a false one, does not).
                candidates = [d if d.eyes is not None else with_eyes(grey, d) for d in candidates]
                if any(d.eyes is not None and d.eyes.found for d in candidates):
                    break
            candidates += view_candidates(
                grey, view, s.scale_factor, s.min_neighbors, s.min_face, s.rotated_scale
            )
        self._turn += turned
        self._rounds += 1
        if s.multi_view:
            for track in self._tracks:
                if track.confirmed and not any(iou(track.box, d.box) > 0.2 for d in candidates):
                    candidates += search_near(grey, track.box, track.angle, s.scale_factor, s.min_neighbors)
        faces = sorted(suppress(candidates), key=lambda d: -float(d.box[2] * d.box[3]))
        found = faces[: s.max_faces]
        matched: dict[int, _Track] = {}
        for track in self._tracks:
            best, best_iou = None, 0.2
            for i, det in enumerate(found):
                score = iou(track.box, det.box)
                if i not in matched and score > best_iou:
                    best, best_iou = i, score
            if best is None:
                track.misses += 1
            else:
                matched[best] = track
        for i, det in enumerate(found):
            track = matched.get(i)
            # A face whose eyes were seen lately keeps them (flow carries them) for a round.
            cached = (
                track is not None
                and track.eyes_found
                and track.eye_age + 1 < max(1, s.eye_every)
                and abs(det.angle - track.angle) < 20.0
            )
            found[i] = det if cached or det.eyes is not None else with_eyes(grey, det)
        for i, track in matched.items():
            track.take(found[i])
        self._tracks = [tr for tr in self._tracks if tr.misses < 2]
        for i, det in enumerate(found):
            if i not in matched and len(self._tracks) < s.max_faces:
                filters = [OneEuro(s.min_cutoff, s.beta) for _ in range(4)] + [OneEuro(0.5, 0.05)]
                filters += [OneEuro(s.min_cutoff, s.beta) for _ in range(4)]
                track = _Track(self._next_id, det.box, det.angle, filters)
                track.take(det)
                self._tracks.append(track)
                self._next_id += 1

    def _flow(self, prev: np.ndarray, grey: np.ndarray) -> None:
        gh, gw = grey.shape[:2]
        for track in self._tracks:
            x, y, w, h = (int(v) for v in track.box)
            # Corners inside the face, followed on a crop around it (not the whole frame).
            fx0, fy0, fx1, fy1 = max(0, x), max(0, y), min(gw, x + w), min(gh, y + h)
            if fx1 - fx0 < 8 or fy1 - fy0 < 8:
                continue
            pts = cv2.goodFeaturesToTrack(prev[fy0:fy1, fx0:fx1], 30, 0.01, 3)
            if pts is None or len(pts) < 4:
                continue
            margin = max(w, h) // 2 + 16
            cx0, cy0 = max(0, x - margin), max(0, y - margin)
            cx1, cy1 = min(gw, x + w + margin), min(gh, y + h + margin)
            pts = pts + np.array([fx0 - cx0, fy0 - cy0], np.float32)
            nxt, ok, _ = cv2.calcOpticalFlowPyrLK(
                prev[cy0:cy1, cx0:cx1], grey[cy0:cy1, cx0:cx1], pts, None, winSize=(15, 15), maxLevel=2
            )
            good = ok.reshape(-1) == 1
            if good.sum() < 4:
                continue
            p0, p1 = pts.reshape(-1, 2)[good] + (cx0, cy0), nxt.reshape(-1, 2)[good] + (cx0, cy0)
            dx, dy = np.median(p1 - p0, axis=0)
            v0, v1 = p0 - p0.mean(0), p1 - p1.mean(0)
            d0, d1 = np.linalg.norm(v0, axis=1), np.linalg.norm(v1, axis=1)
            far = d0 > max(1e-3, 0.15 * w)
            scale = float(np.median(d1[far] / d0[far])) if far.any() else 1.0
            scale = min(max(scale, 0.9), 1.1)
            if far.sum() >= 4:
                turn = np.arctan2(v1[far, 1], v1[far, 0]) - np.arctan2(v0[far, 1], v0[far, 0])
                turn = math.degrees(float(np.median((turn + np.pi) % (2 * np.pi) - np.pi)))
                track.angle += min(max(turn, -MAX_FLOW_TURN), MAX_FLOW_TURN)
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

    def keys(self) -> list[str]:
        with self._lock:
            return list(self._clips)

    def forget(self, clip: ClipFaces) -> None:
        """Drop one clip's tracks (a chain without a clip key closing: nobody can ask again)."""
        with self._lock:
            if self._clips.get(clip.key) is clip:
                del self._clips[clip.key]

    def clear(self) -> None:
        with self._lock:
            self._clips.clear()


def _load(path: Path) -> dict[int, list[FaceBox]]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return {int(ms): [FaceBox.from_dict(b) for b in boxes] for ms, boxes in doc.items()}
    except (OSError, ValueError, TypeError):
        return {}


FACE_CACHE = FaceCache()


def track_faces(
    frames: list[tuple[float, np.ndarray]], settings: DetectorSettings | None = None
) -> list[list[FaceBox]]:
    """Boxes for a list of (t, image) in time order (a convenience for tools and tests)."""
    tracker = FaceTracker(settings)
    return [tracker.update(image, t) for t, image in frames]
