"""The GraphQL object types of the public domain. Each wraps one database row; related rows come from loaders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self

import strawberry
from strawberry import relay

from campaign_api.context import Context
from campaign_api.db import models
from campaign_api.db.loaders import PageKey
from campaign_api.domain.statuses import CampaignStatus as CampaignStatusValue
from campaign_api.domain.statuses import PetitionStatus as PetitionStatusValue
from campaign_api.identity import Viewer
from campaign_api.permissions.tuples import SubjectSet, TupleQuery
from campaign_api.schema.pagination import connection, page_window
from campaign_api.schema.permissions import Permit, decide_ahead, permits_selected, requires, selected_below
from campaign_api.schema.roles import OrganisationRole
from campaign_api.schema.viewer_can import (
    CAMPAIGN_CAN,
    PETITION_CAN,
    CampaignViewerCan,
    OrganisationViewerCan,
    Permits,
    PetitionViewerCan,
)

if TYPE_CHECKING:
    from aiodataloader import DataLoader


Info = strawberry.Info[Context, None]

CampaignStatus = strawberry.enum(
    CampaignStatusValue, description="Where a campaign is in its life: draft, published, archived."
)
PetitionStatus = strawberry.enum(
    PetitionStatusValue, description="Where a petition is in its life: draft, open, closed."
)


class _RowNode:
    """Mixed into a node type backed by one row, looked up by primary key through a visibility-aware loader."""

    _loader_name: ClassVar[str]

    @classmethod
    def from_row(cls, row: Any) -> Self:
        raise NotImplementedError

    @classmethod
    def _loader(cls, info: Info) -> DataLoader[int, Any]:
        return getattr(info.context.loaders, cls._loader_name)

    @classmethod
    async def load(cls, info: Info, row_id: int) -> Self | None:
        row = await cls._loader(info).load(row_id)
        return cls.from_row(row) if row is not None else None

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: list[str], required: bool = False
    ) -> list[Self | None]:
        rows = await cls._loader(info).load_many([int(node_id) for node_id in node_ids])
        return [cls.from_row(row) if row is not None else None for row in rows]


@strawberry.type(name="Viewer", description="The person the request acts for (from the session or token it carries).")
class ViewerType:
    id: strawberry.ID = strawberry.field(
        description="The identity's id at the identity provider (Kratos's identity id)."
    )
    email: str | None
    name: str | None
    session_expires_at: datetime | None = strawberry.field(description="When the session ends; it is not extended.")
    authenticator_assurance_level: str | None = strawberry.field(
        description="aal1 when one factor was used, aal2 when a second factor was."
    )

    @classmethod
    def from_viewer(cls, viewer: Viewer) -> ViewerType:
        assert viewer.identity_id is not None
        return cls(
            id=strawberry.ID(viewer.identity_id),
            email=viewer.email,
            name=viewer.name,
            session_expires_at=viewer.session_expires_at,
            authenticator_assurance_level=viewer.authenticator_assurance_level,
        )


@strawberry.type(description="A public signature: who signed, from where, and when. Never the email address.")
class Signature:
    name: str
    country: str | None = strawberry.field(description="ISO 3166-1 alpha-2 country code, if the signer gave one.")
    created_at: datetime
    petition_id: strawberry.Private[int]
    signer_email: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: models.Signature) -> Signature:
        return cls(
            name=row.name,
            country=row.country,
            created_at=row.created_at,
            petition_id=row.petition_id,
            signer_email=row.email,
        )

    @strawberry.field(
        description="The signer's email: personal data, for those who may read signers' data (admins and owners).",
        extensions=requires(Permits.PETITION_READ_SIGNATURES, lambda signature: signature.petition_id),
    )
    def email(self) -> str | None:
        return self.signer_email


@strawberry.type(description="A person's role in an organisation.")
class OrganisationMember:
    identity_id: strawberry.ID = strawberry.field(description="The person's identity id (Kratos's identity id).")
    role: OrganisationRole


@strawberry.type(description="An organisation that runs campaigns.")
class Organisation(_RowNode, relay.Node):
    _loader_name = "organisation_by_id"

    id: relay.NodeID[int]
    slug: str
    name: str

    @classmethod
    def from_row(cls, row: models.Organisation) -> Organisation:
        return cls(id=row.id, slug=row.slug, name=row.name)

    @strawberry.field(description="The organisation's campaigns the viewer may read, newest first.")
    async def campaigns(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> relay.Connection[Campaign]:
        size, before_id = page_window(info.context.settings, first, after)
        page = await info.context.loaders.campaigns_of_organisation.load(PageKey(self.id, size, before_id))
        await Campaign.decide_ahead(info, page.rows)
        return connection(page, Campaign.from_row, after=after)

    @strawberry.field
    def viewer_can(self) -> OrganisationViewerCan | None:
        return OrganisationViewerCan(object_id=self.id)

    @strawberry.field(
        description="Who holds a role in the organisation (for its people).",
        extensions=requires(Permits.ORGANISATION_VIEW_MEMBERS),
    )
    async def members(self, info: Info) -> list[OrganisationMember] | None:
        engine, token, members = info.context.services.permission_engine, "", []
        while True:
            found = await engine.list(TupleQuery("Organisation", str(self.id)), page_token=token)
            members += [
                OrganisationMember(
                    identity_id=strawberry.ID(str(held.subject.object)), role=OrganisationRole(held.relation)
                )
                for held in found.tuples
                if held.relation in OrganisationRole._value2member_map_ and isinstance(held.subject, SubjectSet)
            ]
            token = found.next_page_token
            if not token:
                return sorted(
                    members, key=lambda member: (list(OrganisationRole).index(member.role), member.identity_id)
                )


@strawberry.type(description="A campaign: a cause an organisation runs petitions for.")
class Campaign(_RowNode, relay.Node):
    _loader_name = "campaign_by_id"

    id: relay.NodeID[int]
    slug: str
    title: str
    description: str
    status: CampaignStatus
    created_at: datetime
    organisation_id: strawberry.Private[int]
    notes: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: models.Campaign) -> Campaign:
        return cls(
            id=row.id,
            slug=row.slug,
            title=row.title,
            description=row.description,
            status=row.status,
            created_at=row.created_at,
            organisation_id=row.organisation_id,
            notes=row.internal_notes,
        )

    @strawberry.field
    async def organisation(self, info: Info) -> Organisation:
        organisation = await Organisation.load(info, self.organisation_id)
        assert organisation is not None, "a campaign's organisation always exists (foreign key)"
        return organisation

    @strawberry.field(description="The campaign's petitions the viewer may read, newest first.")
    async def petitions(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> relay.Connection[Petition]:
        size, before_id = page_window(info.context.settings, first, after)
        page = await info.context.loaders.petitions_of_campaign.load(PageKey(self.id, size, before_id))
        await Petition.decide_ahead(info, page.rows)
        return connection(page, Petition.from_row, after=after)

    @strawberry.field(
        description="Notes for the campaign's team (those who may edit it).",
        extensions=requires(Permits.CAMPAIGN_EDIT),
    )
    def internal_notes(self) -> str | None:
        return self.notes

    @strawberry.field(
        description="How many of its petitions are drafts (those who may read its drafts).",
        extensions=requires(Permits.CAMPAIGN_VIEW),
    )
    async def draft_petition_count(self, info: Info) -> int | None:
        return await info.context.loaders.draft_petitions_of_campaign.load(self.id)

    @strawberry.field(
        description="How many signers agreed to be contacted (those who may read signers' data).",
        extensions=requires(Permits.CAMPAIGN_READ_SIGNATURES),
    )
    async def contactable_signature_count(self, info: Info) -> int | None:
        return await info.context.loaders.contactable_signatures_of_campaign.load(self.id)

    @strawberry.field
    def viewer_can(self) -> CampaignViewerCan | None:
        return CampaignViewerCan(object_id=self.id)

    # Guarded fields of a campaign, by GraphQL name: what list resolvers decide ahead for every item.
    GUARDED: ClassVar[dict[str, Permit]] = {
        "internalNotes": Permits.CAMPAIGN_EDIT,
        "draftPetitionCount": Permits.CAMPAIGN_VIEW,
        "contactableSignatureCount": Permits.CAMPAIGN_READ_SIGNATURES,
    }

    @classmethod
    async def decide_ahead(cls, info: Info, rows: Sequence[models.Campaign]) -> None:
        permits = permits_selected(selected_below(info, ("edges", "node")), cls.GUARDED, CAMPAIGN_CAN)
        await decide_ahead(info, [row.id for row in rows], permits)


@strawberry.type(description="A petition: a demand addressed to a target, open for signatures until it closes.")
class Petition(_RowNode, relay.Node):
    _loader_name = "petition_by_id"

    id: relay.NodeID[int]
    slug: str
    title: str
    body: str
    target: str = strawberry.field(description="Whom the petition addresses.")
    goal: int = strawberry.field(description="How many signatures the petition aims for.")
    status: PetitionStatus
    signature_count: int
    created_at: datetime
    campaign_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Petition) -> Petition:
        return cls(
            id=row.id,
            slug=row.slug,
            title=row.title,
            body=row.body,
            target=row.target,
            goal=row.goal,
            status=row.status,
            signature_count=row.signature_count,
            created_at=row.created_at,
            campaign_id=row.campaign_id,
        )

    @strawberry.field
    async def campaign(self, info: Info) -> Campaign:
        campaign = await Campaign.load(info, self.campaign_id)
        assert campaign is not None, "a readable petition's campaign is readable (visibility rule)"
        return campaign

    @strawberry.field(description="Public signatures, newest first.")
    async def signatures(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> relay.Connection[Signature]:
        size, before_id = page_window(info.context.settings, first, after)
        page = await info.context.loaders.signatures_of_petition.load(PageKey(self.id, size, before_id))
        if any(field.name == "email" for field in selected_below(info, ("edges", "node"))):
            await decide_ahead(info, [self.id], [Permits.PETITION_READ_SIGNATURES])
        return connection(page, Signature.from_row, after=after)

    @strawberry.field
    def viewer_can(self) -> PetitionViewerCan | None:
        return PetitionViewerCan(object_id=self.id)

    @classmethod
    async def decide_ahead(cls, info: Info, rows: Sequence[models.Petition]) -> None:
        permits = permits_selected(selected_below(info, ("edges", "node")), {}, PETITION_CAN)
        await decide_ahead(info, [row.id for row in rows], permits)


NODE_TYPES: dict[str, type[_RowNode]] = {node.__name__: node for node in (Organisation, Campaign, Petition)}
