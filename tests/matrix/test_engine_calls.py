"""Counting: a list's permission checks cost the same number of engine calls whatever its length.

The viewer owns one organisation with 100 campaigns (published, draft and archived mixed, so the non-public ones are
checked for ``view`` too) and lists 10, then 100 of them, selecting the three guarded fields and every ``viewerCan``
capability: six permits per campaign. With CAMPAIGN_API_DEBUG_PERMISSIONS on, each response says what it asked of
the engine (``extensions.permissions``), and ``/metrics`` counts the same calls.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx

from campaign_api.db import models
from campaign_api.db.database import Database
from campaign_api.domain.emails import normalise_email
from campaign_api.domain.statuses import CampaignStatus, PetitionStatus
from campaign_api.identity.embedded import create_identity, create_session
from campaign_api.permissions.embedded.store import write_tuples
from campaign_api.permissions.relations import (
    OrganisationRole,
    campaign_in_organisation,
    organisation_role,
    petition_in_campaign,
)
from tests.conftest import ServeFactory
from tests.graphql_client import bearer, post_graphql

CAMPAIGNS = 100
STATUSES = (CampaignStatus.PUBLISHED, CampaignStatus.DRAFT, CampaignStatus.ARCHIVED)

LIST = """
query($first: Int!) {
  campaigns(first: $first) {
    edges { node {
      slug internalNotes draftPetitionCount contactableSignatureCount
      viewerCan { viewDrafts edit publish readSignatures deleteSignatures grantRoles }
    } }
  }
}
"""


async def owner_of_many_campaigns(database: Database, count: int) -> str:
    """An organisation with ``count`` campaigns (each with a draft petition and a consenting signer on an open one),
    written in one transaction with their structure tuples; returns a session token of its owner."""
    await create_identity(database, "owner@many.example.org", "Owner")
    minted = await create_session(database, "owner@many.example.org", ttl=timedelta(hours=1))
    async with database.transaction() as session:
        organisation = models.Organisation(slug="many", name="Many campaigns")
        session.add(organisation)
        await session.flush()
        campaigns = [
            models.Campaign(
                organisation_id=organisation.id,
                slug=f"campaign-{n}",
                title=f"Campaign {n}",
                status=STATUSES[n % len(STATUSES)],
                internal_notes=f"Notes {n}",
            )
            for n in range(count)
        ]
        session.add_all(campaigns)
        await session.flush()
        petitions = [
            models.Petition(
                campaign_id=campaign.id, slug=f"{campaign.slug}-{status}", title="P", goal=10, status=status
            )
            for campaign in campaigns
            for status in (PetitionStatus.OPEN, PetitionStatus.DRAFT)
        ]
        session.add_all(petitions)
        await session.flush()
        email = "signer@many.example.org"
        session.add_all(
            models.Signature(
                petition_id=petition.id,
                name="Signer",
                email=email,
                email_normalised=normalise_email(email),
                consent_to_contact=True,
            )
            for petition in petitions
            if petition.status is PetitionStatus.OPEN
        )
        await write_tuples(
            session,
            insert=[
                *(campaign_in_organisation(campaign.id, organisation.id) for campaign in campaigns),
                *(petition_in_campaign(petition.id, petition.campaign_id) for petition in petitions),
                organisation_role(organisation.id, OrganisationRole.OWNER, minted.identity_id),
            ],
        )
    return minted.token


async def engine_calls_total(client: httpx.AsyncClient) -> float:
    text = (await client.get("/metrics")).text
    found = re.search(r"^campaign_api_permission_engine_calls_total (\S+)$", text, re.MULTILINE)
    assert found is not None, text
    return float(found.group(1))


async def list_campaigns(client: httpx.AsyncClient, token: str, first: int) -> dict[str, Any]:
    response = await post_graphql(client, LIST, {"first": first}, headers=bearer(token))
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    edges = body["data"]["campaigns"]["edges"]
    assert len(edges) == first
    for edge in edges:
        node = edge["node"]
        number = int(node["slug"].removeprefix("campaign-"))
        # The owner may do everything: every guarded field has its value.
        assert node["internalNotes"] == f"Notes {number}"
        assert (node["draftPetitionCount"], node["contactableSignatureCount"]) == (1, 1)
        assert all(node["viewerCan"].values()), node
    return body["extensions"]["permissions"]


async def test_a_list_of_100_campaigns_costs_the_engine_calls_of_a_list_of_10(
    serve: ServeFactory, database: Database, record_property: Any
) -> None:
    token = await owner_of_many_campaigns(database, CAMPAIGNS)
    async with httpx.AsyncClient(base_url=serve(debug_permissions=True), timeout=30) as client:
        calls_before = await engine_calls_total(client)
        ten = await list_campaigns(client, token, 10)
        hundred = await list_campaigns(client, token, CAMPAIGNS)
        calls_after = await engine_calls_total(client)

    print(
        f"\nengine calls: 10 campaigns -> {ten['engineCalls']} ({ten['uniqueChecks']} unique checks, "
        f"{ten['engineMilliseconds']} ms); 100 campaigns -> {hundred['engineCalls']} "
        f"({hundred['uniqueChecks']} unique checks, {hundred['engineMilliseconds']} ms)"
    )
    record_property("engine_calls_10", ten["engineCalls"])
    record_property("engine_calls_100", hundred["engineCalls"])
    record_property("unique_checks_10", ten["uniqueChecks"])
    record_property("unique_checks_100", hundred["uniqueChecks"])

    assert hundred["engineCalls"] == ten["engineCalls"]
    assert 1 <= ten["engineCalls"] <= 4  # the viewer's relations (2 lists), the drafts' `view`, the items' permits
    # Six permits per campaign, each asked once however many fields need it.
    assert ten["uniqueChecks"] == 6 * 10
    assert hundred["uniqueChecks"] == 6 * CAMPAIGNS
    assert hundred["checksAsked"] >= 9 * CAMPAIGNS  # three guarded fields and six capabilities per campaign
    # /metrics counted exactly the calls the two responses reported.
    assert calls_after - calls_before == ten["engineCalls"] + hundred["engineCalls"]
