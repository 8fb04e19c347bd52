"""KetoEngine against a real Ory Keto, when one is running: set KETO_READ_URL and KETO_WRITE_URL.

Keto must be loaded with campaign_api/permissions/namespaces.ts (``namespaces: {location: file://...}``). Every id a
test writes carries a fresh run id, and each test deletes what it wrote, so a shared Keto stays clean.

Besides the matrix, these pin down the Keto behaviour the engine and the fake are built on: duplicates are stored,
a PATCH inserts before it deletes, per-item errors in a batch, and the same raw requests answered alike by the fake
(tests/fakes/keto.py) and the real server.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from campaign_api.db.database import Database
from campaign_api.permissions.embedded import EmbeddedEngine
from campaign_api.permissions.engine import Verdict
from campaign_api.permissions.keto import BATCH_CHECK_PATH, KetoEngine
from campaign_api.permissions.opl import load_model
from campaign_api.permissions.tuples import RelationTuple, SubjectSet, TupleQuery, user
from tests.fakes.keto import FakeKeto, running_fake_keto
from tests.permissions.test_keto_engine import MATRIX_OBJECTS, matrix_checks, matrix_tuples

KETO_READ_URL = os.environ.get("KETO_READ_URL", "")
KETO_WRITE_URL = os.environ.get("KETO_WRITE_URL", "")

pytestmark = pytest.mark.skipif(
    not (KETO_READ_URL and KETO_WRITE_URL),
    reason="no real Keto: set KETO_READ_URL and KETO_WRITE_URL (Keto loaded with permissions/namespaces.ts)",
)


@pytest.fixture
def run() -> str:
    return uuid.uuid4().hex[:12]


@pytest.fixture
async def keto() -> AsyncIterator[KetoEngine]:
    engine = KetoEngine(KETO_READ_URL, KETO_WRITE_URL, timeout_seconds=5.0)
    yield engine
    await engine.aclose()


@pytest.fixture
async def written(keto: KetoEngine) -> AsyncIterator[list[tuple[str, str]]]:
    """Append (namespace, object) for everything a test writes; it is all deleted afterwards."""
    objects: list[tuple[str, str]] = []
    yield objects
    for namespace, object_ in dict.fromkeys(objects):
        await keto.delete_matching(TupleQuery(namespace, object_))


async def stored(keto: KetoEngine, query: TupleQuery) -> list[RelationTuple]:
    found, token = [], ""
    while True:
        page = await keto.list(query, page_token=token)
        found += page.tuples
        if not (token := page.next_page_token):
            return found


async def test_the_matrix_on_a_real_keto_matches_the_embedded_engine(
    keto: KetoEngine, database: Database, written: list[tuple[str, str]], run: str
) -> None:
    written += [(namespace, f"{name}-{run}") for namespace, name in MATRIX_OBJECTS.items()]
    await keto.write(insert=matrix_tuples(run))
    embedded = EmbeddedEngine(database, load_model())
    await embedded.write(insert=matrix_tuples(run))
    checks, expected = zip(*matrix_checks(run), strict=True)

    from_keto = await keto.check(checks)
    from_embedded = await embedded.check(checks)

    assert [str(c) for c, got, want in zip(checks, from_keto, expected, strict=True) if got != want] == []
    assert from_keto == from_embedded


async def test_writing_a_tuple_twice_leaves_one_copy_on_a_real_keto(
    keto: KetoEngine, written: list[tuple[str, str]], run: str
) -> None:
    grant = RelationTuple("Campaign", f"c-{run}", "viewers", user(f"alice-{run}"))
    written.append(("Campaign", grant.object))

    await keto.write(insert=[grant])
    await keto.write(insert=[grant])

    assert await stored(keto, TupleQuery("Campaign", grant.object)) == [grant]


async def test_a_real_keto_stores_duplicates_and_applies_a_patchs_inserts_before_its_deletes(
    keto: KetoEngine, written: list[tuple[str, str]], run: str
) -> None:
    grant = RelationTuple("Campaign", f"c-{run}", "viewers", user(f"alice-{run}"))
    written.append(("Campaign", grant.object))
    naive = [{"action": action, "relation_tuple": grant.to_json()} for action in ("delete", "insert")]
    async with httpx.AsyncClient(base_url=KETO_WRITE_URL) as client:
        for _ in range(2):
            assert (await client.put("/admin/relation-tuples", json=grant.to_json())).status_code == 201
        assert len(await stored(keto, TupleQuery("Campaign", grant.object))) == 2

        assert (await client.patch("/admin/relation-tuples", json=naive)).status_code == 204

    assert await stored(keto, TupleQuery("Campaign", grant.object)) == []  # "delete then insert" deleted it


async def test_checks_go_in_chunks_of_ten_to_a_real_keto(
    keto: KetoEngine, written: list[tuple[str, str]], run: str
) -> None:
    grant = RelationTuple("Campaign", f"c0-{run}", "viewers", user(f"alice-{run}"))
    written.append(("Campaign", grant.object))
    await keto.write(insert=[grant])
    calls = keto.calls
    checks = [RelationTuple("Campaign", f"c{index}-{run}", "view", user(f"alice-{run}")) for index in range(25)]

    verdicts = await keto.check([*checks, *checks])

    assert keto.calls - calls == 3
    assert verdicts == 2 * ([Verdict.ALLOWED] + [Verdict.DENIED] * 24)


async def test_per_item_errors_from_a_real_keto_make_only_those_items_unavailable(
    keto: KetoEngine, database: Database, run: str
) -> None:
    alice = user(f"alice-{run}")
    unknown_namespace = RelationTuple("Nowhere", f"x-{run}", "view", alice)
    unknown_relation = RelationTuple("Campaign", f"c-{run}", "no_such_permit", alice)
    fine = RelationTuple("Campaign", f"c-{run}", "view", alice)

    verdicts = await keto.check([unknown_namespace, unknown_relation, fine])

    assert verdicts == [Verdict.UNAVAILABLE, Verdict.UNAVAILABLE, Verdict.DENIED]
    # The embedded engine denies an unknown namespace outright (Keto's answer to a single check, not to a batch).
    embedded = await EmbeddedEngine(database, load_model()).check([unknown_namespace, unknown_relation, fine])
    assert embedded == [Verdict.DENIED, Verdict.UNAVAILABLE, Verdict.DENIED]


async def test_listing_pages_and_deleting_by_subject_on_a_real_keto(
    keto: KetoEngine, written: list[tuple[str, str]], run: str
) -> None:
    alice = user(f"alice-{run}")
    grants = [RelationTuple("Campaign", f"c{index:02}-{run}", "viewers", alice) for index in range(25)]
    written += [("Campaign", grant.object) for grant in grants]
    await keto.write(insert=grants)

    sizes, token = [], ""
    while True:
        page = await keto.list(TupleQuery(namespace="Campaign", subject=alice), page_size=10, page_token=token)
        sizes.append(len(page.tuples))
        if not (token := page.next_page_token):
            break
    assert sizes == [10, 10, 5]

    await keto.delete_matching(TupleQuery(namespace="Campaign", subject=alice))
    assert await stored(keto, TupleQuery(namespace="Campaign", subject=alice)) == []


# --------------------------------------------------------------------------------------------------------------------
# The fake and the real server answer the same raw requests alike


@pytest.fixture
def fake(database: Database) -> Iterator[FakeKeto]:
    with running_fake_keto(database.url) as fake:
        yield fake


def _wire_cases(run: str) -> list[tuple[str, str, str, dict[str, str], Any]]:
    """(api, method, path, query, JSON body) for requests whose answers the engine or the fake rely on."""
    alice = {"subject_set.namespace": "User", "subject_set.object": f"alice-{run}", "subject_set.relation": ""}
    partial_set = {"subject_set.namespace": "User", "subject_set.object": f"alice-{run}"}  # no relation key
    view = {"namespace": "Campaign", "object": f"c-{run}", "relation": "view"}
    grant = RelationTuple("Campaign", f"c-{run}", "viewers", user(f"alice-{run}")).to_json()
    check = RelationTuple("Campaign", f"c-{run}", "view", user(f"alice-{run}")).to_json()
    return [
        ("write", "PUT", "/admin/relation-tuples", {}, grant),
        ("read", "GET", "/relation-tuples/check", view | alice, None),
        ("read", "GET", "/relation-tuples/check", view | alice | {"subject_set.object": "bob"}, None),
        ("read", "GET", "/relation-tuples/check/openapi", view | alice | {"subject_set.object": "bob"}, None),
        ("read", "POST", "/relation-tuples/check", {}, check),
        ("read", "GET", "/relation-tuples/check", view | partial_set, None),
        ("read", "GET", "/relation-tuples/check", view | alice | {"subject_id": "a"}, None),
        ("read", "GET", "/relation-tuples/check", view, None),
        ("read", "GET", "/relation-tuples/check", view | alice | {"namespace": "Nowhere"}, None),
        ("read", "POST", BATCH_CHECK_PATH, {}, {"tuples": [check] * 11}),
        ("read", "POST", BATCH_CHECK_PATH, {}, {"tuples": [check, check | {"namespace": "Nowhere"}]}),
        ("read", "POST", BATCH_CHECK_PATH, {"max-depth": "abc"}, {"tuples": [check]}),
        ("read", "GET", "/relation-tuples", {"namespace": "Campaign", "object": f"c-{run}"}, None),
        ("read", "GET", "/relation-tuples", {"namespace": "Nowhere"}, None),
        ("write", "DELETE", "/admin/relation-tuples", {"object": f"c-{run}"}, None),
        ("write", "PATCH", "/admin/relation-tuples", {}, [{"action": "delete", "relation_tuple": grant}]),
        ("read", "GET", "/relation-tuples/check", view | alice, None),
    ]  # fmt: skip


def _comparable(response: httpx.Response) -> tuple[int, Any]:
    """The status, and the body without what only describes (an error's reason and debug text)."""
    if not response.content:
        return response.status_code, None
    body = response.json()
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = {"error": {key: body["error"][key] for key in ("code", "status", "message") if key in body["error"]}}
    return response.status_code, body


async def test_the_fake_answers_raw_requests_as_a_real_keto_does(fake: FakeKeto, run: str) -> None:
    answers: dict[str, list[tuple[int, Any]]] = {}
    for name, read_url, write_url in (
        ("real", KETO_READ_URL, KETO_WRITE_URL),
        ("fake", fake.read_url, fake.write_url),
    ):
        urls = {"read": read_url, "write": write_url}
        async with httpx.AsyncClient() as client:
            answers[name] = [
                _comparable(await client.request(method, urls[api] + path, params=query, json=body))
                for api, method, path, query, body in _wire_cases(run)
            ]
        async with httpx.AsyncClient(base_url=write_url) as client:  # leave nothing behind
            await client.delete("/admin/relation-tuples", params={"namespace": "Campaign", "object": f"c-{run}"})

    differences = [
        (case[1], case[2], real, fake_answer)
        for case, real, fake_answer in zip(_wire_cases(run), answers["real"], answers["fake"], strict=True)
        if real != fake_answer
    ]
    assert differences == []


ORGANISATION_ROLES = ["owners", "admins", "editors", "members"]


def _random_world(seed: int, run: str) -> tuple[list[RelationTuple], dict[str, list[str]], list[str]]:
    """A random tuple set over a small universe, nested subject sets included (they exercise Keto's expansion)."""
    rnd = random.Random(seed)
    objects = {
        "Organisation": [f"o{i}-{run}" for i in range(2)],
        "Campaign": [f"c{i}-{run}" for i in range(3)],
        "Petition": [f"p{i}-{run}" for i in range(3)],
    }
    users = [f"u{i}-{run}" for i in range(4)]
    orgs, campaigns, petitions = objects["Organisation"], objects["Campaign"], objects["Petition"]
    pick = rnd.choice

    def org_set(*relations: str) -> SubjectSet:
        return SubjectSet("Organisation", pick(orgs), pick(relations) if relations else "")

    makers = [
        lambda: RelationTuple("Organisation", pick(orgs), pick(ORGANISATION_ROLES), user(pick(users))),
        lambda: RelationTuple("Campaign", pick(campaigns), "organisation", org_set()),
        lambda: RelationTuple("Campaign", pick(campaigns), pick(["editors", "viewers"]), user(pick(users))),
        lambda: RelationTuple("Petition", pick(petitions), "campaign", SubjectSet("Campaign", pick(campaigns))),
        lambda: RelationTuple("Campaign", pick(campaigns), pick(["editors", "viewers"]), org_set("members", "admins")),
        lambda: RelationTuple("Organisation", pick(orgs), pick(["members", "admins"]), org_set("members", "owners")),
    ]
    tuples = list(dict.fromkeys(rnd.choice(makers)() for _ in range(rnd.randint(3, 14))))
    return tuples, objects, users


@pytest.mark.parametrize("seed", range(12))
async def test_random_worlds_get_keto_s_answers_at_every_depth(
    keto: KetoEngine, database: Database, written: list[tuple[str, str]], run: str, seed: int
) -> None:
    """The embedded engine and a real Keto agree on every permit, for every user, at max depths 2 to 5."""
    tuples, objects, users = _random_world(seed, run)
    model = load_model()
    written.extend((namespace, object_) for namespace, objects_ in objects.items() for object_ in objects_)
    await keto.write(insert=tuples)
    await EmbeddedEngine(database, model).write(insert=tuples)
    checks = [
        RelationTuple(namespace, object_, relation, user(person))
        for namespace, objects_ in objects.items()
        for relation in model.namespaces[namespace].relations
        for object_ in objects_
        for person in users
    ]
    for depth in (2, 3, 4, 5):
        real = KetoEngine(KETO_READ_URL, KETO_WRITE_URL, max_depth=depth, timeout_seconds=10.0)
        try:
            expected = await real.check(checks)
        finally:
            await real.aclose()
        answers = await EmbeddedEngine(database, model, max_depth=depth).check(checks)
        differences = [(str(c), e.name, a.name) for c, e, a in zip(checks, expected, answers, strict=True) if e != a]
        assert differences == [], f"depth {depth}: {differences[:5]}"
