"""Mutations of the organisation's people: organisations, members, campaigns, petitions, erasure.

Each one finds its object as the viewer sees it (an object the viewer may not read is ``NOT_FOUND``), then requires
the permit the authorisation matrix gives the action (``FORBIDDEN`` otherwise), then writes the rows with their
permission tuples (``domain/tuple_writes.py``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from campaign_api.db import models
from campaign_api.domain.emails import normalise_email
from campaign_api.domain.slugs import is_slug
from campaign_api.domain.statuses import CampaignStatus as CampaignStatusValue
from campaign_api.domain.statuses import PetitionStatus as PetitionStatusValue
from campaign_api.domain.tuple_writes import write_rows_and_tuples
from campaign_api.errors import Unauthenticated
from campaign_api.permissions.relations import (
    CampaignRole as CampaignRoleValue,
)
from campaign_api.permissions.relations import (
    OrganisationRole as OrganisationRoleValue,
)
from campaign_api.permissions.relations import (
    campaign_in_organisation,
    campaign_role,
    organisation_role,
    petition_in_campaign,
)
from campaign_api.permissions.tuples import TupleQuery, user
from campaign_api.schema.mutation import UserError, UserErrorCode
from campaign_api.schema.permissions import Can
from campaign_api.schema.query import parse_global_id, row_id_of
from campaign_api.schema.roles import CampaignRole, OrganisationRole
from campaign_api.schema.types import Campaign, CampaignStatus, Info, Organisation, Petition, PetitionStatus
from campaign_api.schema.viewer_can import Permits

# Members and editors are managed by admins and owners; admins and owners only by owners.
_MANAGE_ROLE = {
    OrganisationRole.MEMBER: Can(Permits.ORGANISATION_MANAGE_MEMBERS),
    OrganisationRole.EDITOR: Can(Permits.ORGANISATION_MANAGE_MEMBERS),
    OrganisationRole.ADMIN: Can(Permits.ORGANISATION_MANAGE_ADMINS),
    OrganisationRole.OWNER: Can(Permits.ORGANISATION_MANAGE_ADMINS),
}
CAN_CREATE_CAMPAIGN = Can(Permits.ORGANISATION_CREATE_CAMPAIGN)
CAN_EDIT_CAMPAIGN = Can(Permits.CAMPAIGN_EDIT)
CAN_PUBLISH_CAMPAIGN = Can(Permits.CAMPAIGN_PUBLISH)
CAN_GRANT_CAMPAIGN_ROLES = Can(Permits.CAMPAIGN_GRANT_ROLES)
CAN_PUBLISH_PETITION = Can(Permits.PETITION_PUBLISH)
CAN_DELETE_SIGNATURES = Can(Permits.PETITION_DELETE_SIGNATURES)


@strawberry.type
class OrganisationPayload:
    organisation: Organisation | None
    user_errors: list[UserError]


@strawberry.type
class CampaignPayload:
    campaign: Campaign | None
    user_errors: list[UserError]


@strawberry.type
class PetitionPayload:
    petition: Petition | None
    user_errors: list[UserError]


def _problem(field: str, code: UserErrorCode, message: str) -> list[UserError]:
    return [UserError(field=field, message=message, code=code)]


def _payload(payload: type, node: Any, user_errors: list[UserError]) -> Any:
    """``payload`` (OrganisationPayload, CampaignPayload, ...) with its object, whatever the object's field is named."""
    node_field = dataclasses.fields(payload)[0].name
    return payload(**{node_field: node, "user_errors": user_errors})


def _not_found(payload: type, field: str) -> Any:
    # The same answer for an object that does not exist and one the viewer may not read.
    return _payload(
        payload, None, _problem(field, UserErrorCode.NOT_FOUND, "It does not exist, or you may not see it.")
    )


def _text_problems(field: str, value: str, max_length: int) -> list[UserError]:
    if not value.strip():
        return _problem(field, UserErrorCode.REQUIRED, "This cannot be empty.")
    if len(value) > max_length:
        return _problem(field, UserErrorCode.TOO_LONG, f"Use at most {max_length} characters.")
    return []


def _slug_problems(slug: str) -> list[UserError]:
    if not is_slug(slug):
        return _problem("slug", UserErrorCode.INVALID, "Use lower-case letters, digits and hyphens (at most 64).")
    return []


def _require_viewer(info: Info) -> str:
    viewer = info.context.viewer
    if viewer.is_anonymous:
        raise Unauthenticated("Sign in to do this.")
    return str(viewer.identity_id)


async def _find(info: Info, node_type: type, global_id: str, field: str) -> Any:
    """The row behind ``global_id`` as the viewer sees it (None when it does not exist for them)."""
    row_id = row_id_of(parse_global_id(global_id, field=field), node_type.__name__)
    if row_id is None:
        return None
    return await node_type._loader(info).load(row_id)


async def _target(info: Info, node_type: type, global_id: str, field: str, permission: Can) -> Any:
    """The object a mutation acts on, as the viewer sees it, once the viewer is known to hold the permit (FORBIDDEN
    otherwise); None when it does not exist for the viewer."""
    _require_viewer(info)
    row = await _find(info, node_type, global_id, field)
    if row is not None:
        await permission.require(info, row.id)
    return row


async def _create(info: Info, payload: type, node_type: Any, write_rows: Any) -> Any:
    """Write a new row with its tuples; a slug someone else has is a ``TAKEN`` user error."""
    try:
        row = await _write(info, write_rows, _delete_row)
    except IntegrityError:
        return _payload(payload, None, _problem("slug", UserErrorCode.TAKEN, "This slug is taken; choose another."))
    return _payload(payload, node_type.from_row(row), [])


async def _write(info: Info, write_rows: Any, compensate: Any = None) -> Any:
    services = info.context.services
    return await write_rows_and_tuples(services.database, services.permission_engine, write_rows, compensate)


async def _delete_row(session: AsyncSession, row: Any) -> None:
    await session.execute(delete(type(row)).where(type(row).id == row.id))


@strawberry.input
class CreateOrganisationInput:
    name: str
    slug: str


@strawberry.input
class SetOrganisationRoleInput:
    organisation_id: strawberry.ID
    identity_id: strawberry.ID = strawberry.field(description="The person's identity id (Kratos's identity id).")
    role: OrganisationRole | None = strawberry.field(description="The new role; null removes the person.")


@strawberry.input
class SetCampaignRoleInput:
    campaign_id: strawberry.ID
    identity_id: strawberry.ID
    role: CampaignRole | None = strawberry.field(description="The new direct role; null removes it.")


@strawberry.input
class CreateCampaignInput:
    organisation_id: strawberry.ID
    slug: str
    title: str
    description: str = ""


@strawberry.input
class UpdateCampaignInput:
    campaign_id: strawberry.ID
    title: str | None = None
    description: str | None = None
    internal_notes: str | None = None


@strawberry.input
class SetCampaignStatusInput:
    campaign_id: strawberry.ID
    status: CampaignStatus


@strawberry.input
class CreatePetitionInput:
    campaign_id: strawberry.ID
    slug: str
    title: str
    body: str
    target: str
    goal: int


@strawberry.input
class SetPetitionStatusInput:
    petition_id: strawberry.ID
    status: PetitionStatus


@strawberry.input
class DeleteSignatureInput:
    petition_id: strawberry.ID
    email: str = strawberry.field(description="The signer's address, as they gave it (compared normalised).")


@strawberry.type
class ManagementMutation:
    @strawberry.mutation(description="Create an organisation; the viewer becomes its owner.")
    async def create_organisation(self, info: Info, input: CreateOrganisationInput) -> OrganisationPayload:
        identity_id = _require_viewer(info)
        problems = _text_problems("name", input.name, 200) + _slug_problems(input.slug)
        if problems:
            return OrganisationPayload(organisation=None, user_errors=problems)

        async def write_rows(session: AsyncSession) -> Any:
            organisation = models.Organisation(slug=input.slug, name=input.name.strip())
            session.add(organisation)
            await session.flush()
            return organisation, ([organisation_role(organisation.id, OrganisationRoleValue.OWNER, identity_id)], [])

        return await _create(info, OrganisationPayload, Organisation, write_rows)

    @strawberry.mutation(description="Give a person a role in an organisation, change it, or remove them (role: null).")
    async def set_organisation_role(self, info: Info, input: SetOrganisationRoleInput) -> OrganisationPayload:
        # Touching memberships at all needs the right to manage members, so the answer never depends on whether
        # the person holds a role.
        manage_members = _MANAGE_ROLE[OrganisationRole.MEMBER]
        organisation = await _target(info, Organisation, input.organisation_id, "organisationId", manage_members)
        if organisation is None:
            return _not_found(OrganisationPayload, "organisationId")
        engine = info.context.services.permission_engine
        person = user(str(input.identity_id))
        held = [
            OrganisationRole(found.relation)
            for found in (await engine.list(TupleQuery("Organisation", str(organisation.id), None, person))).tuples
            if found.relation in OrganisationRole._value2member_map_
        ]
        # Changing a role needs the right to manage both the old and the new one.
        # Changing a role needs the right to manage both the old and the new one.
        for role in {*held, *([input.role] if input.role else [])}:
            await _MANAGE_ROLE[role].require(info, organisation.id)
        if OrganisationRole.OWNER in held and input.role is not OrganisationRole.OWNER:
            owners = await engine.list(TupleQuery("Organisation", str(organisation.id), OrganisationRole.OWNER.value))
            if len(owners.tuples) <= 1:
                return OrganisationPayload(
                    organisation=None,
                    user_errors=_problem(
                        "identityId", UserErrorCode.LAST_OWNER, "An organisation keeps at least one owner."
                    ),
                )
        removed = [
            organisation_role(organisation.id, OrganisationRoleValue(role.value), person.object) for role in held
        ]
        added = (
            [organisation_role(organisation.id, OrganisationRoleValue(input.role.value), person.object)]
            if input.role
            else []
        )
        await engine.write(insert=added, delete=[found for found in removed if found not in added])
        return OrganisationPayload(organisation=Organisation.from_row(organisation), user_errors=[])

    @strawberry.mutation(description="Grant or remove a direct role on a campaign (role: null removes it).")
    async def set_campaign_role(self, info: Info, input: SetCampaignRoleInput) -> CampaignPayload:
        campaign = await _target(info, Campaign, input.campaign_id, "campaignId", CAN_GRANT_CAMPAIGN_ROLES)
        if campaign is None:
            return _not_found(CampaignPayload, "campaignId")
        person = str(input.identity_id)
        every_role = [campaign_role(campaign.id, role, person) for role in CampaignRoleValue]
        added = [campaign_role(campaign.id, CampaignRoleValue(input.role.value), person)] if input.role else []
        await info.context.services.permission_engine.write(
            insert=added, delete=[found for found in every_role if found not in added]
        )
        return CampaignPayload(campaign=Campaign.from_row(campaign), user_errors=[])

    @strawberry.mutation(description="Create a draft campaign in an organisation.")
    async def create_campaign(self, info: Info, input: CreateCampaignInput) -> CampaignPayload:
        organisation = await _target(info, Organisation, input.organisation_id, "organisationId", CAN_CREATE_CAMPAIGN)
        if organisation is None:
            return _not_found(CampaignPayload, "organisationId")
        problems = _text_problems("title", input.title, 200) + _slug_problems(input.slug)
        if problems:
            return CampaignPayload(campaign=None, user_errors=problems)

        async def write_rows(session: AsyncSession) -> Any:
            campaign = models.Campaign(
                organisation_id=organisation.id,
                slug=input.slug,
                title=input.title.strip(),
                description=input.description,
            )
            session.add(campaign)
            await session.flush()
            return campaign, ([campaign_in_organisation(campaign.id, organisation.id)], [])

        return await _create(info, CampaignPayload, Campaign, write_rows)

    @strawberry.mutation(description="Change a campaign's title, description or internal notes.")
    async def update_campaign(self, info: Info, input: UpdateCampaignInput) -> CampaignPayload:
        campaign = await _target(info, Campaign, input.campaign_id, "campaignId", CAN_EDIT_CAMPAIGN)
        if campaign is None:
            return _not_found(CampaignPayload, "campaignId")
        changes = {
            column: value
            for column, value in (
                ("title", input.title),
                ("description", input.description),
                ("internal_notes", input.internal_notes),
            )
            if value is not None
        }
        if "title" in changes and (problems := _text_problems("title", changes["title"], 200)):
            return CampaignPayload(campaign=None, user_errors=problems)
        return CampaignPayload(
            campaign=await _update(info, models.Campaign, campaign.id, changes, Campaign), user_errors=[]
        )

    @strawberry.mutation(description="Publish, archive, or return a campaign to draft.")
    async def set_campaign_status(self, info: Info, input: SetCampaignStatusInput) -> CampaignPayload:
        campaign = await _target(info, Campaign, input.campaign_id, "campaignId", CAN_PUBLISH_CAMPAIGN)
        if campaign is None:
            return _not_found(CampaignPayload, "campaignId")
        status = CampaignStatusValue(input.status)
        return CampaignPayload(
            campaign=await _update(info, models.Campaign, campaign.id, {"status": status}, Campaign), user_errors=[]
        )

    @strawberry.mutation(description="Create a draft petition in a campaign.")
    async def create_petition(self, info: Info, input: CreatePetitionInput) -> PetitionPayload:
        campaign = await _target(info, Campaign, input.campaign_id, "campaignId", CAN_EDIT_CAMPAIGN)
        if campaign is None:
            return _not_found(PetitionPayload, "campaignId")
        problems = (
            _text_problems("title", input.title, 200)
            + _text_problems("target", input.target, 200)
            + _slug_problems(input.slug)
        )
        if input.goal < 1:
            problems += _problem("goal", UserErrorCode.INVALID, "A goal is at least one signature.")
        if problems:
            return PetitionPayload(petition=None, user_errors=problems)

        async def write_rows(session: AsyncSession) -> Any:
            petition = models.Petition(
                campaign_id=campaign.id,
                slug=input.slug,
                title=input.title.strip(),
                body=input.body,
                target=input.target.strip(),
                goal=input.goal,
            )
            session.add(petition)
            await session.flush()
            return petition, ([petition_in_campaign(petition.id, campaign.id)], [])

        return await _create(info, PetitionPayload, Petition, write_rows)

    @strawberry.mutation(description="Open, close, or return a petition to draft.")
    async def set_petition_status(self, info: Info, input: SetPetitionStatusInput) -> PetitionPayload:
        petition = await _target(info, Petition, input.petition_id, "petitionId", CAN_PUBLISH_PETITION)
        if petition is None:
            return _not_found(PetitionPayload, "petitionId")
        status = PetitionStatusValue(input.status)
        return PetitionPayload(
            petition=await _update(info, models.Petition, petition.id, {"status": status}, Petition), user_errors=[]
        )

    @strawberry.mutation(
        description="Delete a signature and its personal data (an erasure request); the count stays honest. "
        "The same answer whether or not the address had signed."
    )
    async def delete_signature(self, info: Info, input: DeleteSignatureInput) -> PetitionPayload:
        petition = await _target(info, Petition, input.petition_id, "petitionId", CAN_DELETE_SIGNATURES)
        if petition is None:
            return _not_found(PetitionPayload, "petitionId")
        async with info.context.services.database.transaction() as session:
            deleted = await session.execute(
                delete(models.Signature)
                .where(
                    models.Signature.petition_id == petition.id,
                    models.Signature.email_normalised == normalise_email(input.email),
                )
                .returning(models.Signature.id)
            )
            if deleted.first() is not None:
                await session.execute(
                    update(models.Petition)
                    .where(models.Petition.id == petition.id)
                    .values(signature_count=models.Petition.signature_count - 1)
                )
        return PetitionPayload(petition=await _reload(info, models.Petition, petition.id, Petition), user_errors=[])


async def _update(info: Info, model: type, row_id: int, changes: dict[str, Any], node_type: Any) -> Any:
    if changes:
        async with info.context.services.database.transaction() as session:
            await session.execute(update(model).where(model.id == row_id).values(**changes))
    return await _reload(info, model, row_id, node_type)


async def _reload(info: Info, model: type, row_id: int, node_type: Any) -> Any:
    """The row as written (not as this request's loaders cached it before the change)."""
    async with info.context.services.database.session() as session:
        row = await session.scalar(select(model).where(model.id == row_id))
    return node_type.from_row(row) if row is not None else None
