"""Migrations and models agree, on every backend, and the constraints the data relies on are in the database."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from campaign_api.db.migrate import current_revision, head_revision
from campaign_api.db.models import Base, Organisation, Petition, Signature
from tests import factories


def _differences(connection) -> list:
    return compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)


async def test_the_migrated_database_is_at_head_and_matches_the_models(database):
    assert await current_revision(database) == head_revision()
    async with database.engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == [], "models and migrations differ: write a migration (alembic revision --autogenerate)"


async def test_one_signature_per_normalised_email_is_a_database_constraint(database):
    petition = await factories.petition(database)
    row = {"petition_id": petition.id, "name": "A", "email": "a@example.org", "email_normalised": "a@example.org"}
    await factories.add(database, Signature(**row))
    with pytest.raises(IntegrityError):
        await factories.add(database, Signature(**{**row, "email": "A+x@example.org"}))


async def test_slugs_are_unique(database):
    await factories.organisation(database, slug="taken")
    with pytest.raises(IntegrityError):
        await factories.organisation(database, slug="taken")


async def test_foreign_keys_are_enforced(database):
    # On SQLite this needs PRAGMA foreign_keys on every connection.
    with pytest.raises(IntegrityError):
        await factories.add(
            database, Signature(petition_id=999_999, name="A", email="a@b.org", email_normalised="a@b.org")
        )


@pytest.mark.parametrize("fields", [{"goal": 0}, {"signature_count": -1}])
async def test_petition_check_constraints(database, fields):
    campaign = await factories.campaign(database)
    with pytest.raises(IntegrityError):
        await factories.petition(database, campaign, **fields)


async def test_deleting_an_organisation_removes_what_belongs_to_it(database):
    petition = await factories.petition(database)
    await factories.signatures(database, petition, 2)
    async with database.transaction() as session:
        campaign_org = await session.scalar(select(Organisation))
        await session.delete(campaign_org)
    async with database.session() as session:
        assert (await session.scalars(select(Petition))).all() == []
        assert (await session.scalars(select(Signature))).all() == []
