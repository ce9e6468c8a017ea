"""Regressions from the render QA round: each test failed on the code before its fix."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from studio.core.project import Project
from studio.render import ProjectRefused, mix_project_audio, plan_export, render_project
from tests.render.helpers import decode_audio_all, make_solid_video, make_tone, project

CLI = [sys.executable, "-m", "studio"]
RATE = 48000


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("render-qa")
    make_solid_video(d / "red.mp4", (255, 0, 0), seconds=1.0, tone_hz=440.0)
    make_tone(d / "tone.m4a", seconds=1.0)
    return d


def _doc(source: str = "red.mp4", out_point: float = 0.5) -> dict[str, Any]:
    return {
        "schema_version": 2,
        "title": "qa",
        "canvas": {"width": 180, "height": 320, "fps": 24},
        "tracks": [
            {
                "kind": "video",
                "clips": [{"source": source, "in_point": 0.0, "out_point": out_point, "start": 0.0}],
            }
        ],
    }


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    fast = ["--preset", "canvas", "--no-platform-check"]
    return subprocess.run([*CLI, "render", *args, *fast], capture_output=True, text=True, timeout=120)


def _project_file(folder: Path, doc: dict[str, Any], name: str = "p.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(doc))
    return path


def _refusal(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


# ------------------------------------------------------------------ R1, R2: outputs that destroy inputs


def test_r1_output_that_is_a_source_is_refused(media: Path, tmp_path: Path) -> None:
    work = tmp_path / "w"
    work.mkdir()
    shutil.copy(media / "red.mp4", work / "clip-b.mp4")
    before = (work / "clip-b.mp4").read_bytes()
    proj = _project_file(work, _doc("clip-b.mp4"))
    line = _refusal(_cli(str(proj), "-o", str(work / "clip-b.mp4"), "--progress", "none"))
    assert "clip-b.mp4" in line and "media files" in line
    (work / "link.mp4").symlink_to(work / "clip-b.mp4")
    os.link(work / "clip-b.mp4", work / "hard.mp4")
    p = Project.from_dict(_doc("clip-b.mp4"), base_dir=str(work))
    for out in ("link.mp4", "hard.mp4", "./sub/../clip-b.mp4"):
        (work / "sub").mkdir(exist_ok=True)
        with pytest.raises(ProjectRefused, match=r"clip-b\.mp4"):
            render_project(p, work / out, preset="canvas", check_platform=False)
    assert (work / "clip-b.mp4").read_bytes() == before
    assert sorted(f.name for f in work.iterdir()) == ["clip-b.mp4", "hard.mp4", "link.mp4", "p.json", "sub"]


def test_r2_output_that_is_the_project_or_the_drafts_db_is_refused(media: Path, tmp_path: Path) -> None:
    from studio.drafts.store import open_store

    proj = _project_file(media, _doc(), "r2.json")
    text = proj.read_text()
    line = _refusal(_cli(str(proj), "-o", str(proj)))
    assert "r2.json" in line and proj.read_text() == text
    store = open_store()
    try:
        draft_id = store.create_draft(_doc(), base_dir=media)
        db = Path(store.path)
    finally:
        store.close()
    size = db.stat().st_size
    line = _refusal(_cli("--draft", str(draft_id), "-o", str(db)))
    assert db.name in line and db.stat().st_size == size


# ------------------------------------------------------------------ R3: file mode


def test_r3_exported_file_gets_the_normal_mode(media: Path, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        out = render_project(
            Project.from_dict(_doc(out_point=0.25), base_dir=str(media)),
            tmp_path / "mode.mp4",
            preset="canvas",
            check_platform=False,
        ).path
    finally:
        os.umask(old)
    assert out is not None and (out.stat().st_mode & 0o777) == 0o644


# ------------------------------------------------------------------ R4: clips past their source's end


def test_r4_clip_past_the_end_of_its_source_is_refused(media: Path) -> None:
    video = Project.from_dict(_doc(out_point=40.0), base_dir=str(media))
    with pytest.raises(ProjectRefused, match=r"red\.mp4: .*ends at 40 s but the file is only 1\.0\d s long"):
        plan_export(video, "canvas", check_platform=False)
    audio_track = {
        "kind": "audio",
        "clips": [{"source": "tone.m4a", "in_point": 0, "out_point": 40, "start": 0}],
    }
    doc = _doc()
    doc["tracks"].append(audio_track)
    with pytest.raises(ProjectRefused, match=r"tone\.m4a: .*ends at 40 s but the file is only 1\.0\d s long"):
        plan_export(Project.from_dict(doc, base_dir=str(media)), "canvas", check_platform=False)
    # within one frame / 50 ms of the end: fine (container durations are rounded)
    audio_track["clips"][0]["out_point"] = 1.04
    plan_export(Project.from_dict(doc, base_dir=str(media)), "canvas", check_platform=False)


# ------------------------------------------------------------------ R6: reveal with a background box


def test_r6_unrevealed_words_are_invisible_inside_the_box() -> None:
    from studio.render.compositor import Compositor

    doc = {
        "schema_version": 2,
        "canvas": {"width": 360, "height": 640, "fps": 24, "background": "#000000"},
        "tracks": [
            {
                "kind": "text",
                "items": [
                    {
                        "text": "ONE TWO THREE",
                        "start": 0,
                        "end": 3,
                        "reveal": "word",
                        "style": {"size": 48, "color": "#ffffff", "background": "#2060ff"},
                    }
                ],
            }
        ],
    }
    p = Project.from_dict(doc)
    item = p.tracks[0].items[0]
    comp = Compositor(p, 360, 640, 24.0)
    buf = comp.compose(0.5, {})  # one word of three shown
    rgb = cv2.cvtColor(buf, cv2.COLOR_YUV2RGB_I420).astype(int)
    sprite = comp.sprite(item)
    left = round((0.5 * 360 - sprite.width / 2.0) / 2.0) * 2
    top = round((0.5 * 640 - sprite.height / 2.0) / 2.0) * 2
    x0, y0, x1, y1 = sprite.word_boxes[2]
    hidden = rgb[top + y0 + 4 : top + y1 - 4, left + x0 + 4 : left + x1 - 4]
    assert hidden.size
    # the box colour everywhere the hidden word would be: no hole, no outline, no letters
    assert np.abs(hidden - np.array([0x20, 0x60, 0xFF])).max() <= 12
    x0, y0, x1, y1 = sprite.word_boxes[0]
    shown = rgb[top + y0 : top + y1, left + x0 : left + x1]
    assert (shown.min(axis=2) > 200).sum() > 50  # the first word's white letters are there


# ------------------------------------------------------------------ R7, R8: messages


def test_r7_damaged_audio_warns_once(tmp_path: Path) -> None:
    from tests.media.fixtures import make_damaged_audio

    make_solid_video(tmp_path / "v.mp4", (0, 255, 0), seconds=1.0, tone_hz=440.0)
    make_damaged_audio(tmp_path / "v.mp4", tmp_path / "d.mp4")
    doc = _doc("d.mp4")
    doc["tracks"].append(
        {"kind": "audio", "clips": [{"source": "d.mp4", "in_point": 0, "out_point": 0.5, "start": 0}]}
    )
    proj = _project_file(tmp_path, doc)
    r = _cli(str(proj), "-o", str(tmp_path / "out.mp4"), "--progress", "none")
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "d.mp4" in lines[0] and "damaged" in lines[0], r.stderr


def test_r8_source_that_is_a_folder_says_so(tmp_path: Path) -> None:
    (tmp_path / "clips.mp4").mkdir()
    with pytest.raises(ProjectRefused) as info:
        plan_export(
            Project.from_dict(_doc("clips.mp4"), base_dir=str(tmp_path)), "canvas", check_platform=False
        )
    assert "clips.mp4 is a folder, not a media file" in info.value.message
    assert "missing" not in info.value.message


# ------------------------------------------------------------------ R9, R10: CLI


def test_r9_unwritable_output_folder_is_refused_before_work(media: Path, tmp_path: Path) -> None:
    from studio.render import cli

    proj = _project_file(media, _doc(), "r9.json")
    line = _refusal(_cli(str(proj), "-o", str(tmp_path / "no" / "such" / "out.mp4")))
    assert "does not exist" in line
    assert "2: refused before any work" in (cli.__doc__ or "")
    assert "output folder does not exist" in (cli.__doc__ or "")
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        try:
            assert "permission denied" in _refusal(_cli(str(proj), "-o", str(locked / "out.mp4")))
        finally:
            locked.chmod(0o755)


def test_r10_text_progress_to_a_pipe_is_plain_lines(media: Path, tmp_path: Path) -> None:
    proj = _project_file(media, _doc(out_point=1.0), "r10.json")
    r = _cli(str(proj), "-o", str(tmp_path / "out.mp4"), "--progress", "text")
    assert r.returncode == 0, r.stderr
    assert "\r" not in r.stdout
    lines = r.stdout.splitlines()
    assert lines[-1].startswith("wrote ") and all(line.startswith("frame ") for line in lines[:-1])


def test_r10_draft_in_the_trash_is_refused(media: Path, tmp_path: Path) -> None:
    from studio.drafts.store import open_store

    store = open_store()
    try:
        draft_id = store.create_draft(_doc(), base_dir=media)
        store.trash(draft_id)
    finally:
        store.close()
    line = _refusal(_cli("--draft", str(draft_id), "-o", str(tmp_path / "out.mp4")))
    assert "this draft is in the trash; restore it first" in line
    assert not (tmp_path / "out.mp4").exists()


# ------------------------------------------------------------------ R5: fonts and wrapping


def _text_project(text: str, **style: Any) -> Project:
    item = {"text": text, "start": 0, "end": 1, "position": style.pop("position", {"x": 0.5, "y": 0.5})}
    item["style"] = {"size": 40, **style}
    doc = {
        "schema_version": 2,
        "canvas": {"width": 360, "height": 640, "fps": 24},
        "tracks": [{"kind": "text", "items": [item]}],
    }
    return Project.from_dict(doc)


def _render_warnings(p: Project) -> list[str]:
    return render_project(p, None, preset="canvas", check_platform=False, null_output=True).warnings


def _has_font_for(char: str) -> bool:
    found = subprocess.run(
        ["fc-list", f":charset={ord(char):x}", "file"], capture_output=True, text=True
    ).stdout.strip()
    return bool(found)


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed")
def test_r5_characters_no_font_has_are_named_once() -> None:
    lacking = "".join(c for c in "中文\U0001f984" if not _has_font_for(c))
    if not lacking:
        pytest.skip("this system has fonts for every test character")
    warnings = _render_warnings(_text_project("hello 中文 \U0001f984"))
    glyphs = [w for w in warnings if "no installed font" in w]
    assert len(glyphs) == 1 and all(c in glyphs[0] for c in lacking) and "hello" in glyphs[0]


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed")
def test_r5_fallback_font_draws_what_the_bundled_one_lacks() -> None:
    from studio.render.text import TextLook, TextSprite, resolve_font

    bundled = subprocess.run(
        ["fc-query", "-f", "%{charset}", str(resolve_font(None))], capture_output=True, text=True
    ).stdout
    candidates = ["\U0001d49c", "\U0001d504", "\u2a00", "\u2a0c", "\u27c8"]
    found = [c for c in candidates if _has_font_for(c) and f"{ord(c):x}" not in bundled]
    if not found or _has_font_for("中"):
        pytest.skip("needs a system font covering a character DejaVu Sans lacks, and none for 中")

    def alpha(text: str) -> np.ndarray:
        look = TextLook(text, str(resolve_font(None)), 48, (255, 255, 255, 255), None, 0, None, "center", 300)
        return TextSprite(look).alphas[0]

    drawn, boxed = alpha(found[0]), alpha("中")  # 中: no font has it, drawn as DejaVu's box
    assert drawn.sum() > 0
    assert drawn.shape != boxed.shape or not np.allclose(drawn, boxed)


def test_r5_long_text_wraps_within_max_width_and_warns_off_the_bottom() -> None:
    from studio.render.compositor import Compositor

    words = "wrap " * 30 + "x" * 60  # many words, then one word wider than the canvas
    p = _text_project(words, max_width=0.8, position={"x": 0.5, "y": 0.9})
    sprite = Compositor(p, 360, 640, 24.0).sprite(p.tracks[0].items[0])
    assert sprite.width <= round(0.8 * 360) + 2
    assert sum("runs off the bottom" in w for w in _render_warnings(p)) == 1
    assert _render_warnings(_text_project("short")) == []


# ------------------------------------------------------------------ A1: ducking and noise gate


def _write_m4a(path: Path, mono: np.ndarray) -> Path:
    import av

    with av.open(str(path), "w", format="mp4") as out:
        a_s = out.add_stream("aac", rate=RATE)
        a_s.layout = "stereo"
        a_s.bit_rate = 192000
        for i in range(0, len(mono), 1024):
            chunk = np.ascontiguousarray(np.stack([mono[i : i + 1024]] * 2).astype(np.float32))
            af = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            af.sample_rate, af.pts, af.time_base = RATE, i, Fraction(1, RATE)
            out.mux(a_s.encode(af))
        out.mux(a_s.encode(None))
    return path


def _tone(hz: float, seconds: float, amplitude: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def _level_db(x: np.ndarray, hz: float, t0: float, t1: float) -> float:
    """Amplitude of the ``hz`` component in [t0, t1) in dB (a single-bin DFT: Goertzel)."""
    seg = x[round(t0 * RATE) : round(t1 * RATE)].mean(axis=1).astype(np.float64)
    n = np.arange(len(seg))
    amp = 2.0 * abs(np.sum(seg * np.exp(-2j * np.pi * hz * n / RATE))) / len(seg)
    return 20.0 * np.log10(max(amp, 1e-9))


def _ducking_project(folder: Path, audio: dict[str, Any] | None) -> Project:
    _write_m4a(folder / "music.m4a", _tone(440.0, 4.5, 0.2))
    _write_m4a(folder / "voice.m4a", _tone(1500.0, 1.0, 0.2))
    doc: dict[str, Any] = {
        "schema_version": 2,
        "canvas": {"width": 180, "height": 320, "fps": 24},
        "tracks": [
            {
                "id": "music",
                "kind": "audio",
                "clips": [{"source": "music.m4a", "in_point": 0, "out_point": 4.5, "start": 0}],
            },
            {
                "id": "vo",
                "kind": "audio",
                "clips": [
                    {
                        "source": "voice.m4a",
                        "in_point": 0,
                        "out_point": 1.0,
                        "start": 1.0,
                        "role": "voiceover",
                    }
                ],
            },
        ],
    }
    if audio is not None:
        doc["audio"] = audio
    return Project.from_dict(doc, base_dir=str(folder))


def test_a1_music_ducks_under_the_voiceover_in_the_exported_file(tmp_path: Path) -> None:
    p = _ducking_project(tmp_path, {"ducking": {"amount_db": 12}})
    assert Project.from_dict(p.to_dict()).audio.ducking is not None  # saved and read back
    result = render_project(
        p, tmp_path / "ducked.mp4", preset="canvas", check_platform=False, normalize_audio=False
    )
    assert result.path is not None
    sound = decode_audio_all(result.path)
    before = _level_db(sound, 440.0, 0.3, 0.9)
    under = _level_db(sound, 440.0, 1.4, 1.95)
    after = _level_db(sound, 440.0, 3.9, 4.4)
    assert before == pytest.approx(20 * np.log10(0.2), abs=1.0)
    assert before - under == pytest.approx(12.0, abs=1.5)
    assert before - after < 1.5
    assert _level_db(sound, 1500.0, 1.4, 1.95) == pytest.approx(before, abs=1.0)  # the voice is untouched
    # off by default: a project without "audio" mixes as before
    plain = _ducking_project(tmp_path, None)
    assert "audio" not in plain.to_dict()
    mix = mix_project_audio(plain, normalize=False)
    assert _level_db(mix, 440.0, 1.4, 1.95) == pytest.approx(before, abs=1.0)


def test_a1_noise_gate_silences_quiet_voiceover(tmp_path: Path) -> None:
    hum = _tone(300.0, 1.0, 0.003)  # about -50 dBFS: room noise, under the -45 dB threshold
    speech = _tone(300.0, 0.5, 0.3)
    _write_m4a(tmp_path / "vo.m4a", np.concatenate([hum, speech, hum]))
    doc: dict[str, Any] = {
        "schema_version": 2,
        "canvas": {"width": 180, "height": 320, "fps": 24},
        "tracks": [
            {
                "kind": "audio",
                "clips": [
                    {"source": "vo.m4a", "in_point": 0, "out_point": 2.5, "start": 0, "role": "voiceover"}
                ],
            }
        ],
    }
    open_mix = mix_project_audio(Project.from_dict(doc, base_dir=str(tmp_path)), normalize=False)
    doc["audio"] = {"noise_gate": {"threshold_db": -45}}
    gated = mix_project_audio(Project.from_dict(doc, base_dir=str(tmp_path)), normalize=False)
    assert _level_db(open_mix, 300.0, 0.2, 0.8) == pytest.approx(20 * np.log10(0.003), abs=2.0)
    assert _level_db(gated, 300.0, 0.2, 0.8) < _level_db(open_mix, 300.0, 0.2, 0.8) - 40
    assert _level_db(gated, 300.0, 1.1, 1.4) == pytest.approx(20 * np.log10(0.3), abs=1.0)


# ------------------------------------------------------------------ A2: stems


def test_a2_track_stems_sum_to_the_export_mix(tmp_path: Path) -> None:
    from studio.render.audio_mix import track_stems

    p = _ducking_project(tmp_path, {"ducking": {"amount_db": 12}})
    stems = track_stems(p)
    assert set(stems) == {"music", "vo"}
    assert all(s.dtype == np.float32 and s.shape == (round(4.5 * RATE), 2) for s in stems.values())
    mix = mix_project_audio(p)
    assert np.abs(stems["music"] + stems["vo"] - mix).max() < 1e-4
    music = stems["music"]
    assert _level_db(music, 440.0, 0.3, 0.9) - _level_db(music, 440.0, 1.4, 1.95) == pytest.approx(
        12, abs=1.5
    )
    assert _level_db(stems["vo"], 440.0, 0.3, 0.9) < -80


# ------------------------------------------------------------------ A3: face cache shared with preview


def test_a3_filter_chains_get_the_clip_key_and_the_face_cache(
    media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from studio.config import app_paths
    from studio.render import filters

    seen: list[dict[str, Any]] = []
    real = filters.build_chain

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(filters, "build_chain", spy)
    doc = _doc()
    doc["tracks"][0]["clips"][0].update(in_point=0.25, out_point=0.75)
    p = project(doc["tracks"], base=media)
    clip = p.tracks[0].clips[0]
    from studio.render import PreviewRenderer

    with PreviewRenderer(p, scale=0.5) as preview:
        preview.frame_at(0.1)
    render_project(p, None, preset="canvas", check_platform=False, null_output=True)
    assert len(seen) == 2
    for kwargs in seen:
        assert kwargs["clip_key"] == f"{clip.source}|0.25|0.75"
        assert kwargs["cache_dir"] == str(app_paths().cache / "faces")
