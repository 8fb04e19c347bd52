"""The OPL parser (campaign_api/permissions/opl.py), as scenarios: OPL text in, the model or the located error out.

Valid snippets list the AST each permit parses to; invalid ones list where the error points (``line:column``), what
it says, and the text the underline's caret must sit under. The project's own model is read as a whole first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from campaign_api.permissions.opl import (
    MAX_EXPRESSION_NESTING,
    MODEL_FILE,
    Child,
    Computed,
    Invert,
    Model,
    Operator,
    OplError,
    Relation,
    RelationType,
    Rewrite,
    Traverse,
    load_model,
    parse,
)

# --------------------------------------------------------------------------------------------------------------------
# AST shorthands, so the expected trees read like the OPL they come from.


def OR(*children: Child) -> Rewrite:
    return Rewrite(Operator.OR, children)


def AND(*children: Child) -> Rewrite:
    return Rewrite(Operator.AND, children)


def NOT(child: Child) -> Invert:
    return Invert(child)


def includes(relation: str) -> Computed:
    """``this.related.R.includes(ctx.subject)`` and ``this.permits.P(ctx)`` are the same node."""
    return Computed(relation)


def traverse(relation: str, computed: str) -> Traverse:
    return Traverse(relation, computed)


A = includes("a")
B = includes("b")
C = includes("c")
D = includes("d")

# --------------------------------------------------------------------------------------------------------------------
# The project model


EXPECTED_PROJECT_MODEL = {
    "User": {"related": (), "permits": ()},
    "Organisation": {
        "related": ("owners", "admins", "editors", "members"),
        "permits": (
            "view_campaigns",
            "view_members",
            "create_campaign",
            "manage_campaigns",
            "manage_members",
            "manage_admins",
        ),
    },
    "Campaign": {
        "related": ("organisation", "editors", "viewers"),
        "permits": ("view", "edit", "publish", "read_signatures", "delete_signatures", "grant_roles"),
    },
    "Petition": {
        "related": ("campaign",),
        "permits": ("view", "edit", "publish", "read_signatures", "delete_signatures"),
    },
}

EXPECTED_PROJECT_REWRITES = {
    ("Organisation", "view_campaigns"): OR(
        includes("owners"), includes("admins"), includes("editors"), includes("members")
    ),
    ("Organisation", "create_campaign"): OR(includes("owners"), includes("admins"), includes("editors")),
    ("Organisation", "manage_admins"): OR(includes("owners")),
    ("Campaign", "view"): OR(includes("viewers"), includes("editors"), traverse("organisation", "view_campaigns")),
    ("Campaign", "edit"): OR(includes("editors"), traverse("organisation", "create_campaign")),
    ("Campaign", "grant_roles"): OR(traverse("organisation", "manage_members")),
    ("Petition", "view"): OR(traverse("campaign", "view")),
    ("Petition", "delete_signatures"): OR(traverse("campaign", "delete_signatures")),
}


@pytest.fixture(scope="module")
def project_model() -> Model:
    return load_model()


def test_the_project_model_declares_the_expected_namespaces_relations_and_permits(project_model: Model) -> None:
    found = {
        name: {
            "related": tuple(r.name for r in namespace.relations.values() if r.rewrite is None),
            "permits": tuple(r.name for r in namespace.relations.values() if r.rewrite is not None),
        }
        for name, namespace in project_model.namespaces.items()
    }
    assert found == EXPECTED_PROJECT_MODEL


def test_every_role_relation_of_the_project_model_holds_users(project_model: Model) -> None:
    types = {
        (name, relation.name): relation.types
        for name, namespace in project_model.namespaces.items()
        for relation in namespace.relations.values()
        if relation.rewrite is None
    }
    structure = {
        ("Campaign", "organisation"): (RelationType("Organisation"),),
        ("Petition", "campaign"): (RelationType("Campaign"),),
    }
    assert {key: value for key, value in types.items() if key in structure} == structure
    assert all(value == (RelationType("User"),) for key, value in types.items() if key not in structure)


@pytest.mark.parametrize(("namespace", "permit"), list(EXPECTED_PROJECT_REWRITES))
def test_the_project_model_permits_parse_to_the_expected_rewrites(
    project_model: Model, namespace: str, permit: str
) -> None:
    relation = project_model.relation(namespace, permit)
    assert relation is not None
    assert relation.rewrite == EXPECTED_PROJECT_REWRITES[(namespace, permit)]


def test_the_model_file_is_the_one_in_the_package() -> None:
    assert MODEL_FILE.name == "namespaces.ts"
    assert MODEL_FILE.parent.name == "permissions"


# --------------------------------------------------------------------------------------------------------------------
# Valid snippets: every Doc permit and the AST it parses to.

PRELUDE = """\
import { Namespace, Context, SubjectSet } from "@ory/keto-namespace-types"

class User implements Namespace {}
class Team implements Namespace {
  related: { members: User[] }
  permits = { member: (ctx: Context): boolean => this.related.members.includes(ctx.subject) }
}
"""

DOC_RELATED = "related: { a: User[]; b: User[]; c: User[]; d: User[]; parents: Doc[]; teams: Team[] }"


def doc(permits: str, related: str = DOC_RELATED) -> str:
    return PRELUDE + f"class Doc implements Namespace {{\n  {related}\n  permits = {{\n    {permits}\n  }}\n}}\n"


VALID_PERMITS = [
    # id, permit source, expected rewrite of Doc#p
    ("includes", "p: (ctx: Context): boolean => this.related.a.includes(ctx.subject)", OR(A)),
    ("untyped ctx", "p: (ctx) => this.related.a.includes(ctx.subject)", OR(A)),
    ("permits", "p: (ctx) => this.permits.q(ctx), q: (ctx) => this.related.a.includes(ctx.subject)", OR(includes("q"))),
    (
        "traverse (x) =>",
        "p: (ctx) => this.related.parents.traverse((x) => x.permits.p(ctx))",
        OR(traverse("parents", "p")),
    ),
    ("traverse x =>", "p: (ctx) => this.related.parents.traverse(x => x.permits.p(ctx))", OR(traverse("parents", "p"))),
    (
        "traverse to related.R.includes",
        "p: (ctx) => this.related.teams.traverse((t) => t.related.members.includes(ctx.subject))",
        OR(traverse("teams", "members")),
    ),
    ("not", "p: (ctx) => !this.related.a.includes(ctx.subject)", OR(NOT(A))),
    ("and", "p: (ctx) => this.related.a.includes(ctx.subject) && this.related.b.includes(ctx.subject)", AND(A, B)),
    (
        "or chain is one flat union",
        "p: (ctx) => this.related.a.includes(ctx.subject) || this.related.b.includes(ctx.subject)"
        " || this.related.c.includes(ctx.subject)",
        OR(A, B, C),
    ),
    (
        "a || b && c groups left to right: (a || b) && c",
        "p: (ctx) => this.related.a.includes(ctx.subject) || this.related.b.includes(ctx.subject)"
        " && this.related.c.includes(ctx.subject)",
        AND(OR(A, B), C),
    ),
    (
        "a && b || c is (a && b) || c",
        "p: (ctx) => this.related.a.includes(ctx.subject) && this.related.b.includes(ctx.subject)"
        " || this.related.c.includes(ctx.subject)",
        OR(AND(A, B), C),
    ),
    (
        "parentheses: a || (b && c)",
        "p: (ctx) => this.related.a.includes(ctx.subject) || (this.related.b.includes(ctx.subject)"
        " && this.related.c.includes(ctx.subject))",
        OR(A, AND(B, C)),
    ),
    (
        "parentheses first: (a || b) && (c || d)",
        "p: (ctx) => (this.related.a.includes(ctx.subject) || this.related.b.includes(ctx.subject))"
        " && (this.related.c.includes(ctx.subject) || this.related.d.includes(ctx.subject))",
        AND(OR(A, B), OR(C, D)),
    ),
    (
        "nested groups of one operator are flattened",
        "p: (ctx) => (this.related.a.includes(ctx.subject) || (this.related.b.includes(ctx.subject)"
        " || this.related.c.includes(ctx.subject))) || this.related.d.includes(ctx.subject)",
        OR(A, B, C, D),
    ),
    ("redundant parentheses vanish", "p: (ctx) => ((this.related.a.includes(ctx.subject)))", OR(A)),
    (
        "not of a group",
        "p: (ctx) => !(this.related.a.includes(ctx.subject) || this.related.b.includes(ctx.subject))",
        OR(NOT(OR(A, B))),
    ),
    (
        "not binds to the next term only",
        "p: (ctx) => !this.related.a.includes(ctx.subject) && this.related.b.includes(ctx.subject)",
        AND(NOT(A), B),
    ),
    (
        "property access with quoted names",
        """p: (ctx) => this.related["a"].includes(ctx.subject) || this.permits['q'](ctx)"""
        """ || this.related["parents"].traverse((x) => x.permits["p"](ctx)),"""
        """ q: (ctx) => this.related.b.includes(ctx.subject)""",
        OR(A, includes("q"), traverse("parents", "p")),
    ),
    (
        "comments anywhere",
        "p: (ctx) => /* owners */ this.related.a.includes(ctx.subject) // first\n"
        "      || /* then,\n  over lines */ this.related.b.includes(ctx.subject), // done",
        OR(A, B),
    ),
    ("trailing comma", "p: (ctx) => this.related.a.includes(ctx.subject),", OR(A)),
]


@pytest.mark.parametrize(("permits", "expected"), [c[1:] for c in VALID_PERMITS], ids=[c[0] for c in VALID_PERMITS])
def test_valid_permits_parse_to_the_expected_rewrite(permits: str, expected: Rewrite) -> None:
    relation = parse(doc(permits)).relation("Doc", "p")
    assert relation is not None
    assert relation.rewrite == expected


USER, TEAM_MEMBERS = RelationType("User"), RelationType("Team", "members")

VALID_RELATED = [
    # id, related block, expected relations of Doc
    ("T[]", "related: { r: User[] }", {"r": (USER,)}),
    ("Array<T>", "related: { r: Array<User> }", {"r": (USER,)}),
    ("(A | SubjectSet<B, r>)[]", 'related: { r: (User | SubjectSet<Team, "members">)[] }', {"r": (USER, TEAM_MEMBERS)}),
    (
        "Array<A | SubjectSet<B, r>>",
        'related: { r: Array<User | SubjectSet<Team, "members">> }',
        {"r": (USER, TEAM_MEMBERS)},
    ),
    ("SubjectSet with single quotes", "related: { r: (SubjectSet<Team, 'members'>)[] }", {"r": (TEAM_MEMBERS,)}),
    (
        "separators, quoted names, comments",
        'related: {\n    a: User[], // the first\n    "b-c": Team[];\n    /* d */ d: Doc[]\n  }',
        {"a": (USER,), "b-c": (RelationType("Team"),), "d": (RelationType("Doc"),)},
    ),
]


@pytest.mark.parametrize(("related", "expected"), [c[1:] for c in VALID_RELATED], ids=[c[0] for c in VALID_RELATED])
def test_relation_types_parse(related: str, expected: dict[str, tuple[RelationType, ...]]) -> None:
    source = PRELUDE + f"class Doc implements Namespace {{\n  {related}\n}}\n"
    namespace = parse(source).namespaces["Doc"]
    assert namespace.relations == {name: Relation(name, types) for name, types in expected.items()}


def test_export_semicolons_and_an_empty_file_are_fine() -> None:
    model = parse(
        "export class User implements Namespace {};\n"
        "export class Doc implements Namespace {\n"
        "  related: { a: User[] };\n"
        "  permits = { view: (ctx) => this.related.a.includes(ctx.subject) };\n"
        "}\n"
    )
    assert set(model.namespaces) == {"User", "Doc"}
    assert parse("// nothing here\n").namespaces == {}


def test_the_model_answers_none_for_an_unknown_namespace_or_an_empty_relation() -> None:
    model = parse(doc("p: (ctx) => this.related.a.includes(ctx.subject)"))
    assert model.relation("Nowhere", "p") is None
    assert model.relation("Doc", "") is None
    with pytest.raises(LookupError):
        model.relation("Doc", "nope")


# --------------------------------------------------------------------------------------------------------------------
# Invalid snippets: where the error points, what it says, and what the caret underlines.


def deep(levels: int) -> str:
    """A permit whose single term sits inside ``levels`` parentheses."""
    return "p: (ctx) => " + "(" * levels + "this.related.a.includes(ctx.subject)" + ")" * levels


INVALID = [
    # id, source, "line:column", message, text the caret is under
    (
        "undeclared namespace in a relation type",
        PRELUDE + "class Doc implements Namespace {\n  related: { r: Group[] }\n}\n",
        "9:17",
        "namespace 'Group' was not declared",
        "Group",
    ),
    (
        "undeclared namespace in a type union",
        PRELUDE + "class Doc implements Namespace {\n  related: { r: Array<User | Group> }\n}\n",
        "9:30",
        "namespace 'Group' was not declared",
        "Group",
    ),
    (
        "SubjectSet of a relation the namespace lacks",
        PRELUDE + 'class Doc implements Namespace {\n  related: { r: (User | SubjectSet<Team, "owners">)[] }\n}\n',
        "9:42",
        "namespace 'Team' did not declare relation 'owners'",
        '"owners"',
    ),
    (
        "undeclared relation",
        doc("p: (ctx) => this.related.nope.includes(ctx.subject)"),
        "11:30",
        "namespace 'Doc' did not declare relation 'nope'",
        "nope",
    ),
    (
        "permit referencing a missing permit",
        doc("p: (ctx) => this.permits.missing(ctx)"),
        "11:30",
        "namespace 'Doc' did not declare relation 'missing'",
        "missing",
    ),
    (
        "traverse through an undeclared relation",
        doc("p: (ctx) => this.related.folders.traverse((f) => f.permits.p(ctx))"),
        "11:30",
        "namespace 'Doc' did not declare relation 'folders'",
        "folders",
    ),
    (
        "traverse to a permit the target namespace lacks",
        doc("p: (ctx) => this.related.teams.traverse((t) => t.permits.view(ctx))"),
        "11:62",
        "relation 'view' was not declared in namespace 'Team'",
        "view",
    ),
    (
        "traverse to a relation the target namespace lacks",
        doc("p: (ctx) => this.related.teams.traverse((t) => t.related.owners.includes(ctx.subject))"),
        "11:62",
        "relation 'owners' was not declared in namespace 'Team'",
        "owners",
    ),
    (
        "an unknown character",
        doc("p: (ctx) => this.related.a.includes(ctx.subject) # this.related.b.includes(ctx.subject)"),
        "11:54",
        "unexpected '#'",
        "#",
    ),
    (
        "two terms without an operator",
        doc("p: (ctx) => this.related.a.includes(ctx.subject) this.related.b.includes(ctx.subject)"),
        "11:54",
        "did not expect another expression",
        "this",
    ),
    (
        "an operator first",
        doc("p: (ctx) => && this.related.a.includes(ctx.subject)"),
        "11:17",
        "expected an expression before '&&'",
        "&&",
    ),
    (
        "a method Keto does not have",
        doc("p: (ctx) => this.related.a.contains(ctx.subject)"),
        "11:32",
        "expected 'includes' or 'traverse', got 'contains'",
        "contains",
    ),
    (
        "traverse calling another variable",
        doc("p: (ctx) => this.related.parents.traverse((x) => y.permits.p(ctx))"),
        "11:54",
        "expected 'x', got 'y'",
        "y",
    ),
    (
        "an empty permit",
        doc("p: (ctx) => ,"),
        "11:17",
        "expected an expression",
        ",",
    ),
    (
        "a class that is not a Namespace",
        PRELUDE + "class Doc implements Thing {}\n",
        "8:22",
        "expected 'Namespace', got 'Thing'",
        "Thing",
    ),
    (
        "a namespace declared twice",
        PRELUDE + "class Team implements Namespace {}\n",
        "8:7",
        "namespace 'Team' is declared twice",
        "Team",
    ),
    (
        f"nesting deeper than {MAX_EXPRESSION_NESTING}: ten parentheses",
        doc(deep(MAX_EXPRESSION_NESTING)),
        "11:27",  # the token after the tenth "(" is where the eleventh level would start
        f"expression nested too deeply; at most {MAX_EXPRESSION_NESTING} levels",
        "this",
    ),
    (
        "nesting deeper than 10: each ! counts as a level",
        doc("p: (ctx) => !(!(!(!((!this.related.a.includes(ctx.subject))))))"),
        "11:27",
        f"expression nested too deeply; at most {MAX_EXPRESSION_NESTING} levels",
        "this",
    ),
    (
        "the file ends after an operator",
        PRELUDE + "class Doc implements Namespace {\n  related: { a: User[] }\n"
        "  permits = { p: (ctx) => this.related.a.includes(ctx.subject) ||",
        "10:66",
        "the file ends inside an expression",
        "",
    ),
    (
        "the file ends inside parentheses",
        PRELUDE + "class Doc implements Namespace {\n  related: { a: User[] }\n"
        "  permits = { p: (ctx) => (this.related.a.includes(ctx.subject) &&\n",
        "11:1",
        "the file ends inside an expression",
        "",
    ),
    (
        "the file ends inside a term",
        PRELUDE + "class Doc implements Namespace {\n  related: { a: User[] }\n  permits = { p: (ctx) => this.related.",
        "10:40",
        "expected a name, got 'the end of the file'",
        "",
    ),
    (
        "lines after a multi-line comment are counted",
        PRELUDE + "/* one\n   two\n*/ class Doc implements Namespace {\n  related: { r: Group[] }\n}\n",
        "11:17",
        "namespace 'Group' was not declared",
        "Group",
    ),
]


def _caret_column(problem: str) -> int:
    """The 1-based column of the source line that the underline's caret is under."""
    _, source_line, underline = problem.splitlines()
    assert source_line.startswith("  ") and underline.startswith("  ")
    return underline.index("^") - 1


@pytest.mark.parametrize(
    ("source", "location", "message", "underlined"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_invalid_snippets_name_the_line_and_column_and_underline_it(
    source: str, location: str, message: str, underlined: str
) -> None:
    with pytest.raises(OplError) as raised:
        parse(source)

    [problem] = raised.value.problems
    assert problem.startswith(f"{location}: {message}"), problem
    line, column = map(int, location.split(":"))
    _, shown_line, _ = problem.splitlines()
    lines = source.splitlines()
    expected_line = lines[line - 1] if line <= len(lines) else ""
    assert shown_line == f"  {expected_line}"
    assert _caret_column(problem) == column
    assert expected_line[column - 1 :].startswith(underlined)
    assert str(raised.value) == problem


def test_nesting_up_to_the_limit_parses() -> None:
    """Ten levels counting the permit's own: nine parentheses are fine, the tenth is one too many (Keto's rule)."""
    relation = parse(doc(deep(MAX_EXPRESSION_NESTING - 1))).relation("Doc", "p")
    assert relation is not None
    assert relation.rewrite == OR(A)


def test_an_undeclared_namespace_in_a_subject_set_is_underlined_at_the_namespace() -> None:
    source = (
        PRELUDE + 'class Doc implements Namespace {\n  related: { r: (User | SubjectSet<Group, "members">)[] }\n}\n'
    )
    with pytest.raises(OplError) as raised:
        parse(source)
    [problem] = raised.value.problems
    assert problem.startswith("9:36: namespace 'Group' was not declared"), problem
    assert _caret_column(problem) == 36


def test_every_type_error_is_reported_at_once() -> None:
    source = doc("p: (ctx) => this.related.x.includes(ctx.subject),\n    q: (ctx) => this.permits.y(ctx)")
    with pytest.raises(OplError) as raised:
        parse(source)
    assert [problem.split(": ", 1)[0] for problem in raised.value.problems] == ["11:30", "12:30"]
    assert str(raised.value).count("^") == 2


def test_load_model_prefixes_errors_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "namespaces.ts"
    path.write_text(doc("p: (ctx) => this.permits.missing(ctx)"))
    with pytest.raises(OplError) as raised:
        load_model(path)
    assert raised.value.problems[0].startswith(f"{path}:11:30: namespace 'Doc' did not declare relation 'missing'")


def test_a_malformed_model_file_is_refused_with_its_path_line_and_column(tmp_path) -> None:
    """What the app prints when it refuses to start on a broken namespaces.ts (create_permission_engine loads it)."""
    broken = tmp_path / "namespaces.ts"
    broken.write_text(
        "class User implements Namespace {}\nclass Doc implements Namespace {\n  related: { r: Usr[] }\n}\n"
    )
    with pytest.raises(OplError) as raised:
        load_model(broken)
    assert str(raised.value).startswith(f"{broken}:3:17: namespace 'Usr' was not declared")


def test_the_app_parses_the_model_when_it_is_created(monkeypatch) -> None:
    from campaign_api.app import create_app
    from campaign_api.settings import Settings

    def refuse() -> None:
        raise OplError(["namespaces.ts:1:1: broken"])

    monkeypatch.setattr("campaign_api.permissions.opl.load_model", refuse)
    with pytest.raises(OplError, match=r"namespaces\.ts:1:1"):
        create_app(Settings(database_url="sqlite+aiosqlite:///unused.sqlite3"))
