"""What happens after the last chunk: the file check, then publish or inbox delivery."""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from .mediacheck import MediaRejected, check_video, grab_frame
from .state import StubState, publish_type

log = logging.getLogger(__name__)
LISTED = ("PUBLIC_TO_EVERYONE", "FOLLOWER_OF_CREATOR")


def process_upload(stub: StubState, publish_id: str) -> None:
    """Runs on a worker thread; every outcome ends in a status and a webhook."""
    row = stub.db.one("SELECT * FROM publishes WHERE publish_id = ?", (publish_id,))
    if row is None or row["status"] != "PROCESSING_UPLOAD":
        return
    path = stub.uploads_dir / f"{row['upload_id']}.part"
    account = stub.db.one("SELECT max_duration_s FROM accounts WHERE open_id = ?", (row["open_id"],))
    try:
        info = check_video(path, int(account["max_duration_s"]) if account else 600)
    except MediaRejected as exc:
        log.info("publish %s rejected: %s", publish_id, exc)
        _fail(stub, row, exc.fail_reason)
        path.unlink(missing_ok=True)
        return
    except Exception:
        log.exception("checking publish %s failed", publish_id)
        _fail(stub, row, "internal")
        return
    final = path.with_suffix(".video")
    path.replace(final)
    post_info = json.loads(row["post_info"])
    post_info["_media"] = {"duration": info.duration_s, "width": info.width, "height": info.height}
    if row["mode"] == "DIRECT_POST":
        stub.db.run(
            "UPDATE publishes SET post_info = ? WHERE publish_id = ?", (json.dumps(post_info), publish_id)
        )
        publish_video(
            stub,
            row,
            post_info,
            str(post_info.get("privacy_level") or "SELF_ONLY"),
            str(post_info.get("title", "")),
        )
        return
    changed = stub.db.run(
        "UPDATE publishes SET status = 'SEND_TO_USER_INBOX', post_info = ? WHERE publish_id = ? AND status = 'PROCESSING_UPLOAD'",
        (json.dumps(post_info), publish_id),
    )
    if changed:
        stub.webhooks.emit(
            row["client_key"],
            "post.publish.inbox_delivered",
            row["open_id"],
            {"publish_id": publish_id, "publish_type": "INBOX_SHARE"},
        )


def publish_video(
    stub: StubState, row: sqlite3.Row, post_info: dict[str, Any], privacy: str, title: str
) -> str | None:
    """Create the post; returns its id, or None when the publish moved on meanwhile (e.g. revoked)."""
    media = post_info["_media"]
    video_id = stub.new_video_id()
    cover = stub.covers_dir / f"{video_id}.jpg"
    at_ms = int(post_info.get("video_cover_timestamp_ms") or 0)
    have_cover = grab_frame(stub.uploads_dir / f"{row['upload_id']}.video", at_ms, cover)
    with stub.db.tx() as conn:
        changed = conn.execute(
            "UPDATE publishes SET status = 'PUBLISH_COMPLETE', video_id = ? WHERE publish_id = ?"
            " AND status IN ('PROCESSING_UPLOAD', 'SEND_TO_USER_INBOX')",
            (video_id, row["publish_id"]),
        ).rowcount
        if not changed:
            return None
        conn.execute(
            "INSERT INTO videos(id, open_id, publish_id, create_time_ms, title, duration, width, height,"
            " privacy_level, is_aigc, cover_path) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                video_id,
                row["open_id"],
                row["publish_id"],
                int(stub.now() * 1000),
                title,
                max(1, round(media["duration"])),
                media["width"],
                media["height"],
                privacy,
                int(bool(post_info.get("is_aigc"))),
                str(cover) if have_cover else None,
            ),
        )
    kind = publish_type(row["mode"])
    stub.webhooks.emit(
        row["client_key"],
        "post.publish.complete",
        row["open_id"],
        {"publish_id": row["publish_id"], "publish_type": kind},
    )
    if privacy in LISTED:
        stub.webhooks.emit(
            row["client_key"],
            "post.publish.publicly_available",
            row["open_id"],
            {"publish_id": row["publish_id"], "post_id": video_id, "publish_type": kind},
        )
    return video_id


def _fail(stub: StubState, row: sqlite3.Row, reason: str) -> None:
    changed = stub.db.run(
        "UPDATE publishes SET status = 'FAILED', fail_reason = ? WHERE publish_id = ? AND status = 'PROCESSING_UPLOAD'",
        (reason, row["publish_id"]),
    )
    if changed:
        stub.webhooks.emit(
            row["client_key"],
            "post.publish.failed",
            row["open_id"],
            {"publish_id": row["publish_id"], "reason": reason, "publish_type": publish_type(row["mode"])},
        )
