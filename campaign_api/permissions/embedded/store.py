"""Relation tuples in the application database, and the two batched reads the evaluator needs.

Every read takes many keys and answers them in one SQL query, so the number of queries a batch of checks costs is
bounded by the depth of the model, not by the number of checks.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import and_, delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from campaign_api.db.database import Database
from campaign_api.db.models import RelationTupleRow
from campaign_api.permissions.engine import TuplePage
from campaign_api.permissions.tuples import RelationTuple, Subject, SubjectSet, TupleQuery

_KEYS_PER_QUERY = 500  # keeps every statement well under SQLite's and asyncpg's parameter limits

Row = RelationTupleRow


def subject_columns(subject: Subject) -> tuple[str, str, str]:
    if isinstance(subject, SubjectSet):
        return subject.namespace, subject.object, subject.relation
    return "", subject, ""


def _subject_of(row: Row) -> Subject:
    if row.subject_namespace:
        return SubjectSet(row.subject_namespace, row.subject_object, row.subject_relation)
    return row.subject_object


def _tuple_of(row: Row) -> RelationTuple:
    return RelationTuple(row.namespace, row.object, row.relation, _subject_of(row))


def _chunks(keys: Sequence, size: int = _KEYS_PER_QUERY) -> Iterable[Sequence]:
    for start in range(0, len(keys), size):
        yield keys[start : start + size]


class TupleStore:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.queries = 0  # SQL statements issued, for the counting tests and metrics

    # reads for the evaluator

    async def relations_between(self, keys: Sequence[tuple[str, str, Subject]]) -> list[frozenset[str]]:
        """For each (namespace, object, subject): the relations stored between them."""
        found: dict[tuple[str, str, str, str, str], set[str]] = defaultdict(set)
        wanted = [(namespace, object_, *subject_columns(subject)) for namespace, object_, subject in keys]
        columns = tuple_(Row.namespace, Row.object, Row.subject_namespace, Row.subject_object, Row.subject_relation)
        async with self.database.session() as session:
            for chunk in _chunks(sorted(set(wanted))):
                self.queries += 1
                statement = select(*columns.clauses, Row.relation).where(columns.in_(chunk))
                for *key, relation in (await session.execute(statement)).all():
                    found[tuple(key)].add(relation)
        return [frozenset(found.get(key, ())) for key in wanted]

    async def subject_sets(self, keys: Sequence[tuple[str, str, str]]) -> list[list[SubjectSet]]:
        """For each (namespace, object, relation): the subject sets stored under it, in insertion order."""
        found: dict[tuple[str, str, str], list[SubjectSet]] = defaultdict(list)
        columns = tuple_(Row.namespace, Row.object, Row.relation)
        async with self.database.session() as session:
            for chunk in _chunks(sorted(set(keys))):
                self.queries += 1
                statement = (
                    select(
                        Row.namespace,
                        Row.object,
                        Row.relation,
                        Row.subject_namespace,
                        Row.subject_object,
                        Row.subject_relation,
                    )
                    .where(columns.in_(chunk), Row.subject_namespace != "")
                    .order_by(Row.id)
                )
                for namespace, object_, relation, *subject in (await session.execute(statement)).all():
                    found[(namespace, object_, relation)].append(SubjectSet(*subject))
        return [found.get(tuple(key), []) for key in keys]

    # writes

    async def write(
        self, session: AsyncSession, *, insert: Sequence[RelationTuple] = (), delete: Sequence[RelationTuple] = ()
    ) -> None:
        await write_tuples(session, insert=insert, delete=delete)

    async def delete_matching(self, session: AsyncSession, query: TupleQuery) -> None:
        await session.execute(_delete_statement(query))

    async def list(self, query: TupleQuery, *, page_size: int, page_token: str) -> TuplePage:
        after_id = _decode_page_token(page_token)
        statement = select(Row).where(*_conditions(query), Row.id > after_id).order_by(Row.id).limit(page_size + 1)
        async with self.database.session() as session:
            rows = (await session.scalars(statement)).all()
        page, more = rows[:page_size], len(rows) > page_size
        next_token = _encode_page_token(page[-1].id) if more and page else ""
        return TuplePage([_tuple_of(row) for row in page], next_token)


async def write_tuples(
    session: AsyncSession, *, insert: Sequence[RelationTuple] = (), delete: Sequence[RelationTuple] = ()
) -> None:
    """Inside the caller's transaction, so tuples are written with the rows they protect."""
    for tuple_to_delete in delete:
        await session.execute(_delete_statement(TupleQuery(*_fields(tuple_to_delete))))
    if insert:
        values = [_row_values(t) for t in dict.fromkeys(insert)]
        dialect_insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[session.bind.dialect.name]
        await session.execute(dialect_insert(Row).values(values).on_conflict_do_nothing())


def _row_values(t: RelationTuple) -> dict[str, str]:
    subject_namespace, subject_object, subject_relation = subject_columns(t.subject)
    return {
        "namespace": t.namespace,
        "object": t.object,
        "relation": t.relation,
        "subject_namespace": subject_namespace,
        "subject_object": subject_object,
        "subject_relation": subject_relation,
    }


def _fields(t: RelationTuple) -> tuple[str, str, str, Subject]:
    return t.namespace, t.object, t.relation, t.subject


def _conditions(query: TupleQuery) -> list:
    conditions = [
        column == value
        for column, value in (
            (Row.namespace, query.namespace),
            (Row.object, query.object),
            (Row.relation, query.relation),
        )
        if value is not None
    ]
    if query.subject is not None:
        namespace, object_, relation = subject_columns(query.subject)
        conditions.append(
            and_(Row.subject_namespace == namespace, Row.subject_object == object_, Row.subject_relation == relation)
        )
    return conditions


def _delete_statement(query: TupleQuery):
    return delete(Row).where(*_conditions(query))


def _encode_page_token(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"tuples:{last_id}".encode()).decode()


def _decode_page_token(token: str) -> int:
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
        return int(text.removeprefix("tuples:")) if text.startswith("tuples:") else 0
    except (ValueError, UnicodeError):
        raise ValueError("not a page token this engine issued") from None
