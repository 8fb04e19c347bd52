"""Which rows a viewer may read, as SQL conditions, so every path to a row (lists, lookups by slug or id, nested
fields, ``node(id:)``) applies the same rule in the same place.

Everyone may read published campaigns and their open and closed petitions. Drafts and archived campaigns belong to
the organisation's people; for anyone else they do not exist.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import aliased

from campaign_api.db.models import Campaign, Petition
from campaign_api.domain.statuses import PUBLIC_CAMPAIGN_STATUSES, PUBLIC_PETITION_STATUSES
from campaign_api.identity import Viewer


def _campaign_is_visible(campaign: type[Campaign], viewer: Viewer) -> ColumnElement[bool]:
    return campaign.status.in_(PUBLIC_CAMPAIGN_STATUSES)


def visible_campaigns(viewer: Viewer) -> ColumnElement[bool]:
    return _campaign_is_visible(Campaign, viewer)


def visible_petitions(viewer: Viewer) -> ColumnElement[bool]:
    # Through an alias, so the rule also composes with queries that join campaigns themselves.
    campaign = aliased(Campaign)
    campaign_visible = exists(
        select(campaign.id).where(campaign.id == Petition.campaign_id, _campaign_is_visible(campaign, viewer))
    )
    return and_(Petition.status.in_(PUBLIC_PETITION_STATUSES), campaign_visible)
