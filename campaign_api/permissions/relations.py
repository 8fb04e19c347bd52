"""The tuples the domain writes: where each row sits in the model, and who holds which role.

Every campaign points to its organisation and every petition to its campaign, so permits can traverse from a
petition up to the organisation's roles; these are written with the rows.
"""

from __future__ import annotations

from enum import StrEnum

from campaign_api.permissions.tuples import RelationTuple, SubjectSet, user


class OrganisationRole(StrEnum):
    OWNER = "owners"
    ADMIN = "admins"
    EDITOR = "editors"
    MEMBER = "members"


class CampaignRole(StrEnum):
    EDITOR = "editors"
    VIEWER = "viewers"


def campaign_in_organisation(campaign_id: int, organisation_id: int) -> RelationTuple:
    return RelationTuple("Campaign", str(campaign_id), "organisation", SubjectSet("Organisation", str(organisation_id)))


def petition_in_campaign(petition_id: int, campaign_id: int) -> RelationTuple:
    return RelationTuple("Petition", str(petition_id), "campaign", SubjectSet("Campaign", str(campaign_id)))


def organisation_role(organisation_id: int, role: OrganisationRole, identity_id: str) -> RelationTuple:
    return RelationTuple("Organisation", str(organisation_id), role.value, user(identity_id))


def campaign_role(campaign_id: int, role: CampaignRole, identity_id: str) -> RelationTuple:
    return RelationTuple("Campaign", str(campaign_id), role.value, user(identity_id))
