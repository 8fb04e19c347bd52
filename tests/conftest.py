"""Shared fixtures: a migrated database on every backend, and the real app served by uvicorn on a free port.

Tests that take ``database_url`` (directly or through ``serve``/``database``) run once on SQLite and once on
PostgreSQL. PostgreSQL comes from ``scripts/with-postgres`` (``make test`` starts it); without it those cases are
skipped locally and fail in CI.

``serve``/``base_url``/``client`` start a server per test; ``served``/``client_with`` share one per distinct settings
across a module, for modules whose tests leave nothing in a server that another test could notice.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, ExitStack, contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select, text

from campaign_api.app import create_app
from campaign_api.db import models
from campaign_api.db.database import Database
from campaign_api.db.migrate import upgrade
from campaign_api.db.models import Base
from campaign_api.settings import Settings
from tests import factories

POSTGRES_URL = os.environ.get("CAMPAIGN_API_TEST_POSTGRES_URL")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def migrated_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite3'}"
    elif POSTGRES_URL:
        url = POSTGRES_URL
    elif os.environ.get("CI") == "true":
        pytest.fail("CI must test PostgreSQL: run the suite through scripts/with-postgres (make test)")
    else:
        pytest.skip("no PostgreSQL: run `make test` to start a throw-away cluster")
    upgrade(url)
    return url


def _empty_all_tables(connection: Any) -> None:
    if connection.dialect.name == "postgresql":
        names = ", ".join(table.name for table in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
        connection.execute(text("DELETE FROM sqlite_sequence")) if _has_sqlite_sequence(connection) else None


def _has_sqlite_sequence(connection: Any) -> bool:
    return connection.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")).first() is not None


@pytest.fixture
async def database_url(migrated_database_url: str) -> str:
    """The migrated database of this backend, emptied for this test."""
    database = Database(migrated_database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(_empty_all_tables)
    finally:
        await database.dispose()
    return migrated_database_url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.dispose()


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def running_server(settings: Settings) -> Iterator[str]:
    """Serve the real app with uvicorn in a background thread; yields its base URL."""
    sock = _free_socket()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    try:
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


ServeFactory = Callable[..., str]


@pytest.fixture
def serve(database_url: str) -> Iterator[ServeFactory]:
    """``serve(**settings)`` starts the app on this test's database and returns its base URL."""
    with_stack: list[Any] = []

    def start(**overrides: Any) -> str:
        settings = Settings(database_url=database_url, **overrides)
        manager = running_server(settings)
        with_stack.append(manager)
        return manager.__enter__()

    yield start
    for manager in reversed(with_stack):
        manager.__exit__(None, None, None)


@pytest.fixture
def base_url(serve: ServeFactory) -> str:
    """The app with default settings."""
    return serve()


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        yield client


ClientFactory = Callable[..., httpx.AsyncClient]


@pytest.fixture(scope="module")
def served(migrated_database_url: str) -> Iterator[ServeFactory]:
    """``served(**settings)``: the base URL of the app served with those settings, on this backend's database.

    One server per distinct settings for the whole module, stopped when the module ends: starting and stopping uvicorn
    for every test would make up most of such a module's run time. A test may share a server only when nothing it
    leaves in the server (rate-limit counters, the session cache, anything else kept in memory) can be noticed by
    another test; a test that can leave such traces takes a server of its own from ``serve``. The database is not the
    server's: ``database_url``/``database`` still empty it for each test that asks for them.
    """
    servers: dict[tuple[tuple[str, Any], ...], str] = {}
    with ExitStack() as stack:

        def serve(**settings: Any) -> str:
            key = tuple(sorted(settings.items()))
            if key not in servers:
                config = Settings(database_url=migrated_database_url, **settings)
                servers[key] = stack.enter_context(running_server(config))
            return servers[key]

        yield serve


@pytest.fixture
async def client_with(served: ServeFactory) -> AsyncIterator[ClientFactory]:
    """``client_with(**settings)``: a client of the module's shared app served with those settings (see ``served``)."""
    async with AsyncExitStack() as stack:

        def make(**settings: Any) -> httpx.AsyncClient:
            client = httpx.AsyncClient(base_url=served(**settings), timeout=30)
            stack.push_async_callback(client.aclose)
            return client

        yield make


SIGN_PETITION = """
    mutation Sign($input: SignPetitionInput!) {
      signPetition(input: $input) { petition { signatureCount } userErrors { field } }
    }
"""


@pytest.fixture
async def sign_operation(database: Database) -> dict[str, Any]:
    """A request body that signs an open petition when it is allowed to run."""
    pet = await factories.petition(database)
    variables = {
        "input": {"petitionId": factories.global_id("Petition", pet.id), "name": "Ada", "email": "ada@example.org"}
    }
    return {"query": SIGN_PETITION, "variables": variables}


async def signature_count(database: Database) -> int:
    """How many signatures are stored: with ``sign_operation``, whether a request ran."""
    async with database.session() as session:
        return (await session.execute(select(func.count()).select_from(models.Signature))).scalar_one()
