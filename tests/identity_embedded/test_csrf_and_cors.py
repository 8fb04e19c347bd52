"""Cross-site request forgery and CORS for the session cookie, through the real server with one allowed frontend
origin (``https://app.example.org``) and a valid embedded session sent as the cookie a browser attaches by itself.

A cookie-authenticated request must come from the allowed origin or the API's own; header tokens are not subject to
that rule (no page on another site can set them). Every refusal is checked to have run nothing: its operation signs a
petition, and no signature row may appear."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from campaign_api.db.database import Database
from campaign_api.identity.embedded import MintedSession, create_identity, create_session
from campaign_api.settings import Settings
from tests.conftest import ClientFactory, ServeFactory, signature_count
from tests.graphql_client import error_codes

APP = "https://app.example.org"
EVIL = "https://evil.example.org"
COOKIE_NAME = "ory_kratos_session"
VIEWER = "{ viewer { id email } }"


@pytest.fixture
def base_url(served: ServeFactory) -> str:
    """The module's shared server, allowing the frontend origin: these tests leave nothing in it another test could meet
    (tokens are random)."""
    return served(cors_origins=APP)


@pytest.fixture
def client(client_with: ClientFactory, database: Database) -> httpx.AsyncClient:
    return client_with(cors_origins=APP)


@pytest.fixture
async def ada(database: Database) -> MintedSession:
    await create_identity(database, "ada@example.org", "Ada Lovelace")
    return await create_session(database, "ada@example.org", ttl=timedelta(hours=1))


def cookie(session: MintedSession) -> dict[str, str]:
    return {"Cookie": f"{COOKIE_NAME}={session.token}"}


def assert_forbidden(response: httpx.Response) -> None:
    body = response.json()
    assert response.status_code == 403, body
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["data"] is None


# --- refused: cookie-authenticated requests a page on another origin could start -------------------------------------

REFUSED_ORIGINS = [
    pytest.param({"Origin": EVIL}, id="another site"),
    pytest.param({"Origin": "null"}, id="Origin null (sandboxed frame, data: URL)"),
    pytest.param({"Origin": "https://evil.app.example.org"}, id="a subdomain of the allowed origin"),
    pytest.param({"Origin": "https://api.example.org"}, id="a sibling subdomain"),
    pytest.param({"Origin": "https://app.example.org.evil.org"}, id="the allowed origin as a prefix"),
    pytest.param({"Origin": "http://app.example.org"}, id="the allowed host over http"),
    pytest.param({"Origin": "https://app.example.org:8443"}, id="the allowed host on another port"),
    pytest.param({"Sec-Fetch-Site": "same-site"}, id="Sec-Fetch-Site same-site without Origin"),
    pytest.param({"Sec-Fetch-Site": "cross-site"}, id="Sec-Fetch-Site cross-site without Origin"),
    pytest.param({"Origin": EVIL, "Sec-Fetch-Site": "same-origin"}, id="a bad Origin wins over Sec-Fetch-Site"),
]


@pytest.mark.parametrize("where_from", REFUSED_ORIGINS)
async def test_a_cookie_request_from_a_disallowed_page_is_403_and_runs_nothing(
    client: httpx.AsyncClient,
    database: Database,
    ada: MintedSession,
    sign_operation: dict[str, Any],
    where_from: dict[str, str],
) -> None:
    response = await client.post("/graphql", json=sign_operation, headers={**cookie(ada), **where_from})

    assert_forbidden(response)
    assert await signature_count(database) == 0


@pytest.mark.parametrize(
    "where_from",
    [pytest.param({}, id="no Origin"), pytest.param({"Origin": "https://evil.example.org"}, id="another site")],
)
@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data"],
)
async def test_a_cookie_request_a_form_or_no_cors_fetch_could_send_is_refused_and_runs_nothing(
    client: httpx.AsyncClient,
    database: Database,
    ada: MintedSession,
    sign_operation: dict[str, Any],
    content_type: str,
    where_from: dict[str, str],
) -> None:
    """What a page can send without a preflight. 415 (not JSON) is as much a refusal as 403."""
    response = await client.post(
        "/graphql",
        content=json.dumps(sign_operation),
        headers={**cookie(ada), "Content-Type": content_type, **where_from},
    )

    assert 400 <= response.status_code < 500, response.text
    assert response.status_code in (403, 415)
    assert await signature_count(database) == 0


async def test_a_cookie_form_post_is_refused_and_runs_nothing(
    client: httpx.AsyncClient, database: Database, ada: MintedSession, sign_operation: dict[str, Any]
) -> None:
    form = {"query": sign_operation["query"], "variables": json.dumps(sign_operation["variables"])}

    response = await client.post("/graphql", data=form, headers={**cookie(ada), "Origin": EVIL})

    assert 400 <= response.status_code < 500, response.text
    assert await signature_count(database) == 0


@pytest.mark.parametrize(
    "where_from", [pytest.param({}, id="no Origin"), pytest.param({"Origin": APP}, id="the allowed origin")]
)
async def test_a_cookie_operation_over_get_is_405_and_runs_nothing(
    client: httpx.AsyncClient,
    database: Database,
    ada: MintedSession,
    sign_operation: dict[str, Any],
    where_from: dict[str, str],
) -> None:
    params = {"query": sign_operation["query"], "variables": json.dumps(sign_operation["variables"])}

    response = await client.get("/graphql", params=params, headers={**cookie(ada), **where_from})

    assert response.status_code == 405, response.text
    assert await signature_count(database) == 0


# --- allowed: the frontend, the API's own pages, and clients that are not browsers ----------------------------------


async def test_the_allowed_origin_runs_with_the_cookie_and_gets_credentialed_cors_headers(
    client: httpx.AsyncClient, database: Database, ada: MintedSession, sign_operation: dict[str, Any]
) -> None:
    headers = {**cookie(ada), "Origin": APP}
    response = await client.post("/graphql", json={"query": VIEWER}, headers=headers)

    body = response.json()
    assert response.status_code == 200, body
    assert body["data"]["viewer"] == {"id": ada.identity_id, "email": "ada@example.org"}
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "origin" in response.headers.get("Vary", "").lower()

    signed = await client.post("/graphql", json=sign_operation, headers=headers)

    assert signed.status_code == 200, signed.text
    assert signed.json()["data"]["signPetition"]["userErrors"] == []
    assert signed.headers["Access-Control-Allow-Origin"] == APP
    assert await signature_count(database) == 1


@pytest.mark.parametrize(
    "where_from",
    [
        pytest.param("own origin", id="the API's own origin"),
        pytest.param({"Sec-Fetch-Site": "same-origin"}, id="Sec-Fetch-Site same-origin without Origin"),
        pytest.param({"Sec-Fetch-Site": "none"}, id="Sec-Fetch-Site none (typed by the user) without Origin"),
        pytest.param({}, id="no Origin and no Sec-Fetch-Site (not a browser)"),
    ],
)
async def test_a_cookie_request_from_an_allowed_page_resolves_the_viewer(
    client: httpx.AsyncClient, base_url: str, ada: MintedSession, where_from: dict[str, str] | str
) -> None:
    headers = {"Origin": base_url} if where_from == "own origin" else where_from
    assert isinstance(headers, dict)

    response = await client.post("/graphql", json={"query": VIEWER}, headers={**cookie(ada), **headers})

    body = response.json()
    assert response.status_code == 200, body
    assert body["data"]["viewer"] == {"id": ada.identity_id, "email": "ada@example.org"}


async def test_the_api_own_origin_may_sign_with_the_cookie(
    client: httpx.AsyncClient, base_url: str, database: Database, ada: MintedSession, sign_operation: dict[str, Any]
) -> None:
    response = await client.post("/graphql", json=sign_operation, headers={**cookie(ada), "Origin": base_url})

    assert response.status_code == 200, response.text
    assert response.json()["data"]["signPetition"]["userErrors"] == []
    assert await signature_count(database) == 1


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(lambda token: {"Authorization": f"Bearer {token}"}, id="Authorization Bearer"),
        pytest.param(lambda token: {"X-Session-Token": token}, id="X-Session-Token"),
    ],
)
async def test_a_header_token_from_a_disallowed_origin_is_not_subject_to_the_origin_rule(
    client: httpx.AsyncClient, database: Database, ada: MintedSession, sign_operation: dict[str, Any], header: Any
) -> None:
    headers = {**header(ada.token), "Origin": EVIL}
    response = await client.post("/graphql", json={"query": VIEWER}, headers=headers)

    body = response.json()
    assert response.status_code == 200, body
    assert body["data"]["viewer"] == {"id": ada.identity_id, "email": "ada@example.org"}
    assert "Access-Control-Allow-Origin" not in response.headers  # a browser would still hide the answer

    signed = await client.post("/graphql", json=sign_operation, headers=headers)

    assert signed.status_code == 200, signed.text
    assert signed.json()["data"]["signPetition"]["userErrors"] == []
    assert await signature_count(database) == 1


async def test_a_header_token_wins_over_the_cookie_from_a_disallowed_origin(
    client: httpx.AsyncClient, database: Database, ada: MintedSession
) -> None:
    await create_identity(database, "bob@example.org", "Bob")
    bob = await create_session(database, "bob@example.org", ttl=timedelta(hours=1))

    response = await client.post(
        "/graphql",
        json={"query": VIEWER},
        headers={**cookie(ada), "Authorization": f"Bearer {bob.token}", "Origin": EVIL},
    )

    assert response.status_code == 200, response.text
    assert response.json()["data"]["viewer"]["email"] == "bob@example.org"


async def test_an_anonymous_request_from_a_disallowed_origin_is_not_refused(
    client: httpx.AsyncClient, database: Database, sign_operation: dict[str, Any]
) -> None:
    """Nothing to forge without a cookie: anyone may sign a petition, from anywhere."""
    response = await client.post("/graphql", json=sign_operation, headers={"Origin": EVIL})

    assert response.status_code == 200, response.text
    assert response.json()["data"]["signPetition"]["userErrors"] == []
    assert await signature_count(database) == 1


async def test_a_stale_cookie_from_a_disallowed_origin_is_still_refused(
    client: httpx.AsyncClient, database: Database, sign_operation: dict[str, Any]
) -> None:
    response = await client.post(
        "/graphql", json=sign_operation, headers={"Cookie": f"{COOKIE_NAME}=stale", "Origin": EVIL}
    )

    assert_forbidden(response)
    assert await signature_count(database) == 0


# --- preflight ------------------------------------------------------------------------------------------------------


def preflight_headers(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, authorization",
    }


async def test_a_preflight_from_the_allowed_origin_is_answered(client: httpx.AsyncClient) -> None:
    response = await client.options("/graphql", headers=preflight_headers(APP))

    assert response.status_code == 200, response.text
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    methods = {method.strip().upper() for method in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert "POST" in methods
    allowed = {header.strip().lower() for header in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "x-session-token"} <= allowed


async def test_a_preflight_with_cookie_from_the_allowed_origin_is_answered(
    client: httpx.AsyncClient, ada: MintedSession
) -> None:
    response = await client.options("/graphql", headers={**preflight_headers(APP), **cookie(ada)})

    assert response.status_code == 200, response.text
    assert response.headers["Access-Control-Allow-Origin"] == APP


@pytest.mark.parametrize("origin", [EVIL, "null", "https://evil.app.example.org"])
async def test_a_preflight_from_a_disallowed_origin_gets_no_allow_origin(
    client: httpx.AsyncClient, origin: str
) -> None:
    response = await client.options("/graphql", headers=preflight_headers(origin))

    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.headers.get("Access-Control-Allow-Credentials") != "true" or response.status_code >= 400


# --- settings -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "origins",
    ["*", "null", "https://app.example.org,*", "app.example.org", "*.example.org", ("*",), ("https://a.org", "null")],
)
def test_cors_origins_must_be_explicit(origins: str | tuple[str, ...]) -> None:
    with pytest.raises(ValidationError, match="CORS origins must be explicit"):
        Settings(cors_origins=origins)


def test_cors_origins_from_the_environment_are_split_and_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMPAIGN_API_CORS_ORIGINS", " https://app.example.org/ , http://localhost:5173")

    assert Settings().cors_origins == ("https://app.example.org", "http://localhost:5173")


def test_cors_wildcard_from_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMPAIGN_API_CORS_ORIGINS", "*")

    with pytest.raises(ValidationError):
        Settings()
