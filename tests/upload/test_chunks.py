"""The chunk planner against the platform's chunk rules (tiktok_api.md 2.6, docs/backend_stub.md).

The rules are written out once here (``contract_violations``), independently of the planner, and every
plan is checked against them: Hypothesis over the whole size range, the known pitfalls of other
clients (tiktok_api.md 6) as explicit sizes, and a few sizes sent to the real stand-in's init, so
a silent change of the rules on either side fails in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from backend_stub.chunks import validate_plan
from backend_stub.server import StubServer
from studio.sync.engine import SyncEngine
from studio.sync.errors import Permanent
from studio.upload.chunks import ChunkPlan, PlanError, plan_chunks
from studio.upload.posting import PostingClient

MIB = 1024 * 1024
# The contract with both readings of "MB" at once (tiktok_api.md 2.6 [I], docs/backend_stub.md).
MIN_CHUNK = 5 * MIB  # 5,242,880
MAX_CHUNK = 64_000_000
MAX_LAST_CHUNK = 128_000_000
MAX_CHUNKS = 1000
MAX_FILE = 4_000_000_000

sizes = st.integers(min_value=1, max_value=MAX_FILE)
preferred_sizes = st.integers(min_value=1, max_value=200_000_000)


def contract_violations(video_size: int, chunk_size: int, count: int) -> list[str]:
    """Every rule a declared (video_size, chunk_size, total_chunk_count) breaks; [] = legal."""
    broken: list[str] = []
    if not 1 <= video_size <= MAX_FILE:
        broken.append(f"video_size {video_size} outside 1..{MAX_FILE}")
    if not 1 <= count <= MAX_CHUNKS:
        broken.append(f"{count} chunks, not 1..{MAX_CHUNKS}")
    if chunk_size <= 0 or count != video_size // chunk_size:
        broken.append(f"total_chunk_count {count} != floor({video_size} / {chunk_size})")
    if video_size < MIN_CHUNK and (count, chunk_size) != (1, video_size):
        broken.append("under 5 MiB the file must be one chunk with chunk_size == video_size")
    if count == 1:
        if chunk_size != video_size:
            broken.append(f"one chunk but chunk_size {chunk_size} != video_size {video_size}")
        if video_size > MAX_CHUNK:
            broken.append(f"one chunk of {video_size} > {MAX_CHUNK}: must be multi-chunk")
    elif count > 1:
        if not MIN_CHUNK <= chunk_size <= MAX_CHUNK:
            broken.append(f"chunk_size {chunk_size} outside {MIN_CHUNK}..{MAX_CHUNK}")
        last = video_size - chunk_size * (count - 1)
        if not chunk_size <= last <= MAX_LAST_CHUNK:
            broken.append(f"last chunk {last} outside {chunk_size}..{MAX_LAST_CHUNK}")
    return broken


def assert_legal(plan: ChunkPlan, video_size: int) -> None:
    """The plan follows the contract, and its own arithmetic (bounds, index_at) agrees with it."""
    n, chunk = plan.total_chunk_count, plan.chunk_size
    assert plan.video_size == video_size
    broken = contract_violations(video_size, chunk, n)
    assert not broken, f"plan_chunks({video_size}) = {plan}: {'; '.join(broken)}"
    if video_size < MIN_CHUNK:
        assert (n, chunk) == (1, video_size)
    else:
        assert n == video_size // chunk
    # the chunks tile [0, video_size): no gap, no overlap, every non-final chunk exactly chunk_size
    expect = 0
    for k in range(n):
        first, last = plan.bounds(k)
        assert first == expect, f"chunk {k} starts at {first}, expected {expect}"
        size = last - first + 1
        if k < n - 1:
            assert size == chunk
            assert MIN_CHUNK <= size <= MAX_CHUNK
        else:
            assert size == chunk + video_size % chunk
            assert size <= (MAX_LAST_CHUNK if n > 1 else MAX_CHUNK)
        assert plan.index_at(first) == k
        assert plan.index_at(last) == k  # any byte maps to the chunk that holds it
        expect = last + 1
    assert expect == video_size
    assert plan.index_at(video_size) == n  # everything acknowledged: past the last chunk
    for outside in (-1, n):
        with pytest.raises(IndexError):
            plan.bounds(outside)
    info = plan.source_info()
    assert info == {
        "source": "FILE_UPLOAD",
        "video_size": video_size,
        "chunk_size": chunk,
        "total_chunk_count": n,
    }
    # the stand-in's own rule, in-process (the conformance test below asks it over HTTP)
    validate_plan(video_size, chunk, n)


# -- the oracle itself: it must refuse what the known pitfalls produce ------------------------


@pytest.mark.parametrize(
    ("video_size", "chunk_size", "count", "why"),
    [
        (15_000_000, 10_000_000, 1, "fixed 10 MB chunk, 10-20 MB file: one chunk != video_size"),
        (20_000_000, 6_000_000, 4, "ceil instead of floor"),
        (83_000_000, 64_000_000, 1, "min(size, 64 MB) then floor: one 83 MB chunk"),
        (83_000_000, 83_000_000, 1, "one chunk over 64 MB"),
        (64_000_001, 64_000_001, 1, "one chunk over 64 MB by a byte"),
        (5_242_879, 5_242_878, 1, "under 5 MiB, chunk_size != video_size"),
        (30_000_000, 5_242_879, 5, "chunk under 5 MiB"),
        (200_000_000, 64_000_001, 3, "chunk over 64 MB"),
        (4_000_000_000, 4_000_000, 1000, "1000 chunks of 4 MB (under 5 MiB)"),
        (4_000_000_001, 64_000_000, 62, "file over 4 GB"),
        (MAX_FILE, 2_000_000, 2000, "more than 1000 chunks"),
    ],
)
def test_the_oracle_refuses_the_known_pitfalls(
    video_size: int, chunk_size: int, count: int, why: str
) -> None:
    assert contract_violations(video_size, chunk_size, count), why


def test_the_oracle_accepts_the_documented_examples() -> None:
    assert contract_violations(50_000_123, 10_000_000, 5) == []  # tiktok_api.md 2.6 example
    assert contract_violations(4_194_304, 4_194_304, 1) == []  # whole-file example


# -- properties --------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(video_size=sizes, preferred=preferred_sizes)
@example(video_size=1, preferred=1)
@example(video_size=MIN_CHUNK - 1, preferred=200_000_000)
@example(video_size=MIN_CHUNK, preferred=1)
@example(video_size=MAX_CHUNK, preferred=MAX_CHUNK)
@example(video_size=MAX_CHUNK + 1, preferred=MAX_CHUNK)
@example(video_size=MAX_LAST_CHUNK, preferred=200_000_000)
@example(video_size=MAX_FILE, preferred=1)
@example(video_size=MAX_FILE, preferred=200_000_000)
def test_every_plan_follows_the_contract(video_size: int, preferred: int) -> None:
    assert_legal(plan_chunks(video_size, preferred), video_size)


@settings(max_examples=200, deadline=None)
@given(video_size=sizes)
def test_the_default_chunk_size_follows_the_contract(video_size: int) -> None:
    assert_legal(plan_chunks(video_size), video_size)  # what the worker uses


@settings(max_examples=100, deadline=None)
@given(
    video_size=st.one_of(
        st.integers(max_value=0),
        st.integers(min_value=MAX_FILE + 1, max_value=2**63),
    ),
    preferred=preferred_sizes,
)
@example(video_size=0, preferred=10_000_000)
@example(video_size=-1, preferred=10_000_000)
@example(video_size=MAX_FILE + 1, preferred=10_000_000)
@example(video_size=4 * 1024**3, preferred=10_000_000)  # 4 GiB: over the 4 GB reading
def test_files_out_of_range_are_refused_with_a_sentence(video_size: int, preferred: int) -> None:
    with pytest.raises(PlanError) as info:
        plan_chunks(video_size, preferred)
    message = str(info.value)
    assert message[:1].isupper() and message.rstrip().endswith(".") and len(message) > 15, message
    assert "Traceback" not in message and "PlanError" not in message
    if video_size > 0:
        assert "4 GB" in message


@settings(max_examples=200, deadline=None)
@given(video_size=st.integers(min_value=MIN_CHUNK, max_value=MAX_FILE), preferred=preferred_sizes)
def test_a_plan_is_deterministic(video_size: int, preferred: int) -> None:
    """The worker plans again after a restart (from file_size) and must get the same plan."""
    assert plan_chunks(video_size, preferred) == plan_chunks(video_size, preferred)


# -- the pitfalls of other clients (tiktok_api.md 6), asserted on the rule ---------------------

EDGE_SIZES = [
    1,
    4_194_304,  # the doc's whole-file example
    MIN_CHUNK - 1,  # 5,242,879
    MIN_CHUNK,  # 5,242,880
    MIN_CHUNK + 1,
    5_000_000,
    10_000_000,
    10_000_001,  # 10-20 MB with a fixed 10 MB chunk: floor = 1 chunk
    15_000_000,
    19_999_999,
    20_000_000,
    20_000_001,
    50_000_123,  # the doc's multi-chunk example
    MAX_CHUNK,
    MAX_CHUNK + 1,  # 64,000,001: just over a single chunk
    64 * MIB,
    83_000_000,  # "min(size, 64 MB) then floor" gives one 83 MB chunk
    83 * MIB,
    94_000_000,
    MAX_LAST_CHUNK - 1,
    MAX_LAST_CHUNK,  # 128,000,000
    MAX_LAST_CHUNK + 1,
    200_000_000,
    MAX_FILE - 1,
    MAX_FILE,  # 4,000,000,000
]
PREFERRED = [1, MIN_CHUNK - 1, MIN_CHUNK, 10_000_000, 16 * MIB, MAX_CHUNK, MAX_CHUNK + 1, 200_000_000]


@pytest.mark.parametrize("preferred", PREFERRED)
@pytest.mark.parametrize("video_size", EDGE_SIZES)
def test_edge_sizes_follow_the_contract(video_size: int, preferred: int) -> None:
    assert_legal(plan_chunks(video_size, preferred), video_size)


@pytest.mark.parametrize("video_size", [10_000_001, 15_000_000, 19_999_999])
def test_a_fixed_10_mb_chunk_on_a_10_to_20_mb_file_is_one_whole_chunk(video_size: int) -> None:
    plan = plan_chunks(video_size, 10_000_000)
    assert plan.total_chunk_count == video_size // plan.chunk_size
    if plan.total_chunk_count == 1:
        assert plan.chunk_size == video_size


@pytest.mark.parametrize("video_size", [MAX_CHUNK + 1, 83_000_000, 83 * MIB, 94_000_000, MAX_LAST_CHUNK])
@pytest.mark.parametrize("preferred", PREFERRED)
def test_a_file_over_64_mb_is_always_several_chunks(video_size: int, preferred: int) -> None:
    plan = plan_chunks(video_size, preferred)
    assert plan.total_chunk_count >= 2
    assert plan.chunk_size <= MAX_CHUNK
    assert plan.total_chunk_count == video_size // plan.chunk_size


@pytest.mark.parametrize("video_size", [1, 1000, MIN_CHUNK - 1])
@pytest.mark.parametrize("preferred", PREFERRED)
def test_under_5_mib_is_one_chunk_of_the_whole_file(video_size: int, preferred: int) -> None:
    plan = plan_chunks(video_size, preferred)
    assert (plan.chunk_size, plan.total_chunk_count) == (video_size, 1)
    assert plan.bounds(0) == (0, video_size - 1)


# -- conformance with the real stand-in --------------------------------------------------------

CONFORMANCE_SIZES = [1, MIN_CHUNK - 1, MIN_CHUNK, 20_000_000, MAX_CHUNK + 1, 300_000_000, MAX_FILE]
# the extremes our planner produces with other preferred sizes: one chunk of exactly 64 MB, two
# halves just under 128 MB, 64 MB chunks with a large final one, 5 MiB chunks
CONFORMANCE_PREFERRED = [
    (MAX_CHUNK, 200_000_000),
    (MAX_LAST_CHUNK - 1, 200_000_000),
    (300_000_000, 200_000_000),
    (MAX_FILE, 200_000_000),
    (300_000_000, 1),
]
INITS = 1000


@pytest.fixture
def posting(
    stub: StubServer, make_engine: Callable[..., SyncEngine]
) -> Iterator[tuple[PostingClient, str, str]]:
    """A signed-in engine's PostingClient (built as PublishQueue builds it), the account id and
    a privacy option from creator_info; init limits and the daily cap raised on both sides."""
    with httpx.Client(base_url=stub.base_url, timeout=30, trust_env=False) as admin:
        admin.post(
            "/_stub/settings", json={"rate_limits": {"video_init": INITS}, "daily_post_cap": INITS}
        ).raise_for_status()
    engine = make_engine()
    account = engine.sign_in_demo()  # the real loopback OAuth flow
    assert engine.client is not None and engine.tokens is not None
    engine.client.limiter.limits["video_init"] = INITS
    client = PostingClient(engine.client, engine.tokens)
    info = client.creator_info(account.id)
    privacy = "SELF_ONLY" if "SELF_ONLY" in info.privacy_options else info.privacy_options[0]
    yield client, account.id, privacy


def _post_info(privacy: str) -> dict[str, object]:
    return {"privacy_level": privacy, "title": "chunk plan conformance"}


def test_the_stand_in_accepts_our_plans(posting: tuple[PostingClient, str, str]) -> None:
    client, account_id, privacy = posting
    refused: dict[tuple[int, int | None], str] = {}
    cases: list[tuple[int, int | None]] = [(size, None) for size in CONFORMANCE_SIZES]
    cases += CONFORMANCE_PREFERRED
    for size, preferred in cases:
        plan = plan_chunks(size) if preferred is None else plan_chunks(size, preferred)
        assert_legal(plan, size)
        try:
            publish_id, upload_url = client.init(
                account_id, "direct", plan.source_info(), _post_info(privacy)
            )
        except Permanent as exc:
            refused[(size, preferred)] = f"{plan}: {exc.code} {exc}"
            continue
        assert publish_id and "/upload/?upload_id=" in upload_url, (size, publish_id, upload_url)
        status = client.status(account_id, publish_id)
        assert status["status"] == "PROCESSING_UPLOAD" and status["uploaded_bytes"] == 0
    assert not refused, f"the stand-in refused our plans: {refused}"


WRONG_PLANS = [
    (20_000_000, 6_000_000, 4, "ceil instead of floor"),
    (15_000_000, 10_000_000, 1, "fixed 10 MB chunk on a 10-20 MB file"),
    (83_000_000, 64_000_000, 1, "min(size, 64 MB) then floor"),
    (MAX_CHUNK + 1, MAX_CHUNK + 1, 1, "one chunk over 64 MB"),
    (300_000_000, 4_000_000, 75, "chunks under 5 MiB"),
    (5_000_000, 4_000_000, 1, "under 5 MiB but not one whole chunk"),
    (300_000_000, 2_000_000, 150, "chunks under 5 MiB, the final one too"),
]


def test_the_stand_in_refuses_wrong_plans(posting: tuple[PostingClient, str, str]) -> None:
    """One signed-in session for all of them (each refusal is an init against the raised limit)."""
    client, account_id, privacy = posting
    for video_size, chunk_size, count, why in WRONG_PLANS:
        assert contract_violations(video_size, chunk_size, count), why
        wrong = {
            "source": "FILE_UPLOAD",
            "video_size": video_size,
            "chunk_size": chunk_size,
            "total_chunk_count": count,
        }
        with pytest.raises(Permanent) as info:
            client.init(account_id, "direct", wrong, _post_info(privacy))
        assert info.value.code == "invalid_params", (why, info.value)
        assert info.value.status == 400, (why, info.value)
