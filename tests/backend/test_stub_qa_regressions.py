"""Regressions found by QA calling the stand-in by hand with curl."""

from __future__ import annotations

from stubkit import Session


def test_a_missing_body_is_named_not_just_field_required(session: Session) -> None:
    reply = session.api("POST", "/v2/video/list/", params={"fields": "id"})
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["code"] == "invalid_params"
    assert error["message"] == "The request body is missing; send a JSON object."


def test_broken_json_says_so_instead_of_a_character_offset(session: Session) -> None:
    reply = session.api(
        "POST",
        "/v2/post/publish/video/init/",
        content=b"{bad json",
        headers={"Content-Type": "application/json"},
    )
    assert reply.status_code == 400
    assert reply.json()["error"]["message"] == "The request body is not valid JSON."
