"""The demo people: one per role of the authorisation matrix, and an outsider. ``campaign-api seed --demo`` creates
them in the embedded store and mints a session for each, printed with ready-to-paste headers."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from datetime import timedelta

from campaign_api.db.database import Database
from campaign_api.identity.embedded import MintedSession, create_session, ensure_identity


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: str  # what the person is in the demo data, in the words of the authorisation matrix


DEMO_USERS = [
    DemoUser("olivia@clean-rivers.example.org", "Olivia Okafor", "owner of Clean Rivers Trust"),
    DemoUser("aaron@clean-rivers.example.org", "Aaron Adeyemi", "admin of Clean Rivers Trust"),
    DemoUser("edith@clean-rivers.example.org", "Edith Evans", "editor of Clean Rivers Trust"),
    DemoUser("malik@clean-rivers.example.org", "Malik Moore", "member of Clean Rivers Trust"),
    DemoUser("cara@river-agency.example.com", "Cara Chen", "direct editor of the campaign stop-sewage-dumping"),
    DemoUser("victor@river-agency.example.com", "Victor Vance", "direct viewer of the campaign stop-sewage-dumping"),
    DemoUser("oscar@example.net", "Oscar Osei", "signed in, no role anywhere"),
]


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
