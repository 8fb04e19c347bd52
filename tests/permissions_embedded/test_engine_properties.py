"""Properties of the embedded engine over random tuple sets, on SQLite and PostgreSQL.

The universe is small and fixed (2 organisations, 3 campaigns, 3 petitions, 4 users); each example stores a random
set of role tuples, direct campaign grants and structure links (campaign -> organisation, petition -> campaign), and
asks every permit of the project model for every object and user:

(a) the bulk answers equal the one-by-one answers (each check in its own ``engine.check`` call);
(b) both equal a direct reading of the OPL: a small recursive evaluator over the parsed model and the tuples in memory;
(c) writing a batch twice leaves the rows writing it once left;
(d) deleting tuples removes exactly those.

Examples of one test share the ``database`` fixture, so each example starts by emptying relation_tuples.
"""

from __future__ import annotations

from collections.abc import Iterable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from campaign_api.db.database import Database
from campaign_api.db.models import RelationTupleRow
from campaign_api.permissions.embedded import EmbeddedEngine
from campaign_api.permissions.engine import DEFAULT_MAX_DEPTH, Verdict
from campaign_api.permissions.opl import Computed, Invert, Model, Operator, Rewrite, Traverse, load_model, parse
from campaign_api.permissions.tuples import RelationTuple, SubjectSet, user
from tests.permissions_embedded.test_embedded_engine import MATRIX_TUPLES, chain_model, matrix_cases

MODEL = load_model()

ORGANISATIONS = ("o1", "o2")
CAMPAIGNS = ("c1", "c2", "c3")
PETITIONS = ("p1", "p2", "p3")
USERS = ("u1", "u2", "u3", "u4")

ROLE_TUPLES = [
    RelationTuple("Organisation", organisation, role, user(name))
    for organisation in ORGANISATIONS
    for role in ("owners", "admins", "editors", "members")
    for name in USERS
]
GRANT_TUPLES = [
    RelationTuple("Campaign", campaign, role, user(name))
    for campaign in CAMPAIGNS
    for role in ("editors", "viewers")
    for name in USERS
]
STRUCTURE_TUPLES = [
    *(
        RelationTuple("Campaign", campaign, "organisation", SubjectSet("Organisation", organisation))
        for campaign in CAMPAIGNS
        for organisation in ORGANISATIONS
    ),
    *(
        RelationTuple("Petition", petition, "campaign", SubjectSet("Campaign", campaign))
        for petition in PETITIONS
        for campaign in CAMPAIGNS
    ),
]
UNIVERSE = ROLE_TUPLES + GRANT_TUPLES + STRUCTURE_TUPLES

OBJECTS = {"Organisation": ORGANISATIONS, "Campaign": CAMPAIGNS, "Petition": PETITIONS}

EVERY_CHECK = [
    RelationTuple(namespace, object_, relation.name, user(name))
    for namespace, objects in OBJECTS.items()
    for relation in MODEL.namespaces[namespace].relations.values()
    if relation.rewrite is not None
    for object_ in objects
    for name in USERS
]

tuple_sets = st.builds(
    lambda roles, grants, links: roles | grants | links,
    st.sets(st.sampled_from(ROLE_TUPLES), max_size=12),
    st.sets(st.sampled_from(GRANT_TUPLES), max_size=6),
    # Mostly one organisation per campaign and one campaign per petition, but not always.
    st.sets(st.sampled_from(STRUCTURE_TUPLES), max_size=8),
)

PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


# --------------------------------------------------------------------------------------------------------------------
# The OPL read aloud: booleans, no limits, no batching.


class Reference:
    """``includes`` is a stored tuple; ``traverse`` follows the subject sets stored under the relation; ``||``, ``&&``
    and ``!`` are ``any``, ``all`` and ``not``. Subject-set expansion is left out: the random tuples give every role
    to users only.
    """

    def __init__(self, model: Model, tuples: Iterable[RelationTuple]) -> None:
        self.model = model
        self.tuples = frozenset(tuples)

    def holds(self, namespace: str, object_: str, relation: str, subject: SubjectSet) -> bool:
        rewrite = self.model.namespaces[namespace].relations[relation].rewrite
        if rewrite is None:
            return RelationTuple(namespace, object_, relation, subject) in self.tuples
        return self.evaluate(rewrite, namespace, object_, subject)

    def evaluate(self, node: object, namespace: str, object_: str, subject: SubjectSet) -> bool:
        match node:
            case Rewrite(operator=Operator.OR, children=children):
                return any(self.evaluate(child, namespace, object_, subject) for child in children)
            case Rewrite(operator=Operator.AND, children=children):
                return all(self.evaluate(child, namespace, object_, subject) for child in children)
            case Invert(child=child):
                return not self.evaluate(child, namespace, object_, subject)
            case Computed(relation=relation):
                return self.holds(namespace, object_, relation, subject)
            case Traverse(relation=relation, computed=computed):
                return any(
                    self.holds(t.subject.namespace, t.subject.object, computed, subject)
                    for t in self.tuples
                    if (t.namespace, t.object, t.relation) == (namespace, object_, relation)
                    and isinstance(t.subject, SubjectSet)
                )
        raise AssertionError(f"not an OPL node: {node!r}")

    def verdict(self, check: RelationTuple) -> Verdict:
        assert isinstance(check.subject, SubjectSet)
        allowed = self.holds(check.namespace, check.object, check.relation, check.subject)
        return Verdict.ALLOWED if allowed else Verdict.DENIED


def traverse_hops(model: Model, namespace: str, relation: str) -> int:
    """The longest run of ``traverse`` steps a check of ``relation`` can take (permits named inside are followed)."""
    rewrite = model.namespaces[namespace].relations[relation].rewrite
    return 0 if rewrite is None else _hops(model, namespace, rewrite)


def _hops(model: Model, namespace: str, node: object) -> int:
    match node:
        case Rewrite(children=children):
            return max(_hops(model, namespace, child) for child in children)
        case Invert(child=child):
            return _hops(model, namespace, child)
        case Computed(relation=relation):
            return traverse_hops(model, namespace, relation)
        case Traverse(relation=relation, computed=computed):
            targets = model.namespaces[namespace].relations[relation].types
            return 1 + max(traverse_hops(model, target.namespace, computed) for target in targets)
    raise AssertionError(f"not an OPL node: {node!r}")


def test_the_reference_reads_the_matrix_like_the_design() -> None:
    """The reference evaluator itself, on a few hand-checked cases, before it judges the engine."""
    reference = Reference(
        MODEL,
        [
            RelationTuple.parse("Organisation:o1#editors@User:u1"),
            RelationTuple.parse("Campaign:c1#organisation@Organisation:o1"),
            RelationTuple.parse("Petition:p1#campaign@Campaign:c1"),
            RelationTuple.parse("Campaign:c2#viewers@User:u2"),
        ],
    )
    cases = {
        "Petition:p1#edit@User:u1": Verdict.ALLOWED,
        "Petition:p1#publish@User:u1": Verdict.DENIED,
        "Campaign:c2#view@User:u2": Verdict.ALLOWED,
        "Campaign:c2#edit@User:u2": Verdict.DENIED,
        "Campaign:c1#view@User:u2": Verdict.DENIED,
        "Organisation:o1#view_members@User:u1": Verdict.ALLOWED,
    }
    assert {text: reference.verdict(RelationTuple.parse(text)) for text in cases} == cases


def test_the_project_models_deepest_chain_is_two_traverses() -> None:
    """Petition -> Campaign -> Organisation's roles (and the counter itself, on a chain of six)."""
    assert max(traverse_hops(MODEL, check.namespace, check.relation) for check in EVERY_CHECK) == 2
    assert traverse_hops(parse(chain_model(6)), "L6", "ok") == 6


async def test_the_project_models_deepest_chain_fits_the_default_depth(database: Database) -> None:
    """The least max_depth that answers the whole design matrix right leaves room under Keto's default of 5."""
    await EmbeddedEngine(database, MODEL).write(insert=MATRIX_TUPLES)
    cases = matrix_cases()
    checks, expected = [check for _, check, _ in cases], [verdict for _, _, verdict in cases]

    enough = [
        depth
        for depth in range(1, DEFAULT_MAX_DEPTH + 1)
        if await EmbeddedEngine(database, MODEL, max_depth=depth).check(checks) == expected
    ]

    print(f"\nthe design matrix needs max_depth {enough[0] if enough else None} of {DEFAULT_MAX_DEPTH}")
    assert enough, f"the matrix is not answered right at any max_depth up to {DEFAULT_MAX_DEPTH}"
    assert enough == list(range(enough[0], DEFAULT_MAX_DEPTH + 1))  # deeper never hurts
    assert enough[0] <= DEFAULT_MAX_DEPTH - 1  # at least one level of headroom


# --------------------------------------------------------------------------------------------------------------------
# Properties


async def empty(database: Database) -> None:
    async with database.transaction() as session:
        await session.execute(delete(RelationTupleRow))


async def rows(database: Database) -> list[tuple[int, str, str, str, str, str, str]]:
    """Every stored row with its id, so that a rewrite of the same tuple would show."""
    columns = (
        RelationTupleRow.id,
        RelationTupleRow.namespace,
        RelationTupleRow.object,
        RelationTupleRow.relation,
        RelationTupleRow.subject_namespace,
        RelationTupleRow.subject_object,
        RelationTupleRow.subject_relation,
    )
    async with database.session() as session:
        return [tuple(row) for row in (await session.execute(select(*columns).order_by(RelationTupleRow.id))).all()]


def stored_tuples(found: list[tuple[int, str, str, str, str, str, str]]) -> set[RelationTuple]:
    return {
        RelationTuple(namespace, object_, relation, SubjectSet(*subject) if subject[0] else subject[1])
        for _, namespace, object_, relation, *subject in found
    }


@PROPERTY_SETTINGS
@given(tuples=tuple_sets)
async def test_bulk_single_and_the_opl_agree(database: Database, tuples: set[RelationTuple]) -> None:
    await empty(database)
    engine = EmbeddedEngine(database, MODEL)
    await engine.write(insert=sorted(tuples, key=str))

    bulk = await engine.check(EVERY_CHECK)
    single = [verdict for check in EVERY_CHECK for verdict in await engine.check([check])]
    expected = [Reference(MODEL, tuples).verdict(check) for check in EVERY_CHECK]

    disagreements = [
        f"{check}: bulk {b.value}, single {s.value}, OPL {e.value}"
        for check, b, s, e in zip(EVERY_CHECK, bulk, single, expected, strict=True)
        if not (b is s is e)
    ]
    assert disagreements == []


@PROPERTY_SETTINGS
@given(batch=st.lists(st.sampled_from(UNIVERSE), max_size=20))
async def test_writing_a_batch_twice_leaves_the_rows_of_once(database: Database, batch: list[RelationTuple]) -> None:
    await empty(database)
    engine = EmbeddedEngine(database, MODEL)

    await engine.write(insert=batch)
    once = await rows(database)
    await engine.write(insert=batch)
    twice = await rows(database)

    assert twice == once
    assert stored_tuples(once) == set(batch)
    assert len(once) == len(set(batch))


@PROPERTY_SETTINGS
@given(written=st.sets(st.sampled_from(UNIVERSE), max_size=20), deleted=st.sets(st.sampled_from(UNIVERSE), max_size=20))
async def test_deleting_removes_exactly_those_tuples(
    database: Database, written: set[RelationTuple], deleted: set[RelationTuple]
) -> None:
    """Some of ``deleted`` are stored and some are not: those that are go, nothing else does."""
    await empty(database)
    engine = EmbeddedEngine(database, MODEL)
    await engine.write(insert=list(written))
    before = {t: row_id for t, row_id in zip(*_by_tuple(await rows(database)), strict=True)}

    await engine.write(delete=list(deleted))

    after = await rows(database)
    assert stored_tuples(after) == written - deleted
    assert all(before[t] == row_id for t, row_id in zip(*_by_tuple(after), strict=True))  # the rest untouched


def _by_tuple(found: list[tuple[int, str, str, str, str, str, str]]) -> tuple[list[RelationTuple], list[int]]:
    return [next(iter(stored_tuples([row]))) for row in found], [row[0] for row in found]


def test_every_check_covers_every_permit_object_and_user() -> None:
    assert len(EVERY_CHECK) == len(set(EVERY_CHECK)) == 2 * 6 * 4 + 3 * 6 * 4 + 3 * 5 * 4
