"""KratosProvider against a fake Kratos over real HTTP: what each whoami answer becomes, and what travels to Kratos."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from campaign_api.errors import IdentityServiceUnavailable, SecondFactorRequired
from campaign_api.identity.credentials import CredentialKind, Credentials
from campaign_api.identity.kratos import KratosProvider
from campaign_api.identity.provider import InvalidSession
from tests.fakes.kratos import COOKIE_NAME, FakeKratos, running_fake_kratos, unreachable_url

TIMEOUT = 0.3
# What any HTTP client sends by itself; anything else Kratos receives must be the one credential.
TRANSPORT_HEADERS = {"host", "accept", "accept-encoding", "connection", "user-agent"}


@pytest.fixture
async def provider(kratos: FakeKratos) -> AsyncIterator[KratosProvider]:
    provider = KratosProvider(kratos.url, cookie_name=COOKIE_NAME, timeout_seconds=TIMEOUT)
    try:
        yield provider
    finally:
        await provider.aclose()


def token(value: str) -> Credentials:
    return Credentials(CredentialKind.SESSION_TOKEN, value)


def cookie(value: str) -> Credentials:
    return Credentials(CredentialKind.COOKIE, value)


async def test_the_fake_speaks_the_documented_wire_format(kratos: FakeKratos) -> None:
    """Checked here so a failure below is the provider's, not the fake's (test_real_kratos compares with Kratos)."""
    session = kratos.add_session(kind="cookie")
    aal2 = kratos.add_session(aal2_required=True)
    async with httpx.AsyncClient(base_url=kratos.url) as client:
        ok = await client.get("/sessions/whoami", headers={"Cookie": f"theme=dark; {COOKIE_NAME}={session.credential}"})
        unknown = await client.get("/sessions/whoami", headers={"Authorization": "Bearer ory_st_unknown"})
        forbidden = await client.get("/sessions/whoami", headers={"X-Session-Token": aal2.credential})

    assert ok.status_code == 200
    assert ok.headers["X-Kratos-Authenticated-Identity-Id"] == session.identity.id
    body = ok.json()
    assert set(body) >= {"id", "active", "expires_at", "authenticated_at", "issued_at", "devices", "identity"}
    assert set(body) >= {"authenticator_assurance_level", "authentication_methods"}
    assert set(body["identity"]) >= {"id", "schema_id", "state", "traits", "verifiable_addresses", "metadata_public"}
    assert set(body["identity"]) >= {"created_at", "updated_at"}
    assert body["active"] is True and body["identity"]["state"] == "active"
    assert body["expires_at"].endswith("Z")
    assert {"value", "verified", "via", "status"} <= set(body["identity"]["verifiable_addresses"][0])

    assert unknown.status_code == 401
    assert unknown.json() == {
        "error": {
            "code": 401,
            "status": "Unauthorized",
            "reason": "No valid session credentials found in the request.",
            "message": "The request could not be authorized",
        }
    }
    assert forbidden.status_code == 403
    redirect = f"{kratos.url}/self-service/login/browser?aal=aal2"
    assert forbidden.json()["error"]["id"] == "session_aal2_required"
    assert forbidden.json()["error"]["details"] == {"redirect_browser_to": redirect}
    assert forbidden.json()["redirect_browser_to"] == redirect


async def test_a_session_becomes_a_viewer(kratos: FakeKratos, provider: KratosProvider) -> None:
    expires_at = datetime(2031, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)
    session = kratos.add_session(
        email="grace@example.org",
        first_name="Grace",
        last_name="Hopper",
        expires_at=expires_at,
        authenticator_assurance_level="aal2",
    )

    viewer = await provider.resolve(token(session.credential))

    assert viewer.identity_id == session.identity.id
    assert viewer.email == "grace@example.org"
    assert viewer.name == "Grace Hopper"
    assert viewer.traits == {"email": "grace@example.org", "name": {"first": "Grace", "last": "Hopper"}}
    assert viewer.session_id == session.id
    assert viewer.session_expires_at == expires_at
    assert viewer.authenticator_assurance_level == "aal2"
    assert kratos.whoami_calls == 1


async def test_a_cookie_session_becomes_a_viewer(kratos: FakeKratos, provider: KratosProvider) -> None:
    session = kratos.add_session(kind="cookie")

    viewer = await provider.resolve(cookie(session.credential))

    assert viewer.identity_id == session.identity.id
    assert viewer.name == "Ada Lovelace"
    assert viewer.authenticator_assurance_level == "aal1"


async def test_a_name_with_only_a_first_part(kratos: FakeKratos, provider: KratosProvider) -> None:
    session = kratos.add_session(first_name="Plato", last_name=None)

    assert (await provider.resolve(token(session.credential))).name == "Plato"


async def test_a_public_url_with_a_path_prefix_and_a_trailing_slash() -> None:
    """Kratos behind a proxy (Ory's tunnel serves it under /.ory): whoami is resolved under the prefix."""
    with running_fake_kratos(prefix="/.ory/kratos/public") as kratos:
        session = kratos.add_session()
        provider = KratosProvider(kratos.url + "/", cookie_name=COOKIE_NAME, timeout_seconds=TIMEOUT)
        try:
            viewer = await provider.resolve(token(session.credential))
        finally:
            await provider.aclose()
    assert viewer.identity_id == session.identity.id


async def test_an_unknown_credential_is_an_invalid_session(kratos: FakeKratos, provider: KratosProvider) -> None:
    with pytest.raises(InvalidSession):
        await provider.resolve(token("ory_st_unknown"))
    with pytest.raises(InvalidSession):
        await provider.resolve(cookie("unknown-cookie"))
    assert kratos.whoami_calls == 2


async def test_a_token_is_not_accepted_as_a_cookie(kratos: FakeKratos, provider: KratosProvider) -> None:
    """The provider sends each credential where Kratos reads that kind: a token sent as a cookie names nothing."""
    session = kratos.add_session(kind="token")

    with pytest.raises(InvalidSession):
        await provider.resolve(cookie(session.credential))


@pytest.mark.parametrize(
    "state",
    [
        pytest.param({"active": False}, id="revoked-session"),
        pytest.param({"identity_state": "inactive"}, id="inactive-identity"),
        pytest.param({"expires_in": timedelta(seconds=-1)}, id="expired-session"),
    ],
)
async def test_a_session_kratos_calls_inactive_is_an_invalid_session(
    kratos: FakeKratos, provider: KratosProvider, state: dict
) -> None:
    """Real Kratos answers 401 for these (``Session.IsActive``)."""
    session = kratos.add_session(**state)

    with pytest.raises(InvalidSession):
        await provider.resolve(token(session.credential))


@pytest.mark.parametrize(
    "state",
    [
        pytest.param({"active": False}, id="inactive-session"),
        pytest.param({"identity_state": "inactive"}, id="inactive-identity"),
    ],
)
async def test_a_200_describing_an_inactive_session_or_identity_is_no_viewer(
    kratos: FakeKratos, provider: KratosProvider, state: dict
) -> None:
    """Defence in depth: even if something answered 200 with it, an inactive session or identity is nobody."""
    kratos.enforce_active = False
    session = kratos.add_session(**state)

    with pytest.raises(InvalidSession):
        await provider.resolve(token(session.credential))
    assert kratos.whoami_calls == 1


async def test_aal2_required_is_a_second_factor_error(kratos: FakeKratos, provider: KratosProvider) -> None:
    session = kratos.add_session(aal2_required=True)

    with pytest.raises(SecondFactorRequired) as raised:
        await provider.resolve(token(session.credential))

    redirect = raised.value.graphql_extensions()["redirectBrowserTo"]
    assert redirect == f"{kratos.url}/self-service/login/browser?aal=aal2"
    assert raised.value.graphql_extensions()["code"] == "SESSION_AAL2_REQUIRED"


async def test_a_slow_kratos_is_unavailable_within_the_timeout(kratos: FakeKratos, provider: KratosProvider) -> None:
    session = kratos.add_session()
    kratos.slow, kratos.slow_seconds = True, 10 * TIMEOUT

    started = time.monotonic()
    with pytest.raises(IdentityServiceUnavailable):
        await provider.resolve(token(session.credential))
    elapsed = time.monotonic() - started

    assert kratos.whoami_calls == 1
    assert elapsed < 3 * TIMEOUT, f"waited {elapsed:.2f}s for a {TIMEOUT}s timeout"


async def test_a_trickling_kratos_is_unavailable_within_the_timeout(
    kratos: FakeKratos, provider: KratosProvider
) -> None:
    session = kratos.add_session()
    kratos.trickle, kratos.trickle_interval_seconds, kratos.trickle_chunks = True, TIMEOUT / 2, 8

    started = time.monotonic()
    with pytest.raises(IdentityServiceUnavailable):
        await provider.resolve(token(session.credential))
    elapsed = time.monotonic() - started

    assert elapsed < 3 * TIMEOUT, f"waited {elapsed:.2f}s for a {TIMEOUT}s timeout"


async def test_a_kratos_nobody_listens_for_is_unavailable() -> None:
    with unreachable_url() as url:
        provider = KratosProvider(url, cookie_name=COOKIE_NAME, timeout_seconds=TIMEOUT)
        try:
            with pytest.raises(IdentityServiceUnavailable):
                await provider.resolve(token("ory_st_anything"))
        finally:
            await provider.aclose()


async def test_a_kratos_that_goes_down_is_unavailable() -> None:
    """Up first (so the provider holds a pooled connection to it), then stopped: refused, not a crash."""
    with running_fake_kratos() as kratos:
        session = kratos.add_session()
        provider = KratosProvider(kratos.url, cookie_name=COOKIE_NAME, timeout_seconds=TIMEOUT)
        try:
            assert (await provider.resolve(token(session.credential))).identity_id == session.identity.id

            kratos.stop()

            with pytest.raises(IdentityServiceUnavailable):
                await provider.resolve(token(session.credential))
        finally:
            await provider.aclose()


async def test_only_the_session_cookie_is_forwarded(kratos: FakeKratos, provider: KratosProvider) -> None:
    session = kratos.add_session(kind="cookie")

    await provider.resolve(cookie(session.credential))

    [received] = kratos.requests
    assert received.getlist("cookie") == [f"{COOKIE_NAME}={session.credential}"]
    assert received.header_names - TRANSPORT_HEADERS == {"cookie"}
    assert received.get("accept") == "application/json"


async def test_only_the_session_token_is_forwarded(kratos: FakeKratos, provider: KratosProvider) -> None:
    session = kratos.add_session(kind="token")

    await provider.resolve(token(session.credential))

    [received] = kratos.requests
    assert received.getlist("x-session-token") == [session.credential]
    assert received.header_names - TRANSPORT_HEADERS == {"x-session-token"}


async def test_a_jwt_is_never_sent_to_kratos(kratos: FakeKratos, provider: KratosProvider) -> None:
    with pytest.raises(InvalidSession):
        await provider.resolve(Credentials(CredentialKind.JWT, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"))
    assert kratos.whoami_calls == 0
