"""The served OpenAPI schema says what the stand-in enforces: schemathesis, every check, in process.

``test_api_conforms_to_its_schema`` is ``schemathesis run --checks all`` on the platform paths
(``/v2/``, ``/upload/``) against the ASGI app (no network), through schemathesis's own engine:
positive and negative data, the examples, coverage, fuzzing and stateful phases, a fixed seed and a
bounded number of examples per operation. (Its pytest plugin's lazy schemas do not run under pytest 9
in schemathesis 4.32: they set ``node._nodeid``.)
Positive data is what a client generated from the schema may send; every such request must be
accepted (2xx/3xx, or 401/403/404/409/429 about state), and every request the schema calls invalid
must be rejected. ``INEXPRESSIBLE`` lists, operation by operation and with the reason, the only 400s
the server may give to schema-valid data: rules no OpenAPI schema can state.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from schemathesis.engine import events, from_schema
from stubkit import ALL, START, pkce_pair

from backend_stub.server import StubServer

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
# The media transfer takes raw bytes under three video types; schemathesis sends them as bytes.
schemathesis.serializer.alias(["video/mp4", "video/quicktime", "video/webm"], "application/octet-stream")

SEED = 20_260_901  # fixed: the same cases every run (no example database either)
MAX_EXAMPLES = 25  # per operation and generation mode in the fuzzing phase
REDIRECT_URI = "http://127.0.0.1:5000/callback/"
# everything else (/_stub/ admin, share pages) is tooling; and schemathesis 4.32 ignores .include()
# on a schema whose config has [[operations]] entries, so the rest is excluded
NOT_PLATFORM_PATHS = r"^/(?!v2/|upload/)"
UPLOAD_SIZE = 6_000_000  # one chunk of 6 MB: no generated body completes it, so it stays open


@dataclass(frozen=True)
class Inexpressible:
    """A 400 that schema-valid data may get: why OpenAPI cannot say it, and how to recognise it."""

    why: str
    accepts: Callable[[Any], bool]


def _api_error(*codes: str, messages: tuple[str, ...] = ()) -> Callable[[Any], bool]:
    def accepts(response: Any) -> bool:
        try:
            error = json.loads(response.content)["error"]
        except (ValueError, KeyError, TypeError):
            return False
        if isinstance(error, str):  # the OAuth endpoints' flat errors
            return error in codes
        return error.get("code") in codes and (not messages or error.get("message") in messages)

    return accepts


def _html(*phrases: str) -> Callable[[Any], bool]:
    return lambda response: any(p in response.content.decode("utf-8", "replace") for p in phrases)


CHUNK_PLAN = _api_error(
    "invalid_params",
    messages=(
        "The chunk size is invalid",
        "The total chunk count is invalid",
        "The title is longer than 2200 characters.",
    ),
)
PUBLISH_ID = _api_error("invalid_publish_id", "token_not_authorized_for_specified_publish_id")
INEXPRESSIBLE: dict[str, Inexpressible] = {
    "POST /v2/post/publish/video/init/": Inexpressible(
        "total_chunk_count == floor(video_size / chunk_size) and the per-chunk bounds relate three"
        " fields; the title limit counts UTF-16 code units, maxLength counts code points",
        CHUNK_PLAN,
    ),
    "POST /v2/post/publish/inbox/video/init/": Inexpressible("the chunk plan, as above", CHUNK_PLAN),
    "POST /v2/post/publish/content/init/": Inexpressible(
        "photo_cover_index must index photo_images; title/description limits count UTF-16 code units",
        _api_error(
            "invalid_params",
            messages=("photo_cover_index is out of range.", "The title or description is too long."),
        ),
    ),
    "POST /v2/post/publish/status/fetch/": Inexpressible(
        "the contract answers an unknown or someone else's publish_id with 400 (server state)", PUBLISH_ID
    ),
    "POST /v2/post/publish/cancel/": Inexpressible(
        "as status/fetch, and a publish past its upload is not cancellable (server state)",
        lambda r: PUBLISH_ID(r) or _api_error("publish_not_cancellable")(r),
    ),
    "POST /v2/auth/authorize/": Inexpressible(
        "consent_token is an HMAC over the other fields: a generated form is a forged one; the"
        " client registration is server state",
        _html("This consent form has expired", "Unknown account", "is not registered"),
    ),
    "POST /v2/oauth/token/": Inexpressible(
        "codes, refresh tokens and PKCE verifiers are server state, and which fields a grant needs"
        " depends on grant_type (RFC 6749 answers all of it with 400)",
        _api_error("invalid_request", "invalid_grant"),
    ),
    "PUT /upload/": Inexpressible(
        "Content-Range must fit the upload's video_size, progress and chunk plan (server state), and"
        " Content-Length the body (the client's transport sets it)",
        _api_error(
            "invalid_file_upload",
            messages=(
                "Content-Range does not fit the declared video_size.",
                "The chunk does not match the declared chunk plan.",
                "Content-Length does not match Content-Range.",
                "Content-Length does not match the body size.",
                "The body is longer than Content-Length.",
            ),
        ),
    ),
}


@schemathesis.check  # registered for the run: checks are global in schemathesis
def only_inexpressible_rules_reject_valid_data(ctx: Any, response: Any, case: Any) -> bool | None:
    """For the operations in INEXPRESSIBLE positive_data_acceptance lets 400 through; this makes
    sure such a 400 is one of the listed rules and not a schema that says too little."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    rule = INEXPRESSIBLE.get(case.operation.label)
    if rule is None or not rule.accepts(response):
        raise AssertionError(
            "Schema-valid request rejected for a reason the schema could state.\n"
            f"Allowed 400s here: {rule.why if rule else 'none'}\nGot: {response.content[:500]!r}"
        )
    return None


@pytest.fixture(scope="session")
def schema_stub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """An in-process app, a valid all-scopes token, and real ids for the operations that take them."""
    from starlette.testclient import TestClient

    server = StubServer(
        tmp_path_factory.mktemp("schema"), seed=5, clock=START, clock_speed=0, auto_approve=True
    )
    server.settings.rate_limits = {k: 1_000_000 for k in server.settings.rate_limits}
    client = TestClient(server.app, base_url="http://127.0.0.1", follow_redirects=False)
    verifier, challenge = pkce_pair()
    params = {
        "client_key": server.demo_client_key,
        "scope": ALL,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    location = client.get("/v2/auth/authorize/", params=params).headers["location"]
    code = location.split("code=")[1].split("&")[0]
    token = client.post(
        "/v2/oauth/token/",
        data={
            "client_key": server.demo_client_key,
            "client_secret": server.demo_client_secret,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    source = {
        "source": "FILE_UPLOAD",
        "video_size": UPLOAD_SIZE,
        "chunk_size": UPLOAD_SIZE,
        "total_chunk_count": 1,
    }
    init = client.post("/v2/post/publish/inbox/video/init/", json={"source_info": source}, headers=auth)
    upload_url = init.json()["data"]["upload_url"]
    query = dict(part.split("=", 1) for part in upload_url.split("?", 1)[1].split("&"))
    publishes = [
        client.post("/v2/post/publish/inbox/video/init/", json={"source_info": source}, headers=auth).json()[
            "data"
        ]["publish_id"]
        for _ in range(3)
    ]
    videos = [
        v["id"]
        for v in client.post(
            "/v2/video/list/", params={"fields": "id"}, json={"max_count": 20}, headers=auth
        ).json()["data"]["videos"]
    ]
    yield {
        "server": server,
        "token": token,
        "upload": query,
        "publish_ids": publishes,  # not the open upload's: cancelling it would end the PUTs' target
        "video_ids": videos,
    }
    server.state.close()


def _config(ids: dict[str, Any]) -> schemathesis.Config:
    server: StubServer = ids["server"]
    operations: list[dict[str, Any]] = [
        {
            "include-name": label,
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]
                }
            },
        }
        for label in INEXPRESSIBLE
    ]
    fixed: dict[str, dict[str, Any]] = {
        # the client registration, like the token, is a credential the generator cannot guess
        "GET /v2/auth/authorize/": {
            "query.client_key": server.demo_client_key,
            "query.redirect_uri": REDIRECT_URI,
        },
        "POST /v2/auth/authorize/": {
            "body.client_key": server.demo_client_key,
            "body.redirect_uri": REDIRECT_URI,
        },
        "POST /v2/oauth/token/": {
            "body.client_key": server.demo_client_key,
            "body.client_secret": server.demo_client_secret,
        },
        "POST /v2/oauth/revoke/": {
            "body.client_key": server.demo_client_key,
            "body.client_secret": server.demo_client_secret,
        },
        "PUT /upload/": {f"query.{k}": v for k, v in ids["upload"].items()},
        "POST /v2/post/publish/status/fetch/": {
            "body.publish_id": {"dictionary": "publish_ids", "probability": 0.5}
        },
        "POST /v2/post/publish/cancel/": {
            "body.publish_id": {"dictionary": "publish_ids", "probability": 0.5}
        },
        "POST /v2/video/query/": {
            "body.filters.video_ids[*]": {"dictionary": "video_ids", "probability": 0.5}
        },
    }
    for label, parameters in fixed.items():
        entry = next((op for op in operations if op["include-name"] == label), None)
        if entry is None:
            entry = {"include-name": label}
            operations.append(entry)
        entry["parameters"] = parameters
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            # Hypothesis's health checks time the generation: nothing here may hang on the wall clock
            "suppress-health-check": ["all"],
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none", "mode": "all"},
            "checks": {"enabled": True},
            "auth": {"openapi": {"BearerAuth": {"bearer": ids["token"]}}},
            "dictionaries": {
                "publish_ids": {"values": ids["publish_ids"]},
                "video_ids": {"values": ids["video_ids"]},
            },
            "operations": operations,
        }
    )


def test_api_conforms_to_its_schema(schema_stub: dict[str, Any]) -> None:
    """The CLI's engine (examples, coverage, fuzzing and stateful phases; every check), in process."""
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", schema_stub["server"].app, config=_config(schema_stub)
    ).exclude(path_regex=NOT_PLATFORM_PATHS)
    operations = [result.ok().label for result in schema.get_all_operations()]
    assert len(operations) >= 13, operations
    problems: list[str] = []
    tested: set[str] = set()
    finished = None
    seen: set[tuple[str, str, str]] = set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            tested.add(event.recorder.label)
            for checks in event.recorder.checks.values():
                for check in checks:
                    info = check.failure_info
                    if info is None:
                        continue
                    key = (event.recorder.label, check.name, info.failure.title)
                    if key not in seen:  # one of each kind is enough to read
                        seen.add(key)
                        problems.append(
                            f"[{event.phase.value}] {event.recorder.label}: {check.name}: {info.failure.title}\n"
                            f"{info.failure.message[:1500]}\n{info.code_sample[:1500]}"
                        )
        elif isinstance(event, events.NonFatalError):
            problems.append(f"error in {event.label}: {str(event.value)[:300]}\n{str(event.info)[-1500:]}")
        elif isinstance(event, events.FatalError):
            problems.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            finished = event
    assert finished is not None
    for failure in finished.failures:
        problems.append(f"{failure.operation}: {failure.title}\n{failure.message}")
    assert not problems, f"{len(problems)} problems:\n\n" + "\n\n".join(problems)
    assert set(operations) <= tested, set(operations) - tested


def test_schema_documents_what_the_server_enforces(schema_stub: dict[str, Any]) -> None:
    doc = schema_stub["server"].app.openapi()
    paths, parts = doc["paths"], doc["components"]["schemas"]
    assert not any("422" in op.get("responses", {}) for item in paths.values() for op in item.values())

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        return parts[node["$ref"].rsplit("/", 1)[1]] if "$ref" in node else node

    privacy = ["PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"]
    post_info = parts["PostInfo"]
    assert post_info["properties"]["privacy_level"]["enum"] == privacy
    assert "privacy_level" in post_info["required"]
    sources = {
        resolve(s)["properties"]["source"]["const"]
        for s in parts["DirectPostInit"]["properties"]["source_info"]["oneOf"]
    }
    assert sources == {"FILE_UPLOAD", "PULL_FROM_URL"}
    content = parts["ContentInit"]["properties"]
    assert content["post_mode"]["enum"] == ["DIRECT_POST", "MEDIA_UPLOAD"]
    assert content["media_type"]["const"] == "PHOTO"
    assert parts["PhotoSourceInfo"]["properties"]["photo_images"]["minItems"] == 1
    assert parts["VideoFilters"]["properties"]["video_ids"]["minItems"] == 1
    assert parts["VideoFilters"]["properties"]["video_ids"]["maxItems"] == 20
    for path, method in (
        ("/v2/user/info/", "get"),
        ("/v2/video/list/", "post"),
        ("/v2/video/query/", "post"),
    ):
        (fields,) = [p for p in paths[path][method]["parameters"] if p["name"] == "fields"]
        assert fields["required"] is True and fields["schema"]["pattern"].startswith("^(?:"), path
    authorize = paths["/v2/auth/authorize/"]["get"]
    assert authorize["responses"]["400"]["content"] == {"text/html": {"schema": {"type": "string"}}}
    assert authorize["responses"]["302"]["headers"]["Location"]["required"] is True
    for path, item in paths.items():
        for method, op in item.items():
            if op.get("security") == [{"BearerAuth": []}]:
                assert {"200", "401", "429", "5XX"} <= set(op["responses"]), (method, path)
                assert op["responses"]["401"]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorEnvelope"
                }
    upload = paths["/upload/"]["put"]
    assert {"201", "206", "400", "403", "404", "416"} <= set(upload["responses"])
    assert "200" not in upload["responses"]
    assert [p["name"] for p in upload["parameters"] if p["in"] == "header"] == ["Content-Range"]


# Server bugs the schemathesis run found, pinned down one by one.


@pytest.fixture
def asgi(schema_stub: dict[str, Any]) -> Any:
    """In process, and a 500 comes back as a response rather than as the exception."""
    from starlette.testclient import TestClient

    return TestClient(schema_stub["server"].app, base_url="http://127.0.0.1", raise_server_exceptions=False)


def test_secrets_with_non_ascii_characters_are_refused_not_a_crash(
    schema_stub: dict[str, Any], asgi: Any
) -> None:
    server: StubServer = schema_stub["server"]
    form = {
        "client_key": server.demo_client_key,
        "redirect_uri": REDIRECT_URI,
        "code_challenge": "x",
        "consent_token": "é",  # hmac.compare_digest refuses non-ASCII str: it was a 500
        "decision": "allow",
    }
    forged = asgi.post("/v2/auth/authorize/", data=form)
    assert forged.status_code == 400 and "This consent form has expired" in forged.text
    cover = asgi.get("/_stub/covers/1.jpg", params={"x-expires": "99999999999", "x-signature": "é"})
    assert cover.status_code == 403


def test_a_lone_surrogate_in_a_json_string_is_a_400(schema_stub: dict[str, Any], asgi: Any) -> None:
    reply = asgi.post(
        "/v2/video/query/",
        params={"fields": "id"},
        content=b'{"filters": {"video_ids": ["\\ud800"]}}',
        headers={"Authorization": f"Bearer {schema_stub['token']}", "Content-Type": "application/json"},
    )
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "invalid_params"


def test_a_body_that_is_not_utf8_gets_the_envelope(schema_stub: dict[str, Any], asgi: Any) -> None:
    reply = asgi.post(
        "/v2/post/publish/video/init/",
        content=b'{"a": "\xc3\x28"}',
        headers={"Authorization": f"Bearer {schema_stub['token']}", "Content-Type": "application/json"},
    )
    assert reply.status_code == 400
    assert reply.json()["error"] == {**reply.json()["error"], "code": "invalid_params"}


def test_405_names_every_method_of_the_path(asgi: Any) -> None:
    reply = asgi.request("OPTIONS", "/v2/auth/authorize/")
    assert reply.status_code == 405 and reply.headers["allow"] == "GET, POST"


def test_json_integers_are_json_schema_integers(schema_stub: dict[str, Any], asgi: Any) -> None:
    auth = {"Authorization": f"Bearer {schema_stub['token']}"}

    def listed(body: dict[str, Any]) -> int:
        return asgi.post("/v2/video/list/", params={"fields": "id"}, json=body, headers=auth).status_code

    assert listed({"max_count": 2.0}) == 200  # 2.0 is an integer to JSON Schema (and to the schema)
    assert listed({"max_count": 2.5}) == 400 and listed({"max_count": "2"}) == 400
    assert listed({"max_count": True}) == 400
    assert listed({"cursor": 2**53 - 1}) == 200 and listed({"cursor": 2**53}) == 400  # exact bound


def test_upload_headers_take_ascii_digits_only(schema_stub: dict[str, Any]) -> None:
    """``"²".isdigit()`` is true and ``int("²")`` raises: a Content-Length of "²" was a 500. (Sent
    through raw ASGI: HTTP clients write their own Content-Length.)"""
    import asyncio
    from urllib.parse import urlencode

    sent: list[dict[str, Any]] = []
    headers = [
        (b"content-type", b"video/mp4"),
        (b"content-range", f"bytes 0-1/{UPLOAD_SIZE}".encode()),
        (b"content-length", "\u00b2".encode("latin-1")),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "PUT",
        "scheme": "http",
        "path": "/upload/",
        "raw_path": b"/upload/",
        "query_string": urlencode(schema_stub["upload"]).encode(),
        "headers": headers,
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1234),
        "root_path": "",
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"ab", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def call() -> None:
        try:
            await schema_stub["server"].app(scope, receive, send)
        except Exception:  # the 500 went out already; the app re-raises after it
            pass

    asyncio.run(call())
    assert sent[0]["status"] == 400, sent
    body = json.loads(b"".join(m.get("body", b"") for m in sent[1:]))
    assert body["error"]["code"] == "invalid_file_upload"
    assert body["error"]["message"] == "Content-Range and Content-Length are required."
