"""The chunk plan of a FILE_UPLOAD, exactly as the platform's rules say (tiktok_api.md 2.6).

- under 5 MB the whole file is one chunk (``chunk_size == video_size``);
- otherwise every chunk is 5-64 MB, ``total_chunk_count = floor(video_size / chunk_size)`` and
  the last chunk absorbs the remainder (up to 128 MB); 1 to 1000 chunks;
- the file is at most 4 GB.

"MB" is read both ways at once (the platform and its clients disagree): a chunk is at least
5 MiB (5,242,880 bytes, the larger reading of 5 MB) and at most 64,000,000 bytes (the smaller
reading of 64 MB), the last at most 128,000,000, the file at most 4,000,000,000 bytes, so a plan
passes whichever reading the server uses.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_CHUNK = 5 * 1024 * 1024
MAX_CHUNK = 64_000_000
MAX_LAST_CHUNK = 128_000_000
MAX_CHUNKS = 1000
MAX_FILE = 4_000_000_000
DEFAULT_CHUNK = 16 * 1024 * 1024


class PlanError(ValueError):
    """The file cannot be uploaded in chunks (empty or too large); the message says so."""


@dataclass(frozen=True)
class ChunkPlan:
    video_size: int
    chunk_size: int
    total_chunk_count: int

    def bounds(self, index: int) -> tuple[int, int]:
        """(first byte, last byte inclusive) of chunk ``index``; the last absorbs the remainder."""
        if not 0 <= index < self.total_chunk_count:
            raise IndexError(index)
        first = index * self.chunk_size
        last = self.video_size - 1 if index == self.total_chunk_count - 1 else first + self.chunk_size - 1
        return first, last

    def index_at(self, offset: int) -> int:
        """The chunk that starts at ``offset`` (a server-acknowledged byte count)."""
        if offset >= self.video_size:
            return self.total_chunk_count
        return min(offset // self.chunk_size, self.total_chunk_count - 1)

    def source_info(self) -> dict[str, int | str]:
        return {
            "source": "FILE_UPLOAD",
            "video_size": self.video_size,
            "chunk_size": self.chunk_size,
            "total_chunk_count": self.total_chunk_count,
        }


def plan_chunks(video_size: int, preferred: int = DEFAULT_CHUNK) -> ChunkPlan:
    if video_size <= 0:
        raise PlanError("The video file is empty.")
    if video_size > MAX_FILE:
        raise PlanError(
            f"The video is {video_size:,} bytes; the platform accepts files up to 4 GB "
            f"({MAX_FILE:,} bytes). "
            "Export it at a lower quality or shorten it."
        )
    chunk = max(MIN_CHUNK, min(MAX_CHUNK, preferred))
    if video_size < MIN_CHUNK or (video_size <= chunk and video_size <= MAX_CHUNK):
        return ChunkPlan(video_size, video_size, 1)  # one chunk is the whole file
    if video_size // chunk > MAX_CHUNKS:
        chunk = -(-video_size // MAX_CHUNKS)
    count = video_size // chunk
    if count == 1:
        if video_size <= MAX_CHUNK:
            return ChunkPlan(video_size, video_size, 1)
        # one chunk may not exceed 64 MB: two halves (each 32-64 MB, the second takes the odd byte)
        chunk, count = video_size // 2, 2
    return ChunkPlan(video_size, chunk, count)
