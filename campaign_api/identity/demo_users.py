"""The demo people: one per role of the authorisation matrix, and an outsider. ``campaign-api seed --demo`` creates
them in the embedded store and mints a session for each, printed with ready-to-paste headers."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from campaign_api.db.database import Database
from campaign_api.db.models import Campaign, Organisation
from campaign_api.identity.embedded import MintedSession, create_session, ensure_identity
from campaign_api.permissions.relations import CampaignRole, OrganisationRole, campaign_role, organisation_role
from campaign_api.permissions.tuples import RelationTuple


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: str  # what the person is in the demo data, in the words of the authorisation matrix
    # Where the role is granted: ("organisation", slug, role) or ("campaign", slug, role); None for no role.
    grant: tuple[str, str, OrganisationRole | CampaignRole] | None


DEMO_USERS = [
    DemoUser("olivia@clean-rivers.example.org", "Olivia Okafor", "owner of Clean Rivers Trust",
             ("organisation", "clean-rivers", OrganisationRole.OWNER)),
    DemoUser("aaron@clean-rivers.example.org", "Aaron Adeyemi", "admin of Clean Rivers Trust",
             ("organisation", "clean-rivers", OrganisationRole.ADMIN)),
    DemoUser("edith@clean-rivers.example.org", "Edith Evans", "editor of Clean Rivers Trust",
             ("organisation", "clean-rivers", OrganisationRole.EDITOR)),
    DemoUser("malik@clean-rivers.example.org", "Malik Moore", "member of Clean Rivers Trust",
             ("organisation", "clean-rivers", OrganisationRole.MEMBER)),
    DemoUser("cara@river-agency.example.com", "Cara Chen", "direct editor of the campaign stop-sewage-dumping",
             ("campaign", "stop-sewage-dumping", CampaignRole.EDITOR)),
    DemoUser("victor@river-agency.example.com", "Victor Vance", "direct viewer of the campaign stop-sewage-dumping",
             ("campaign", "stop-sewage-dumping", CampaignRole.VIEWER)),
    DemoUser("oscar@example.net", "Oscar Osei", "signed in, no role anywhere", None),
]  # fmt: skip


async def demo_role_tuples(database: Database, identity_ids: dict[str, str]) -> list[RelationTuple]:
    """The role tuples of the demo people (by email -> identity id), for the demo rows that exist."""
    async with database.session() as session:
        organisations = dict((await session.execute(select(Organisation.slug, Organisation.id))).all())
        campaigns = dict((await session.execute(select(Campaign.slug, Campaign.id))).all())
    tuples = []
    for person in DEMO_USERS:
        if person.grant is None or person.email not in identity_ids:
            continue
        kind, slug, role = person.grant
        if kind == "organisation" and slug in organisations:
            tuples.append(organisation_role(organisations[slug], OrganisationRole(role), identity_ids[person.email]))
        elif kind == "campaign" and slug in campaigns:
            tuples.append(campaign_role(campaigns[slug], CampaignRole(role), identity_ids[person.email]))
    return tuples


async def seed_demo_users(database: Database, ttl: timedelta) -> list[tuple[DemoUser, MintedSession]]:
    minted = []
    for user in DEMO_USERS:
        await ensure_identity(database, user.email, user.name)
        minted.append((user, await create_session(database, user.email, ttl=ttl)))
    return minted


def how_to_act_as(user: DemoUser, session: MintedSession, graphql_url: str) -> str:
    header = json.dumps({"Authorization": f"Bearer {session.token}"})
    body = json.dumps({"query": "{ viewer { id email name sessionExpiresAt } }"})
    curl = " ".join(
        [
            "curl -s",
            shlex.quote(graphql_url),
            "-H 'Content-Type: application/json'",
            shlex.quote(f"Authorization: Bearer {session.token}").join(["-H ", ""]),
            "-d",
            shlex.quote(body),
        ]
    )
    return "\n".join(
        [
            f"{user.name} <{user.email}>: {user.role}",
            f"  session token:  {session.token}  (until {session.expires_at:%Y-%m-%d %H:%M} UTC)",
            f"  GraphiQL headers: {header}",
            f"  curl: {curl}",
        ]
    )
