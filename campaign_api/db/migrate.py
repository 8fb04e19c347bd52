"""Migrations: bring a database to the newest schema, and tell whether one is there.

The migration scripts live in ``campaign_api/db/migrations``; ``campaign-api migrate`` runs them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from campaign_api.db.database import Database

_MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def upgrade(database_url: str) -> None:
    """Migrate to the newest revision. Blocking: call it outside the event loop (it runs its own)."""
    command.upgrade(alembic_config(database_url), "head")


async def upgrade_async(database_url: str) -> None:
    await asyncio.to_thread(upgrade, database_url)


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(database: Database) -> str | None:
    async with database.engine.connect() as connection:
        return await connection.run_sync(_current_revision)


class NotMigrated(RuntimeError):
    """The database is not at the newest schema; the message says what to run."""


async def require_migrated(database: Database) -> None:
    current, head = await current_revision(database), head_revision()
    if current != head:
        raise NotMigrated(
            f"The database is at revision {current or 'none (empty)'} but this version needs {head}. "
            "Run `campaign-api migrate` (or `make migrate`) first."
        )
