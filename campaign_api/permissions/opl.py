"""The Ory Permission Language, as much of it as Keto evaluates: a lexer, a recursive-descent parser, a type check.

It reads the subset Keto's own parser reads (``schema/parser.go``): classes that implement ``Namespace`` with
``related`` (types, unions, ``SubjectSet<NS, "rel">``) and ``permits`` built from
``this.related.R.includes(ctx.subject)``, ``this.permits.P(ctx)``, ``this.related.R.traverse((x) => ...)``,
``||``, ``&&``, ``!`` and parentheses. Like Keto, binary operators group left to right without precedence
(``a || b && c`` is ``(a || b) && c``), and nested groups of the same operator are flattened.

Errors name the line and column and underline the place, as Keto's do.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

MAX_EXPRESSION_NESTING = 10  # Keto's expressionNestingMaxDepth


class Operator(Enum):
    OR = "or"
    AND = "and"


@dataclass(frozen=True, slots=True)
class Computed:
    """``this.related.R.includes(ctx.subject)`` or ``this.permits.P(ctx)``: relation R (or P) on the same object."""

    relation: str


@dataclass(frozen=True, slots=True)
class Traverse:
    """``this.related.R.traverse((x) => x.permits.P(ctx))``: P on every object R points to."""

    relation: str
    computed: str


@dataclass(frozen=True, slots=True)
class Invert:
    child: Child


@dataclass(frozen=True, slots=True)
class Rewrite:
    operator: Operator
    children: tuple[Child, ...]


Child = Computed | Traverse | Invert | Rewrite


@dataclass(frozen=True, slots=True)
class RelationType:
    namespace: str
    relation: str = ""  # set for SubjectSet<namespace, "relation">


@dataclass(frozen=True, slots=True)
class Relation:
    name: str
    types: tuple[RelationType, ...] = ()
    rewrite: Rewrite | None = None  # set for permits


@dataclass(slots=True)
class Namespace:
    name: str
    relations: dict[str, Relation] = field(default_factory=dict)


class UnknownRelation(LookupError):
    """A relation a declared namespace does not have (Keto answers 400: the check is an error, not a denial)."""


@dataclass(slots=True)
class Model:
    namespaces: dict[str, Namespace]

    def relation(self, namespace: str, relation: str) -> Relation | None:
        """As Keto's ``ASTRelationFor``: None for an empty relation or an unknown namespace (a plain denial)."""
        if not relation or namespace not in self.namespaces:
            return None
        found = self.namespaces[namespace].relations.get(relation)
        if found is None:
            raise UnknownRelation(f"{namespace} has no relation {relation!r}")
        return found


class OplError(ValueError):
    """A namespaces file that does not parse or type-check; ``str()`` points at each problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# --- lexer -----------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<string>"[^"\n]*"|'[^'\n]*')
  | (?P<identifier>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<symbol>=>|\|\||&&|[{}()\[\]<>:;,.=|!?])
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # identifier, string, symbol, end
    text: str
    line: int
    column: int

    @property
    def value(self) -> str:
        return self.text[1:-1] if self.kind == "string" else self.text


def tokenize(source: str) -> Iterator[Token]:
    position, line, line_start = 0, 1, 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            raise OplError([_locate(source, line, position - line_start + 1, f"unexpected {source[position]!r}")])
        kind, text = match.lastgroup or "", match.group()
        if kind not in ("space", "comment"):
            yield Token(kind, text, line, position - line_start + 1)
        newlines = text.count("\n")
        if newlines:
            line += newlines
            line_start = position + text.rindex("\n") + 1
        position = match.end()
    yield Token("end", "", line, position - line_start + 1)


def _locate(source: str, line: int, column: int, message: str) -> str:
    text = source.splitlines()[line - 1] if 0 < line <= len(source.splitlines()) else ""
    return f"{line}:{column}: {message}\n  {text}\n  {' ' * (column - 1)}^"


# --- parser ----------------------------------------------------------------------------------------------------------


class _Fatal(Exception):
    pass


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = list(tokenize(source))
        self.index = 0
        self.problems: list[str] = []
        self.namespaces: dict[str, Namespace] = {}
        self.checks: list[tuple[Token, str, str | None, str | None]] = []  # deferred type checks

    # token helpers

    def peek(self) -> Token:
        return self.tokens[self.index]

    def next(self) -> Token:
        token = self.tokens[self.index]
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def fail(self, token: Token, message: str) -> _Fatal:
        self.problems.append(_locate(self.source, token.line, token.column, message))
        return _Fatal()

    def expect(self, *texts: str) -> Token:
        token = self.next()
        if token.text not in texts:
            wanted = " or ".join(repr(text) for text in texts)
            raise self.fail(token, f"expected {wanted}, got {token.text or 'the end of the file'!r}")
        return token

    def accept(self, text: str) -> bool:
        if self.peek().text == text:
            self.next()
            return True
        return False

    def identifier(self) -> Token:
        token = self.next()
        if token.kind not in ("identifier", "string"):
            raise self.fail(token, f"expected a name, got {token.text or 'the end of the file'!r}")
        return token

    # file structure

    def parse(self) -> Model:
        try:
            while self.peek().kind != "end":
                token = self.peek()
                if token.text == "import":
                    self.skip_import()
                elif token.text in ("export", "class"):
                    self.accept("export")
                    self.parse_class()
                elif token.text == ";":
                    self.next()
                else:
                    raise self.fail(token, f"expected 'class' or 'import', got {token.text!r}")
        except _Fatal:
            pass
        if not self.problems:
            self.type_check()
        if self.problems:
            raise OplError(self.problems)
        return Model(self.namespaces)

    def skip_import(self) -> None:
        self.expect("import")
        while self.peek().kind != "end" and self.peek().text != "from":
            self.next()
        self.expect("from")
        if self.next().kind != "string":
            raise self.fail(self.tokens[self.index - 1], "expected the module name after 'from'")
        self.accept(";")

    def parse_class(self) -> None:
        self.expect("class")
        name = self.identifier()
        self.expect("implements")
        self.expect("Namespace")
        self.expect("{")
        if name.value in self.namespaces:
            raise self.fail(name, f"namespace {name.value!r} is declared twice")
        namespace = self.namespaces[name.value] = Namespace(name.value)
        while not self.accept("}"):
            token = self.next()
            if token.text == "related":
                self.parse_related(namespace)
            elif token.text == "permits":
                self.parse_permits(namespace)
            elif token.text != ";":
                raise self.fail(token, f"expected 'permits' or 'related', got {token.text!r}")

    def parse_related(self, namespace: Namespace) -> None:
        self.expect(":")
        self.expect("{")
        while not self.accept("}"):
            if self.accept(";") or self.accept(","):
                continue
            name = self.identifier()
            self.expect(":")
            namespace.relations[name.value] = Relation(name.value, types=tuple(self.parse_relation_types()))

    def parse_relation_types(self) -> list[RelationType]:
        token = self.peek()
        if token.text == "Array":
            self.next()
            self.expect("<")
            return self.parse_type_union(">")
        if token.text == "(":
            self.next()
            types = self.parse_type_union(")")
        else:
            types = [self.parse_type()]
        self.expect("[")
        self.expect("]")
        return types

    def parse_type_union(self, end: str) -> list[RelationType]:
        types = [self.parse_type()]
        while not self.accept(end):
            self.expect("|")
            types.append(self.parse_type())
        return types

    def parse_type(self) -> RelationType:
        name = self.identifier()
        if name.value != "SubjectSet":
            self.checks.append((name, "namespace", name.value, None))
            return RelationType(name.value)
        self.expect("<")
        namespace = self.identifier()
        self.expect(",")
        relation = self.identifier()
        self.expect(">")
        self.checks.append((namespace, "namespace", namespace.value, None))
        self.checks.append((relation, "relation", namespace.value, relation.value))
        return RelationType(namespace.value, relation.value)

    def parse_permits(self, namespace: Namespace) -> None:
        self.expect("=")
        self.expect("{")
        while not self.accept("}"):
            if self.accept(","):
                continue
            name = self.identifier()
            self.expect(":")
            self.expect("(")
            self.expect("ctx")
            if self.accept(":"):
                self.expect("Context")
            self.expect(")")
            if self.accept(":"):
                self.expect("boolean")
            self.expect("=>")
            self.current = namespace
            rewrite = _simplify(self.parse_expressions({",", "}"}, MAX_EXPRESSION_NESTING))
            namespace.relations[name.value] = Relation(name.value, rewrite=rewrite)

    # expressions, after Keto's parsePermissionExpressions

    def parse_expressions(self, final: set[str], nesting: int) -> Rewrite:
        if nesting <= 0:
            raise self.fail(self.peek(), f"expression nested too deeply; at most {MAX_EXPRESSION_NESTING} levels")
        root: Rewrite | None = None
        expect_expression = True
        while True:
            token = self.peek()
            if token.text in final:
                if token.text != "}":
                    self.next()  # a "}" closes the permits block: leave it to parse_permits
                if root is None or expect_expression:
                    raise self.fail(token, "expected an expression")
                return root
            if token.text in ("||", "&&"):
                self.next()
                if root is None or expect_expression:
                    raise self.fail(token, f"expected an expression before {token.text!r}")
                root = Rewrite(Operator.OR if token.text == "||" else Operator.AND, (root,))
                expect_expression = True
                continue
            if not expect_expression:
                raise self.fail(token, "did not expect another expression")
            if token.text == "(":
                self.next()
                child: Child = self.parse_expressions({")"}, nesting - 1)
            elif token.text == "!":
                self.next()
                child = self.parse_not(nesting - 1)
            elif token.kind == "end":
                raise self.fail(token, "the file ends inside an expression")
            else:
                child = self.parse_term()
            root = _add_child(root, child)
            expect_expression = False

    def parse_not(self, nesting: int) -> Invert:
        if nesting <= 0:
            raise self.fail(self.peek(), f"expression nested too deeply; at most {MAX_EXPRESSION_NESTING} levels")
        if self.accept("("):
            return Invert(self.parse_expressions({")"}, nesting - 1))
        return Invert(self.parse_term())

    def property_name(self) -> Token:
        if self.accept("["):
            name = self.next()
            if name.kind != "string":
                raise self.fail(name, "expected a quoted name")
            self.expect("]")
            return name
        self.expect(".")
        return self.identifier()

    def parse_term(self) -> Child:
        self.expect("this")
        self.expect(".")
        verb = self.expect("related", "permits")
        name = self.property_name()
        self.checks.append((name, "relation", self.current.name, name.value))
        if verb.text == "permits":
            self.expect("(")
            self.expect("ctx")
            self.expect(")")
            return Computed(name.value)
        self.expect(".")
        method = self.expect("includes", "traverse")
        if method.text == "includes":
            for text in ("(", "ctx", ".", "subject", ")"):
                self.expect(text)
            return Computed(name.value)
        return self.parse_traverse(name)

    def parse_traverse(self, relation: Token) -> Traverse:
        self.expect("(")
        parenthesised = self.accept("(")
        argument = self.identifier()
        if parenthesised:
            self.expect(")")
        self.expect("=>")
        self.expect(argument.text)
        self.expect(".")
        verb = self.expect("related", "permits")
        target = self.property_name()
        if verb.text == "related":
            for text in (".", "includes", "(", "ctx", ".", "subject"):
                self.expect(text)
            self.accept(",")
            self.expect(")")
        else:
            self.expect("(")
            self.expect("ctx")
            self.expect(")")
        self.accept(",")
        self.expect(")")
        self.checks.append((target, "traverse", self.current.name, f"{relation.value}\0{target.value}"))
        return Traverse(relation.value, target.value)

    # type check, after Keto's typechecks.go

    def type_check(self) -> None:
        for token, kind, namespace, relation in self.checks:
            if kind == "namespace" and namespace not in self.namespaces:
                self.problems.append(
                    _locate(self.source, token.line, token.column, f"namespace {namespace!r} was not declared")
                )
            elif kind == "relation":
                self._check_relation(token, namespace, relation)
            elif kind == "traverse":
                assert namespace is not None and relation is not None
                via, target = relation.split("\0")
                declared = self.namespaces[namespace].relations.get(via)
                for relation_type in declared.types if declared else ():
                    other = self.namespaces.get(relation_type.namespace)
                    if other is not None and target not in other.relations:
                        message = f"relation {target!r} was not declared in namespace {relation_type.namespace!r}"
                        self.problems.append(_locate(self.source, token.line, token.column, message))

    def _check_relation(self, token: Token, namespace: str | None, relation: str | None) -> None:
        declared = self.namespaces.get(namespace or "")
        if declared is None:
            return  # the namespace's own check reports it, at the namespace
        if relation not in declared.relations:
            message = f"namespace {namespace!r} did not declare relation {relation!r}"
            self.problems.append(_locate(self.source, token.line, token.column, message))


def _add_child(root: Rewrite | None, child: Child) -> Rewrite:
    if root is None:
        return child if isinstance(child, Rewrite) else Rewrite(Operator.OR, (child,))
    return Rewrite(root.operator, (*root.children, child))


def _simplify(rewrite: Rewrite) -> Rewrite:
    """Flatten single-child groups and groups of the same operator, as Keto's simplifyExpression does."""
    children: list[Child] = []
    for child in rewrite.children:
        if isinstance(child, Rewrite):
            child = _simplify(child)
            if len(child.children) == 1 or child.operator is rewrite.operator:
                children.extend(child.children)
                continue
        elif isinstance(child, Invert) and isinstance(child.child, Rewrite):
            child = Invert(_simplify(child.child))
        children.append(child)
    return Rewrite(rewrite.operator, tuple(children))


def parse(source: str) -> Model:
    """The model a namespaces file declares; ``OplError`` says where it is wrong."""
    return _Parser(source).parse()


MODEL_FILE = Path(__file__).with_name("namespaces.ts")


def load_model(path: Path = MODEL_FILE) -> Model:
    try:
        return parse(path.read_text())
    except OplError as error:
        raise OplError([f"{path}:{problem}" for problem in error.problems]) from None
