"""Which rows a viewer may read, the same on every path to a row (lists, lookups by slug or id, nested fields,
``node(id:)``).

Everyone may read published campaigns and their open and closed petitions: those are *public*, a SQL condition.
Anything else is readable only with the ``view`` permit (the organisation's people, and direct campaign grants);
for anyone else it does not exist. Lists ask SQL for the public rows plus the *candidates* (rows of the
organisations and campaigns the viewer has a relation to), and every candidate is then checked with the permit.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.orm import aliased

from campaign_api.db.models import Campaign, Petition
from campaign_api.domain.statuses import PUBLIC_CAMPAIGN_STATUSES, PUBLIC_PETITION_STATUSES
from campaign_api.permissions.loader import ViewerScope


def _public_campaign(campaign: type[Campaign]) -> ColumnElement[bool]:
    return campaign.status.in_(PUBLIC_CAMPAIGN_STATUSES)


def public_campaigns() -> ColumnElement[bool]:
    return _public_campaign(Campaign)


def public_petitions() -> ColumnElement[bool]:
    # Through an alias, so the rule also composes with queries that join campaigns themselves.
    campaign = aliased(Campaign)
    campaign_public = exists(select(campaign.id).where(campaign.id == Petition.campaign_id, _public_campaign(campaign)))
    return and_(Petition.status.in_(PUBLIC_PETITION_STATUSES), campaign_public)


def _campaign_in_scope(campaign: type[Campaign], scope: ViewerScope) -> ColumnElement[bool]:
    conditions = []
    if scope.organisation_ids:
        conditions.append(campaign.organisation_id.in_([int(i) for i in scope.organisation_ids if i.isdecimal()]))
    if scope.campaign_ids:
        conditions.append(campaign.id.in_([int(i) for i in scope.campaign_ids if i.isdecimal()]))
    return or_(*conditions) if conditions else false()


def candidate_campaigns(scope: ViewerScope) -> ColumnElement[bool]:
    """Public campaigns, and those the viewer may be able to read: each of the latter still needs the permit."""
    return or_(public_campaigns(), _campaign_in_scope(Campaign, scope))


def candidate_petitions(scope: ViewerScope) -> ColumnElement[bool]:
    campaign = aliased(Campaign)
    in_scope = exists(
        select(campaign.id).where(campaign.id == Petition.campaign_id, _campaign_in_scope(campaign, scope))
    )
    return or_(public_petitions(), in_scope)
