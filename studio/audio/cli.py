"""`creator-studio audio`: list devices, play a test tone, record a voice-over from the terminal."""

from __future__ import annotations

import argparse
import json
import sys
import time


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="audio_command", metavar="ACTION", required=True)
    devices = sub.add_parser("devices", help="list audio devices (or why audio is off)")
    devices.add_argument("--json", action="store_true", help="machine-readable output")
    tone = sub.add_parser("tone", help="play a 1 kHz test tone and show the output level")
    tone.add_argument("--device", help="output device name (substring) or index")
    tone.add_argument("--seconds", type=float, default=2.0)
    rec = sub.add_parser("record", help="record a voice-over take to a WAV file")
    rec.add_argument("output", help="WAV file to write")
    rec.add_argument("--device", help="input device name (substring) or index")
    rec.add_argument("--seconds", type=float, default=10.0)
    rec.add_argument("--countdown", type=float, default=3.0)
    rec.add_argument("--channels", type=int, default=1, choices=(1, 2))


def _device(value: str | None) -> int | str | None:
    return int(value) if value is not None and value.isdigit() else value


def _devices(args: argparse.Namespace) -> int:
    from studio.audio.device import describe

    info = describe()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    if not info["available"]:
        print(f"Audio is off: {info.get('reason')}")
    for d in info["devices"]:
        flags = " (default output)" if d["is_default_output"] else ""
        print(
            f"#{d['index']:<3} {d['name']:<32} {d['hostapi']:<28} in {d['max_input_channels']:>2}  "
            f"out {d['max_output_channels']:>2}  {d['default_samplerate']:.0f} Hz{flags}"
        )
    return 0


def _tone(args: argparse.Namespace) -> int:
    import numpy as np

    from studio.audio.playback import AudioEngine

    with AudioEngine(_device(args.device)) as engine:
        if engine.status_message:
            print(engine.status_message, file=sys.stderr)
        t = np.arange(round(args.seconds * 48000)) / 48000
        mono = (0.25 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
        engine.set_tracks({"tone": np.stack([mono, mono], axis=1)})
        engine.play()
        while engine.playing:
            peak, rms = engine.meter.levels()
            print(f"\r{engine.clock.time():5.2f} s  peak {peak[0]:6.1f} dBFS  rms {rms[0]:6.1f} dBFS", end="")
            time.sleep(0.1)
        print()
    return 0


def _record(args: argparse.Namespace) -> int:
    from studio.audio.device import AudioUnavailable
    from studio.audio.record import Recorder, RecorderState

    recorder = Recorder(
        args.output, device=_device(args.device), channels=args.channels, countdown=args.countdown
    )
    try:
        recorder.start()
    except AudioUnavailable as exc:
        print(str(exc), file=sys.stderr)
        return 2
    try:
        while recorder.state is RecorderState.COUNTDOWN:
            print(f"\rstarting in {recorder.countdown_remaining()}...", end="")
            time.sleep(0.1)
        end = time.monotonic() + args.seconds
        while time.monotonic() < end and recorder.state is RecorderState.RECORDING:
            peak, _ = recorder.meter.levels()
            print(
                f"\rrecording {recorder.frames_written / recorder.rate:5.1f} s  peak {peak[0]:6.1f} dBFS",
                end="",
            )
            time.sleep(0.1)
    except KeyboardInterrupt:
        print("\nstopped (Ctrl+C)", end="")
    finally:
        print()
        try:
            result = recorder.stop()
        except AudioUnavailable as exc:
            print(str(exc), file=sys.stderr)
            return 2
    print(f"wrote {result.path} ({result.duration:.1f} s, {result.rate} Hz, {result.channels} ch)")
    return 0


def main(args: argparse.Namespace) -> int:
    return {"devices": _devices, "tone": _tone, "record": _record}[args.audio_command](args)
