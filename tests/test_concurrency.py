"""Signing under concurrency, through the real server, on both databases: the count stays exact."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from campaign_api.db.models import Petition, Signature
from tests import factories
from tests.graphql_client import operation, post_graphql


async def _sign_concurrently(base_url: str, petition_id: str, emails: list[str]) -> list[dict]:
    limits = httpx.Limits(max_connections=50)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
        responses = await asyncio.gather(
            *(
                post_graphql(
                    client,
                    operation("SignPetition"),
                    {"input": {"petitionId": petition_id, "name": f"Signer {number}", "email": email}},
                )
                for number, email in enumerate(emails)
            )
        )
    return [response.json() for response in responses]


async def _count_and_rows(database, petition_id: int) -> tuple[int, int]:
    async with database.session() as session:
        count = await session.scalar(select(Petition.signature_count).where(Petition.id == petition_id))
        rows = await session.scalar(
            select(func.count()).select_from(Signature).where(Signature.petition_id == petition_id)
        )
    return count, rows


async def test_fifty_concurrent_signatures_with_one_email_make_one_row(serve, database):
    base_url = serve(signature_rate_limit=10_000)
    petition = await factories.petition(database)
    emails = [f"Same.Person+{n}@Example.org" if n % 2 else "same.person@example.org" for n in range(50)]

    bodies = await _sign_concurrently(base_url, factories.global_id("Petition", petition.id), emails)

    assert all(body["data"]["signPetition"]["userErrors"] == [] for body in bodies), bodies
    assert await _count_and_rows(database, petition.id) == (1, 1)


async def test_two_hundred_concurrent_distinct_signatures_all_count(serve, database):
    base_url = serve(signature_rate_limit=10_000)
    petition = await factories.petition(database)
    await factories.signatures(database, petition, 3)
    emails = [f"signer-{n}@concurrent.example.org" for n in range(200)]

    bodies = await _sign_concurrently(base_url, factories.global_id("Petition", petition.id), emails)

    assert all("errors" not in body for body in bodies), [body for body in bodies if "errors" in body][:3]
    assert await _count_and_rows(database, petition.id) == (203, 203)
