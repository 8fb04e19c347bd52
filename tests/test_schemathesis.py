"""Schemathesis generates queries and mutations from the schema and sends them to the real server: no server error.

Runs on its own database per backend (seeded with the demo data), so the generated mutations touch nothing else.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from campaign_api.db.demo_data import seed_demo
from campaign_api.db.migrate import upgrade
from campaign_api.settings import Settings
from tests.conftest import POSTGRES_URL, running_server

EXAMPLES_PER_OPERATION = 40


async def _fresh_postgres_database(name: str) -> str:
    import asyncpg

    assert POSTGRES_URL is not None
    admin_url = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzzed_api_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{Path(tmp_path_factory.mktemp('fuzz')) / 'fuzz.sqlite3'}"
    elif POSTGRES_URL:
        url = asyncio.run(_fresh_postgres_database("campaign_api_fuzz"))
    elif os.environ.get("CI") == "true":
        pytest.fail("CI must test PostgreSQL: run the suite through scripts/with-postgres (make test)")
    else:
        pytest.skip("no PostgreSQL: run `make test` to start a throw-away cluster")
    upgrade(url)
    asyncio.run(seed_demo(url))
    with running_server(Settings(database_url=url)) as base_url:
        yield f"{base_url}/graphql"


def test_generated_operations_never_cause_a_server_error(fuzzed_api_url: str):
    # Driven directly rather than through schemathesis' pytest plugin, whose lazy loading does not run on pytest 9.
    schema = schemathesis.graphql.from_url(fuzzed_api_url)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6  # node, organisation, campaign, petition, campaigns, signPetition

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
        def no_server_error(case) -> None:
            response = case.call()
            assert response.status_code < 500, response.text
            codes = [error.get("extensions", {}).get("code") for error in response.json().get("errors", [])]
            assert "INTERNAL_SERVER_ERROR" not in codes, response.text
            assert all(codes), f"an error without extensions.code: {response.text}"

        no_server_error()
