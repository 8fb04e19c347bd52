"""Rows for tests, with defaults that make a readable public petition unless told otherwise."""

from __future__ import annotations

import itertools
from typing import Any

from strawberry.relay import to_base64

from campaign_api.db.database import Database
from campaign_api.db.models import Campaign, Organisation, Petition, Signature
from campaign_api.domain.signature_input import normalise_email
from campaign_api.domain.statuses import CampaignStatus, PetitionStatus
from campaign_api.permissions.embedded.store import write_tuples
from campaign_api.permissions.relations import campaign_in_organisation, petition_in_campaign
from campaign_api.permissions.tuples import RelationTuple

_numbers = itertools.count(1)


async def add(database: Database, row: Any) -> Any:
    async with database.transaction() as session:
        session.add(row)
        await session.flush()
        # Rows are written with their place in the permission model, in the same transaction, as the product does.
        if isinstance(row, Campaign):
            await write_tuples(session, insert=[campaign_in_organisation(row.id, row.organisation_id)])
        elif isinstance(row, Petition):
            await write_tuples(session, insert=[petition_in_campaign(row.id, row.campaign_id)])
    return row


async def grant(database: Database, *tuples: RelationTuple) -> None:
    async with database.transaction() as session:
        await write_tuples(session, insert=list(tuples))


async def organisation(database: Database, **fields: Any) -> Organisation:
    number = next(_numbers)
    return await add(database, Organisation(**{"slug": f"org-{number}", "name": f"Organisation {number}", **fields}))


async def campaign(database: Database, org: Organisation | None = None, **fields: Any) -> Campaign:
    org = org or await organisation(database)
    number = next(_numbers)
    defaults = {"slug": f"campaign-{number}", "title": f"Campaign {number}", "status": CampaignStatus.PUBLISHED}
    return await add(database, Campaign(organisation_id=org.id, **{**defaults, **fields}))


async def petition(database: Database, camp: Campaign | None = None, **fields: Any) -> Petition:
    camp = camp or await campaign(database)
    number = next(_numbers)
    defaults = {
        "slug": f"petition-{number}",
        "title": f"Petition {number}",
        "target": "The council",
        "goal": 100,
        "status": PetitionStatus.OPEN,
    }
    return await add(database, Petition(campaign_id=camp.id, **{**defaults, **fields}))


async def signatures(database: Database, pet: Petition, count: int) -> None:
    async with database.transaction() as session:
        for number in range(count):
            email = f"signer{number}@example.org"
            session.add(
                Signature(
                    petition_id=pet.id,
                    name=f"Signer {number}",
                    email=email,
                    email_normalised=normalise_email(email),
                    country="GB",
                )
            )
        row = await session.get(Petition, pet.id)
        row.signature_count += count


def global_id(type_name: str, row_id: int) -> str:
    return to_base64(type_name, row_id)
