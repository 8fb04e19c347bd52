"""Keto's check semantics, step for step (``internal/check/engine.go`` and ``rewrites.go`` of Keto v26.2.0, the
release the project is checked against), over batched tuple reads.

Each function is one of Keto's checks and answers IS, NOT, UNKNOWN (a depth limit was hit) or ERROR. Keto runs the
children of a union concurrently and of ``||``/``&&`` one after another, stopping at the first decisive answer; this
evaluator runs them all at once and then combines their answers as Keto does, which gives Keto's answer while letting
every read of one level of every check in a batch share a single SQL query (the lookups are data loaders).

- IsAllowed(t, d):  d <= 0: UNKNOWN. Union of: the relation's rewrite at d; the direct tuple at d - 1; subject-set
                    expansion at d - 1. A union is IS when any part is, otherwise NOT (UNKNOWN counts as NOT).
- Rewrite(d):       d <= 0: UNKNOWN. ``||``: the ``includes``/``permits`` children first, as one lookup and then each
                    at d - 1 (direct lookup skipped); then the other children: traverse at d, a nested group at d - 1,
                    ``!`` at d. ``&&``: every child must be IS; ``includes``/``permits`` children then check at d.
- Traverse(d):      every subject set stored under the relation; the computed permit on each at d - 1.
- Expand(d):        subject sets stored under the tuple's relation: IS if the subject is directly in one, otherwise
                    each of them (at most ``max_width`` - 1) at the same depth.
- Invert:           IS and NOT swap; UNKNOWN and ERROR stay.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
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
    """Keto's check group and ``||``: a member if any part says so; an error ends it; anything else is NOT."""
    if Membership.IS in results:
        return Membership.IS
    return Membership.ERROR if Membership.ERROR in results else Membership.NOT


def intersection(results: Sequence[Membership]) -> Membership:
    """Keto's ``&&``: every part must say IS; the first that does not decides (an error stays an error)."""
    for result in results:
        if result is not Membership.IS:
            return Membership.ERROR if result is Membership.ERROR else Membership.NOT
    return Membership.IS if results else Membership.NOT


Step = Callable[[], Awaitable[Membership]]


async def first_decisive(steps: Sequence[Step], operator: Operator) -> Membership:
    """Keto's ``||`` and ``&&``: run the parts in order and stop at the first decisive answer (IS or an error for
    ``||``; anything but IS for ``&&``). The parts of many checks still reach the same level together, and share its
    lookups."""
    results: list[Membership] = []
    for step in steps:
        result = await step()
        if operator is Operator.OR and result in (Membership.IS, Membership.ERROR):
            return result
        if operator is Operator.AND and result is not Membership.IS:
            return Membership.ERROR if result is Membership.ERROR else Membership.NOT
        results.append(result)
    return union(results) if operator is Operator.OR else intersection(results)


def invert(result: Membership) -> Membership:
    return {Membership.IS: Membership.NOT, Membership.NOT: Membership.IS}.get(result, result)


class Evaluator:
    """Evaluates checks against one model and one store; its read caches live as long as it does (one batch)."""

    def __init__(self, model: Model, store: TupleStore, *, max_width: int = DEFAULT_MAX_WIDTH) -> None:
        self.model = model
        self.max_width = max_width
        self._relations = DataLoader(store.relations_between)
        self._subject_sets = DataLoader(store.subject_sets)
        self._shared: dict[tuple[RelationTuple, int, bool, frozenset[SubjectSet]], asyncio.Future[Membership]] = {}

    async def check(self, checks: Sequence[RelationTuple], max_depth: int) -> list[Membership]:
        return list(await asyncio.gather(*(self.is_allowed(check, max_depth) for check in checks)))

    async def is_allowed(
        self, t: RelationTuple, depth: int, *, skip_direct: bool = False, visited: frozenset[SubjectSet] = frozenset()
    ) -> Membership:
        # Checks of one batch share their sub-checks (every petition of a campaign asks the campaign the same
        # question): each distinct sub-check is evaluated once, and everyone who needs it awaits that one answer.
        key = (t, depth, skip_direct, visited)
        shared = self._shared.get(key)
        if shared is not None:
            return await shared
        # The first to ask evaluates in its own task (no new one); later askers wait for its answer.
        shared = self._shared[key] = asyncio.get_running_loop().create_future()
        try:
            result = await self._is_allowed(t, depth, skip_direct, visited)
        except BaseException as error:
            shared.set_exception(error)
            shared.exception()  # retrieved here, so an unawaited failure is not reported twice
            raise
        shared.set_result(result)
        return result

    async def _is_allowed(
        self, t: RelationTuple, depth: int, skip_direct: bool, visited: frozenset[SubjectSet]
    ) -> Membership:
        if depth <= 0:
            return Membership.UNKNOWN
        try:
            relation = self.model.relation(t.namespace, t.relation)
        except UnknownRelation:
            return Membership.ERROR
        steps: list[Step] = []
        if relation is not None and relation.rewrite is not None:
            steps.append(lambda: self.rewrite(relation.rewrite, t, depth))
        if not skip_direct:
            steps.append(lambda: self.direct(t, [t.relation], depth - 1))
        steps.append(lambda: self.expand_subject(t, depth - 1, visited))
        return await first_decisive(steps, Operator.OR)

    async def direct(self, t: RelationTuple, relations: Sequence[str], depth: int) -> Membership:
        if depth <= 0:
            return Membership.UNKNOWN
        stored = await self._relations.load((t.namespace, t.object, t.subject))
        return Membership.IS if stored.intersection(relations) else Membership.NOT

    async def rewrite(self, rewrite: Rewrite, t: RelationTuple, depth: int) -> Membership:
        if depth <= 0:
            return Membership.UNKNOWN
        steps: list[Step] = []
        children = rewrite.children
        if rewrite.operator is Operator.OR:
            computed = [child.relation for child in children if isinstance(child, Computed)]
            if computed:
                steps.append(lambda: self.computed_union(t, computed, depth))
            children = tuple(child for child in children if not isinstance(child, Computed))
        for child in children:
            child_depth = depth - 1 if isinstance(child, Rewrite) else depth
            steps.append(lambda child=child, child_depth=child_depth: self.child(child, t, child_depth))
        return await first_decisive(steps, rewrite.operator)

    async def computed_union(self, t: RelationTuple, relations: Sequence[str], depth: int) -> Membership:
        """The ``includes``/``permits`` children of an ``||``: one lookup for all of them directly, then each deeper."""
        if await self.direct(t, relations, 1) is Membership.IS:  # Keto reads them without a depth check
            return Membership.IS
        steps: list[Step] = [
            lambda relation=relation: self.is_allowed(_with(t, relation), depth - 1, skip_direct=True)
            for relation in relations
        ]
        return await first_decisive(steps, Operator.OR)

    async def child(self, child: Computed | Traverse | Invert | Rewrite, t: RelationTuple, depth: int) -> Membership:
        if depth < 0:
            return Membership.UNKNOWN
        if isinstance(child, Computed):
            return await self.is_allowed(_with(t, child.relation), depth)
        if isinstance(child, Traverse):
            return await self.traverse(child, t, depth)
        if isinstance(child, Invert):
            return invert(await self.child(child.child, t, depth))
        return await self.rewrite(child, t, depth)

    async def traverse(self, traverse: Traverse, t: RelationTuple, depth: int) -> Membership:
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
        if len(subject_sets) > self.max_width:
            subject_sets = subject_sets[: self.max_width - 1]  # Keto keeps max_width - 1 of them
        nested = [s for s in dict.fromkeys(subject_sets) if s not in visited]
        results = await asyncio.gather(
            *(self.is_allowed(_with_object(t, s), depth, skip_direct=True, visited=visited | {s}) for s in nested)
        )
        return union(results)


def _with(t: RelationTuple, relation: str) -> RelationTuple:
    return RelationTuple(t.namespace, t.object, relation, t.subject)


def _with_object(t: RelationTuple, subject_set: SubjectSet) -> RelationTuple:
    return RelationTuple(subject_set.namespace, subject_set.object, subject_set.relation, t.subject)
