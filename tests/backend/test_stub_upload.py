"""Content posting: chunk plans, PUT answers, file checks, status, inbox flow, caps, cancel."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from stubkit import Session, init_upload, make_video, put_chunk, sign_in, upload_file, wait_status

from backend_stub.chunks import ChunkPlanError, validate_plan
from backend_stub.server import StubServer

MB = 1_000_000


@pytest.mark.parametrize(
    ("size", "chunk", "count"),
    [
        (50_000_123, 10_000_000, 5),
        (4_194_304, 4_194_304, 1),
        (64_000_000, 64_000_000, 1),
        (83_000_000, 41_500_000, 2),
        (5_242_880 * 3 + 7, 5_242_880, 3),
        (700 * 5_242_880, 5_242_880, 700),
        (200_000_000, 64_000_000, 3),  # final chunk 72,000,000 absorbs the remainder
    ],
)
def test_chunk_plans_that_pass(size: int, chunk: int, count: int) -> None:
    plan = validate_plan(size, chunk, count)
    assert plan.expected_range(count - 1)[1] == size - 1


@pytest.mark.parametrize(
    ("size", "chunk", "count"),
    [
        (50_000_123, 10_000_000, 6),  # ceil instead of floor
        (15_000_000, 10_000_000, 1),  # single chunk but chunk_size != video_size
        (83_000_000, 83_000_000, 1),  # > 64 MB must be multi-chunk
        (4_194_304, 2_097_152, 2),  # < 5 MB must be one chunk
        (30_000_000, 4_000_000, 7),  # chunk below 5 MB
        (200_000_000, 70_000_000, 2),  # chunk above 64 MB
        (400_000_000, 64_000_000, 5),  # final chunk would be 144 MB
        (5 * 1024**3, 64_000_000, 83),  # over 4 GB
        (0, 0, 0),
        (10, True, 1),
    ],
)
def test_chunk_plans_that_fail(size: int, chunk: int, count: int) -> None:
    with pytest.raises(ChunkPlanError):
        validate_plan(size, chunk, count)


def test_init_rejects_bad_plans_with_invalid_params(session: Session) -> None:
    reply = init_upload(session, 15_000_000, 10_000_000, 1)
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "invalid_params" and reply.json()["data"] == {}
    pull = session.api(
        "POST",
        "/v2/post/publish/video/init/",
        json={
            "post_info": {"privacy_level": "SELF_ONLY"},
            "source_info": {"source": "PULL_FROM_URL", "video_url": "https://example.com/a.mp4"},
        },
    )
    assert pull.status_code == 403 and pull.json()["error"]["code"] == "url_ownership_unverified"
    no_privacy = session.api(
        "POST",
        "/v2/post/publish/video/init/",
        json={
            "post_info": {"title": "x"},
            "source_info": {
                "source": "FILE_UPLOAD",
                "video_size": 9,
                "chunk_size": 9,
                "total_chunk_count": 1,
            },
        },
    )
    assert no_privacy.status_code == 400 and no_privacy.json()["error"]["code"] == "invalid_params"
    wrong_type = session.api(
        "POST",
        "/v2/post/publish/video/init/",
        json={
            "post_info": {"privacy_level": "SELF_ONLY"},
            "source_info": {
                "source": "FILE_UPLOAD",
                "video_size": "9",
                "chunk_size": 9,
                "total_chunk_count": 1,
            },
        },
    )
    assert wrong_type.status_code == 400 and wrong_type.json()["error"]["code"] == "invalid_params"


def test_multi_chunk_upload_follows_the_documented_example(session: Session, tmp_path: Path) -> None:
    size, chunk = 50_000_123, 10_000_000
    data = os.urandom(size)
    init = init_upload(session, size, chunk, 5)
    assert init.status_code == 200, init.text
    url = init.json()["data"]["upload_url"]
    assert len(url) <= 256 and init.json()["data"]["publish_id"].startswith("v_pub_file~v2-1.")
    http = session.http
    assert put_chunk(http, url, data[chunk : 2 * chunk], chunk, size).status_code == 416  # out of order
    answers = []
    for i in range(5):
        first = i * chunk
        last = size - 1 if i == 4 else first + chunk - 1
        if i == 4:
            short = put_chunk(http, url, data[first : first + chunk], first, size)
            assert short.status_code == 400  # the final chunk must take the remainder
        reply = put_chunk(http, url, data[first : last + 1], first, size)
        answers.append((reply.status_code, reply.headers["content-range"], last - first + 1))
    assert answers == [
        (206, "bytes 0-9999999/50000123", 10_000_000),
        (206, "bytes 0-19999999/50000123", 10_000_000),
        (206, "bytes 0-29999999/50000123", 10_000_000),
        (206, "bytes 0-39999999/50000123", 10_000_000),
        (201, "bytes 0-50000122/50000123", 10_000_123),
    ]
    again = put_chunk(http, url, data[:chunk], 0, size)
    assert again.status_code == 416 and again.headers["content-range"] == "bytes 0-50000122/50000123"
    status = wait_status(session, init.json()["data"]["publish_id"])
    assert status["status"] == "FAILED" and status["fail_reason"] == "file_format_check_failed"
    assert status["uploaded_bytes"] == size


def test_single_whole_file_chunk_of_4_mib(session: Session) -> None:
    data = os.urandom(4_194_304)
    init = init_upload(session, len(data))
    reply = put_chunk(session.http, init.json()["data"]["upload_url"], data, 0, len(data))
    assert reply.status_code == 201 and reply.headers["content-range"] == "bytes 0-4194303/4194304"


def test_put_answers(session: Session, shared_stub: StubServer) -> None:
    data = b"x" * 1000
    url = init_upload(session, len(data)).json()["data"]["upload_url"]
    http = session.http
    assert put_chunk(http, url.replace("upload_token=", "upload_token=zz"), data, 0, 1000).status_code == 404
    assert put_chunk(http, url.replace("upload_id=", "upload_id=00"), data, 0, 1000).status_code == 404
    assert put_chunk(http, url, data, 0, 1000, content_type="text/plain").status_code == 400
    assert (
        http.put(url, content=data, headers={"Content-Type": "video/mp4"}).status_code == 400
    )  # no Content-Range
    assert (
        http.put(
            url, content=data, headers={"Content-Type": "video/mp4", "Content-Range": "bytes 0-998/1000"}
        ).status_code
        == 400
    )
    assert put_chunk(http, url, data, 0, 2000).status_code == 400  # total differs from video_size
    mismatch = http.put(
        url, content=data[:10], headers={"Content-Type": "video/mp4", "Content-Range": "bytes 0-999/1000"}
    )
    assert mismatch.status_code == 400  # Content-Length != range length
    status = session.api(
        "POST", "/v2/post/publish/status/fetch/", json={"publish_id": _publish_of(shared_stub, url)}
    ).json()
    assert status["data"]["status"] == "PROCESSING_UPLOAD" and status["data"]["uploaded_bytes"] == 0


def _publish_of(stub: StubServer, url: str) -> str:
    upload_id = url.split("upload_id=")[1].split("&")[0]
    row = stub.state.db.one("SELECT publish_id FROM publishes WHERE upload_id = ?", (upload_id,))
    assert row is not None
    return str(row["publish_id"])


def test_upload_url_expires_after_an_hour(
    stub: StubServer, http_for: Callable[[StubServer], httpx.Client]
) -> None:
    s = sign_in(stub, http_for(stub))
    data = b"y" * 100
    url = init_upload(s, 100).json()["data"]["upload_url"]
    s.http.post("/_stub/clock", json={"advance_s": 3601})
    assert put_chunk(s.http, url, data, 0, 100).status_code == 403


def test_published_video_appears_with_its_cover(session: Session, tmp_path: Path) -> None:
    video = make_video(tmp_path / "ok.mp4", 360, 640, 30, 1.0)
    publish_id = upload_file(session, video)
    status = wait_status(session, publish_id)
    assert status["status"] == "PUBLISH_COMPLETE" and status["fail_reason"] == ""
    [post_id] = status["publicaly_available_post_id"]
    assert isinstance(post_id, int)
    found = session.api(
        "POST",
        "/v2/video/query/",
        params={"fields": "id,duration,width,height,title,cover_image_url"},
        json={"filters": {"video_ids": [str(post_id)]}},
    ).json()["data"]["videos"]
    assert found[0]["width"] == 360 and found[0]["height"] == 640 and found[0]["duration"] == 1
    cover = session.http.get(found[0]["cover_image_url"])
    assert cover.status_code == 200 and cover.content[:3] == b"\xff\xd8\xff"
    listed = session.api("POST", "/v2/video/list/", params={"fields": "id"}, json={"max_count": 20}).json()[
        "data"
    ]["videos"]
    assert {"id": str(post_id)} in listed


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("15fps", "frame_rate_check_failed"),
        ("200x200", "picture_size_check_failed"),
        ("text", "file_format_check_failed"),
        ("mpeg4", "file_format_check_failed"),
        ("long", "duration_check_failed"),
    ],
)
def test_file_check_fail_reasons(session: Session, tmp_path: Path, kind: str, reason: str) -> None:
    path = tmp_path / f"{kind}.mp4"
    if kind == "15fps":
        make_video(path, 360, 640, 15, 1.0)
    elif kind == "200x200":
        make_video(path, 200, 200, 24, 1.0)
    elif kind == "mpeg4":
        make_video(path, 360, 640, 24, 1.0, codec="mpeg4")
    elif kind == "long":
        make_video(path, 360, 640, 24, 2.0)
        session.server.state.db.run(
            "UPDATE accounts SET max_duration_s = 1 WHERE open_id = ?", (session.tokens["open_id"],)
        )
    else:
        path.write_text("this is not a video\n" * 50)
    try:
        status = wait_status(session, upload_file(session, path))
    finally:
        session.server.state.db.run(
            "UPDATE accounts SET max_duration_s = 600 WHERE open_id = ?", (session.tokens["open_id"],)
        )
    assert status["status"] == "FAILED" and status["fail_reason"] == reason


def test_inbox_flow_and_pending_cap(
    stub: StubServer, http_for: Callable[[StubServer], httpx.Client], tmp_path: Path
) -> None:
    stub.settings.access_token_ttl_s = 2 * 86_400
    s = sign_in(stub, http_for(stub), account="demo.private")
    video = make_video(tmp_path / "inbox.mp4", 360, 360, 25, 1.0)
    publish_id = upload_file(s, video, inbox=True)
    assert publish_id.startswith("v_inbox_file~v2.")
    assert wait_status(s, publish_id)["status"] == "SEND_TO_USER_INBOX"
    wrong = s.http.post(f"/_stub/inbox/{publish_id}/post", json={"privacy_level": "PUBLIC_TO_EVERYONE"})
    assert wrong.status_code == 400  # a private account has no PUBLIC_TO_EVERYONE
    posted = s.http.post(
        f"/_stub/inbox/{publish_id}/post",
        json={"privacy_level": "FOLLOWER_OF_CREATOR", "title": "from the app"},
    )
    assert posted.status_code == 200
    done = wait_status(s, publish_id)
    assert done["status"] == "PUBLISH_COMPLETE" and done["publicaly_available_post_id"] == [
        int(posted.json()["post_id"])
    ]
    for _ in range(4):
        assert init_upload(s, 10, inbox=True).status_code == 200
    s.http.post("/_stub/settings", json={"rate_limits": {"inbox_init": 100}})
    assert init_upload(s, 10, inbox=True).status_code == 200  # 5 pending now (the posted one freed its slot)
    capped = init_upload(s, 10, inbox=True)
    assert capped.status_code == 403 and capped.json()["error"]["code"] == "spam_risk_too_many_pending_share"
    s.http.post("/_stub/clock", json={"advance_s": 86_401})
    assert init_upload(s, 10, inbox=True).status_code == 200


def test_creator_info_and_daily_cap(stub: StubServer, http_for: Callable[[StubServer], httpx.Client]) -> None:
    http = http_for(stub)
    public, private = sign_in(stub, http), sign_in(stub, http, account="demo.private")
    info = public.api("POST", "/v2/post/publish/creator_info/query/").json()["data"]
    assert info["privacy_level_options"] == ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
    assert info["creator_username"] == "demo.creator" and info["max_video_post_duration_sec"] == 600
    assert http.get(info["creator_avatar_url"]).content[:3] == b"\xff\xd8\xff"
    options = private.api("POST", "/v2/post/publish/creator_info/query/").json()["data"][
        "privacy_level_options"
    ]
    assert options == ["FOLLOWER_OF_CREATOR", "MUTUAL_FOLLOW_FRIENDS", "SELF_ONLY"]
    mismatch = init_upload(private, 10, privacy="PUBLIC_TO_EVERYONE")
    assert mismatch.status_code == 403 and mismatch.json()["error"]["code"] == "privacy_level_option_mismatch"
    http.post("/_stub/settings", json={"daily_post_cap": 2})
    assert init_upload(public, 10).status_code == 200 and init_upload(public, 10).status_code == 200
    capped = init_upload(public, 10)
    assert capped.status_code == 403 and capped.json()["error"]["code"] == "spam_risk_too_many_posts"
    soft = public.api("POST", "/v2/post/publish/creator_info/query/")
    assert soft.status_code == 200 and soft.json()["error"]["code"] == "spam_risk_too_many_posts"
    http.post("/_stub/settings", json={"audited_client": False, "daily_post_cap": 15})
    unaudited = init_upload(public, 10, privacy="SELF_ONLY")
    assert unaudited.status_code == 403
    assert unaudited.json()["error"]["code"] == "unaudited_client_can_only_post_to_private_accounts"
    forced = init_upload(private, 10, privacy="FOLLOWER_OF_CREATOR").json()["data"]["publish_id"]
    row = stub.state.db.one("SELECT post_info FROM publishes WHERE publish_id = ?", (forced,))
    assert row is not None and '"privacy_level": "SELF_ONLY"' in row["post_info"]
    stub.state.db.run("UPDATE accounts SET banned = 1 WHERE username = 'demo.private'")
    banned = init_upload(private, 10, privacy="SELF_ONLY")
    assert (
        banned.status_code == 403 and banned.json()["error"]["code"] == "spam_risk_user_banned_from_posting"
    )


def test_status_errors_and_cancel(
    shared_stub: StubServer, http_for: Callable[[StubServer], httpx.Client]
) -> None:
    http = http_for(shared_stub)
    mine, theirs = sign_in(shared_stub, http), sign_in(shared_stub, http, account="demo.private")
    unknown = mine.api("POST", "/v2/post/publish/status/fetch/", json={"publish_id": "v_pub_file~v2-1.1"})
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "invalid_publish_id"
    init = init_upload(mine, 6_000_000, 6_000_000, 1).json()["data"]
    other = theirs.api("POST", "/v2/post/publish/status/fetch/", json={"publish_id": init["publish_id"]})
    assert other.json()["error"]["code"] == "token_not_authorized_for_specified_publish_id"
    cancelled = mine.api("POST", "/v2/post/publish/cancel/", json={"publish_id": init["publish_id"]})
    assert cancelled.status_code == 200 and cancelled.json()["error"]["code"] == "ok"
    status = mine.api(
        "POST", "/v2/post/publish/status/fetch/", json={"publish_id": init["publish_id"]}
    ).json()["data"]
    assert status["status"] == "FAILED" and status["fail_reason"] == "publish_cancelled"
    again = mine.api("POST", "/v2/post/publish/cancel/", json={"publish_id": init["publish_id"]})
    assert again.status_code == 400 and again.json()["error"]["code"] == "publish_not_cancellable"
    assert put_chunk(http, init["upload_url"], b"z" * 6_000_000, 0, 6_000_000).status_code == 404


def test_rate_limit_429(session: Session) -> None:
    codes = [
        session.api("POST", "/v2/post/publish/status/fetch/", json={"publish_id": "nope"}).status_code
        for _ in range(31)
    ]
    assert codes[:30] == [400] * 30 and codes[30] == 429
    last = session.api("POST", "/v2/post/publish/status/fetch/", json={"publish_id": "nope"})
    assert last.json()["error"]["code"] == "rate_limit_exceeded" and int(last.headers["retry-after"]) >= 1
    assert (
        session.api("POST", "/v2/post/publish/creator_info/query/").status_code == 200
    )  # other buckets unaffected
    inits = [init_upload(session, 10, inbox=True).status_code for _ in range(7)]
    assert inits[:5] == [200] * 5 and inits[6] == 429
