"""Media I/O on PyAV (FFmpeg): probe, decode with accurate seeking, audio, encoders, thumbnails.

Modules: ``errors`` (MediaError), ``probe`` (probe -> MediaInfo), ``decode`` (VideoDecoder),
``convert`` (PyAV frame -> I420 Frame), ``audio`` (decode_audio, has_audio), ``encoders``
(probe_video_encoders, pick_encoder), ``thumbnails`` (thumbnail), ``cli`` (`creator-studio probe`).
Import the module you need; this package imports nothing so that CLI start-up stays fast.
"""
