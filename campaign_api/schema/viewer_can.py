"""``viewerCan { ... }``: every capability of the authorisation matrix as a boolean on its object, so a UI asks
once and shows the right buttons (after GitHub's ``viewerCanUpdate``). Answered by the same batched decisions as the
guarded fields; the maps below are also what list resolvers look ahead at."""

from __future__ import annotations

from typing import Any

import strawberry

from campaign_api.schema.permissions import Permit, can_now_or_later


class Permits:
    """The permits of campaign_api/permissions/namespaces.ts that the API checks."""

    ORGANISATION_VIEW_CAMPAIGNS = Permit("Organisation", "view_campaigns")
    ORGANISATION_VIEW_MEMBERS = Permit("Organisation", "view_members")
    ORGANISATION_CREATE_CAMPAIGN = Permit("Organisation", "create_campaign")
    ORGANISATION_MANAGE_CAMPAIGNS = Permit("Organisation", "manage_campaigns")
    ORGANISATION_MANAGE_MEMBERS = Permit("Organisation", "manage_members")
    ORGANISATION_MANAGE_ADMINS = Permit("Organisation", "manage_admins")
    CAMPAIGN_VIEW = Permit("Campaign", "view")
    CAMPAIGN_EDIT = Permit("Campaign", "edit")
    CAMPAIGN_PUBLISH = Permit("Campaign", "publish")
    CAMPAIGN_READ_SIGNATURES = Permit("Campaign", "read_signatures")
    CAMPAIGN_DELETE_SIGNATURES = Permit("Campaign", "delete_signatures")
    CAMPAIGN_GRANT_ROLES = Permit("Campaign", "grant_roles")
    PETITION_VIEW = Permit("Petition", "view")
    PETITION_EDIT = Permit("Petition", "edit")
    PETITION_PUBLISH = Permit("Petition", "publish")
    PETITION_READ_SIGNATURES = Permit("Petition", "read_signatures")
    PETITION_DELETE_SIGNATURES = Permit("Petition", "delete_signatures")


ORGANISATION_CAN = {
    "viewDraftCampaigns": Permits.ORGANISATION_VIEW_CAMPAIGNS,
    "viewMembers": Permits.ORGANISATION_VIEW_MEMBERS,
    "createCampaign": Permits.ORGANISATION_CREATE_CAMPAIGN,
    "manageCampaigns": Permits.ORGANISATION_MANAGE_CAMPAIGNS,
    "manageMembers": Permits.ORGANISATION_MANAGE_MEMBERS,
    "manageAdmins": Permits.ORGANISATION_MANAGE_ADMINS,
}
CAMPAIGN_CAN = {
    "viewDrafts": Permits.CAMPAIGN_VIEW,
    "edit": Permits.CAMPAIGN_EDIT,
    "publish": Permits.CAMPAIGN_PUBLISH,
    "readSignatures": Permits.CAMPAIGN_READ_SIGNATURES,
    "deleteSignatures": Permits.CAMPAIGN_DELETE_SIGNATURES,
    "grantRoles": Permits.CAMPAIGN_GRANT_ROLES,
}
PETITION_CAN = {
    "edit": Permits.PETITION_EDIT,
    "publish": Permits.PETITION_PUBLISH,
    "readSignatures": Permits.PETITION_READ_SIGNATURES,
    "deleteSignatures": Permits.PETITION_DELETE_SIGNATURES,
}


def _capability(permit: Permit, description: str) -> Any:
    def resolve(root: Any, info: strawberry.Info) -> bool:
        return can_now_or_later(info.context.permissions, permit, root.object_id)

    return strawberry.field(resolver=resolve, description=description)


@strawberry.type(description="What the viewer may do with this organisation.")
class OrganisationViewerCan:
    object_id: strawberry.Private[int]
    view_draft_campaigns: bool = _capability(
        Permits.ORGANISATION_VIEW_CAMPAIGNS, "Read its draft and archived campaigns."
    )
    view_members: bool = _capability(Permits.ORGANISATION_VIEW_MEMBERS, "See the member list.")
    create_campaign: bool = _capability(Permits.ORGANISATION_CREATE_CAMPAIGN, "Create a campaign in it.")
    manage_campaigns: bool = _capability(
        Permits.ORGANISATION_MANAGE_CAMPAIGNS, "Publish, close and archive; read signers' data; delete signatures."
    )
    manage_members: bool = _capability(
        Permits.ORGANISATION_MANAGE_MEMBERS, "Add or remove members and editors; grant direct campaign roles."
    )
    manage_admins: bool = _capability(
        Permits.ORGANISATION_MANAGE_ADMINS, "Add or remove admins and owners; rename or delete the organisation."
    )


@strawberry.type(description="What the viewer may do with this campaign.")
class CampaignViewerCan:
    object_id: strawberry.Private[int]
    view_drafts: bool = _capability(Permits.CAMPAIGN_VIEW, "Read it and its petitions in every status.")
    edit: bool = _capability(Permits.CAMPAIGN_EDIT, "Edit it; create and edit its petitions.")
    publish: bool = _capability(Permits.CAMPAIGN_PUBLISH, "Publish and archive it.")
    read_signatures: bool = _capability(Permits.CAMPAIGN_READ_SIGNATURES, "Read and export signers' personal data.")
    delete_signatures: bool = _capability(Permits.CAMPAIGN_DELETE_SIGNATURES, "Delete signatures (erasure requests).")
    grant_roles: bool = _capability(Permits.CAMPAIGN_GRANT_ROLES, "Grant direct editor and viewer roles on it.")


@strawberry.type(description="What the viewer may do with this petition.")
class PetitionViewerCan:
    object_id: strawberry.Private[int]
    edit: bool = _capability(Permits.PETITION_EDIT, "Edit it.")
    publish: bool = _capability(Permits.PETITION_PUBLISH, "Open and close it.")
    read_signatures: bool = _capability(Permits.PETITION_READ_SIGNATURES, "Read and export signers' personal data.")
    delete_signatures: bool = _capability(Permits.PETITION_DELETE_SIGNATURES, "Delete signatures (erasure requests).")
