"""Media transfer: ``PUT {upload_url}`` with Content-Range, streamed straight to disk."""

from __future__ import annotations

import hmac
import os
import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect

from .auth import AuthFirstRoute
from .chunks import ChunkPlan
from .db import digest
from .envelope import error_body
from .models import ErrorEnvelope
from .processing import process_upload
from .state import StubState

router = APIRouter(tags=["media transfer"], route_class=AuthFirstRoute)
# ASCII digits only, as the schema's pattern means them (Python's \d also takes other scripts' digits)
RANGE_RE = re.compile(r"bytes ([0-9]+)-([0-9]+)/([0-9]+)")
DIGITS_RE = re.compile(r"[0-9]+")
CONTENT_TYPES = ("video/mp4", "video/quicktime", "video/webm")
FLUSH_BYTES = 8 * 1024 * 1024
PROGRESS = {
    "description": "`bytes 0-{last byte received}/{total}` (`bytes */{total}` before the first byte).",
    "schema": {"type": "string", "pattern": r"^bytes ([0-9]+-[0-9]+|\*)/[0-9]+$"},
}
UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "All parts received; processing starts.",
        "headers": {"Content-Range": {**PROGRESS, "required": True}},
    },
    206: {
        "description": "Chunk accepted, more expected.",
        "headers": {"Content-Range": {**PROGRESS, "required": True}},
    },
    400: {
        "model": ErrorEnvelope,
        "description": "`invalid_file_upload`: Content-Type, Content-Range or Content-Length missing or malformed,"
        " a range that does not fit video_size or the chunk plan, a body whose size is not Content-Length."
        " Carries Content-Range once the range was read.",
        "headers": {"Content-Range": PROGRESS},
    },
    403: {"model": ErrorEnvelope, "description": "`upload_url_expired`: start a new upload."},
    404: {
        "model": ErrorEnvelope,
        "description": "`invalid_upload_url`: no upload task for this URL (or it was cancelled or failed).",
    },
    416: {
        "model": ErrorEnvelope,
        "description": "`invalid_file_upload`: Content-Range does not start at the bytes received so far"
        " (or everything was received); continue from the Content-Range header.",
        "headers": {"Content-Range": {**PROGRESS, "required": True}},
    },
    "5XX": {"model": ErrorEnvelope, "description": "`internal_error`: retry the same chunk."},
}
UPLOAD_OPENAPI: dict[str, Any] = {
    "parameters": [
        {
            "name": "Content-Range",
            "in": "header",
            "required": True,
            "description": "`bytes {first}-{last}/{total}`, inclusive, 0-based; one chunk of the plan, in order."
            " (Content-Length, the chunk's size, is set by the HTTP client.)",
            "schema": {"type": "string", "pattern": r"^bytes [0-9]+-[0-9]+/[0-9]+$"},
        }
    ],
    "requestBody": {
        "required": True,
        "description": "The chunk's raw bytes.",
        "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in CONTENT_TYPES},
    },
}


def _answer(status: int, code: str, message: str, uploaded: int | None = None, total: int = 0) -> Response:
    headers = {}
    if uploaded is not None:
        headers["Content-Range"] = (
            f"bytes 0-{max(uploaded - 1, 0)}/{total}" if uploaded else f"bytes */{total}"
        )
    if status in (201, 206):
        return Response(status_code=status, headers=headers)
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def _write_all(fd: int, pieces: list[bytes], offset: int) -> int:
    """Write the buffered pieces at ``offset`` with one vectored syscall where possible (no join copy)."""
    total = sum(len(p) for p in pieces)
    written = os.pwritev(fd, pieces, offset) if len(pieces) <= 512 else 0
    if written < total:
        view = memoryview(b"".join(pieces))[written:]
        position = offset + written
        while view:
            done = os.pwrite(fd, view, position)
            position += done
            view = view[done:]
    return offset + total


@router.put(
    "/upload/",
    status_code=206,
    response_class=Response,
    responses=UPLOAD_RESPONSES,
    openapi_extra=UPLOAD_OPENAPI,
)
async def upload_chunk(
    request: Request,
    upload_id: Annotated[str, Query(description="From the init's upload_url.")] = "",
    upload_token: Annotated[str, Query(description="From the init's upload_url.")] = "",
) -> Response:
    """One chunk. Answers carry ``Content-Range: bytes 0-{last received byte}/{total}``."""
    stub: StubState = request.app.state.stub
    # The request's own form first (400), then the upload task it names (404, 416, 403).
    headers = request.headers
    if headers.get("content-type", "").split(";")[0].strip().lower() not in CONTENT_TYPES:
        return _answer(
            400, "invalid_file_upload", "Content-Type must be video/mp4, video/quicktime or video/webm."
        )
    match = RANGE_RE.fullmatch(headers.get("content-range", ""))
    length_text = headers.get("content-length", "")
    if match is None or DIGITS_RE.fullmatch(length_text) is None:
        return _answer(400, "invalid_file_upload", "Content-Range and Content-Length are required.")
    row = stub.db.one("SELECT * FROM publishes WHERE upload_id = ?", (upload_id,)) if upload_id else None
    if row is None or not hmac.compare_digest(row["upload_token_hash"], digest(upload_token)):
        return _answer(404, "invalid_upload_url", "No upload task for this URL.")
    total, uploaded = row["video_size"], row["uploaded_bytes"]
    if uploaded >= total:
        # Also after processing moved on: a client whose last answer was lost learns it is done.
        return _answer(416, "invalid_file_upload", "All parts were already received.", uploaded, total)
    if row["status"] != "PROCESSING_UPLOAD":
        return _answer(404, "invalid_upload_url", f"The upload task is {row['status'].lower()}.")
    if stub.now() > row["upload_expires_at"]:
        return _answer(403, "upload_url_expired", "The upload URL has expired; start a new upload.")
    first, last, declared_total = (int(g) for g in match.groups())
    length = int(length_text)
    if declared_total != total or last < first or last >= total:
        return _answer(400, "invalid_file_upload", "Content-Range does not fit the declared video_size.")
    plan = ChunkPlan(total, row["chunk_size"], row["total_chunks"])
    if first != uploaded:
        return _answer(
            416, "invalid_file_upload", "Content-Range does not match the upload progress.", uploaded, total
        )
    index = min(first // plan.chunk_size, plan.total_chunk_count - 1)
    if (first, last) != plan.expected_range(index):
        return _answer(
            400, "invalid_file_upload", "The chunk does not match the declared chunk plan.", uploaded, total
        )
    if length != last - first + 1:
        return _answer(
            400, "invalid_file_upload", "Content-Length does not match Content-Range.", uploaded, total
        )

    path = stub.uploads_dir / f"{upload_id}.part"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    received = 0
    offset = first
    pending: list[bytes] = []
    pending_size = 0
    try:
        async for piece in request.stream():
            if not piece:
                continue
            received += len(piece)
            if received > length:
                return _answer(
                    400, "invalid_file_upload", "The body is longer than Content-Length.", uploaded, total
                )
            pending.append(piece)
            pending_size += len(piece)
            if pending_size >= FLUSH_BYTES:
                offset = _write_all(fd, pending, offset)
                pending.clear()
                pending_size = 0
        if pending:
            _write_all(fd, pending, offset)
    except ClientDisconnect:
        return _answer(
            400,
            "invalid_file_upload",
            "The connection closed before the chunk was complete.",
            uploaded,
            total,
        )
    finally:
        os.close(fd)
    if received != length:
        return _answer(
            400, "invalid_file_upload", "Content-Length does not match the body size.", uploaded, total
        )
    if (
        stub.db.run(
            "UPDATE publishes SET uploaded_bytes = ? WHERE publish_id = ? AND uploaded_bytes = ? AND status = 'PROCESSING_UPLOAD'",
            (last + 1, row["publish_id"], first),
        )
        != 1
    ):
        current = stub.db.one(
            "SELECT uploaded_bytes FROM publishes WHERE publish_id = ?", (row["publish_id"],)
        )
        return _answer(
            416,
            "invalid_file_upload",
            "Another request moved the upload on.",
            current["uploaded_bytes"] if current else 0,
            total,
        )
    if last + 1 == total:
        stub.workers.submit(process_upload, stub, row["publish_id"])
        return _answer(201, "ok", "", total, total)
    return _answer(206, "ok", "", last + 1, total)
