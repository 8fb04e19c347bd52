"""Signing a petition: one signature per normalised email, and a count that stays exact under concurrency.

The insert and the count's increment run in one transaction. A second signature with the same normalised email is
absorbed by the unique constraint (``ON CONFLICT DO NOTHING``), changes nothing and is reported exactly like a
first one, so the answer never tells whether an address has signed.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from campaign_api.db.models import Campaign, Petition, Signature
from campaign_api.domain.signature_input import CleanSignature
from campaign_api.domain.statuses import CampaignStatus, PetitionStatus
from campaign_api.domain.visibility import public_petitions
from campaign_api.identity import Viewer


class SigningOutcome(StrEnum):
    SIGNED = "signed"  # also the answer for a repeated signature: see the module docstring
    NOT_FOUND = "not_found"
    CLOSED = "closed"


def _insert_ignoring_duplicates(session: AsyncSession, signature: CleanSignature, petition_id: int):
    dialect = session.bind.dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    return (
        insert(Signature)
        .values(
            petition_id=petition_id,
            name=signature.name,
            email=signature.email,
            email_normalised=signature.email_normalised,
            country=signature.country,
            comment=signature.comment,
            consent_to_contact=signature.consent_to_contact,
        )
        .on_conflict_do_nothing(index_elements=[Signature.petition_id, Signature.email_normalised])
        .returning(Signature.id)
    )


async def sign(session: AsyncSession, viewer: Viewer, petition_id: int, signature: CleanSignature) -> SigningOutcome:
    """Add ``signature`` to the petition. ``session`` must be inside a write transaction."""
    row = (
        await session.execute(
            select(Petition.status, Campaign.status)
            .join(Campaign, Campaign.id == Petition.campaign_id)
            .where(Petition.id == petition_id, public_petitions())
        )
    ).one_or_none()
    if row is None:
        return SigningOutcome.NOT_FOUND
    petition_status, campaign_status = row
    if petition_status is not PetitionStatus.OPEN or campaign_status is not CampaignStatus.PUBLISHED:
        return SigningOutcome.CLOSED
    inserted_id = (await session.execute(_insert_ignoring_duplicates(session, signature, petition_id))).scalar()
    if inserted_id is not None:
        await session.execute(
            update(Petition).where(Petition.id == petition_id).values(signature_count=Petition.signature_count + 1)
        )
    return SigningOutcome.SIGNED
