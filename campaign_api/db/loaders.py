"""Per-request data loaders: every row a request needs is read in as few queries as the shape of the query allows,
and only rows the viewer may read come out (``domain/visibility.py``).

Loaders are made per request (aiodataloader binds the running event loop, and a cache must never outlive the request
that filled it). Each batch reads in its own session, because batches run concurrently.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from campaign_api.db.database import Database
from campaign_api.db.models import Base, Campaign, Organisation, Petition, Signature
from campaign_api.db.reads import Page, counts_by, page, pages_by_parent, rows_by_column
from campaign_api.domain.statuses import PetitionStatus
from campaign_api.domain.visibility import candidate_campaigns, candidate_petitions, public_campaigns, public_petitions
from campaign_api.permissions.engine import PermissionServiceUnavailable, Verdict
from campaign_api.permissions.loader import PermissionLoader

Row = TypeVar("Row", bound=Base)


@dataclass(frozen=True, slots=True)
class PageKey:
    """One parent's page: the parent's id, the page size and the keyset cursor."""

    parent_id: int
    first: int
    before_id: int | None


@dataclass(frozen=True, slots=True)
class _Guard:
    """How rows of one table become visible: public in SQL, or the ``view`` permit of their namespace."""

    namespace: str
    public: Callable[[], ColumnElement[bool]]
    candidates: Callable[..., ColumnElement[bool]]


_CAMPAIGNS = _Guard("Campaign", public_campaigns, candidate_campaigns)
_PETITIONS = _Guard("Petition", public_petitions, candidate_petitions)


class Loaders:
    def __init__(self, database: Database, permissions: PermissionLoader) -> None:
        self._database = database
        self._permissions = permissions
        self.organisation_by_id = self._by_column(Organisation, Organisation.id)
        self.organisation_by_slug = self._by_column(Organisation, Organisation.slug)
        self.campaign_by_id = self._by_column(Campaign, Campaign.id, _CAMPAIGNS)
        self.campaign_by_slug = self._by_column(Campaign, Campaign.slug, _CAMPAIGNS)
        self.petition_by_id = self._by_column(Petition, Petition.id, _PETITIONS)
        self.petition_by_slug = self._by_column(Petition, Petition.slug, _PETITIONS)
        self.campaigns_of_organisation = self._pages(Campaign, Campaign.organisation_id, _CAMPAIGNS)
        self.petitions_of_campaign = self._pages(Petition, Petition.campaign_id, _PETITIONS)
        # A signature is readable when its petition is; petitions reach this loader only once they have been read.
        self.signatures_of_petition = self._pages(Signature, Signature.petition_id)
        self.draft_petitions_of_campaign = self._counts(Petition.campaign_id, Petition.status == PetitionStatus.DRAFT)
        self.contactable_signatures_of_campaign = self._counts(
            Petition.campaign_id,
            Signature.consent_to_contact.is_(True),
            join=(Signature, Signature.petition_id == Petition.id),
        )

    async def _read(self, read: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        async with self._database.session() as session:
            return await read(session)

    async def candidates(self, guard: _Guard | None) -> ColumnElement[bool] | None:
        """The SQL condition for rows that are public or that the viewer may be able to read."""
        if guard is None:
            return None
        return guard.candidates(await self._permissions.viewer_scope())

    async def readable(self, rows: Sequence[Row], guard: _Guard | None) -> list[Row]:
        """The rows the viewer may read: public ones, and the others whose ``view`` permit is allowed (one engine
        call for all of them)."""
        if guard is None or not rows:
            return list(rows)
        scope = await self._permissions.viewer_scope()
        if not (scope.organisation_ids or scope.campaign_ids):
            return list(rows)  # the candidates were the public rows only
        public_ids = await self._read(
            lambda session: rows_by_column(
                session, type(rows[0]), type(rows[0]).id, [r.id for r in rows], guard.public()
            )
        )
        verdicts = await self._view_verdicts([row for row in rows if row.id not in public_ids], guard)
        return [row for row in rows if row.id in public_ids or verdicts.get(row.id) is Verdict.ALLOWED]

    async def _view_verdicts(self, rows: Sequence[Row], guard: _Guard) -> dict[int, Verdict]:
        checks = {row.id: self._permissions.tuple_for(guard.namespace, row.id, "view") for row in rows}
        await self._permissions.decide(checks.values())
        verdicts = [
            self._permissions.peek(check) or await self._permissions.verdict(check) for check in checks.values()
        ]
        return dict(zip(checks, verdicts, strict=True))

    def _unavailable_or_none(self, row: Row | None, guard: _Guard | None) -> Exception | None:
        """A row that exists but whose permit the engine could not decide: say so, rather than "not found"."""
        if row is None or guard is None:
            return None
        check = self._permissions.tuple_for(guard.namespace, row.id, "view")
        if self._permissions.peek(check) is Verdict.UNAVAILABLE:
            return PermissionServiceUnavailable()
        return None

    def _by_column(
        self, model: type[Row], column: InstrumentedAttribute[Any], guard: _Guard | None = None
    ) -> DataLoader[Any, Row | None]:
        async def load(keys: Sequence[Any]) -> list[Row | Exception | None]:
            where = await self.candidates(guard)
            found = await self._read(lambda session: rows_by_column(session, model, column, keys, where))
            visible = {getattr(row, column.key): row for row in await self.readable(list(found.values()), guard)}
            return [visible.get(key) or self._unavailable_or_none(found.get(key), guard) for key in keys]

        return DataLoader(load)

    def _counts(
        self,
        group_column: InstrumentedAttribute[int],
        *conditions: ColumnElement[bool],
        join: tuple[Any, ColumnElement[bool]] | None = None,
    ) -> DataLoader[int, int]:
        async def load(keys: Sequence[int]) -> list[int]:
            found = await self._read(lambda session: counts_by(session, group_column, keys, *conditions, join=join))
            return [found.get(key, 0) for key in keys]

        return DataLoader(load)

    def _pages(
        self, model: type[Row], parent_column: InstrumentedAttribute[int], guard: _Guard | None = None
    ) -> DataLoader[PageKey, Page[Row]]:
        async def load(keys: Sequence[PageKey]) -> list[Page[Row]]:
            where = await self.candidates(guard)
            # Siblings asked with the same page size and cursor (the usual case) share one query.
            pages: dict[PageKey, Page[Row]] = {}
            same_window = sorted(set(keys), key=lambda key: (key.first, key.before_id or 0))
            for (first, before_id), group in groupby(same_window, key=lambda key: (key.first, key.before_id)):
                parent_ids = [key.parent_id for key in group]
                found: dict[int, Page[Row]] = await self._read(
                    lambda session, parent_ids=parent_ids, first=first, before_id=before_id: pages_by_parent(
                        session, model, parent_column, parent_ids, first=first, before_id=before_id, where=where
                    )
                )
                pages.update({PageKey(parent_id, first, before_id): page for parent_id, page in found.items()})
            await self._keep_readable(pages, guard)
            return [pages[key] for key in keys]

        return DataLoader(load)

    async def _keep_readable(self, pages: dict[PageKey, Page[Row]], guard: _Guard | None) -> None:
        every_row = [row for found in pages.values() for row in found.rows]
        readable = {id(row) for row in await self.readable(every_row, guard)}
        for key, found in pages.items():
            pages[key] = Page([row for row in found.rows if id(row) in readable], found.has_next)

    async def page_of_all(self, model: type[Row], guard: _Guard, *, first: int, before_id: int | None) -> Page[Row]:
        where = await self.candidates(guard)
        found = await self._read(lambda session: page(session, model, first=first, before_id=before_id, where=where))
        return Page(await self.readable(found.rows, guard), found.has_next)


CAMPAIGNS = _CAMPAIGNS
PETITIONS = _PETITIONS
