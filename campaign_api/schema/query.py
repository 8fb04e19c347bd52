"""The root query: entry points to the public domain. Each applies the same visibility as the nested fields."""

from __future__ import annotations

from typing import Any

import strawberry
from aiodataloader import DataLoader
from strawberry import relay

from campaign_api.db import models
from campaign_api.db.loaders import CAMPAIGNS, PageKey
from campaign_api.db.models import MAX_ROW_ID
from campaign_api.db.reads import Page
from campaign_api.domain.slugs import is_slug
from campaign_api.errors import BadUserInput
from campaign_api.schema.pagination import connection, page_window
from campaign_api.schema.types import NODE_TYPES, Campaign, Info, Organisation, Petition, ViewerType


def parse_global_id(global_id: str, field: str = "id") -> relay.GlobalID:
    try:
        return relay.GlobalID.from_id(global_id)
    except Exception as exc:  # strawberry raises several types for malformed ids
        raise BadUserInput("Not a valid id; use an `id` this API returned.", field=field) from exc


def row_id_of(global_id: relay.GlobalID, type_name: str) -> int | None:
    """The row id inside ``global_id`` when it names a ``type_name``; None when it cannot name one."""
    if global_id.type_name != type_name or not global_id.node_id.isdecimal() or not global_id.node_id.isascii():
        return None
    row_id = int(global_id.node_id)
    return row_id if 1 <= row_id <= MAX_ROW_ID else None


async def _by_slug(loader: DataLoader[str, Any], slug: str) -> Any:
    """The row ``slug`` names, if any; text that cannot be a slug never reaches the database."""
    return await loader.load(slug) if is_slug(slug) else None


@strawberry.type
class Query:
    @strawberry.field(description="Who is asking; null for an anonymous request.")
    def viewer(self, info: Info) -> ViewerType | None:
        viewer = info.context.viewer
        return None if viewer.is_anonymous else ViewerType.from_viewer(viewer)

    @strawberry.field(description="Any organisation, campaign or petition by its global id; null when not readable.")
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        global_id = parse_global_id(id)
        node_type = NODE_TYPES.get(global_id.type_name)
        row_id = row_id_of(global_id, global_id.type_name)
        if node_type is None or row_id is None:
            return None
        return await node_type.load(info, row_id)

    @strawberry.field
    async def organisation(self, info: Info, slug: str) -> Organisation | None:
        row = await _by_slug(info.context.loaders.organisation_by_slug, slug)
        return Organisation.from_row(row) if row is not None else None

    @strawberry.field(description="A campaign by slug; null when it does not exist or the viewer may not read it.")
    async def campaign(self, info: Info, slug: str) -> Campaign | None:
        row = await _by_slug(info.context.loaders.campaign_by_slug, slug)
        return Campaign.from_row(row) if row is not None else None

    @strawberry.field(description="A petition by slug; null when it does not exist or the viewer may not read it.")
    async def petition(self, info: Info, slug: str) -> Petition | None:
        row = await _by_slug(info.context.loaders.petition_by_slug, slug)
        return Petition.from_row(row) if row is not None else None

    @strawberry.field(description="Campaigns the viewer may read, newest first, optionally of one organisation.")
    async def campaigns(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        organisation_slug: str | None = None,
    ) -> relay.Connection[Campaign]:
        size, before_id = page_window(info.context.settings, first, after)
        if organisation_slug is None:
            result = await info.context.loaders.page_of_all(models.Campaign, CAMPAIGNS, first=size, before_id=before_id)
            await Campaign.decide_ahead(info, result.rows)
            return connection(result, Campaign.from_row, after=after)
        organisation = await _by_slug(info.context.loaders.organisation_by_slug, organisation_slug)
        if organisation is None:
            return connection(Page(rows=[], has_next=False), Campaign.from_row, after=after)
        result = await info.context.loaders.campaigns_of_organisation.load(PageKey(organisation.id, size, before_id))
        await Campaign.decide_ahead(info, result.rows)
        return connection(result, Campaign.from_row, after=after)
