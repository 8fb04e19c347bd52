"""The matrix world, built once per test module and backend (both modules read it; the mutations module resets what
it changes)."""

from __future__ import annotations

import pytest_asyncio

from campaign_api.db.database import Database
from tests.matrix.scenario import World, build_world, empty_database


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(migrated_database_url: str) -> World:
    database = Database(migrated_database_url)
    try:
        await empty_database(database)
        return await build_world(database)
    finally:
        await database.dispose()
