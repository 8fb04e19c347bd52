"""The embedded identity store against the database (SQLite and PostgreSQL): identities, sessions, what is stored,
and how ``EmbeddedProvider`` turns a token into a viewer (or refuses it)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, update

from campaign_api.db.database import Database
from campaign_api.db.models import Identity, IdentitySession
from campaign_api.identity.credentials import CredentialKind, Credentials
from campaign_api.identity.embedded import (
    EmbeddedProvider,
    IdentityStoreError,
    create_identity,
    create_session,
    list_identities,
    revoke_sessions,
    session_json,
)
from campaign_api.identity.provider import InvalidSession

HOUR = timedelta(hours=1)
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def bearer(token: str) -> Credentials:
    return Credentials(CredentialKind.SESSION_TOKEN, token)


def cookie(token: str) -> Credentials:
    return Credentials(CredentialKind.COOKIE, token)


async def session_rows(database: Database) -> list[dict[str, Any]]:
    async with database.session() as db:
        return [dict(row) for row in (await db.execute(text("SELECT * FROM identity_sessions"))).mappings()]


async def refused(database: Database, credentials: Credentials) -> bool:
    try:
        await EmbeddedProvider(database).resolve(credentials)
    except InvalidSession:
        return True
    return False


# --- identities -----------------------------------------------------------------------------------------------------


async def test_create_identity_lower_cases_the_email_and_lists_it(database: Database) -> None:
    identity = await create_identity(database, "  Ada.Lovelace@Example.ORG ", "Ada Lovelace")

    assert identity.email == "ada.lovelace@example.org"
    assert identity.name == "Ada Lovelace"
    assert identity.state == "active"
    listed = await list_identities(database)
    assert [(row.id, row.email, row.name, row.state) for row in listed] == [
        (identity.id, "ada.lovelace@example.org", "Ada Lovelace", "active")
    ]


async def test_create_identity_inactive(database: Database) -> None:
    identity = await create_identity(database, "gone@example.org", active=False)

    assert identity.state == "inactive"


@pytest.mark.parametrize("second", ["ada@example.org", "ADA@Example.org", " ada@example.org"])
async def test_a_duplicate_identity_is_refused(database: Database, second: str) -> None:
    await create_identity(database, "ada@example.org", "Ada")

    with pytest.raises(IdentityStoreError, match="exists already"):
        await create_identity(database, second, "Another Ada")

    assert len(await list_identities(database)) == 1


@pytest.mark.parametrize("email", ["", "   "])
async def test_an_identity_without_an_email_is_refused(database: Database, email: str) -> None:
    with pytest.raises(IdentityStoreError):
        await create_identity(database, email, "Nobody")

    assert await list_identities(database) == []


# --- sessions: what is minted and what is stored --------------------------------------------------------------------


async def test_create_session_mints_a_256_bit_opaque_token(database: Database) -> None:
    identity = await create_identity(database, "ada@example.org", "Ada")
    before = datetime.now(UTC)

    minted = await create_session(database, "ADA@example.org", ttl=2 * HOUR)

    assert TOKEN_SHAPE.fullmatch(minted.token), minted.token  # token_urlsafe(32): 43 base64url characters
    assert "." not in minted.token  # never JWT-shaped, so never sent to the JWT verifier
    assert minted.identity_id == identity.id
    assert minted.email == "ada@example.org"
    assert before + 2 * HOUR <= minted.expires_at <= datetime.now(UTC) + 2 * HOUR
    others = {(await create_session(database, "ada@example.org", ttl=HOUR)).token for _ in range(5)}
    assert minted.token not in others
    assert len(others) == 5


async def test_the_database_stores_only_the_sha256_of_the_token(database: Database) -> None:
    await create_identity(database, "ada@example.org", "Ada")
    minted = await create_session(database, "ada@example.org", ttl=HOUR)

    rows = await session_rows(database)

    assert len(rows) == 1
    row = rows[0]
    assert row["token_hash"] == hashlib.sha256(minted.token.encode()).hexdigest()
    assert row["id"] == minted.session_id
    for column, value in row.items():
        assert minted.token not in str(value), f"the token is stored in {column}"
    async with database.session() as db:
        identity_rows = (await db.execute(text("SELECT * FROM identities"))).all()
    assert all(minted.token not in str(value) for row in identity_rows for value in row)


async def test_create_session_for_an_unknown_email_is_refused(database: Database) -> None:
    with pytest.raises(IdentityStoreError, match="no identity"):
        await create_session(database, "nobody@example.org", ttl=HOUR)

    assert await session_rows(database) == []


# --- EmbeddedProvider.resolve ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("aal", ["aal1", "aal2"])
async def test_a_valid_token_resolves_to_a_viewer_in_kratos_shape(database: Database, aal: str) -> None:
    identity = await create_identity(database, "ada@example.org", "Ada Lovelace")
    minted = await create_session(database, "ada@example.org", ttl=HOUR, authenticator_assurance_level=aal)

    viewer = await EmbeddedProvider(database).resolve(bearer(minted.token))

    assert not viewer.is_anonymous
    assert viewer.identity_id == identity.id
    assert viewer.email == "ada@example.org"
    assert viewer.name == "Ada Lovelace"
    assert viewer.session_id == minted.session_id
    assert viewer.session_expires_at is not None
    assert abs(viewer.session_expires_at - minted.expires_at) < timedelta(seconds=1)
    assert viewer.authenticator_assurance_level == aal
    assert viewer.traits == {"email": "ada@example.org", "name": "Ada Lovelace"}


async def test_the_same_token_as_a_cookie_resolves_to_the_same_viewer(database: Database) -> None:
    await create_identity(database, "ada@example.org", "Ada")
    minted = await create_session(database, "ada@example.org", ttl=HOUR)
    provider = EmbeddedProvider(database)

    assert await provider.resolve(cookie(minted.token)) == await provider.resolve(bearer(minted.token))


async def test_an_unknown_token_is_an_invalid_session(database: Database) -> None:
    await create_identity(database, "ada@example.org", "Ada")
    minted = await create_session(database, "ada@example.org", ttl=HOUR)

    assert await refused(database, bearer("x" * 43))
    assert await refused(database, bearer(minted.token[:-1]))
    assert await refused(database, bearer(hashlib.sha256(minted.token.encode()).hexdigest()))  # the stored hash
    assert await refused(database, cookie("not-a-session"))


async def test_an_expired_session_is_an_invalid_session(database: Database) -> None:
    await create_identity(database, "ada@example.org", "Ada")
    minted = await create_session(database, "ada@example.org", ttl=HOUR)
    assert not await refused(database, bearer(minted.token))

    async with database.transaction() as db:
        await db.execute(
            update(IdentitySession)
            .where(IdentitySession.id == minted.session_id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )

    assert await refused(database, bearer(minted.token))
    assert await refused(database, cookie(minted.token))


async def test_a_session_minted_already_expired_is_an_invalid_session(database: Database) -> None:
    await create_identity(database, "ada@example.org", "Ada")
    minted = await create_session(database, "ada@example.org", ttl=timedelta(seconds=-1))

    assert await refused(database, bearer(minted.token))


async def test_revoking_by_token_refuses_only_that_session(database: Database) -> None:
    await create_identity(database, "ada@example.org", "Ada")
    revoked = await create_session(database, "ada@example.org", ttl=HOUR)
    kept = await create_session(database, "ada@example.org", ttl=HOUR)

    assert await revoke_sessions(database, token=revoked.token) == 1

    assert await refused(database, bearer(revoked.token))
    assert await refused(database, cookie(revoked.token))
    assert not await refused(database, bearer(kept.token))
    assert await revoke_sessions(database, token=revoked.token) == 0  # already revoked: nothing more to do


async def test_revoking_by_session_id_refuses_only_that_session(database: Database) -> None:
    await create_identity(database, "ada@example.org", "Ada")
    revoked = await create_session(database, "ada@example.org", ttl=HOUR)
    kept = await create_session(database, "ada@example.org", ttl=HOUR)

    assert await revoke_sessions(database, session_id=revoked.session_id) == 1

    assert await refused(database, bearer(revoked.token))
    assert not await refused(database, bearer(kept.token))


async def test_revoking_by_email_refuses_every_session_of_that_identity_only(database: Database) -> None:
    await create_identity(database, "ada@example.org", "Ada")
    await create_identity(database, "bob@example.org", "Bob")
    adas = [await create_session(database, "ada@example.org", ttl=HOUR) for _ in range(3)]
    bobs = await create_session(database, "bob@example.org", ttl=HOUR)

    assert await revoke_sessions(database, email="ADA@Example.org") == 3

    for minted in adas:
        assert await refused(database, bearer(minted.token))
    assert not await refused(database, bearer(bobs.token))
    assert await revoke_sessions(database, email="nobody@example.org") == 0


async def test_revocation_keeps_the_row_and_records_when(database: Database) -> None:
    await create_identity(database, "ada@example.org", "Ada")
    minted = await create_session(database, "ada@example.org", ttl=HOUR)
    before = datetime.now(UTC)

    await revoke_sessions(database, token=minted.token)

    async with database.session() as db:
        session = await db.scalar(select(IdentitySession).where(IdentitySession.id == minted.session_id))
    assert session is not None
    assert session.revoked_at is not None
    assert before - timedelta(seconds=1) <= session.revoked_at <= datetime.now(UTC) + timedelta(seconds=1)


async def test_a_session_of_an_inactive_identity_is_an_invalid_session(database: Database) -> None:
    await create_identity(database, "gone@example.org", "Gone", active=False)
    minted = await create_session(database, "gone@example.org", ttl=HOUR)

    assert await refused(database, bearer(minted.token))
    assert await refused(database, cookie(minted.token))


async def test_deactivating_an_identity_refuses_its_existing_sessions(database: Database) -> None:
    identity = await create_identity(database, "ada@example.org", "Ada")
    minted = await create_session(database, "ada@example.org", ttl=HOUR)
    assert not await refused(database, bearer(minted.token))

    async with database.transaction() as db:
        await db.execute(update(Identity).where(Identity.id == identity.id).values(state="inactive"))

    assert await refused(database, bearer(minted.token))


async def test_a_jwt_credential_is_an_invalid_session(database: Database) -> None:
    await create_identity(database, "ada@example.org", "Ada")
    minted = await create_session(database, "ada@example.org", ttl=HOUR)

    assert await refused(database, Credentials(CredentialKind.JWT, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"))
    # Even a valid session token, labelled as a JWT, is not looked up.
    assert await refused(database, Credentials(CredentialKind.JWT, minted.token))


@pytest.mark.parametrize(
    "selectors",
    [
        pytest.param({}, id="none"),
        pytest.param({"token": "t", "session_id": "s"}, id="token and id"),
        pytest.param({"token": "t", "email": "ada@example.org"}, id="token and email"),
        pytest.param({"session_id": "s", "email": "ada@example.org"}, id="id and email"),
        pytest.param({"token": "t", "session_id": "s", "email": "ada@example.org"}, id="all three"),
    ],
)
async def test_revoke_sessions_needs_exactly_one_selector(database: Database, selectors: dict[str, str]) -> None:
    await create_identity(database, "ada@example.org", "Ada")
    minted = await create_session(database, "ada@example.org", ttl=HOUR)

    with pytest.raises(IdentityStoreError, match="exactly one"):
        await revoke_sessions(database, **selectors)

    assert not await refused(database, bearer(minted.token))


# --- session_json ---------------------------------------------------------------------------------------------------


async def load(database: Database, session_id: str) -> tuple[IdentitySession, Identity]:
    async with database.session() as db:
        row = (
            await db.execute(
                select(IdentitySession, Identity)
                .join(Identity, Identity.id == IdentitySession.identity_id)
                .where(IdentitySession.id == session_id)
            )
        ).one()
    return row[0], row[1]


async def test_session_json_has_kratos_session_fields(database: Database) -> None:
    await create_identity(database, "ada@example.org", "Ada Lovelace")
    minted = await create_session(database, "ada@example.org", ttl=HOUR, authenticator_assurance_level="aal2")
    session, identity = await load(database, minted.session_id)

    rendered = session_json(identity, session, datetime.now(UTC))

    assert {
        "id",
        "active",
        "expires_at",
        "authenticated_at",
        "issued_at",
        "authenticator_assurance_level",
        "authentication_methods",
        "identity",
    } <= rendered.keys()
    assert rendered["id"] == minted.session_id
    assert rendered["active"] is True
    assert rendered["authenticator_assurance_level"] == "aal2"
    assert datetime.fromisoformat(rendered["expires_at"]) == session.expires_at
    assert datetime.fromisoformat(rendered["authenticated_at"]) == session.authenticated_at
    assert datetime.fromisoformat(rendered["expires_at"]).tzinfo is not None
    assert isinstance(rendered["authentication_methods"], list)
    assert all("method" in method for method in rendered["authentication_methods"])
    assert minted.token not in repr(rendered)

    kratos_identity = rendered["identity"]
    assert {"id", "schema_id", "state", "traits", "verifiable_addresses", "created_at"} <= kratos_identity.keys()
    assert kratos_identity["id"] == identity.id
    assert kratos_identity["state"] == "active"
    assert kratos_identity["traits"] == {"email": "ada@example.org", "name": "Ada Lovelace"}
    assert kratos_identity["verifiable_addresses"][0]["value"] == "ada@example.org"
    assert kratos_identity["verifiable_addresses"][0]["via"] == "email"


async def test_session_json_is_inactive_when_expired_or_revoked(database: Database) -> None:
    await create_identity(database, "ada@example.org", "Ada")
    minted = await create_session(database, "ada@example.org", ttl=HOUR)
    session, identity = await load(database, minted.session_id)

    assert session_json(identity, session, datetime.now(UTC) + 2 * HOUR)["active"] is False

    await revoke_sessions(database, session_id=minted.session_id)
    session, identity = await load(database, minted.session_id)
    assert session_json(identity, session, datetime.now(UTC))["active"] is False
