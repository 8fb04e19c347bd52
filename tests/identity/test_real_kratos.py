"""Against a real Ory Kratos, when one is named: ``KRATOS_PUBLIC_URL`` (e.g. ``http://127.0.0.1:4433``).

A fresh identity is made through Kratos's API flows (no cookies, no Origin header: Kratos refuses API flows that
carry either): ``GET /self-service/registration/api``, then ``POST /self-service/registration?flow=<id>`` with
``method: password`` and the traits. When Kratos's ``session`` hook does not run after registration, the session
token comes from the login API flow (``GET /self-service/login/api``, ``POST /self-service/login?flow=<id>``).
With ``KRATOS_ADMIN_URL`` also set, the identity is created through ``POST /admin/identities`` instead (it needs no
registration settings) and deleted afterwards.

The traits are ``email`` and ``name: {first, last}`` (Kratos's quickstart schema); a schema without a name gets only
the email. The same viewer query as against the fake then runs through the real app, and whoami itself is checked
against the fake's wire format, so the fake cannot drift from the real thing unnoticed.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import ServeFactory
from tests.fakes.kratos import FakeKratos, parse_datetime
from tests.graphql_client import error_codes, post_graphql

KRATOS_PUBLIC_URL = (os.environ.get("KRATOS_PUBLIC_URL") or "").rstrip("/")
KRATOS_ADMIN_URL = (os.environ.get("KRATOS_ADMIN_URL") or "").rstrip("/")

pytestmark = pytest.mark.skipif(
    not KRATOS_PUBLIC_URL,
    reason="no real Kratos: set KRATOS_PUBLIC_URL to its public API (e.g. http://127.0.0.1:4433) to run these",
)

VIEWER = "{ viewer { id email name sessionExpiresAt authenticatorAssuranceLevel } }"
JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}
FIRST, LAST = "Campaign", "Tester"
# The Session and Identity fields the reference documents (and the fake sends).
SESSION_KEYS = {
    "id",
    "active",
    "expires_at",
    "authenticated_at",
    "issued_at",
    "authenticator_assurance_level",
    "authentication_methods",
    "devices",
    "identity",
}
IDENTITY_KEYS = {
    "id",
    "schema_id",
    "state",
    "traits",
    "verifiable_addresses",
    "metadata_public",
    "created_at",
    "updated_at",
}


@dataclass
class Account:
    identity_id: str
    email: str
    password: str
    has_name: bool


def _client() -> httpx.Client:
    """A fresh client per flow: nothing may carry a cookie into an API flow."""
    return httpx.Client(base_url=KRATOS_PUBLIC_URL, headers=JSON_HEADERS, timeout=15, follow_redirects=False)


def _api_flow(kind: str) -> str:
    with _client() as client:
        response = client.get(f"/self-service/{kind}/api")
    assert response.status_code == 200, response.text
    return response.json()["id"]


def _register(email: str, password: str, traits: dict[str, Any]) -> httpx.Response:
    if KRATOS_ADMIN_URL:
        body = {
            "schema_id": "default",
            "state": "active",
            "traits": traits,
            "credentials": {"password": {"config": {"password": password}}},
        }
        with httpx.Client(base_url=KRATOS_ADMIN_URL, headers=JSON_HEADERS, timeout=15) as admin:
            return admin.post("/admin/identities", json=body)
    flow = _api_flow("registration")
    with _client() as client:
        return client.post(
            "/self-service/registration",
            params={"flow": flow},
            json={"method": "password", "password": password, "traits": traits},
        )


def _create_account() -> Account:
    email = f"campaign-api-test-{uuid.uuid4().hex[:12]}@example.org"
    password = secrets.token_urlsafe(24)
    attempts = [
        ({"email": email, "name": {"first": FIRST, "last": LAST}}, True),
        ({"email": email}, False),  # an identity schema without a name
    ]
    response: httpx.Response | None = None
    for traits, has_name in attempts:
        response = _register(email, password, traits)
        if response.status_code in (200, 201):
            body = response.json()
            identity = body.get("identity", body)  # self-service answers {identity, ...}; the admin API the identity
            return Account(identity["id"], email, password, has_name)
    assert response is not None
    pytest.fail(f"Kratos refused to create an identity: {response.status_code} {response.text[:2000]}")


def login(account: Account) -> dict[str, Any]:
    """A new session for ``account`` through the login API flow: ``{"session_token": ..., "session": {...}}``."""
    flow = _api_flow("login")
    with _client() as client:
        response = client.post(
            "/self-service/login",
            params={"flow": flow},
            json={"method": "password", "identifier": account.email, "password": account.password},
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("session_token"), body
    return body


@pytest.fixture(scope="module")
def account() -> Iterator[Account]:
    account = _create_account()
    yield account
    if KRATOS_ADMIN_URL:
        with httpx.Client(base_url=KRATOS_ADMIN_URL, timeout=15) as admin:
            admin.delete(f"/admin/identities/{account.identity_id}")


@pytest.fixture
def session(account: Account) -> dict[str, Any]:
    return login(account)


async def test_whoami_speaks_the_wire_format_the_fake_speaks(account: Account, session: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=KRATOS_PUBLIC_URL, timeout=15) as client:
        good = await client.get("/sessions/whoami", headers={"X-Session-Token": session["session_token"]})
        bearer = await client.get("/sessions/whoami", headers={"Authorization": f"Bearer {session['session_token']}"})
        bad = await client.get("/sessions/whoami", headers={"X-Session-Token": "ory_st_not-a-session"})

    assert good.status_code == 200, good.text
    assert bearer.status_code == 200, bearer.text
    assert good.headers["X-Kratos-Authenticated-Identity-Id"] == account.identity_id
    real = good.json()
    assert real["active"] is True
    assert real["identity"]["id"] == account.identity_id
    assert real["identity"]["state"] == "active"
    assert real["authenticator_assurance_level"] == "aal1"

    fake = FakeKratos().add_session().to_json("http://fake")
    for document in (real, fake):
        assert set(document) >= SESSION_KEYS, SESSION_KEYS - set(document)
        assert set(document["identity"]) >= IDENTITY_KEYS, IDENTITY_KEYS - set(document["identity"])
    assert set(fake) <= set(real), set(fake) - set(real)

    assert bad.status_code == 401
    error = bad.json()["error"]
    # Kratos's docs name error.id session_inactive; the server sends herodot's ErrNoSessionFound, without an id.
    assert (error.get("id", "session_inactive"), error["code"], error["status"]) == (
        "session_inactive",
        401,
        "Unauthorized",
    )


@pytest.mark.parametrize("carrier", ["x-session-token", "bearer"])
async def test_the_viewer_of_a_real_kratos_session(
    serve: ServeFactory, account: Account, session: dict[str, Any], carrier: str
) -> None:
    base_url = serve(identity_provider="kratos", kratos_public_url=KRATOS_PUBLIC_URL)
    token = session["session_token"]
    headers = {"X-Session-Token": token} if carrier == "x-session-token" else {"Authorization": f"Bearer {token}"}

    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await post_graphql(client, VIEWER, headers=headers)

    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body
    viewer = body["data"]["viewer"]
    assert viewer is not None
    assert viewer["id"] == account.identity_id
    assert viewer["email"] == account.email
    if account.has_name:
        assert viewer["name"] == f"{FIRST} {LAST}"
    assert viewer["authenticatorAssuranceLevel"] == session["session"]["authenticator_assurance_level"]
    expected_expiry = parse_datetime(session["session"]["expires_at"])
    assert abs((parse_datetime(viewer["sessionExpiresAt"]) - expected_expiry).total_seconds()) < 1


async def test_an_invalid_token_is_a_401(serve: ServeFactory) -> None:
    base_url = serve(identity_provider="kratos", kratos_public_url=KRATOS_PUBLIC_URL)

    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await post_graphql(client, VIEWER, headers={"X-Session-Token": "ory_st_not-a-session"})

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert error_codes(response.json()) == ["UNAUTHENTICATED"]


async def test_a_logged_out_session_is_a_401(serve: ServeFactory, session: dict[str, Any]) -> None:
    base_url = serve(identity_provider="kratos", kratos_public_url=KRATOS_PUBLIC_URL, session_cache_seconds=0)
    headers = {"X-Session-Token": session["session_token"]}

    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        before = await post_graphql(client, VIEWER, headers=headers)
        async with httpx.AsyncClient(base_url=KRATOS_PUBLIC_URL, headers=JSON_HEADERS, timeout=15) as kratos:
            logout = await kratos.request(
                "DELETE", "/self-service/logout/api", json={"session_token": session["session_token"]}
            )
        after = await post_graphql(client, VIEWER, headers=headers)

    assert before.status_code == 200 and before.json()["data"]["viewer"] is not None, before.text
    assert logout.status_code == 204, logout.text
    assert after.status_code == 401
    assert error_codes(after.json()) == ["UNAUTHENTICATED"]
