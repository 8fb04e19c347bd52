"""The embedded engine: the model from the OPL file, tuples in the application database, checks in bulk."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from campaign_api.db.database import Database
from campaign_api.permissions.embedded.evaluator import Evaluator, Membership
from campaign_api.permissions.embedded.store import TupleStore
from campaign_api.permissions.engine import DEFAULT_MAX_DEPTH, PermissionServiceUnavailable, TuplePage, Verdict
from campaign_api.permissions.opl import Model
from campaign_api.permissions.tuples import RelationTuple, TupleQuery

_VERDICTS = {
    Membership.IS: Verdict.ALLOWED,
    Membership.NOT: Verdict.DENIED,
    Membership.UNKNOWN: Verdict.DENIED,  # a limit was hit: Keto denies too (outside its strict mode)
    Membership.ERROR: Verdict.UNAVAILABLE,
}


class EmbeddedEngine:
    def __init__(
        self, database: Database, model: Model, *, max_depth: int = DEFAULT_MAX_DEPTH, max_concurrent_checks: int = 4
    ) -> None:
        self.store = TupleStore(database)
        self.model = model
        self.max_depth = max_depth
        self._database = database
        # Each batch being evaluated holds up to two database connections; bounding the batches in flight keeps a
        # burst of requests queueing here instead of exhausting the connection pool (as Keto bounds its own).
        self._in_flight = asyncio.Semaphore(max_concurrent_checks)

    async def check(self, checks: Sequence[RelationTuple]) -> list[Verdict]:
        if not checks:
            return []
        try:
            async with self._in_flight:
                memberships = await Evaluator(self.model, self.store).check(checks, self.max_depth)
        except SQLAlchemyError:  # the database failed: fail closed, every check of the batch
            return [Verdict.UNAVAILABLE] * len(checks)
        return [_VERDICTS[membership] for membership in memberships]

    async def write(self, *, insert: Sequence[RelationTuple] = (), delete: Sequence[RelationTuple] = ()) -> None:
        async with self._database.transaction() as session:
            await self.store.write(session, insert=insert, delete=delete)

    async def delete_matching(self, query: TupleQuery) -> None:
        async with self._database.transaction() as session:
            await self.store.delete_matching(session, query)

    async def list(self, query: TupleQuery, *, page_size: int = 100, page_token: str = "") -> TuplePage:
        try:
            return await self.store.list(query, page_size=page_size, page_token=page_token)
        except SQLAlchemyError as exc:
            raise PermissionServiceUnavailable() from exc

    async def aclose(self) -> None:
        """The database belongs to the app."""
