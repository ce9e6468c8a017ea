"""Property-based run of schemathesis against the served OpenAPI schema (ASGI, no network)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from stubkit import START

from backend_stub.server import StubServer

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
schemathesis.serializer.alias(["video/mp4", "video/quicktime", "video/webm"], "application/octet-stream")

# Changing these would only make the rest of the run meaningless (frozen clock, no faults).
EXCLUDED = r"^/_stub/(faults|settings|clock|accounts/.+/disconnect)$"


@pytest.fixture(scope="session")
def schema_stub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[StubServer, str]]:
    """An in-process app plus a valid all-scopes token for the authenticated paths."""
    from starlette.testclient import TestClient
    from stubkit import pkce_pair

    server = StubServer(
        tmp_path_factory.mktemp("schema"), seed=5, clock=START, clock_speed=0, auto_approve=True
    )
    server.settings.rate_limits = {k: 100_000 for k in server.settings.rate_limits}
    client = TestClient(server.app, base_url="http://127.0.0.1", follow_redirects=False)
    verifier, challenge = pkce_pair()
    params = {
        "client_key": server.demo_client_key,
        "scope": "user.info.basic,user.info.profile,user.info.stats,video.list,video.upload,video.publish",
        "redirect_uri": "http://127.0.0.1:5000/callback/",
        "response_type": "code",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    code = (
        client.get("/v2/auth/authorize/", params=params).headers["location"].split("code=")[1].split("&")[0]
    )
    token = client.post(
        "/v2/oauth/token/",
        data={
            "client_key": server.demo_client_key,
            "client_secret": server.demo_client_secret,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": params["redirect_uri"],
            "code_verifier": verifier,
        },
    ).json()["access_token"]
    yield server, token
    server.state.close()


def test_api_matches_its_schema(schema_stub: tuple[StubServer, str]) -> None:
    """Every operation, a few generated cases each: no 5xx, every answer matches its documented schema."""
    server, token = schema_stub
    schema = schemathesis.openapi.from_asgi("/openapi.json", server.app).exclude(path_regex=EXCLUDED)
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            phases=[Phase.explicit, Phase.generate],
        )
        def run(case: Any) -> None:
            case.call_and_validate(
                headers={"Authorization": f"Bearer {token}"},
                checks=[not_a_server_error, response_schema_conformance],
            )

        run()
        tested.append(operation.label)
    assert len(tested) >= 25, tested


def test_schema_documents_the_contract(schema_stub: tuple[StubServer, str], tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    server, _ = schema_stub
    doc = TestClient(server.app).get("/openapi.json").json()
    paths = doc["paths"]
    for path in (
        "/v2/oauth/token/",
        "/v2/post/publish/video/init/",
        "/v2/post/publish/status/fetch/",
        "/upload/",
        "/v2/video/list/",
    ):
        assert path in paths
    assert not any("422" in op.get("responses", {}) for item in paths.values() for op in item.values())
