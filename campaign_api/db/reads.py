"""Batched reads: every function answers for many keys in one SQL query, for the per-request data loaders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from campaign_api.db.models import Base

Row = TypeVar("Row", bound=Base)


@dataclass(frozen=True, slots=True)
class Page(Generic[Row]):
    """One page of a newest-first list, and whether rows follow it."""

    rows: Sequence[Row]
    has_next: bool


async def rows_by_column(
    session: AsyncSession,
    model: type[Row],
    column: InstrumentedAttribute[Any],
    keys: Sequence[Any],
    where: ColumnElement[bool] | None = None,
) -> dict[Any, Row]:
    """The rows whose ``column`` is in ``keys`` (a unique column: id or slug), keyed by that column."""
    statement = select(model).where(column.in_(set(keys)), where if where is not None else true())
    rows = (await session.scalars(statement)).all()
    return {getattr(row, column.key): row for row in rows}


async def pages_by_parent(
    session: AsyncSession,
    model: type[Row],
    parent_column: InstrumentedAttribute[int],
    parent_ids: Sequence[int],
    *,
    first: int,
    before_id: int | None,
    where: ColumnElement[bool] | None = None,
) -> dict[int, Page[Row]]:
    """A page of each parent's children, newest first, in one query (a window function numbers each parent's rows).

    ``before_id`` is the keyset cursor: only rows with a smaller id. One more row than asked for is read to learn
    whether another page follows.
    """
    conditions = [parent_column.in_(set(parent_ids))]
    if where is not None:
        conditions.append(where)
    if before_id is not None:
        conditions.append(model.id < before_id)
    position = func.row_number().over(partition_by=parent_column, order_by=model.id.desc()).label("position")
    numbered = select(model, position).where(*conditions).subquery()
    row = aliased(model, numbered)
    statement = (
        select(row).where(numbered.c.position <= first + 1).order_by(numbered.c[parent_column.key], row.id.desc())
    )
    rows_by_parent: dict[int, list[Row]] = {parent_id: [] for parent_id in parent_ids}
    for child in (await session.scalars(statement)).all():
        rows_by_parent[getattr(child, parent_column.key)].append(child)
    return {parent_id: _page(rows, first) for parent_id, rows in rows_by_parent.items()}


async def page(
    session: AsyncSession,
    model: type[Row],
    *,
    first: int,
    before_id: int | None,
    where: ColumnElement[bool] | None = None,
) -> Page[Row]:
    """A page of a whole table, newest first."""
    statement = select(model)
    if where is not None:
        statement = statement.where(where)
    if before_id is not None:
        statement = statement.where(model.id < before_id)
    rows = (await session.scalars(statement.order_by(model.id.desc()).limit(first + 1))).all()
    return _page(rows, first)


async def counts_by(
    session: AsyncSession,
    group_column: InstrumentedAttribute[int],
    keys: Sequence[int],
    *conditions: ColumnElement[bool],
    join: tuple[Any, ColumnElement[bool]] | None = None,
) -> dict[int, int]:
    """How many rows each key has, in one GROUP BY query (keys without rows are absent)."""
    statement = select(group_column, func.count()).where(group_column.in_(set(keys)), *conditions)
    if join is not None:
        statement = statement.join(*join)
    rows = (await session.execute(statement.group_by(group_column))).all()
    return {key: count for key, count in rows}


def _page(rows: Sequence[Row], first: int) -> Page[Row]:
    return Page(rows=rows[:first], has_next=len(rows) > first)
