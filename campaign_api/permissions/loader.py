"""The request's permission decisions: every check of one request, de-duplicated, in as few engine calls as possible.

Two ways in:
- ``decide(checks)``: list resolvers call it with every check their items' selected fields will need, before the
  items resolve; one engine call answers them all, and the field permission classes then read the answers
  synchronously (``decided``), with no await per field.
- ``verdict(check)``: anything not decided ahead goes through a data loader, so the checks of one tick share an
  engine call.

Decisions live in the loader, which lives in the request's context: nothing outlives the request, so a revoked
grant is denied on the next request (Keto has no consistency tokens; see docs/permissions.md).
The anonymous viewer holds no relations: its checks are denied without asking the engine.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aiodataloader import DataLoader

from campaign_api.identity import Viewer
from campaign_api.permissions.engine import PermissionEngine, PermissionServiceUnavailable, Verdict
from campaign_api.permissions.metrics import record_request
from campaign_api.permissions.tuples import RelationTuple, SubjectSet, TupleQuery, user


@dataclass(slots=True)
class PermissionStats:
    """What one request asked of the permission engine (in the response's extensions when debugging is on)."""

    checks_asked: int = 0
    unique_checks: int = 0
    engine_calls: int = 0
    engine_seconds: float = 0.0
    scope_unavailable: bool = False

    def as_dict(self) -> dict[str, float | bool]:
        return {
            "checksAsked": self.checks_asked,
            "uniqueChecks": self.unique_checks,
            "engineCalls": self.engine_calls,
            "engineMilliseconds": round(self.engine_seconds * 1000, 3),
            "rolesUnavailable": self.scope_unavailable,
        }


@dataclass(frozen=True, slots=True)
class ViewerScope:
    """Where the viewer holds a role or a direct grant: the candidates for rows beyond the public ones."""

    organisation_ids: frozenset[str]
    campaign_ids: frozenset[str]


_NO_SCOPE = ViewerScope(frozenset(), frozenset())


class PermissionLoader:
    def __init__(self, engine: PermissionEngine, viewer: Viewer, *, batching: bool = True) -> None:
        self.engine = engine
        self.subject: SubjectSet | None = None if viewer.is_anonymous else user(str(viewer.identity_id))
        self.batching = batching
        self.stats = PermissionStats()
        self._decisions: dict[RelationTuple, Verdict] = {}
        self._loader: DataLoader[RelationTuple, Verdict] = DataLoader(
            self._load_batch, max_batch_size=None if batching else 1
        )
        self._scope: ViewerScope | None = None

    def tuple_for(self, namespace: str, object_id: object, permit: str) -> RelationTuple | None:
        """The check for the viewer, or None for the anonymous viewer (who is denied without asking)."""
        if self.subject is None:
            return None
        return RelationTuple(namespace, str(object_id), permit, self.subject)

    async def decide(self, checks: Iterable[RelationTuple | None]) -> None:
        """Decide all these checks now, in one engine call for those not yet decided."""
        if not self.batching:
            return  # each field asks on its own
        wanted = [check for check in checks if check is not None]
        self.stats.checks_asked += len(wanted)
        missing = list(dict.fromkeys(check for check in wanted if check not in self._decisions))
        if missing:
            # Through the data loader: sibling resolvers deciding in the same tick share one engine call.
            await self._loader.load_many(missing)

    def decided(self, check: RelationTuple | None) -> Verdict | None:
        """The verdict if it is known (synchronous); None when it still has to be asked."""
        if check is None:
            self.stats.checks_asked += 1
            return Verdict.DENIED
        verdict = self._decisions.get(check)
        if verdict is not None:
            self.stats.checks_asked += 1
        return verdict

    def peek(self, check: RelationTuple | None) -> Verdict | None:
        """The decision if made, without counting it as asked."""
        return None if check is None else self._decisions.get(check)

    async def verdict(self, check: RelationTuple | None) -> Verdict:
        known = self.decided(check)
        if known is not None:
            return known
        self.stats.checks_asked += 1
        assert check is not None
        return await self._loader.load(check)

    async def _load_batch(self, checks: Sequence[RelationTuple]) -> list[Verdict]:
        missing = [check for check in checks if check not in self._decisions]
        if missing:
            self._remember(missing, await self._ask(missing))
        return [self._decisions[check] for check in checks]

    def _remember(self, checks: Sequence[RelationTuple], verdicts: Sequence[Verdict]) -> None:
        self._decisions.update(zip(checks, verdicts, strict=True))

    async def _ask(self, checks: Sequence[RelationTuple]) -> list[Verdict]:
        started = time.perf_counter()
        try:
            return await self.engine.check(checks)
        finally:
            self.stats.unique_checks += len(checks)
            self.stats.engine_calls += 1
            self.stats.engine_seconds += time.perf_counter() - started

    async def viewer_scope(self) -> ViewerScope:
        """The organisations and campaigns the viewer has a relation to, from the stored tuples (Keto has no
        list-objects API, so candidates come from listing the viewer's tuples; each candidate is still checked)."""
        if self.subject is None:
            return _NO_SCOPE
        if self._scope is None:
            try:
                self._scope = ViewerScope(
                    frozenset(await self._objects_related("Organisation")),
                    frozenset(await self._objects_related("Campaign")),
                )
            except PermissionServiceUnavailable:
                # Fail closed: without the viewer's tuples, lists show the public rows only.
                self.stats.scope_unavailable = True
                self._scope = _NO_SCOPE
        return self._scope

    async def _objects_related(self, namespace: str) -> list[str]:
        objects, token = [], ""
        while True:
            started = time.perf_counter()
            try:
                page = await self.engine.list(TupleQuery(namespace=namespace, subject=self.subject), page_token=token)
            finally:
                self.stats.engine_calls += 1
                self.stats.engine_seconds += time.perf_counter() - started
            objects += [found.object for found in page.tuples]
            token = page.next_page_token
            if not token:
                return objects

    def finish(self) -> None:
        record_request(self.stats)
