"""Secrets never reach the log file."""

from __future__ import annotations

import logging

from studio import logs


def test_scrub_removes_tokens() -> None:
    line = (
        "POST /v2/oauth/token/ client_secret=s3cr3t&code=abc123 Authorization: Bearer act.1234567890 "
        '{"access_token": "act.XYZ", "refresh_token": "rft.ABC"}'
    )
    cleaned = logs.scrub(line)
    for secret in ("s3cr3t", "abc123", "act.1234567890", "act.XYZ", "rft.ABC"):
        assert secret not in cleaned
    assert "/v2/oauth/token/" in cleaned


def test_secret_filter_applies_to_formatted_records(caplog) -> None:  # type: ignore[no-untyped-def]
    logger = logging.getLogger("studio.test.secrets")
    logger.addFilter(logs.SecretFilter())
    with caplog.at_level(logging.INFO):
        logger.info("refreshed with refresh_token=%s", "rft.supersecret")
    assert "supersecret" not in caplog.text
    assert "refresh_token=***" in caplog.text
