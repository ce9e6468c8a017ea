"""The platform's chunk arithmetic for FILE_UPLOAD (contract 2.6), checked at init and per PUT."""

from __future__ import annotations

from dataclasses import dataclass

MIN_CHUNK = 5 * 1024 * 1024
MAX_CHUNK = 64 * 1000 * 1000
MAX_FINAL_CHUNK = 128 * 1000 * 1000
MAX_VIDEO_SIZE = 4 * 1024 * 1024 * 1024
MAX_CHUNKS = 1000


class ChunkPlanError(ValueError):
    """The declared plan breaks the rules; the message says which."""


@dataclass(frozen=True)
class ChunkPlan:
    video_size: int
    chunk_size: int
    total_chunk_count: int

    def expected_range(self, index: int) -> tuple[int, int]:
        """Inclusive (first, last) byte of chunk ``index``; the final chunk takes the remainder."""
        first = index * self.chunk_size
        if index == self.total_chunk_count - 1:
            return first, self.video_size - 1
        return first, first + self.chunk_size - 1


def validate_plan(video_size: object, chunk_size: object, total_chunk_count: object) -> ChunkPlan:
    """Accept exactly the plans the contract allows.

    Sizes are checked with the lenient reading of "MB" on each side (5 MiB minimum, 64 MB decimal
    maximum for non-final chunks) so that both client conventions the contract mentions pass.
    """
    for name, value in (
        ("video_size", video_size),
        ("chunk_size", chunk_size),
        ("total_chunk_count", total_chunk_count),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ChunkPlanError(f"{name} must be a positive integer")
    assert isinstance(video_size, int) and isinstance(chunk_size, int) and isinstance(total_chunk_count, int)
    if video_size > MAX_VIDEO_SIZE:
        raise ChunkPlanError("The video is larger than 4 GB")
    if chunk_size > video_size:
        raise ChunkPlanError("The chunk size is invalid")
    if total_chunk_count != video_size // chunk_size:
        raise ChunkPlanError("The total chunk count is invalid")
    if total_chunk_count > MAX_CHUNKS:
        raise ChunkPlanError("The total chunk count is invalid")
    if video_size < MIN_CHUNK:
        if chunk_size != video_size:
            raise ChunkPlanError("The chunk size is invalid")
        return ChunkPlan(video_size, chunk_size, 1)
    if total_chunk_count == 1:
        if chunk_size != video_size or video_size > MAX_CHUNK:
            raise ChunkPlanError("The chunk size is invalid")
        return ChunkPlan(video_size, chunk_size, 1)
    if chunk_size < MIN_CHUNK or chunk_size > MAX_CHUNK:
        raise ChunkPlanError("The chunk size is invalid")
    final = video_size - chunk_size * (total_chunk_count - 1)
    if final > MAX_FINAL_CHUNK:
        raise ChunkPlanError("The chunk size is invalid")
    return ChunkPlan(video_size, chunk_size, total_chunk_count)
