"""Liveness and readiness over HTTP, and refusing to start on a database this version cannot use."""

from __future__ import annotations

import gc
import os
import sqlite3
import subprocess
import sys
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from campaign_api.db.database import Database
from campaign_api.db.migrate import head_revision, upgrade
from campaign_api.settings import Settings
from tests.conftest import running_server

CLI = Path(sys.executable).with_name("campaign-api")


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def tables_in(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


# Liveness and readiness -------------------------------------------------------------------------------------------


async def test_healthz_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_answers_ok_on_a_migrated_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.fixture
async def alembic_version_restored(database: Database) -> AsyncIterator[Database]:
    """The test's database; its alembic_version is put back at head afterwards (the migrated database is shared)."""
    try:
        yield database
    finally:
        async with database.transaction() as session:
            await session.execute(text("DELETE FROM alembic_version"))
            await session.execute(
                text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": head_revision()}
            )


@pytest.mark.parametrize(
    "tampering",
    [
        pytest.param("UPDATE alembic_version SET version_num = 'not-a-revision'", id="another revision"),
        pytest.param("DELETE FROM alembic_version", id="no revision"),
    ],
)
async def test_readyz_answers_503_when_the_database_leaves_head_under_a_running_server(
    client: httpx.AsyncClient, alembic_version_restored: Database, tampering: str
) -> None:
    async with alembic_version_restored.transaction() as session:
        await session.execute(text(tampering))

    response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "not migrated"}
    assert (await client.get("/healthz")).status_code == 200  # alive, just not ready


# Start-up ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def failed_start() -> Iterator[None]:
    """For a test whose server fails to start.

    uvicorn ends the server thread with ``SystemExit(3)`` (its start-up failure code), which pytest reports as an
    unhandled thread exception (the test ignores that warning). That exception's traceback keeps alive what the failed
    start leaves behind: ``running_server``'s listening socket, which it does not close when the server fails to
    start, and the app's engine, which the lifespan does not dispose when ``require_migrated`` refuses (it runs before
    the lifespan's ``try``). Once pytest has let go of the traceback they are collected here, quietly, rather than
    failing whichever later test the garbage collector happens to run in.
    """
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def _empty(path: Path) -> None:
    path.touch()


def _at_another_revision(path: Path) -> None:
    upgrade(sqlite_url(path))
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'not-a-revision'")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
@pytest.mark.usefixtures("failed_start")
@pytest.mark.parametrize(
    "prepare",
    [pytest.param(_empty, id="empty database"), pytest.param(_at_another_revision, id="database at another revision")],
)
def test_the_app_refuses_to_start_on_a_database_not_at_head(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], prepare: Callable[[Path], None]
) -> None:
    path = tmp_path / "db.sqlite3"
    prepare(path)
    tables_before = tables_in(path)

    with pytest.raises(RuntimeError, match="did not start"), running_server(Settings(database_url=sqlite_url(path))):
        pass

    assert "Run `campaign-api migrate`" in capfd.readouterr().err  # uvicorn logs why start-up failed
    assert tables_in(path) == tables_before  # refused, not migrated behind the operator's back


def run_cli(command: str, database: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("CAMPAIGN_API_")}
    env |= {
        "CAMPAIGN_API_DATABASE_URL": sqlite_url(database),
        "CAMPAIGN_API_HOST": "127.0.0.1",
        "CAMPAIGN_API_PORT": "0",
    }
    # A serve that wrongly starts never exits: the timeout turns that into a failure instead of a hang.
    return subprocess.run(
        [str(CLI), command], env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def test_serve_on_an_empty_database_exits_non_zero_naming_the_migrate_command(tmp_path: Path) -> None:
    database = tmp_path / "empty.sqlite3"
    database.touch()

    result = run_cli("serve", database, tmp_path)

    assert result.returncode != 0
    assert "campaign-api migrate" in result.stderr
    assert "Traceback" not in result.stderr
    assert "serving GraphQL" not in result.stderr


def test_migrate_makes_an_empty_database_servable(tmp_path: Path) -> None:
    database = tmp_path / "empty.sqlite3"
    database.touch()

    result = run_cli("migrate", database, tmp_path)

    assert result.returncode == 0, result.stderr
    assert head_revision() in result.stderr
    with running_server(Settings(database_url=sqlite_url(database))) as base_url:
        response = httpx.get(f"{base_url}/readyz", timeout=30)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
