"""Writing rows together with the permission tuples that protect them.

With the embedded engine the tuples go into the same database transaction as the rows: both or neither. With Keto,
two stores cannot commit together, so the rows commit first and the tuples follow; if Keto refuses, the rows are
compensated (removed again) and the client is told the permission service is unavailable: nothing is granted for a
row that does not exist, and no row exists that nobody may manage.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from campaign_api.db.database import Database
from campaign_api.permissions.embedded import EmbeddedEngine
from campaign_api.permissions.embedded.store import write_tuples
from campaign_api.permissions.engine import PermissionEngine, PermissionServiceUnavailable
from campaign_api.permissions.tuples import RelationTuple

Result = TypeVar("Result")
TupleChanges = tuple[Sequence[RelationTuple], Sequence[RelationTuple]]  # (insert, delete)


async def write_rows_and_tuples(
    database: Database,
    engine: PermissionEngine,
    write_rows: Callable[[AsyncSession], Awaitable[tuple[Result, TupleChanges]]],
    compensate: Callable[[AsyncSession, Result], Awaitable[None]] | None = None,
) -> Result:
    """Run ``write_rows`` in a transaction; it returns its result and the tuple changes that go with it."""
    if isinstance(engine, EmbeddedEngine):
        async with database.transaction() as session:
            result, (insert, delete) = await write_rows(session)
            await write_tuples(session, insert=insert, delete=delete)
        return result
    async with database.transaction() as session:
        result, (insert, delete) = await write_rows(session)
    try:
        await engine.write(insert=insert, delete=delete)
    except PermissionServiceUnavailable:
        if compensate is not None:
            async with database.transaction() as session:
                await compensate(session, result)
        raise
    return result
