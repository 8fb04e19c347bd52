"""Keto's check semantics, step for step (``internal/check/step`` in Keto's source), over batched tuple reads.

Each function is one of Keto's steps and answers IS, NOT or UNKNOWN (a depth or width limit was hit), or ERROR.
Where Keto runs the children of a union or an intersection one after another and stops at the first decisive
answer, this evaluator runs them all at once and then reads their answers in Keto's order, which gives Keto's answer
while letting every read of one level of every check in a batch share a single SQL query (the lookups are data
loaders).

- IsAllowed(t, d):   d <= 0: UNKNOWN. Union of: the relation's rewrite; the direct tuple; subject-set expansion.
- Rewrite(d):        OR: one lookup for all ``includes``/``permits`` children at d, then each of them at d - 1
                     (skipping the direct lookup already done), then the other children; AND: children in order.
- Traverse(d):       every subject set stored under the relation; the computed permit on each at d - 1.
- ExpandSubject(d):  subject sets stored under the tuple's relation; member if the subject is directly in one,
                     otherwise (d > 1) each set at d - 1, at most ``max_width`` of them.
- Invert:            IS and NOT swap; UNKNOWN and ERROR stay.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from enum import Enum

from aiodataloader import DataLoader

from campaign_api.permissions.embedded.store import TupleStore
from campaign_api.permissions.opl import Computed, Invert, Model, Operator, Rewrite, Traverse, UnknownRelation
from campaign_api.permissions.tuples import RelationTuple, SubjectSet

DEFAULT_MAX_WIDTH = 100  # Keto's limit.max_read_width


class Membership(Enum):
    IS = "is member"
    NOT = "not member"
    UNKNOWN = "unknown"  # a limit was hit: a denial, and one that `!` does not turn into a grant
    ERROR = "error"


def union(results: Sequence[Membership]) -> Membership:
    for result in results:
        if result in (Membership.IS, Membership.ERROR):
            return result
    return Membership.UNKNOWN if Membership.UNKNOWN in results else Membership.NOT


def intersection(results: Sequence[Membership]) -> Membership:
    if not results:
        return Membership.NOT
    for result in results:
        if result in (Membership.NOT, Membership.ERROR):
            return result
    return Membership.UNKNOWN if Membership.UNKNOWN in results else Membership.IS


def invert(result: Membership) -> Membership:
    return {Membership.IS: Membership.NOT, Membership.NOT: Membership.IS}.get(result, result)


class Evaluator:
    """Evaluates checks against one model and one store; its read caches live as long as it does (one batch)."""

    def __init__(self, model: Model, store: TupleStore, *, max_width: int = DEFAULT_MAX_WIDTH) -> None:
        self.model = model
        self.max_width = max_width
        self._relations = DataLoader(store.relations_between)
        self._subject_sets = DataLoader(store.subject_sets)

    async def check(self, checks: Sequence[RelationTuple], max_depth: int) -> list[Membership]:
        return list(await asyncio.gather(*(self.is_allowed(check, max_depth) for check in checks)))

    async def is_allowed(
        self, t: RelationTuple, depth: int, *, skip_direct: bool = False, visited: frozenset[SubjectSet] = frozenset()
    ) -> Membership:
        if depth <= 0:
            return Membership.UNKNOWN
        try:
            relation = self.model.relation(t.namespace, t.relation)
        except UnknownRelation:
            return Membership.ERROR
        steps: list[Awaitable[Membership]] = []
        if relation is not None and relation.rewrite is not None:
            steps.append(self.rewrite(relation.rewrite, t, depth))
        if not skip_direct:
            steps.append(self.direct(t, [t.relation], depth))
        steps.append(self.expand_subject(t, depth, visited))
        return union(await asyncio.gather(*steps))

    async def direct(self, t: RelationTuple, relations: Sequence[str], depth: int) -> Membership:
        if depth <= 0:
            return Membership.UNKNOWN
        stored = await self._relations.load((t.namespace, t.object, t.subject))
        return Membership.IS if stored.intersection(relations) else Membership.NOT

    async def rewrite(self, rewrite: Rewrite, t: RelationTuple, depth: int) -> Membership:
        if depth <= 0:
            return Membership.UNKNOWN
        steps: list[Awaitable[Membership]] = []
        children = rewrite.children
        if rewrite.operator is Operator.OR:
            computed = [child.relation for child in children if isinstance(child, Computed)]
            if computed:
                steps.append(self.direct(t, computed, depth))
                steps += [self.is_allowed(_with(t, relation), depth - 1, skip_direct=True) for relation in computed]
            children = tuple(child for child in children if not isinstance(child, Computed))
        for child in children:
            child_depth = depth - 1 if isinstance(child, Rewrite) else depth
            steps.append(self.child(child, t, child_depth))
        results = await asyncio.gather(*steps)
        return union(results) if rewrite.operator is Operator.OR else intersection(results)

    async def child(self, child: Computed | Traverse | Invert | Rewrite, t: RelationTuple, depth: int) -> Membership:
        if isinstance(child, Computed):
            return await self.is_allowed(_with(t, child.relation), depth)
        if isinstance(child, Traverse):
            return await self.traverse(child, t, depth)
        if isinstance(child, Invert):
            return invert(await self.child(child.child, t, depth))
        return await self.rewrite(child, t, depth)

    async def traverse(self, traverse: Traverse, t: RelationTuple, depth: int) -> Membership:
        if depth <= 0:
            return Membership.UNKNOWN
        targets = await self._subject_sets.load((t.namespace, t.object, traverse.relation))
        checks = [
            self.is_allowed(RelationTuple(target.namespace, target.object, traverse.computed, t.subject), depth - 1)
            for target in targets
        ]
        return union(await asyncio.gather(*checks))

    async def expand_subject(self, t: RelationTuple, depth: int, visited: frozenset[SubjectSet]) -> Membership:
        if depth <= 0:
            return Membership.UNKNOWN
        subject_sets = await self._subject_sets.load((t.namespace, t.object, t.relation))
        if not subject_sets:
            return Membership.NOT
        stored = await self._relations.load_many([(s.namespace, s.object, t.subject) for s in subject_sets])
        if any(s.relation in relations for s, relations in zip(subject_sets, stored, strict=True)):
            return Membership.IS
        if depth <= 1:
            return Membership.UNKNOWN
        limited = len(subject_sets) > self.max_width
        nested = [s for s in subject_sets[: self.max_width] if s not in visited]
        results = await asyncio.gather(
            *(self.is_allowed(_with_object(t, s), depth - 1, skip_direct=True, visited=visited | {s}) for s in nested)
        )
        result = union(results)
        return Membership.UNKNOWN if limited and result is Membership.NOT else result


def _with(t: RelationTuple, relation: str) -> RelationTuple:
    return RelationTuple(t.namespace, t.object, relation, t.subject)


def _with_object(t: RelationTuple, subject_set: SubjectSet) -> RelationTuple:
    return RelationTuple(subject_set.namespace, subject_set.object, subject_set.relation, t.subject)
