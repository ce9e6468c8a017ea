"""PortAudio through sounddevice: safe import, device lists, and re-scanning for new servers.

``import sounddevice`` loads the PortAudio library and initialises it once; PortAudio enumerates
host APIs and devices only at that moment. A JACK or PulseAudio server started later is invisible
until PortAudio is re-initialised, which :func:`rescan` does (``sd._terminate()`` then
``sd._initialize()``; only safe while this process has no stream open).
"""

from __future__ import annotations

import atexit
import logging
import threading
from dataclasses import asdict, dataclass
from types import ModuleType
from typing import Any

JACK_HOSTAPI = "JACK Audio Connection Kit"

log = logging.getLogger(__name__)

_lock = threading.Lock()
_module: ModuleType | None = None
_import_error: str | None = None
_abandoned: list[Any] = []


@dataclass(frozen=True)
class AudioDevice:
    index: int
    name: str
    hostapi: str
    max_input_channels: int
    max_output_channels: int
    default_samplerate: float
    is_default_input: bool = False
    is_default_output: bool = False


class AudioUnavailable(Exception):
    """No usable audio device; ``str(exc)`` is a sentence for the status bar."""


def sounddevice() -> ModuleType | None:
    """The sounddevice module, or None when PortAudio cannot be loaded (see :func:`import_error`)."""
    global _module, _import_error
    with _lock:
        if _module is None and _import_error is None:
            try:
                import sounddevice as sd
            except (OSError, ImportError) as exc:
                _import_error = f"PortAudio could not be loaded ({exc})"
            else:
                _module = sd
        return _module


def import_error() -> str | None:
    sounddevice()
    return _import_error


def abandon(stream: Any) -> None:
    """Give up on a stream whose sound server vanished, without closing it.

    PortAudio 19.6's JACK backend blocks forever in ``Pa_AbortStream``/``Pa_CloseStream`` and
    ``Pa_Terminate`` for a stream whose server died. Such a stream is kept referenced and never
    closed; sounddevice's exit handler (which terminates PortAudio) is unregistered, since the OS
    reclaims the stream at exit anyway; and :func:`rescan` is refused from then on.
    """
    sd = sounddevice()
    _abandoned.append(stream)
    if sd is not None:
        atexit.unregister(sd._exit_handler)


def rescan() -> bool:
    """Re-initialise PortAudio so servers started after import are seen.

    False when PortAudio is unavailable, or after a lost stream (see :func:`abandon`): then only
    a restart of the app sees new devices.
    """
    sd = sounddevice()
    if sd is None:
        return False
    if _abandoned:
        log.warning("audio devices are not re-scanned after a lost device; restart to see new ones")
        return False
    with _lock:
        try:
            sd._terminate()
        except Exception as exc:  # PortAudio was not initialised: nothing to tear down
            log.debug("PortAudio terminate before re-scan: %s", exc)
        sd._initialize()
    return True


def _hostapi_names(sd: ModuleType) -> list[str]:
    return [h["name"] for h in sd.query_hostapis()]


def list_devices() -> list[AudioDevice]:
    sd = sounddevice()
    if sd is None:
        return []
    apis = _hostapi_names(sd)
    try:
        default_in, default_out = sd.default.device
    except Exception:
        default_in, default_out = -1, -1
    devices = []
    for index, d in enumerate(sd.query_devices()):
        devices.append(
            AudioDevice(
                index=index,
                name=d["name"],
                hostapi=apis[d["hostapi"]] if d["hostapi"] < len(apis) else "?",
                max_input_channels=d["max_input_channels"],
                max_output_channels=d["max_output_channels"],
                default_samplerate=float(d["default_samplerate"]),
                is_default_input=index == default_in,
                is_default_output=index == default_out,
            )
        )
    return devices


def list_output_devices() -> list[AudioDevice]:
    return [d for d in list_devices() if d.max_output_channels > 0]


def list_input_devices() -> list[AudioDevice]:
    return [d for d in list_devices() if d.max_input_channels > 0]


def resolve_device(device: int | str | None, kind: str) -> AudioDevice:
    """Pick a device by index, by (case-insensitive) name substring, or the default one.

    With no choice, a running JACK server's native device wins over PortAudio's default (which
    is ALSA's, often a plugin bridging to that same server with worse timing information).

    Raises :class:`AudioUnavailable` with a creator-facing reason when there is none.
    """
    sd = sounddevice()
    if sd is None:
        raise AudioUnavailable(f"Audio is off: {_import_error}.")
    candidates = list_input_devices() if kind == "input" else list_output_devices()
    if not candidates:
        raise AudioUnavailable(f"Audio is off: no audio {kind} device was found.")
    if isinstance(device, int):
        for d in candidates:
            if d.index == device:
                return d
        raise AudioUnavailable(f"Audio {kind} device #{device} does not exist or has no {kind} channels.")
    if isinstance(device, str):
        wanted = device.lower()
        exact = [d for d in candidates if d.name.lower() == wanted]
        partial = exact or [d for d in candidates if wanted in d.name.lower()]
        if not partial:
            names = ", ".join(d.name for d in candidates)
            raise AudioUnavailable(f"Audio {kind} device '{device}' was not found (available: {names}).")
        return partial[0]
    jack = [d for d in candidates if d.hostapi == JACK_HOSTAPI]
    if jack:
        return jack[0]
    default = [d for d in candidates if (d.is_default_input if kind == "input" else d.is_default_output)]
    return default[0] if default else candidates[0]


def describe() -> dict[str, Any]:
    """What ``doctor`` prints: PortAudio version, host APIs and devices, or why audio is off."""
    sd = sounddevice()
    if sd is None:
        return {"available": False, "reason": _import_error, "devices": []}
    devices = list_devices()
    info: dict[str, Any] = {
        "available": any(d.max_output_channels > 0 for d in devices),
        "portaudio": sd.get_portaudio_version()[1],
        "hostapis": _hostapi_names(sd),
        "devices": [asdict(d) for d in devices],
    }
    if not info["available"]:
        info["reason"] = "no audio output device was found"
    return info
