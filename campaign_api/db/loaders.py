"""Per-request data loaders: every row a request needs is read in as few queries as the shape of the query allows.

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
from campaign_api.db.reads import Page, pages_by_parent, rows_by_column
from campaign_api.domain.visibility import visible_campaigns, visible_petitions
from campaign_api.identity import Viewer

Row = TypeVar("Row", bound=Base)


@dataclass(frozen=True, slots=True)
class PageKey:
    """One parent's page: the parent's id, the page size and the keyset cursor."""

    parent_id: int
    first: int
    before_id: int | None


class Loaders:
    def __init__(self, database: Database, viewer: Viewer) -> None:
        self._database = database
        campaign_filter, petition_filter = visible_campaigns(viewer), visible_petitions(viewer)
        self.organisation_by_id = self._by_column(Organisation, Organisation.id)
        self.organisation_by_slug = self._by_column(Organisation, Organisation.slug)
        self.campaign_by_id = self._by_column(Campaign, Campaign.id, campaign_filter)
        self.campaign_by_slug = self._by_column(Campaign, Campaign.slug, campaign_filter)
        self.petition_by_id = self._by_column(Petition, Petition.id, petition_filter)
        self.petition_by_slug = self._by_column(Petition, Petition.slug, petition_filter)
        self.campaigns_of_organisation = self._pages(Campaign, Campaign.organisation_id, campaign_filter)
        self.petitions_of_campaign = self._pages(Petition, Petition.campaign_id, petition_filter)
        # A signature is readable when its petition is; petitions reach this loader only once they have been read.
        self.signatures_of_petition = self._pages(Signature, Signature.petition_id)

    async def _read(self, read: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        async with self._database.session() as session:
            return await read(session)

    def _by_column(
        self, model: type[Row], column: InstrumentedAttribute[Any], where: ColumnElement[bool] | None = None
    ) -> DataLoader[Any, Row | None]:
        async def load(keys: Sequence[Any]) -> list[Row | None]:
            found = await self._read(lambda session: rows_by_column(session, model, column, keys, where))
            return [found.get(key) for key in keys]

        return DataLoader(load)

    def _pages(
        self, model: type[Row], parent_column: InstrumentedAttribute[int], where: ColumnElement[bool] | None = None
    ) -> DataLoader[PageKey, Page[Row]]:
        async def load(keys: Sequence[PageKey]) -> list[Page[Row]]:
            # Siblings asked with the same page size and cursor (the usual case) share one query.
            pages: dict[PageKey, Page[Row]] = {}
            same_window = sorted(set(keys), key=lambda key: (key.first, key.before_id or 0))
            for (first, before_id), group in groupby(same_window, key=lambda key: (key.first, key.before_id)):
                parent_ids = [key.parent_id for key in group]
                found = await self._read(
                    lambda session, parent_ids=parent_ids, first=first, before_id=before_id: pages_by_parent(
                        session, model, parent_column, parent_ids, first=first, before_id=before_id, where=where
                    )
                )
                pages.update({PageKey(parent_id, first, before_id): page for parent_id, page in found.items()})
            return [pages[key] for key in keys]

        return DataLoader(load)
