"""The world of the authorisation-matrix tests, and the matrix itself as data.

``MATRIX`` is the table of docs/design ("The authorisation matrix"), row for row: an action, then one cell per role
in ``ROLES`` order. ``THAT`` ("that campaign") is yes on the campaign the direct grant names and no anywhere else
(the organisation itself, its other campaigns).

``build_world`` writes one organisation, ``acme``, with:

- ``first``: a published campaign with an open petition (two signatures, one of them consenting to be contacted) and
  a draft petition. The direct campaign roles are granted on this campaign only.
- ``sibling``: a second published campaign of the same organisation, with an open petition (one consenting
  signature) and a draft petition: where "that campaign" is no.
- ``draft``: a draft campaign (with an open petition, readable only with the campaign).
- ``archived``: an archived campaign with a closed petition.

and an identity with a real embedded session for every signed-in role (plus ``newcomer``, who holds nothing and is
given roles by the tests), each with the tuples of its role. Rows are written in one transaction together with their
structure tuples, as the product writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select

from campaign_api.db import models
from campaign_api.db.database import Database
from campaign_api.domain.emails import normalise_email
from campaign_api.domain.statuses import CampaignStatus, PetitionStatus
from campaign_api.identity.embedded import create_identity, create_session
from campaign_api.permissions.embedded.store import write_tuples
from campaign_api.permissions.relations import (
    CampaignRole,
    OrganisationRole,
    campaign_in_organisation,
    campaign_role,
    organisation_role,
    petition_in_campaign,
)
from campaign_api.permissions.tuples import RelationTuple, SubjectSet
from tests.factories import global_id

# --- the matrix ------------------------------------------------------------------------------------------------------

ROLES = (
    "anonymous",
    "signed_in",
    "member",
    "editor",
    "admin",
    "owner",
    "campaign_editor",
    "campaign_viewer",
)
SIGNED_IN_ROLES = ROLES[1:]

Y, N, THAT = "yes", "no", "that campaign"

READ_PUBLIC = "read published campaigns, open/closed petitions, signature counts"
SIGN = "sign an open petition"
READ_DRAFTS = "read the organisation's draft and archived campaigns and their petitions"
SEE_MEMBERS = "see the organisation's member list"
CREATE_CAMPAIGN = "create a campaign in the organisation"
EDIT = "edit a campaign, create and edit its petitions"
PUBLISH = "publish, close, archive"
READ_SIGNER_DATA = "read signers' personal data (email), export signatures"
DELETE_SIGNATURE = "delete a signature (erasure request)"
MANAGE_MEMBERS = "add or remove members and editors, grant direct campaign roles"
MANAGE_ADMINS = "add or remove admins and owners, rename or delete the organisation"
CREATE_ORGANISATION = "create an organisation (and become its owner)"

# fmt: off
MATRIX: dict[str, tuple[str, ...]] = {
    #                    anonymous signed_in member editor admin owner campaign_editor campaign_viewer
    READ_PUBLIC:         (Y,        Y,        Y,     Y,     Y,    Y,    Y,              Y),
    SIGN:                (Y,        Y,        Y,     Y,     Y,    Y,    Y,              Y),
    READ_DRAFTS:         (N,        N,        Y,     Y,     Y,    Y,    THAT,           THAT),
    SEE_MEMBERS:         (N,        N,        Y,     Y,     Y,    Y,    N,              N),
    CREATE_CAMPAIGN:     (N,        N,        N,     Y,     Y,    Y,    N,              N),
    EDIT:                (N,        N,        N,     Y,     Y,    Y,    THAT,           N),
    PUBLISH:             (N,        N,        N,     N,     Y,    Y,    N,              N),
    READ_SIGNER_DATA:    (N,        N,        N,     N,     Y,    Y,    N,              N),
    DELETE_SIGNATURE:    (N,        N,        N,     N,     Y,    Y,    N,              N),
    MANAGE_MEMBERS:      (N,        N,        N,     N,     Y,    Y,    N,              N),
    MANAGE_ADMINS:       (N,        N,        N,     N,     N,    Y,    N,              N),
    CREATE_ORGANISATION: (N,        Y,        Y,     Y,     Y,    Y,    Y,              Y),
}
# fmt: on

# The campaign the direct grants name.
GRANTED_CAMPAIGN = "first"

CAMPAIGN_KEYS = ("first", "sibling", "draft", "archived")
PETITION_KEYS = ("first_open", "first_draft", "sibling_open", "sibling_draft", "draft_open", "archived_closed")
PUBLIC_CAMPAIGNS = frozenset({"first", "sibling"})
PUBLIC_PETITIONS = frozenset({"first_open", "sibling_open"})


def allowed(action: str, role: str, campaign: str | None = None) -> bool:
    """The matrix's cell for ``role``; ``campaign`` is the key of the campaign acted on (None: the organisation)."""
    cell = MATRIX[action][ROLES.index(role)]
    if cell == THAT:
        return campaign == GRANTED_CAMPAIGN
    return cell == Y


def campaign_of(key: str) -> str | None:
    """The campaign an object key belongs to: a campaign is its own, a petition its campaign's, else None."""
    if key in CAMPAIGN_KEYS:
        return key
    if key in PETITION_KEYS:
        return key.rsplit("_", 1)[0]
    return None


def is_public(key: str) -> bool:
    return key == "organisation" or key in PUBLIC_CAMPAIGNS or key in PUBLIC_PETITIONS


def readable(role: str, key: str) -> bool:
    """May ``role`` read the object ``key`` (``organisation``, a campaign key or a petition key)?"""
    return (is_public(key) and allowed(READ_PUBLIC, role)) or allowed(READ_DRAFTS, role, campaign_of(key))


# --- the world -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignRow:
    id: int
    slug: str
    status: str
    notes: str
    draft_petitions: int
    contactable_signatures: int

    @property
    def global_id(self) -> str:
        return global_id("Campaign", self.id)


@dataclass(frozen=True)
class PetitionRow:
    id: int
    slug: str
    status: str
    campaign: str
    signer_emails: tuple[str, ...]

    @property
    def global_id(self) -> str:
        return global_id("Petition", self.id)


@dataclass(frozen=True)
class World:
    organisation_id: int
    organisation_slug: str
    campaigns: dict[str, CampaignRow]
    petitions: dict[str, PetitionRow]
    tokens: dict[str, str]  # every signed-in role, and "newcomer"
    identity_ids: dict[str, str]

    @property
    def organisation_global_id(self) -> str:
        return global_id("Organisation", self.organisation_id)

    def headers(self, role: str) -> dict[str, str]:
        """The request headers that act as ``role`` (none for the anonymous viewer)."""
        if role == "anonymous":
            return {}
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def object_global_id(self, key: str) -> str:
        if key == "organisation":
            return self.organisation_global_id
        if key in self.campaigns:
            return self.campaigns[key].global_id
        return self.petitions[key].global_id

    def members(self) -> list[dict[str, str]]:
        """The organisation's member list as the API renders it (role order, then identity id)."""
        order = ("owner", "admin", "editor", "member")
        return [{"identityId": self.identity_ids[role], "role": role.upper()} for role in order]


ORGANISATION_ROLE_OF = {
    "owner": OrganisationRole.OWNER,
    "admin": OrganisationRole.ADMIN,
    "editor": OrganisationRole.EDITOR,
    "member": OrganisationRole.MEMBER,
}
CAMPAIGN_ROLE_OF = {"campaign_editor": CampaignRole.EDITOR, "campaign_viewer": CampaignRole.VIEWER}

# campaign key -> (status, notes); petition key -> (status, signatures as (email, consents to contact))
_CAMPAIGNS = {
    "first": (CampaignStatus.PUBLISHED, "Briefing for the first campaign"),
    "sibling": (CampaignStatus.PUBLISHED, "Briefing for the sibling campaign"),
    "draft": (CampaignStatus.DRAFT, "Plans for the draft campaign"),
    "archived": (CampaignStatus.ARCHIVED, "Lessons of the archived campaign"),
}
_PETITIONS: dict[str, tuple[PetitionStatus, tuple[tuple[str, bool], ...]]] = {
    "first_open": (PetitionStatus.OPEN, (("ada@signers.example.org", True), ("bob@signers.example.org", False))),
    "first_draft": (PetitionStatus.DRAFT, ()),
    "sibling_open": (PetitionStatus.OPEN, (("cyd@signers.example.org", True),)),
    "sibling_draft": (PetitionStatus.DRAFT, ()),
    "draft_open": (PetitionStatus.OPEN, ()),
    "archived_closed": (PetitionStatus.CLOSED, ()),
}


async def empty_database(database: Database) -> None:
    """Remove every row (for a world shared by a module, built on the backend's migrated database)."""
    async with database.transaction() as session:
        for table in reversed(models.Base.metadata.sorted_tables):
            await session.execute(delete(table))


async def build_world(database: Database, *, prefix: str = "") -> World:
    """The matrix world (slugs and emails start with ``prefix``, so two worlds can share a database)."""
    tokens: dict[str, str] = {}
    identity_ids: dict[str, str] = {}
    for role in (*SIGNED_IN_ROLES, "newcomer"):
        email = f"{prefix}{role.replace('_', '-')}@people.example.org"
        await create_identity(database, email, role.replace("_", " ").title())
        minted = await create_session(database, email, ttl=timedelta(hours=2))
        tokens[role], identity_ids[role] = minted.token, minted.identity_id

    async with database.transaction() as session:
        organisation = models.Organisation(slug=f"{prefix}acme", name="Acme")
        session.add(organisation)
        await session.flush()
        campaign_rows = {
            key: models.Campaign(
                organisation_id=organisation.id,
                slug=f"{prefix}{key}-campaign",
                title=f"The {key} campaign",
                status=status,
                internal_notes=notes,
            )
            for key, (status, notes) in _CAMPAIGNS.items()
        }
        session.add_all(campaign_rows.values())
        await session.flush()
        petition_rows = {
            key: models.Petition(
                campaign_id=campaign_rows[campaign_of(key) or ""].id,
                slug=f"{prefix}{key.replace('_', '-')}-petition",
                title=f"The {key} petition",
                target="The council",
                goal=100,
                status=status,
                signature_count=len(signers),
            )
            for key, (status, signers) in _PETITIONS.items()
        }
        session.add_all(petition_rows.values())
        await session.flush()
        session.add_all(
            models.Signature(
                petition_id=petition_rows[key].id,
                name=email.split("@")[0].title(),
                email=email,
                email_normalised=normalise_email(email),
                country="GB",
                consent_to_contact=consents,
            )
            for key, (_, signers) in _PETITIONS.items()
            for email, consents in signers
        )
        tuples: list[RelationTuple] = [
            *(campaign_in_organisation(row.id, organisation.id) for row in campaign_rows.values()),
            *(petition_in_campaign(row.id, row.campaign_id) for row in petition_rows.values()),
            *(
                organisation_role(organisation.id, role, identity_ids[name])
                for name, role in ORGANISATION_ROLE_OF.items()
            ),
            *(
                campaign_role(campaign_rows[GRANTED_CAMPAIGN].id, role, identity_ids[name])
                for name, role in CAMPAIGN_ROLE_OF.items()
            ),
        ]
        await write_tuples(session, insert=tuples)

    def counts(campaign: str) -> tuple[int, int]:
        keys = [key for key in _PETITIONS if campaign_of(key) == campaign]
        drafts = sum(_PETITIONS[key][0] is PetitionStatus.DRAFT for key in keys)
        contactable = sum(consents for key in keys for _, consents in _PETITIONS[key][1])
        return drafts, contactable

    return World(
        organisation_id=organisation.id,
        organisation_slug=organisation.slug,
        campaigns={
            key: CampaignRow(row.id, row.slug, row.status.value.upper(), row.internal_notes, *counts(key))
            for key, row in campaign_rows.items()
        },
        petitions={
            key: PetitionRow(
                row.id,
                row.slug,
                row.status.value.upper(),
                campaign_of(key) or "",
                tuple(email for email, _ in _PETITIONS[key][1]),
            )
            for key, row in petition_rows.items()
        },
        tokens=tokens,
        identity_ids=identity_ids,
    )


async def relation_tuples(database: Database) -> set[str]:
    """Every stored tuple, as text (``Campaign:1#organisation@Organisation:1``)."""
    row = models.RelationTupleRow
    async with database.session() as session:
        found = (await session.execute(select(row))).scalars().all()
    return {
        str(
            RelationTuple(
                t.namespace,
                t.object,
                t.relation,
                SubjectSet(t.subject_namespace, t.subject_object, t.subject_relation)
                if t.subject_namespace
                else t.subject_object,
            )
        )
        for t in found
    }
