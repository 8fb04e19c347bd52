"""The embedded engine (campaign_api/permissions/embedded/) on SQLite and PostgreSQL, as scenarios written as data.

The authorisation matrix of the design is a table below, asked of the project model for one organisation, a campaign
in it with a petition, and a sibling campaign (with its own petition) in the same organisation, so that grants on
"that campaign" are seen not to leak. Then what only the store and the evaluator decide: idempotent writes, deletes
by query, paging, per-check errors, the depth limit, ``!``, and the number of SQL queries a batch costs.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import func, select

from campaign_api.db.database import Database
from campaign_api.db.models import RelationTupleRow
from campaign_api.permissions.embedded import EmbeddedEngine
from campaign_api.permissions.engine import DEFAULT_MAX_DEPTH, Verdict
from campaign_api.permissions.opl import Model, load_model, parse
from campaign_api.permissions.tuples import RelationTuple, SubjectSet, TupleQuery, user

ALLOWED, DENIED, UNAVAILABLE = Verdict.ALLOWED, Verdict.DENIED, Verdict.UNAVAILABLE


def tuples(*texts: str) -> list[RelationTuple]:
    return [RelationTuple.parse(text) for text in texts]


async def stored(database: Database) -> list[RelationTuple]:
    """Every row of relation_tuples, read with SQL rather than through the engine."""
    async with database.session() as session:
        rows = (await session.scalars(select(RelationTupleRow).order_by(RelationTupleRow.id))).all()
    return [
        RelationTuple(
            row.namespace,
            row.object,
            row.relation,
            SubjectSet(row.subject_namespace, row.subject_object, row.subject_relation)
            if row.subject_namespace
            else row.subject_object,
        )
        for row in rows
    ]


async def row_count(database: Database) -> int:
    async with database.session() as session:
        return (await session.execute(select(func.count()).select_from(RelationTupleRow))).scalar_one()


def as_text(found: Sequence[RelationTuple]) -> list[str]:
    return sorted(str(t) for t in found)


@pytest.fixture
def project_model() -> Model:
    return load_model()


@pytest.fixture
def engine(database: Database, project_model: Model) -> EmbeddedEngine:
    return EmbeddedEngine(database, project_model)


# --------------------------------------------------------------------------------------------------------------------
# The authorisation matrix (docs: /work/shared/design.md), as a table.
#
# Not here: the anonymous column (an anonymous viewer never reaches the engine), and the rows no permit decides
# (reading published campaigns and open or closed petitions, signing an open petition, creating an organisation:
# anyone signed in may).

MATRIX_TUPLES = tuples(
    "Organisation:o1#owners@User:owner",
    "Organisation:o1#admins@User:admin",
    "Organisation:o1#editors@User:editor",
    "Organisation:o1#members@User:member",
    "Campaign:c1#organisation@Organisation:o1",
    "Campaign:c1#editors@User:agency_editor",
    "Campaign:c1#viewers@User:agency_viewer",
    "Petition:p1#campaign@Campaign:c1",
    # The sibling campaign, in the same organisation, and its petition: nobody has a direct grant on it.
    "Campaign:c2#organisation@Organisation:o1",
    "Petition:p2#campaign@Campaign:c2",
)

COLUMNS = ("outsider", "member", "editor", "admin", "owner", "agency_editor", "agency_viewer")

# action: the permits that enforce it, and one cell per column (signed in with no role, member, editor, admin, owner,
# campaign editor (direct), campaign viewer (direct)). "that" is the design's "that campaign": the campaign with the
# direct grant and its petitions, and nothing else (not the organisation, not the sibling campaign).
MATRIX = {
    "read the organisation's draft and archived campaigns and their petitions": (
        ("Organisation.view_campaigns", "Campaign.view", "Petition.view"),
        "no    yes   yes   yes   yes   that  that",
    ),
    "see the organisation's member list": (
        ("Organisation.view_members",),
        "no    yes   yes   yes   yes   no    no",
    ),
    "create a campaign in the organisation": (
        ("Organisation.create_campaign",),
        "no    no    yes   yes   yes   no    no",
    ),
    "edit a campaign, create and edit its petitions": (
        ("Campaign.edit", "Petition.edit"),
        "no    no    yes   yes   yes   that  no",
    ),
    "publish, close, archive": (
        ("Organisation.manage_campaigns", "Campaign.publish", "Petition.publish"),
        "no    no    no    yes   yes   no    no",
    ),
    "read signers' personal data (email), export signatures": (
        ("Campaign.read_signatures", "Petition.read_signatures"),
        "no    no    no    yes   yes   no    no",
    ),
    "delete a signature (erasure request)": (
        ("Campaign.delete_signatures", "Petition.delete_signatures"),
        "no    no    no    yes   yes   no    no",
    ),
    "add or remove members and editors, grant direct campaign roles": (
        ("Organisation.manage_members", "Campaign.grant_roles"),
        "no    no    no    yes   yes   no    no",
    ),
    "add or remove admins and owners, rename or delete the organisation": (
        ("Organisation.manage_admins",),
        "no    no    no    no    yes   no    no",
    ),
}

# Where each permit is asked, and whether "that campaign" reaches the object.
OBJECTS = {
    "Organisation": (("o1", False),),
    "Campaign": (("c1", True), ("c2", False)),
    "Petition": (("p1", True), ("p2", False)),
}


def matrix_cases() -> list[tuple[str, RelationTuple, Verdict]]:
    cases = []
    for action, (permits, row) in MATRIX.items():
        cells = row.split()
        assert len(cells) == len(COLUMNS), action
        for permit in permits:
            namespace, relation = permit.split(".")
            for object_, reached_by_that_campaign in OBJECTS[namespace]:
                for name, cell in zip(COLUMNS, cells, strict=True):
                    allowed = cell == "yes" or (cell == "that" and reached_by_that_campaign)
                    check = RelationTuple(namespace, object_, relation, user(name))
                    cases.append((action, check, ALLOWED if allowed else DENIED))
    return cases


def test_the_matrix_covers_every_permit_of_the_model(project_model: Model) -> None:
    in_table = {permit for permits, _ in MATRIX.values() for permit in permits}
    in_model = {
        f"{namespace.name}.{relation.name}"
        for namespace in project_model.namespaces.values()
        for relation in namespace.relations.values()
        if relation.rewrite is not None
    }
    assert in_table == in_model


async def test_the_authorisation_matrix(engine: EmbeddedEngine) -> None:
    await engine.write(insert=MATRIX_TUPLES)
    cases = matrix_cases()

    verdicts = await engine.check([check for _, check, _ in cases])

    wrong = [
        f"{action}: {check} is {verdict.value}, expected {expected.value}"
        for (action, check, expected), verdict in zip(cases, verdicts, strict=True)
        if verdict is not expected
    ]
    assert wrong == []
    assert len(cases) == 196  # 28 (permit, object) pairs, 7 columns


async def test_the_matrix_gives_the_same_answers_one_check_at_a_time(engine: EmbeddedEngine) -> None:
    await engine.write(insert=MATRIX_TUPLES)
    cases = matrix_cases()[::7]  # a spread of rows and columns; the property tests compare bulk and single at large
    for _, check, expected in cases:
        assert await engine.check([check]) == [expected], str(check)


# --------------------------------------------------------------------------------------------------------------------
# Writes, deletes, listing

GRANT = RelationTuple.parse("Campaign:c1#viewers@User:alice")


async def test_writing_a_tuple_twice_stores_one_row(engine: EmbeddedEngine, database: Database) -> None:
    await engine.write(insert=[GRANT])
    await engine.write(insert=[GRANT])
    await engine.write(insert=[GRANT, GRANT])

    assert await stored(database) == [GRANT]


async def test_deleting_a_missing_tuple_is_fine(engine: EmbeddedEngine, database: Database) -> None:
    await engine.write(delete=[GRANT])
    await engine.write(insert=[GRANT])
    await engine.write(delete=[GRANT])
    await engine.write(delete=[GRANT])

    assert await row_count(database) == 0


async def test_insert_and_delete_in_one_write(engine: EmbeddedEngine, database: Database) -> None:
    """Deletes run first, so one write can move a grant (delete-then-insert of the same tuple keeps it)."""
    editor = RelationTuple.parse("Campaign:c1#editors@User:alice")
    await engine.write(insert=[GRANT])

    await engine.write(insert=[editor, GRANT], delete=[GRANT])

    assert as_text(await stored(database)) == as_text([editor, GRANT])


DELETE_MATCHING_TUPLES = tuples(
    "Organisation:o1#owners@User:alice",
    "Organisation:o1#members@User:bob",
    "Organisation:o2#members@User:alice",
    "Campaign:c1#organisation@Organisation:o1",
    "Campaign:c1#viewers@User:alice",
    "Campaign:c2#organisation@Organisation:o2",
    "Doc:d1#readers@alice",
)

DELETE_MATCHING = [
    # id, query, the tuples it removes
    (
        "a namespace",
        TupleQuery(namespace="Organisation"),
        [
            "Organisation:o1#owners@User:alice",
            "Organisation:o1#members@User:bob",
            "Organisation:o2#members@User:alice",
        ],
    ),
    (
        "an object",
        TupleQuery(namespace="Organisation", object="o1"),
        ["Organisation:o1#owners@User:alice", "Organisation:o1#members@User:bob"],
    ),
    (
        "a relation",
        TupleQuery(namespace="Organisation", relation="members"),
        ["Organisation:o1#members@User:bob", "Organisation:o2#members@User:alice"],
    ),
    (
        "a user, everywhere",
        TupleQuery(subject=user("alice")),
        ["Organisation:o1#owners@User:alice", "Organisation:o2#members@User:alice", "Campaign:c1#viewers@User:alice"],
    ),
    (
        "a plain subject id is not the user of the same name",
        TupleQuery(subject="alice"),
        ["Doc:d1#readers@alice"],
    ),
    (
        "everything pointing at an organisation",
        TupleQuery(subject=RelationTuple.parse("x:x#x@Organisation:o1").subject),
        ["Campaign:c1#organisation@Organisation:o1"],
    ),
    ("one tuple, exactly", TupleQuery("Campaign", "c1", "viewers", user("alice")), ["Campaign:c1#viewers@User:alice"]),
    ("nothing matches", TupleQuery(namespace="Petition"), []),
]


@pytest.mark.parametrize(
    ("query", "removed"), [case[1:] for case in DELETE_MATCHING], ids=[case[0] for case in DELETE_MATCHING]
)
async def test_delete_matching_removes_exactly_what_matches(
    engine: EmbeddedEngine, database: Database, query: TupleQuery, removed: list[str]
) -> None:
    await engine.write(insert=DELETE_MATCHING_TUPLES)
    assert sorted(removed) == as_text([t for t in DELETE_MATCHING_TUPLES if query.matches(t)])  # the table is right

    await engine.delete_matching(query)

    assert as_text(await stored(database)) == sorted(set(as_text(DELETE_MATCHING_TUPLES)) - set(removed))


PAGED_TUPLES = tuples(*(f"Campaign:c{index}#viewers@User:u{index}" for index in range(5)))


async def test_listing_pages_through_every_tuple_once(engine: EmbeddedEngine) -> None:
    await engine.write(insert=[*PAGED_TUPLES, RelationTuple.parse("Organisation:o1#members@User:u0")])

    pages: list[list[RelationTuple]] = []
    token = ""
    while True:
        page = await engine.list(TupleQuery(namespace="Campaign"), page_size=2, page_token=token)
        pages.append(page.tuples)
        token = page.next_page_token
        if not token:
            break

    assert [len(page) for page in pages] == [2, 2, 1]
    assert [t for page in pages for t in page] == PAGED_TUPLES  # in the order written, each once


async def test_listing_an_exact_page_ends_without_an_empty_page(engine: EmbeddedEngine) -> None:
    await engine.write(insert=PAGED_TUPLES[:4])

    first = await engine.list(TupleQuery(), page_size=2)
    second = await engine.list(TupleQuery(), page_size=2, page_token=first.next_page_token)

    assert first.next_page_token != ""
    assert (second.tuples, second.next_page_token) == (PAGED_TUPLES[2:4], "")


async def test_a_page_token_the_engine_did_not_issue_is_refused(engine: EmbeddedEngine) -> None:
    with pytest.raises(ValueError, match="page token"):
        await engine.list(TupleQuery(), page_token="not base64!")


# --------------------------------------------------------------------------------------------------------------------
# Errors and limits, per check


async def test_an_unknown_relation_is_unavailable_and_the_rest_of_the_batch_is_answered(
    engine: EmbeddedEngine,
) -> None:
    await engine.write(insert=MATRIX_TUPLES)
    batch = [
        ("Campaign:c1#view@User:agency_viewer", ALLOWED),
        ("Campaign:c1#approve@User:owner", UNAVAILABLE),  # Campaign has no "approve": Keto answers 400
        ("Campaign:c2#view@User:agency_viewer", DENIED),
        ("Petition:p1#edit@User:editor", ALLOWED),
        ("Blog:b1#view@User:owner", DENIED),  # an unknown namespace is a plain denial, as in Keto
        ("Organisation:o1#view_members@User:member", ALLOWED),
    ]

    verdicts = await engine.check([RelationTuple.parse(text) for text, _ in batch])

    assert verdicts == [expected for _, expected in batch]


async def test_an_empty_batch_asks_nothing(engine: EmbeddedEngine) -> None:
    assert await engine.check([]) == []
    assert engine.store.queries == 0


CHAIN_LEVELS = 6


def chain_model(levels: int) -> str:
    """L0 holds the users; each Lk (k > 0) permits ``ok`` by traversing to L(k-1): ``levels`` traverses from the top."""
    classes = [
        "class User implements Namespace {}",
        "class L0 implements Namespace {\n  related: { members: User[] }\n"
        "  permits = { ok: (ctx: Context): boolean => this.related.members.includes(ctx.subject) }\n}",
    ]
    classes += [
        f"class L{k} implements Namespace {{\n  related: {{ down: L{k - 1}[] }}\n"
        f"  permits = {{ ok: (ctx: Context): boolean => this.related.down.traverse((x) => x.permits.ok(ctx)) }}\n}}"
        for k in range(1, levels + 1)
    ]
    return "\n".join(classes)


def chain_tuples(levels: int) -> list[RelationTuple]:
    return [
        RelationTuple.parse("L0:o#members@User:alice"),
        *(RelationTuple.parse(f"L{k}:o#down@L{k - 1}:o") for k in range(1, levels + 1)),
    ]


MAX_DEPTH_CASES = [
    # id, the level checked (how many traverses down to the users), max_depth, verdict
    ("4 traverses fit in the default depth", 4, DEFAULT_MAX_DEPTH, ALLOWED),
    ("5 traverses do not: silently denied, as keto#1274", 5, DEFAULT_MAX_DEPTH, DENIED),
    ("6 traverses at depth 5: denied", CHAIN_LEVELS, 5, DENIED),
    ("6 traverses at depth 6: denied", CHAIN_LEVELS, 6, DENIED),
    ("6 traverses at depth 7: allowed", CHAIN_LEVELS, 7, ALLOWED),
    ("6 traverses at depth 10: allowed", CHAIN_LEVELS, 10, ALLOWED),
]


@pytest.mark.parametrize(
    ("level", "max_depth", "expected"),
    [case[1:] for case in MAX_DEPTH_CASES],
    ids=[case[0] for case in MAX_DEPTH_CASES],
)
async def test_the_depth_limit_denies_deep_chains(
    database: Database, level: int, max_depth: int, expected: Verdict
) -> None:
    engine = EmbeddedEngine(database, parse(chain_model(CHAIN_LEVELS)), max_depth=max_depth)
    await engine.write(insert=chain_tuples(CHAIN_LEVELS))

    verdicts = await engine.check(
        [RelationTuple.parse(f"L{level}:o#ok@User:alice"), RelationTuple.parse(f"L{level}:o#ok@User:bob")]
    )

    assert verdicts == [expected, DENIED]


BANNED_MODEL = """
import { Namespace, Context } from "@ory/keto-namespace-types"

class User implements Namespace {}

class Group implements Namespace {
  related: {
    members: User[]
    banned: User[]
  }

  permits = {
    post: (ctx: Context): boolean =>
      !this.related.banned.includes(ctx.subject) && this.related.members.includes(ctx.subject),
  }
}
"""

NOT_TUPLES = tuples(
    "Group:g#members@User:member",
    "Group:g#members@User:banned_member",
    "Group:g#banned@User:banned_member",
    "Group:g#banned@User:banned_outsider",
)

NOT_CASES = [
    ("Group:g#post@User:member", ALLOWED),
    ("Group:g#post@User:banned_member", DENIED),
    ("Group:g#post@User:banned_outsider", DENIED),
    ("Group:g#post@User:stranger", DENIED),
]


async def test_not_excludes_the_banned(database: Database) -> None:
    engine = EmbeddedEngine(database, parse(BANNED_MODEL))
    await engine.write(insert=NOT_TUPLES)

    verdicts = await engine.check([RelationTuple.parse(text) for text, _ in NOT_CASES])

    assert verdicts == [expected for _, expected in NOT_CASES]


# --------------------------------------------------------------------------------------------------------------------
# Bounded queries: what a batch costs depends on the model's depth, not on the number of checks.


def bulk_scenario(count: int) -> tuple[list[RelationTuple], list[tuple[RelationTuple, Verdict]]]:
    """``count`` independent organisations, each with a campaign, a petition and a user in one of five positions."""
    roles = ("owners", "admins", "editors", "members", None)
    written, checks = [], []
    for index in range(count):
        role = roles[index % len(roles)]
        written += tuples(
            f"Campaign:c{index}#organisation@Organisation:o{index}", f"Petition:p{index}#campaign@Campaign:c{index}"
        )
        if role:
            written.append(RelationTuple.parse(f"Organisation:o{index}#{role}@User:u{index}"))
        expected = ALLOWED if role in ("owners", "admins", "editors") else DENIED
        checks.append((RelationTuple.parse(f"Petition:p{index}#edit@User:u{index}"), expected))
    return written, checks


async def queries_for(database: Database, model: Model, checks: list[tuple[RelationTuple, Verdict]]) -> int:
    engine = EmbeddedEngine(database, model)  # a fresh store: its counter starts at zero
    verdicts = await engine.check([check for check, _ in checks])
    assert verdicts == [expected for _, expected in checks]
    return engine.store.queries


async def test_a_batch_costs_the_same_queries_whatever_its_size(database: Database, project_model: Model) -> None:
    """Every read is a data loader: one SQL query per read per level of the model, for 10 checks as for 100.

    Which loads share a query depends on when the two reads' results come back, so a cold connection pool or a
    busy machine can split or merge a level now and then: the pool is warmed first, and each count is the least of
    three runs.
    """
    written, checks = bulk_scenario(100)
    await EmbeddedEngine(database, project_model).write(insert=written)
    await queries_for(database, project_model, checks)  # warm the connection pool: a new connection is slow

    ten = min([await queries_for(database, project_model, checks[:10]) for _ in range(3)])
    hundred = min([await queries_for(database, project_model, checks) for _ in range(3)])

    print(f"\n{database.engine.dialect.name}: SQL queries for 10 checks: {ten}, for 100 checks: {hundred}")
    assert ten == hundred
    # Each level of the model reads at most four times in sequence (the rewrite's lookup or traversal, the direct
    # tuple, the subject sets to expand, whether the subject is in them): a bound in the depth, not in the checks.
    assert hundred <= 4 * DEFAULT_MAX_DEPTH
