"""Embedded sessions through the real server (uvicorn, default settings: the embedded provider): the three ways a
token travels, what a bad, stale or malformed credential gets, revocation with and without the session cache, and
the GraphiQL page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from campaign_api.db.database import Database
from campaign_api.identity.embedded import MintedSession, create_identity, create_session, revoke_sessions
from campaign_api.settings import Settings
from tests.conftest import ClientFactory, signature_count
from tests.graphql_client import bearer, error_codes, post_graphql, session_token

VIEWER = "{ viewer { id email name sessionExpiresAt authenticatorAssuranceLevel } }"
COOKIE_NAME = "ory_kratos_session"
UNKNOWN_TOKEN = "Zm9yZ2VkLXRva2VuLXRoYXQtbmFtZXMtbm8tc2Vzc2lvbg"


@pytest.fixture
def client_with(client_with: ClientFactory, database: Database) -> ClientFactory:
    """The module's shared servers (tokens are random, so what one test leaves in a server's session cache is nothing
    another test can meet), each client made after ``database`` emptied this test's database."""
    return client_with


@pytest.fixture
def client(client_with: ClientFactory) -> httpx.AsyncClient:
    return client_with()


@pytest.fixture
async def ada(database: Database) -> MintedSession:
    await create_identity(database, "ada@example.org", "Ada Lovelace")
    return await create_session(database, "ada@example.org", ttl=timedelta(hours=2))


def cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE_NAME}={token}"}


HEADER_WAYS = [pytest.param(bearer, id="Authorization Bearer"), pytest.param(session_token, id="X-Session-Token")]
ALL_WAYS = [*HEADER_WAYS, pytest.param(cookie, id="session cookie")]


async def viewer_of(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any] | None:
    response = await post_graphql(client, VIEWER, headers=headers)
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body
    return body["data"]["viewer"]


def assert_unauthenticated(response: httpx.Response) -> None:
    """401, a WWW-Authenticate challenge, UNAUTHENTICATED, and no data: nothing ran."""
    body = response.json()
    assert response.status_code == 401, body
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] is None


# --- the three ways a token travels ---------------------------------------------------------------------------------


@pytest.mark.parametrize("way", ALL_WAYS)
async def test_the_viewer_is_resolved_from_each_way_a_token_travels(
    client: httpx.AsyncClient, database: Database, ada: MintedSession, way: Callable[[str], dict[str, str]]
) -> None:
    # No Origin header: a curl-like client, which the CSRF guard lets through with a cookie too.
    viewer = await viewer_of(client, way(ada.token))

    assert viewer is not None
    assert viewer["id"] == ada.identity_id
    assert viewer["email"] == "ada@example.org"
    assert viewer["name"] == "Ada Lovelace"
    assert viewer["authenticatorAssuranceLevel"] == "aal1"
    expires_at = datetime.fromisoformat(viewer["sessionExpiresAt"].replace("Z", "+00:00"))
    assert abs(expires_at - ada.expires_at) < timedelta(seconds=1)
    assert timedelta(hours=1, minutes=59) < expires_at - datetime.now(UTC) <= timedelta(hours=2)


async def test_the_viewer_is_null_without_credentials(client: httpx.AsyncClient, ada: MintedSession) -> None:
    assert await viewer_of(client, {}) is None


async def test_an_aal2_session_is_reported_as_aal2(client: httpx.AsyncClient, database: Database) -> None:
    await create_identity(database, "bob@example.org", "Bob")
    minted = await create_session(
        database, "bob@example.org", ttl=timedelta(hours=1), authenticator_assurance_level="aal2"
    )

    viewer = await viewer_of(client, bearer(minted.token))

    assert viewer is not None
    assert viewer["authenticatorAssuranceLevel"] == "aal2"


async def test_a_header_token_wins_over_the_cookie(client: httpx.AsyncClient, database: Database) -> None:
    await create_identity(database, "ada@example.org", "Ada")
    await create_identity(database, "bob@example.org", "Bob")
    adas = await create_session(database, "ada@example.org", ttl=timedelta(hours=1))
    bobs = await create_session(database, "bob@example.org", ttl=timedelta(hours=1))

    viewer = await viewer_of(client, {**cookie(adas.token), **bearer(bobs.token)})

    assert viewer is not None
    assert viewer["email"] == "bob@example.org"


# --- bad, stale and malformed credentials ---------------------------------------------------------------------------


@pytest.mark.parametrize("way", HEADER_WAYS)
async def test_an_unknown_header_token_is_401_and_runs_nothing(
    client: httpx.AsyncClient,
    database: Database,
    sign_operation: dict[str, Any],
    way: Callable[[str], dict[str, str]],
) -> None:
    assert_unauthenticated(await post_graphql(client, VIEWER, headers=way(UNKNOWN_TOKEN)))

    response = await client.post("/graphql", json=sign_operation, headers=way(UNKNOWN_TOKEN))

    assert_unauthenticated(response)
    assert await signature_count(database) == 0


async def test_the_same_mutation_without_credentials_signs(
    client: httpx.AsyncClient, database: Database, sign_operation: dict[str, Any]
) -> None:
    """The control for the refusals: the mutation does run when nothing stops it."""
    response = await client.post("/graphql", json=sign_operation)

    assert response.status_code == 200, response.text
    assert response.json()["data"]["signPetition"] == {"petition": {"signatureCount": 1}, "userErrors": []}
    assert await signature_count(database) == 1


async def test_an_expired_header_token_is_401(client: httpx.AsyncClient, database: Database) -> None:
    await create_identity(database, "ada@example.org", "Ada")
    minted = await create_session(database, "ada@example.org", ttl=timedelta(seconds=-1))

    assert_unauthenticated(await post_graphql(client, VIEWER, headers=bearer(minted.token)))


async def test_a_stale_cookie_is_anonymous_not_an_error(
    client: httpx.AsyncClient, database: Database, sign_operation: dict[str, Any]
) -> None:
    assert await viewer_of(client, cookie(UNKNOWN_TOKEN)) is None

    response = await client.post("/graphql", json=sign_operation, headers=cookie(UNKNOWN_TOKEN))

    assert response.status_code == 200, response.text
    assert response.json()["data"]["signPetition"]["userErrors"] == []  # signed anonymously, as anyone may
    assert await signature_count(database) == 1


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Basic YWRhOnNlY3JldA==", id="Basic"),
        pytest.param("Basic abc", id="Basic abc"),
        pytest.param("Bearer", id="Bearer without a token"),
        pytest.param("Token abc", id="another scheme"),
        pytest.param("abc", id="a bare token"),
        pytest.param("Bearer " + "a" * 9000, id="too long"),
    ],
)
async def test_a_malformed_authorization_header_is_401_and_runs_nothing(
    client: httpx.AsyncClient, database: Database, sign_operation: dict[str, Any], authorization: str
) -> None:
    assert_unauthenticated(await post_graphql(client, VIEWER, headers={"Authorization": authorization}))

    response = await client.post("/graphql", json=sign_operation, headers={"Authorization": authorization})

    assert_unauthenticated(response)
    assert await signature_count(database) == 0


async def test_a_malformed_authorization_header_is_401_even_with_a_valid_cookie(
    client: httpx.AsyncClient, ada: MintedSession
) -> None:
    response = await post_graphql(client, VIEWER, headers={"Authorization": "Basic abc", **cookie(ada.token)})

    assert_unauthenticated(response)


# --- revocation and the session cache -------------------------------------------------------------------------------


@pytest.mark.parametrize("way", HEADER_WAYS)
async def test_without_the_cache_the_request_after_revocation_is_401(
    client_with: ClientFactory, database: Database, ada: MintedSession, way: Callable[[str], dict[str, str]]
) -> None:
    client = client_with(session_cache_seconds=0)
    assert (await viewer_of(client, way(ada.token)) or {}).get("email") == "ada@example.org"

    assert await revoke_sessions(database, token=ada.token) == 1

    assert_unauthenticated(await post_graphql(client, VIEWER, headers=way(ada.token)))


async def test_without_the_cache_a_revoked_cookie_is_anonymous_at_once(
    client_with: ClientFactory, database: Database, ada: MintedSession
) -> None:
    client = client_with(session_cache_seconds=0)
    assert await viewer_of(client, cookie(ada.token)) is not None

    await revoke_sessions(database, email="ada@example.org")

    assert await viewer_of(client, cookie(ada.token)) is None


async def test_with_the_default_cache_a_revoked_token_is_served_within_the_revocation_window(
    client: httpx.AsyncClient, database: Database, ada: MintedSession
) -> None:
    """The documented trade-off: a resolved session is served from the per-process cache for up to
    ``session_cache_seconds`` (60 s by default), so a revocation takes effect only when the entry lapses."""
    assert Settings.model_fields["session_cache_seconds"].default == 60
    first = await viewer_of(client, bearer(ada.token))

    assert await revoke_sessions(database, token=ada.token) == 1

    second = await viewer_of(client, bearer(ada.token))
    assert second is not None
    assert second == first  # still served: the revocation window


# --- GraphiQL -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(bearer(UNKNOWN_TOKEN), id="unknown Bearer token"),
        pytest.param(session_token(UNKNOWN_TOKEN), id="unknown X-Session-Token"),
        pytest.param({"Authorization": "Basic abc"}, id="malformed Authorization"),
        pytest.param(cookie(UNKNOWN_TOKEN), id="stale cookie"),
    ],
)
async def test_the_graphiql_page_is_served_whatever_credentials_come_with_the_get(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html", **headers})

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


# --- the cookie among the browser's other cookies -------------------------------------------------------------------


async def test_the_session_cookie_is_found_among_other_cookies(client: httpx.AsyncClient, ada: MintedSession) -> None:
    headers = {"Cookie": f"_ga=GA1.2.3.4; theme=dark; {COOKIE_NAME}={ada.token}; lang=en-GB"}

    viewer = await viewer_of(client, headers)

    assert viewer is not None
    assert viewer["email"] == "ada@example.org"


@pytest.mark.parametrize(
    "other_cookies",
    [
        pytest.param(('consent={"analytics":true}', ""), id="a JSON-valued cookie before it"),
        pytest.param(("", "theme=dark mode"), id="a cookie with a space after it"),
    ],
)
async def test_the_session_cookie_survives_a_foreign_cookie_that_is_not_token_safe(
    client: httpx.AsyncClient, ada: MintedSession, other_cookies: tuple[str, str]
) -> None:
    before, after = other_cookies
    parts = [part for part in (before, f"{COOKIE_NAME}={ada.token}", after) if part]

    viewer = await viewer_of(client, {"Cookie": "; ".join(parts)})

    assert viewer is not None
    assert viewer["email"] == "ada@example.org"
