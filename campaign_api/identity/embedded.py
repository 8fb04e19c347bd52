"""The embedded identity store: identities and sessions in the application database, for one machine.

Its sessions travel exactly as Kratos's do (the session cookie, ``X-Session-Token``, ``Authorization: Bearer``) and
are rendered in Kratos's Session JSON, so a frontend cannot tell the difference. Session tokens are 256-bit random
strings; only their SHA-256 is stored. Tokens are minted and revoked with ``campaign-api sessions``.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from campaign_api.db.database import Database
from campaign_api.db.models import Identity, IdentitySession
from campaign_api.domain.emails import is_valid_email
from campaign_api.identity.credentials import CredentialKind, Credentials
from campaign_api.identity.kratos_session import viewer_from_session
from campaign_api.identity.provider import InvalidSession
from campaign_api.identity.viewer import Viewer


class IdentityStoreError(ValueError):
    """A command on the store that cannot be carried out (an unknown email, a duplicate identity)."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_session_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits; base64url, so never shaped like a JWT


def session_json(identity: Identity, session: IdentitySession, now: datetime) -> dict[str, Any]:
    """The session in Kratos's wire format (the fields this project reads, and the ones a client would expect)."""
    return {
        "id": session.id,
        "active": session.revoked_at is None and session.expires_at > now,
        "expires_at": session.expires_at.isoformat(),
        "authenticated_at": session.authenticated_at.isoformat(),
        "issued_at": session.authenticated_at.isoformat(),
        "authenticator_assurance_level": session.authenticator_assurance_level,
        "authentication_methods": [{"method": "password", "aal": "aal1"}],
        "identity": {
            "id": identity.id,
            "schema_id": "default",
            "state": identity.state,
            "traits": {"email": identity.email, "name": identity.name},
            "verifiable_addresses": [{"value": identity.email, "verified": False, "via": "email", "status": "pending"}],
            "metadata_public": None,
            "created_at": identity.created_at.isoformat(),
        },
    }


class EmbeddedProvider:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def resolve(self, credentials: Credentials) -> Viewer:
        if credentials.kind is CredentialKind.JWT:
            raise InvalidSession("the embedded store issues session tokens, not JWTs")
        async with self._database.session() as db:
            row = (
                await db.execute(
                    select(IdentitySession, Identity)
                    .join(Identity, Identity.id == IdentitySession.identity_id)
                    .where(IdentitySession.token_hash == hash_token(credentials.value))
                )
            ).one_or_none()
        if row is None:
            raise InvalidSession("no such session")
        session, identity = row
        return viewer_from_session(session_json(identity, session, datetime.now(UTC)))

    async def aclose(self) -> None:
        """The database belongs to the app, not to the provider."""


@dataclass(frozen=True, slots=True)
class MintedSession:
    token: str
    session_id: str
    identity_id: str
    email: str
    expires_at: datetime


async def create_identity(database: Database, email: str, name: str = "", *, active: bool = True) -> Identity:
    email = email.strip().lower()
    if not is_valid_email(email):
        raise IdentityStoreError(f"not an email address: {email!r}")
    async with database.transaction() as db:
        if await db.scalar(select(Identity.id).where(Identity.email == email)) is not None:
            raise IdentityStoreError(f"an identity with the email {email} exists already")
        identity = Identity(id=str(uuid.uuid4()), email=email, name=name, state="active" if active else "inactive")
        db.add(identity)
    return identity


async def ensure_identity(database: Database, email: str, name: str = "") -> Identity:
    """The identity with this email, created when missing (for seeding)."""
    async with database.session() as db:
        existing = await db.scalar(select(Identity).where(Identity.email == email.strip().lower()))
    return existing or await create_identity(database, email, name)


async def list_identities(database: Database) -> list[Identity]:
    async with database.session() as db:
        return list((await db.scalars(select(Identity).order_by(Identity.email))).all())


async def create_session(
    database: Database, email: str, *, ttl: timedelta, authenticator_assurance_level: str = "aal1"
) -> MintedSession:
    token, now = new_session_token(), datetime.now(UTC)
    async with database.transaction() as db:
        identity = await db.scalar(select(Identity).where(Identity.email == email.strip().lower()))
        if identity is None:
            raise IdentityStoreError(f"no identity has the email {email}")
        session = IdentitySession(
            id=str(uuid.uuid4()),
            identity_id=identity.id,
            token_hash=hash_token(token),
            authenticator_assurance_level=authenticator_assurance_level,
            authenticated_at=now,
            expires_at=now + ttl,
        )
        db.add(session)
    return MintedSession(token, session.id, identity.id, identity.email, session.expires_at)


async def revoke_sessions(
    database: Database, *, token: str | None = None, session_id: str | None = None, email: str | None = None
) -> int:
    """Revoke one session (by token or id) or every session of an identity (by email); how many were revoked."""
    if [token, session_id, email].count(None) != 2:
        raise IdentityStoreError("name exactly one of a token, a session id or an email")
    statement = update(IdentitySession).where(IdentitySession.revoked_at.is_(None))
    if token is not None:
        statement = statement.where(IdentitySession.token_hash == hash_token(token))
    elif session_id is not None:
        statement = statement.where(IdentitySession.id == session_id)
    else:
        owner = select(Identity.id).where(Identity.email == str(email).strip().lower()).scalar_subquery()
        statement = statement.where(IdentitySession.identity_id == owner)
    async with database.transaction() as db:
        result = await db.execute(statement.values(revoked_at=datetime.now(UTC)))
    return result.rowcount
