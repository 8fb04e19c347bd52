"""KetoEngine over real HTTP against the fake Keto (tests/fakes/keto.py), on SQLite and PostgreSQL.

The authorisation matrix is written once, as data, and asked of both engines: every permit in namespaces.ts for
every user. The rest covers what only the HTTP engine has: chunked and bounded batch checks, idempotent writes on a
store that keeps duplicates, listing across pages, and failing closed (down, slow, 5xx, per-item errors, the
circuit breaker), counting the requests that actually went out.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from campaign_api.db.database import Database
from campaign_api.permissions.circuit_breaker import BreakerState
from campaign_api.permissions.embedded import EmbeddedEngine
from campaign_api.permissions.engine import PermissionServiceUnavailable, Verdict
from campaign_api.permissions.keto import BATCH_CHECK_PATH, KetoEngine
from campaign_api.permissions.opl import Model, load_model
from campaign_api.permissions.tuples import RelationTuple, TupleQuery, user
from tests.fakes.keto import FakeKeto, running_fake_keto

# --------------------------------------------------------------------------------------------------------------------
# The authorisation matrix, as data. `{run}` makes every id unique, so a real Keto can hold several runs at once.

MATRIX_TUPLES = (
    "Organisation:org-{run}#owners@User:owner-{run}",
    "Organisation:org-{run}#admins@User:admin-{run}",
    "Organisation:org-{run}#editors@User:editor-{run}",
    "Organisation:org-{run}#members@User:member-{run}",
    "Campaign:campaign-{run}#organisation@Organisation:org-{run}",
    "Campaign:campaign-{run}#editors@User:campaign_editor-{run}",
    "Campaign:campaign-{run}#viewers@User:campaign_viewer-{run}",
    "Petition:petition-{run}#campaign@Campaign:campaign-{run}",
)
MATRIX_USERS = ("owner", "admin", "editor", "member", "campaign_editor", "campaign_viewer", "outsider")
MATRIX_OBJECTS = {"Organisation": "org", "Campaign": "campaign", "Petition": "petition"}

_STAFF = "owner admin editor member"
_CAMPAIGN_READERS = f"{_STAFF} campaign_editor campaign_viewer"
_CAMPAIGN_EDITORS = "owner admin editor campaign_editor"
_MANAGERS = "owner admin"

# Every permit in namespaces.ts, and who holds it.
MATRIX_EXPECTED = {
    ("Organisation", "view_campaigns"): _STAFF,
    ("Organisation", "view_members"): _STAFF,
    ("Organisation", "create_campaign"): "owner admin editor",
    ("Organisation", "manage_campaigns"): _MANAGERS,
    ("Organisation", "manage_members"): _MANAGERS,
    ("Organisation", "manage_admins"): "owner",
    ("Campaign", "view"): _CAMPAIGN_READERS,
    ("Campaign", "edit"): _CAMPAIGN_EDITORS,
    ("Campaign", "publish"): _MANAGERS,
    ("Campaign", "read_signatures"): _MANAGERS,
    ("Campaign", "delete_signatures"): _MANAGERS,
    ("Campaign", "grant_roles"): _MANAGERS,
    ("Petition", "view"): _CAMPAIGN_READERS,
    ("Petition", "edit"): _CAMPAIGN_EDITORS,
    ("Petition", "publish"): _MANAGERS,
    ("Petition", "read_signatures"): _MANAGERS,
    ("Petition", "delete_signatures"): _MANAGERS,
}


def matrix_tuples(run: str) -> list[RelationTuple]:
    return [RelationTuple.parse(text.format(run=run)) for text in MATRIX_TUPLES]


def matrix_checks(run: str) -> list[tuple[RelationTuple, Verdict]]:
    """Every (permit, user) of the matrix with the verdict namespaces.ts gives it."""
    return [
        (
            RelationTuple(namespace, f"{MATRIX_OBJECTS[namespace]}-{run}", permit, user(f"{name}-{run}")),
            Verdict.ALLOWED if name in holders.split() else Verdict.DENIED,
        )
        for (namespace, permit), holders in MATRIX_EXPECTED.items()
        for name in MATRIX_USERS
    ]


def model_permits(model: Model) -> set[tuple[str, str]]:
    return {
        (namespace.name, relation.name)
        for namespace in model.namespaces.values()
        for relation in namespace.relations.values()
        if relation.rewrite is not None
    }


# --------------------------------------------------------------------------------------------------------------------
# Fixtures


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class RecordingSleep:
    """Back-off without waiting: remembers each delay asked for."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture(scope="module")
def shared_keto(migrated_database_url: str) -> Iterator[FakeKeto]:
    """One fake Keto per module and backend: starting two uvicorn servers per test would be most of the run time."""
    with running_fake_keto(migrated_database_url) as fake:
        yield fake


@pytest.fixture
def keto(shared_keto: FakeKeto, database: Database) -> FakeKeto:
    """The module's fake Keto on this test's emptied database, with nothing remembered from earlier tests."""
    shared_keto.reset()
    shared_keto.forget_stored()
    return shared_keto


@pytest.fixture
def own_keto(database: Database) -> Iterator[FakeKeto]:
    """A fake Keto for this test alone, for the tests that take it down."""
    with running_fake_keto(database.url) as fake:
        yield fake


EngineFactory = Callable[..., KetoEngine]


@pytest.fixture
async def engine_for() -> AsyncIterator[Callable[..., KetoEngine]]:
    """``engine_for(fake, **options)``: a KetoEngine on that fake, without real back-off sleeps unless given one."""
    engines: list[KetoEngine] = []

    def make(fake: FakeKeto, **options: Any) -> KetoEngine:
        options.setdefault("sleep", RecordingSleep())
        options.setdefault("timeout_seconds", 5.0)
        engine = KetoEngine(fake.read_url, fake.write_url, **options)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        await engine.aclose()


@pytest.fixture
def make_engine(keto: FakeKeto, engine_for: Callable[..., KetoEngine]) -> EngineFactory:
    """``make_engine(**options)``: a KetoEngine on the module's fake."""
    return lambda **options: engine_for(keto, **options)


@pytest.fixture
def engine(make_engine: EngineFactory) -> KetoEngine:
    return make_engine()


def checks_of(count: int) -> list[RelationTuple]:
    return [RelationTuple("Campaign", f"c{index}", "view", user("alice")) for index in range(count)]


GRANT = RelationTuple("Campaign", "c0", "viewers", user("alice"))
CAN_VIEW = RelationTuple("Campaign", "c0", "view", user("alice"))


# --------------------------------------------------------------------------------------------------------------------
# The same answers as the embedded engine


def test_the_matrix_covers_every_permit_in_namespaces_ts() -> None:
    assert set(MATRIX_EXPECTED) == model_permits(load_model())


async def test_the_matrix_gets_the_same_answers_from_keto_and_the_embedded_engine(
    engine: KetoEngine, database: Database
) -> None:
    await engine.write(insert=matrix_tuples("m"))
    embedded = EmbeddedEngine(database, load_model())
    checks, expected = zip(*matrix_checks("m"), strict=True)

    over_http = await engine.check(checks)
    in_process = await embedded.check(checks)

    assert over_http == in_process
    wrong = [(str(check), got) for check, got, want in zip(checks, over_http, expected, strict=True) if got != want]
    assert wrong == []
    assert engine.calls == len(MATRIX_TUPLES) + 1 + math.ceil(len(checks) / 10)  # lookups, one PATCH, the batches


async def test_the_keto_engine_sends_max_depth_when_told(make_engine: EngineFactory) -> None:
    await make_engine().write(insert=matrix_tuples("d"))
    deep = RelationTuple("Petition", "petition-d", "view", user("owner-d"))  # petition -> campaign -> organisation

    assert await make_engine(max_depth=None).check([deep]) == [Verdict.ALLOWED]
    assert await make_engine(max_depth=2).check([deep]) == [Verdict.DENIED]


# --------------------------------------------------------------------------------------------------------------------
# Batches: chunks of Keto's limit, de-duplicated, a bounded number at a time


@pytest.mark.parametrize(("unique", "batches"), [(1, 1), (10, 1), (11, 2), (25, 3), (100, 10)])
async def test_unique_checks_go_in_chunks_of_ten(engine: KetoEngine, keto: FakeKeto, unique: int, batches: int) -> None:
    verdicts = await engine.check(checks_of(unique))

    assert verdicts == [Verdict.DENIED] * unique
    assert keto.call_count("POST", BATCH_CHECK_PATH) == batches == math.ceil(unique / 10)
    assert engine.calls == batches
    assert sum(keto.batch_sizes) == unique and max(keto.batch_sizes) <= 10


async def test_duplicate_checks_are_asked_once_and_answered_in_place(engine: KetoEngine, keto: FakeKeto) -> None:
    await engine.write(insert=[GRANT])
    keto.reset()
    checks = [*checks_of(25), *reversed(checks_of(25))]

    verdicts = await engine.check(checks)

    assert keto.call_count("POST", BATCH_CHECK_PATH) == 3
    assert sorted(keto.batch_sizes) == [5, 10, 10]
    assert verdicts == [Verdict.ALLOWED, *[Verdict.DENIED] * 48, Verdict.ALLOWED]


@pytest.mark.parametrize("bound", [1, 2, 5])
async def test_no_more_batches_in_flight_than_the_bound(make_engine: EngineFactory, keto: FakeKeto, bound: int) -> None:
    keto.delay_seconds = 0.1  # long enough for every batch allowed out to overlap
    engine = make_engine(max_concurrent_batches=bound)

    await engine.check(checks_of(60))

    assert keto.call_count("POST", BATCH_CHECK_PATH) == 6
    assert keto.max_in_flight == bound


# --------------------------------------------------------------------------------------------------------------------
# Writes on a store that keeps duplicates


async def test_writing_a_tuple_twice_leaves_one_copy(engine: KetoEngine, keto: FakeKeto) -> None:
    await engine.write(insert=[GRANT])
    await engine.write(insert=[GRANT])

    assert keto.copies(GRANT) == 1
    [first] = keto.patch_bodies  # the second write found the tuple stored and sent nothing
    assert first == [{"action": "insert", "relation_tuple": GRANT.to_json()}]
    assert (await engine.list(TupleQuery("Campaign", "c0"))).tuples == [GRANT]
    assert await engine.check([CAN_VIEW]) == [Verdict.ALLOWED]


async def test_one_patch_that_deletes_then_inserts_loses_the_tuple_on_keto(engine: KetoEngine, keto: FakeKeto) -> None:
    """Why write() looks before it inserts: Keto applies a PATCH's inserts before its deletes, whatever the order."""
    await engine.write(insert=[GRANT])
    naive = [
        {"action": "delete", "relation_tuple": GRANT.to_json()},
        {"action": "insert", "relation_tuple": GRANT.to_json()},
    ]
    async with httpx.AsyncClient(base_url=keto.write_url) as client:
        assert (await client.patch("/admin/relation-tuples", json=naive)).status_code == 204

    assert keto.copies(GRANT) == 0
    assert await engine.check([CAN_VIEW]) == [Verdict.DENIED]


async def test_a_write_inserts_only_what_is_missing_and_deletes_in_the_same_patch(
    engine: KetoEngine, keto: FakeKeto
) -> None:
    other = RelationTuple("Campaign", "c0", "editors", user("bob"))
    gone = RelationTuple("Campaign", "c0", "viewers", user("carol"))
    await engine.write(insert=[GRANT, gone])
    keto.reset()

    await engine.write(insert=[GRANT, other], delete=[gone])

    assert keto.patch_bodies == [
        [
            {"action": "insert", "relation_tuple": other.to_json()},
            {"action": "delete", "relation_tuple": gone.to_json()},
        ]
    ]
    stored = (await engine.list(TupleQuery("Campaign", "c0"))).tuples
    assert sorted(map(str, stored)) == sorted(map(str, [GRANT, other]))
    assert [keto.copies(t) for t in (GRANT, other, gone)] == [1, 1, 0]


async def test_a_tuple_both_inserted_and_deleted_ends_up_stored_as_in_the_embedded_engine(
    engine: KetoEngine, database: Database
) -> None:
    await engine.write(insert=[GRANT], delete=[GRANT])
    embedded = EmbeddedEngine(database, load_model())
    await embedded.write(insert=[GRANT], delete=[GRANT])

    assert await engine.check([CAN_VIEW]) == await embedded.check([CAN_VIEW]) == [Verdict.ALLOWED]


async def test_deleting_a_tuple_that_is_not_stored_changes_nothing(engine: KetoEngine, keto: FakeKeto) -> None:
    await engine.write(insert=[GRANT])
    await engine.write(delete=[GRANT, RelationTuple("Campaign", "c0", "viewers", user("nobody"))])
    await engine.write()  # nothing to do: no request

    assert await engine.check([CAN_VIEW]) == [Verdict.DENIED]
    assert keto.call_count("PATCH", "/admin/relation-tuples") == 2


async def test_delete_matching_deletes_by_query(engine: KetoEngine, keto: FakeKeto) -> None:
    await engine.write(
        insert=[
            GRANT,
            RelationTuple("Campaign", "c0", "editors", user("bob")),
            RelationTuple("Campaign", "c1", "viewers", user("alice")),
            RelationTuple("Organisation", "o1", "members", user("alice")),
        ]
    )

    await engine.delete_matching(TupleQuery("Campaign", "c0"))
    await engine.delete_matching(TupleQuery(namespace="Organisation", subject=user("alice")))

    remaining = (await engine.list(TupleQuery())).tuples
    assert remaining == [RelationTuple("Campaign", "c1", "viewers", user("alice"))]
    assert keto.call_count("DELETE", "/admin/relation-tuples") == 2


async def test_delete_matching_needs_a_namespace(engine: KetoEngine) -> None:
    with pytest.raises(ValueError, match="namespace"):
        await engine.delete_matching(TupleQuery(object="c0"))
    assert engine.calls == 0


# --------------------------------------------------------------------------------------------------------------------
# Listing


async def test_listing_follows_next_page_token_across_pages(engine: KetoEngine) -> None:
    grants = [RelationTuple("Campaign", f"c{index:02}", "viewers", user("alice")) for index in range(25)]
    await engine.write(insert=[*grants, RelationTuple("Campaign", "c00", "viewers", user("bob"))])

    pages, token = [], ""
    while True:
        page = await engine.list(
            TupleQuery(namespace="Campaign", subject=user("alice")), page_size=10, page_token=token
        )
        pages.append(page.tuples)
        if not (token := page.next_page_token):
            break

    assert [len(page) for page in pages] == [10, 10, 5]
    assert sorted(t.object for page in pages for t in page) == [t.object for t in grants]


async def test_listing_by_a_plain_subject_id(engine: KetoEngine) -> None:
    plain = RelationTuple("Campaign", "c0", "viewers", "service-account")
    await engine.write(insert=[plain, GRANT])

    assert (await engine.list(TupleQuery(subject="service-account"))).tuples == [plain]


# --------------------------------------------------------------------------------------------------------------------
# Failing closed


async def test_keto_down_makes_every_verdict_unavailable(
    engine_for: Callable[..., KetoEngine], own_keto: FakeKeto
) -> None:
    engine = engine_for(own_keto)
    own_keto.stop()

    assert await engine.check(checks_of(25)) == [Verdict.UNAVAILABLE] * 25
    with pytest.raises(PermissionServiceUnavailable):
        await engine.write(insert=[GRANT])
    with pytest.raises(PermissionServiceUnavailable):
        await engine.list(TupleQuery("Campaign"))


async def test_a_slow_keto_is_unavailable_within_the_timeout(make_engine: EngineFactory, keto: FakeKeto) -> None:
    engine = make_engine(timeout_seconds=0.3)
    keto.slow = True

    started = time.perf_counter()
    verdicts = await engine.check(checks_of(25))
    elapsed = time.perf_counter() - started

    assert verdicts == [Verdict.UNAVAILABLE] * 25
    assert elapsed < 3 * 0.3


async def test_a_5xx_is_retried_then_unavailable(make_engine: EngineFactory, keto: FakeKeto) -> None:
    sleep = RecordingSleep()
    engine = make_engine(retries=2, sleep=sleep, random=lambda: 1.0, backoff_base_seconds=0.1)
    keto.fail_status = 500

    assert await engine.check(checks_of(3)) == [Verdict.UNAVAILABLE] * 3
    assert keto.call_count("POST", BATCH_CHECK_PATH) == engine.calls == 1 + 2
    assert sleep.delays == [0.1, 0.2]


async def test_a_5xx_that_heals_within_the_retries_is_answered(make_engine: EngineFactory, keto: FakeKeto) -> None:
    class HealingSleep(RecordingSleep):
        async def __call__(self, seconds: float) -> None:
            keto.fail_status = None  # Keto recovers while the engine backs off

    engine = make_engine(retries=2, sleep=HealingSleep())
    await engine.write(insert=[GRANT])
    keto.reset()
    keto.fail_status = 503

    assert await engine.check([CAN_VIEW]) == [Verdict.ALLOWED]
    assert keto.call_count("POST", BATCH_CHECK_PATH) == 2


async def test_backoff_is_capped_exponential_with_full_jitter(make_engine: EngineFactory, keto: FakeKeto) -> None:
    keto.fail_status = 502
    full, half = RecordingSleep(), RecordingSleep()
    options = {"retries": 5, "backoff_base_seconds": 0.1, "backoff_max_seconds": 0.3}
    await make_engine(sleep=full, random=lambda: 1.0, **options).check(checks_of(1))
    await make_engine(sleep=half, random=lambda: 0.5, **options).check(checks_of(1))

    assert full.delays == pytest.approx([0.1, 0.2, 0.3, 0.3, 0.3])
    assert half.delays == pytest.approx([0.05, 0.1, 0.15, 0.15, 0.15])


async def test_a_per_item_error_makes_that_item_unavailable_only(engine: KetoEngine, keto: FakeKeto) -> None:
    await engine.write(insert=[GRANT])
    broken = RelationTuple("Campaign", "c1", "view", user("alice"))
    keto.item_errors = {broken}

    verdicts = await engine.check([CAN_VIEW, broken, RelationTuple("Campaign", "c2", "view", user("alice"))])

    assert verdicts == [Verdict.ALLOWED, Verdict.UNAVAILABLE, Verdict.DENIED]


async def test_an_unknown_namespace_is_a_per_item_error_in_a_batch_as_on_keto(engine: KetoEngine) -> None:
    verdicts = await engine.check([RelationTuple("Nowhere", "x", "view", user("alice")), CAN_VIEW])

    assert verdicts == [Verdict.UNAVAILABLE, Verdict.DENIED]


async def test_a_4xx_is_not_retried_and_is_not_a_failure_of_keto(make_engine: EngineFactory, keto: FakeKeto) -> None:
    keto.max_batch_size = 5
    engine = make_engine(max_batch_size=10, retries=3, failure_threshold=1)

    assert await engine.check(checks_of(8)) == [Verdict.UNAVAILABLE] * 8  # "batch exceeds max size of 5"
    assert await engine.check(checks_of(3)) == [Verdict.DENIED] * 3
    assert keto.call_count("POST", BATCH_CHECK_PATH) == engine.calls == 2
    assert engine.read_breaker.state is BreakerState.CLOSED


async def test_a_body_that_is_not_a_batch_answer_is_unavailable(make_engine: EngineFactory, keto: FakeKeto) -> None:
    engine = make_engine(retries=2)
    keto.malformed = True

    assert await engine.check(checks_of(12)) == [Verdict.UNAVAILABLE] * 12
    with pytest.raises(PermissionServiceUnavailable):
        await engine.list(TupleQuery("Campaign"))
    assert engine.calls == 3  # a 200 is an answer: not retried


async def test_writes_are_not_retried(make_engine: EngineFactory, keto: FakeKeto) -> None:
    engine = make_engine(retries=2)
    keto.fail_status = 500

    with pytest.raises(PermissionServiceUnavailable):
        await engine.write(insert=[GRANT])
    with pytest.raises(PermissionServiceUnavailable):
        await engine.delete_matching(TupleQuery("Campaign", "c0"))
    assert engine.calls == keto.api_calls == 2


# --------------------------------------------------------------------------------------------------------------------
# The circuit breaker


async def test_an_open_breaker_answers_unavailable_without_a_request(
    make_engine: EngineFactory, keto: FakeKeto
) -> None:
    clock = FakeClock()
    engine = make_engine(retries=0, failure_threshold=3, cool_down_seconds=30, clock=clock)
    await engine.write(insert=[GRANT])
    keto.reset()
    keto.fail_status = 500

    for _ in range(3):
        assert await engine.check([CAN_VIEW]) == [Verdict.UNAVAILABLE]
    assert engine.read_breaker.state is BreakerState.OPEN
    calls = keto.api_calls
    started = time.perf_counter()
    for _ in range(1000):
        assert await engine.check(checks_of(25)) == [Verdict.UNAVAILABLE] * 25
    per_check = (time.perf_counter() - started) / 1000
    assert keto.api_calls == calls == 3
    assert per_check < 0.005  # no timeout paid, no socket touched

    keto.fail_status = None  # Keto is back, but the breaker waits out its cool-down
    clock.advance(29)
    assert await engine.check([CAN_VIEW]) == [Verdict.UNAVAILABLE]
    assert keto.api_calls == 3

    clock.advance(1)
    assert engine.read_breaker.state is BreakerState.HALF_OPEN
    assert await engine.check([CAN_VIEW]) == [Verdict.ALLOWED]  # the probe
    assert engine.read_breaker.state is BreakerState.CLOSED
    assert await engine.check(checks_of(25)) == [Verdict.ALLOWED] + [Verdict.DENIED] * 24
    assert keto.call_count("POST", BATCH_CHECK_PATH) == 3 + 1 + 3


async def test_a_failed_probe_opens_the_breaker_again(
    engine_for: Callable[..., KetoEngine], own_keto: FakeKeto
) -> None:
    clock = FakeClock()
    engine = engine_for(own_keto, retries=0, failure_threshold=2, cool_down_seconds=10, clock=clock)
    own_keto.stop()
    for _ in range(2):
        await engine.check([CAN_VIEW])
    assert engine.read_breaker.state is BreakerState.OPEN

    clock.advance(10)
    assert await engine.check([CAN_VIEW]) == [Verdict.UNAVAILABLE]  # the probe, refused by a closed port
    assert engine.read_breaker.state is BreakerState.OPEN
    assert engine.calls == 3


async def test_the_write_api_has_its_own_breaker(make_engine: EngineFactory, keto: FakeKeto) -> None:
    engine = make_engine(failure_threshold=1, clock=FakeClock())
    await engine.write(insert=[GRANT])
    keto.fail_status = 500
    with pytest.raises(PermissionServiceUnavailable):
        await engine.delete_matching(TupleQuery("Campaign", "c0"))
    keto.fail_status = None

    assert engine.write_breaker.state is BreakerState.OPEN
    assert engine.read_breaker.state is BreakerState.CLOSED
    assert await engine.check([CAN_VIEW]) == [Verdict.ALLOWED]
    with pytest.raises(PermissionServiceUnavailable):
        await engine.delete_matching(TupleQuery("Campaign", "c0"))
    assert keto.call_count("DELETE", "/admin/relation-tuples") == 1


# --------------------------------------------------------------------------------------------------------------------
# The fake speaks Keto's wire format (what the engine relies on, checked without the engine)


async def test_the_fake_answers_single_checks_as_keto(engine: KetoEngine, keto: FakeKeto) -> None:
    await engine.write(insert=[GRANT])
    allowed = {"namespace": "Campaign", "object": "c0", "relation": "view", "subject_set.namespace": "User"}
    allowed |= {"subject_set.object": "alice", "subject_set.relation": ""}
    denied = allowed | {"subject_set.object": "bob"}
    async with httpx.AsyncClient(base_url=keto.read_url) as client:
        assert (await client.get("/relation-tuples/check", params=allowed)).json() == {"allowed": True}
        answer = await client.get("/relation-tuples/check", params=denied)
        assert (answer.status_code, answer.json()) == (403, {"allowed": False})
        answer = await client.get("/relation-tuples/check/openapi", params=denied)
        assert (answer.status_code, answer.json()) == (200, {"allowed": False})
        answer = await client.post("/relation-tuples/check", json=CAN_VIEW.to_json())
        assert (answer.status_code, answer.json()) == (200, {"allowed": True})
        assert (await client.get("/health/ready")).json() == {"status": "ok"}


@pytest.mark.parametrize(
    "subject",
    [
        {"subject_id": "alice", "subject_set.namespace": "User", "subject_set.object": "alice"},
        {"subject_set.namespace": "User", "subject_set.object": "alice"},  # the empty relation left out
        {},
    ],
)
async def test_the_fake_refuses_a_subject_that_is_not_exactly_one(keto: FakeKeto, subject: dict[str, str]) -> None:
    params = {"namespace": "Campaign", "object": "c0", "relation": "view"} | subject
    async with httpx.AsyncClient(base_url=keto.read_url) as client:
        answer = await client.get("/relation-tuples/check", params=params)

    assert answer.status_code == 400
    error = answer.json()["error"]
    assert (error["code"], error["status"]) == (400, "Bad Request")
    assert error["message"]


async def test_the_fake_refuses_a_json_tuple_with_both_subjects(keto: FakeKeto) -> None:
    body = CAN_VIEW.to_json() | {"subject_id": "alice"}
    async with httpx.AsyncClient(base_url=keto.write_url) as client:
        answer = await client.put("/admin/relation-tuples", json=body)

    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == "exactly one of subject_set or subject_id has to be provided"


async def test_the_fake_refuses_batches_over_its_limit(keto: FakeKeto) -> None:
    async with httpx.AsyncClient(base_url=keto.read_url) as client:
        answer = await client.post(BATCH_CHECK_PATH, json={"tuples": [t.to_json() for t in checks_of(11)]})

    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == "batch exceeds max size of 10"


async def test_the_fake_writes_one_tuple_with_put_and_deletes_only_within_a_namespace(
    engine: KetoEngine, keto: FakeKeto
) -> None:
    async with httpx.AsyncClient(base_url=keto.write_url) as client:
        created = await client.put("/admin/relation-tuples", json=GRANT.to_json())
        created_again = await client.put("/admin/relation-tuples", json=GRANT.to_json())
        without_namespace = await client.delete("/admin/relation-tuples", params={"object": "c0"})

    assert (created.status_code, created.json()) == (201, GRANT.to_json())
    assert created_again.status_code == 201
    assert keto.copies(GRANT) == 2  # Keto keeps both
    assert without_namespace.status_code == 400
    await engine.delete_matching(TupleQuery("Campaign", "c0", "viewers", user("alice")))
    assert keto.copies(GRANT) == 0  # and a delete removes every copy
