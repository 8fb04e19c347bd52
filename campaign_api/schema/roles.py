"""The roles of the authorisation matrix, as GraphQL enums (their values are the relations in namespaces.ts)."""

from __future__ import annotations

from enum import StrEnum

import strawberry


@strawberry.enum(description="A role in an organisation.")
class OrganisationRole(StrEnum):
    OWNER = "owners"
    ADMIN = "admins"
    EDITOR = "editors"
    MEMBER = "members"


@strawberry.enum(description="A role granted directly on one campaign, to someone outside its organisation.")
class CampaignRole(StrEnum):
    EDITOR = "editors"
    VIEWER = "viewers"
