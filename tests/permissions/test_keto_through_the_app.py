"""The API on the Keto engine, through real HTTP, against the Keto-compatible fake: batching into Keto's batch size,
and failing closed when Keto is down, slow, failing, or answers an item with an error."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from campaign_api.db.database import Database
from campaign_api.db.models import Campaign
from campaign_api.identity.embedded import create_identity, create_session
from campaign_api.permissions.keto import KetoEngine
from campaign_api.permissions.relations import OrganisationRole, organisation_role
from campaign_api.permissions.tuples import RelationTuple, user
from tests import factories
from tests.fakes.keto import FakeKeto, running_fake_keto
from tests.graphql_client import error_codes, operation, post_graphql

DASHBOARD = operation("Dashboard")


@pytest.fixture
def keto(database: Database) -> Iterator[FakeKeto]:
    with running_fake_keto(database.url) as fake:
        yield fake


async def _owner_of_campaigns(database: Database, count: int) -> tuple[str, list[Campaign], str]:
    organisation = await factories.organisation(database)
    campaigns = [await factories.campaign(database, organisation) for _ in range(count)]
    owner = await create_identity(database, "owner@example.org", "Owner")
    await factories.grant(database, organisation_role(organisation.id, OrganisationRole.OWNER, owner.id))
    token = (await create_session(database, owner.email, ttl=timedelta(hours=1))).token
    return token, campaigns, owner.id


def _keto_settings(keto: FakeKeto, **extra: object) -> dict[str, object]:
    return {
        "permission_engine": "keto",
        "keto_read_url": keto.read_url,
        "keto_write_url": keto.write_url,
        "keto_timeout_seconds": 0.5,
        "keto_retries": 1,
        "debug_permissions": True,
        **extra,
    }


async def _dashboard(base_url: str, token: str, first: int) -> dict:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        response = await post_graphql(client, DASHBOARD, {"first": first}, headers={"Authorization": f"Bearer {token}"})
    return response.json()


async def test_a_list_of_10_and_of_100_campaigns_cost_the_same_engine_calls_in_chunks_of_keto_s_batch_size(
    serve, database: Database, keto: FakeKeto, monkeypatch: pytest.MonkeyPatch
) -> None:
    unique_per_call: list[int] = []
    original_check = KetoEngine.check

    async def recording_check(self: KetoEngine, checks: list) -> list:
        unique_per_call.append(len(set(checks)))
        return await original_check(self, checks)

    monkeypatch.setattr(KetoEngine, "check", recording_check)
    token, _, _ = await _owner_of_campaigns(database, 100)
    base_url = serve(**_keto_settings(keto, max_page_size=100, keto_timeout_seconds=5))

    measured = {}
    for first in (10, 100):
        unique_per_call.clear()
        keto.reset()
        body = await _dashboard(base_url, token, first)
        assert "errors" not in body, body["errors"][:2]
        assert len(body["data"]["campaigns"]["edges"]) == first
        batch_calls = keto.call_count("POST", "/relation-tuples/batch/check")
        # Each engine call is split into ceil(unique checks / 10) batch requests, and no more.
        assert batch_calls == sum(math.ceil(unique / 10) for unique in unique_per_call)
        assert all(size <= 10 for size in keto.batch_sizes)
        stats = body["extensions"]["permissions"]
        measured[first] = (stats["engineCalls"], stats["uniqueChecks"], batch_calls)

    print(f"\nKeto (engine calls, unique checks, batch requests): 10 -> {measured[10]}, 100 -> {measured[100]}")
    assert measured[10][0] == measured[100][0]


@pytest.mark.parametrize("failure", ["down", "status 500", "slow", "item errors"])
async def test_when_keto_fails_guarded_fields_say_the_permission_service_is_unavailable_and_public_ones_resolve(
    serve, database: Database, keto: FakeKeto, failure: str
) -> None:
    token, campaigns, owner_id = await _owner_of_campaigns(database, 2)
    base_url = serve(**_keto_settings(keto))
    query = "query ($slug: String!) { campaign(slug: $slug) { title internalNotes viewerCan { edit } } }"
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        healthy = (await post_graphql(client, query, {"slug": campaigns[0].slug}, headers=headers)).json()
        assert healthy["data"]["campaign"]["viewerCan"] == {"edit": True}

        if failure == "down":
            keto.stop()
        elif failure == "status 500":
            keto.fail_status = 500
        elif failure == "slow":
            keto.slow = True
        else:
            keto.item_errors = {RelationTuple("Campaign", str(campaigns[1].id), "edit", user(owner_id))}
        body = (await post_graphql(client, query, {"slug": campaigns[1].slug}, headers=headers)).json()

    assert body["data"]["campaign"] is not None, body
    campaign = body["data"]["campaign"]
    assert campaign["title"] == campaigns[1].title  # a public field of a published campaign
    assert campaign["internalNotes"] is None and campaign["viewerCan"] is None
    assert set(error_codes(body)) == {"PERMISSION_SERVICE_UNAVAILABLE"}
    assert "FORBIDDEN" not in error_codes(body)
