"""JWTs through the real app over HTTP: uvicorn serving the API, a second uvicorn serving the JWKS.

Each test runs on SQLite and on PostgreSQL (the ``serve`` fixture). The API server runs in this process, so counting
``JwtProvider.resolve`` calls (monkeypatched) counts verifications.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from campaign_api.identity.credentials import Credentials
from campaign_api.identity.jwt_tokens import JwtProvider
from campaign_api.identity.viewer import Viewer
from tests.conftest import ServeFactory
from tests.graphql_client import bearer, error_codes, execute, post_graphql
from tests.identity_jwt.keys import (
    AUDIENCE,
    ISSUER,
    KRATOS_ISSUER,
    JwksServer,
    SigningKey,
    ec_key,
    jwks,
    kratos_tokenizer_claims,
    mint,
    oathkeeper_claims,
    rsa_key,
    serve_jwks,
    tamper,
    unsigned_token,
)

VIEWER = "{ viewer { id email name sessionExpiresAt } }"


def jwt_settings(jwks_server: JwksServer, **overrides: Any) -> dict[str, Any]:
    """The API behind Oathkeeper: only JWTs, from Oathkeeper's JWKS, for this audience."""
    return {
        "identity_provider": "jwt",
        "jwt_jwks_url": jwks_server.url,
        "jwt_issuer": ISSUER,
        "jwt_audience": AUDIENCE,
        **overrides,
    }


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every JWT the provider verifies (the server runs in this process, on another thread)."""
    calls: list[str] = []
    original = JwtProvider.resolve

    async def counting(self: JwtProvider, credentials: Credentials) -> Viewer:
        calls.append(credentials.value)
        return await original(self, credentials)

    monkeypatch.setattr(JwtProvider, "resolve", counting)
    return calls


def assert_unauthenticated(response: httpx.Response) -> None:
    body = response.json()
    assert response.status_code == 401, body
    assert response.headers["WWW-Authenticate"].startswith("Bearer "), response.headers
    assert body["data"] is None
    assert error_codes(body) == ["UNAUTHENTICATED"]


# --- the viewer from a JWT ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key_name", ["rsa", "ec"])
async def test_a_bearer_jwt_is_the_viewer(
    key_name: str, request: pytest.FixtureRequest, serve: ServeFactory, jwks_server: JwksServer
) -> None:
    key: SigningKey = request.getfixturevalue(key_name)
    claims = oathkeeper_claims(email="grace@example.org", name="Grace Hopper")

    async with httpx.AsyncClient(base_url=serve(**jwt_settings(jwks_server)), timeout=30) as client:
        data = await execute(client, VIEWER, headers=bearer(mint(claims, key)))

    assert data["viewer"]["id"] == claims["sub"]
    assert data["viewer"]["email"] == "grace@example.org"
    assert data["viewer"]["name"] == "Grace Hopper"
    assert datetime.fromisoformat(data["viewer"]["sessionExpiresAt"]) == datetime.fromtimestamp(claims["exp"], UTC)
    assert jwks_server.fetch_count == 1


def _invalid_tokens(rsa: SigningKey) -> dict[str, str]:
    now = int(time.time())
    return {
        "expired": mint(oathkeeper_claims(now=now - 1000, lifetime=900), rsa),
        "wrong audience": mint(oathkeeper_claims(audience=["another-api"]), rsa),
        "wrong issuer": mint(oathkeeper_claims(issuer="http://evil.test/"), rsa),
        "tampered": tamper(mint(oathkeeper_claims(), rsa), sub="mallory"),
        "alg none": unsigned_token(oathkeeper_claims(), header={"alg": "none", "kid": rsa.kid}),
        "unknown signer": mint(oathkeeper_claims(), rsa_key(), kid=rsa.kid),
    }


async def test_an_invalid_jwt_is_401(serve: ServeFactory, jwks_server: JwksServer, rsa: SigningKey) -> None:
    async with httpx.AsyncClient(base_url=serve(**jwt_settings(jwks_server)), timeout=30) as client:
        for name, token in _invalid_tokens(rsa).items():
            response = await post_graphql(client, VIEWER, headers=bearer(token))
            assert response.status_code == 401, name
            assert_unauthenticated(response)
            assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


async def test_the_jwt_provider_accepts_no_session_token_and_no_cookie(
    serve: ServeFactory, jwks_server: JwksServer, verifications: list[str]
) -> None:
    async with httpx.AsyncClient(base_url=serve(**jwt_settings(jwks_server)), timeout=30) as client:
        # An opaque token, as a bearer or in X-Session-Token, names no session here: 401.
        assert_unauthenticated(await post_graphql(client, VIEWER, headers=bearer("ory_st_opaque0session0token")))
        assert_unauthenticated(await post_graphql(client, VIEWER, headers={"X-Session-Token": "ory_st_opaque"}))
        # A cookie is never an error: the request is anonymous.
        data = await execute(client, VIEWER, headers={"Cookie": "ory_kratos_session=some-session-cookie"})
    assert data == {"viewer": None}
    assert verifications == []  # none of these reached the JWT verifier
    assert jwks_server.fetch_count == 0


async def test_a_jwt_in_the_session_cookie_is_not_a_bearer_token(
    serve: ServeFactory, jwks_server: JwksServer, rsa: SigningKey, verifications: list[str]
) -> None:
    """Only the Authorization header carries a JWT: the same valid JWT in the session cookie is not verified."""
    token = mint(oathkeeper_claims(), rsa)
    async with httpx.AsyncClient(base_url=serve(**jwt_settings(jwks_server)), timeout=30) as client:
        data = await execute(client, VIEWER, headers={"Cookie": f"ory_kratos_session={token}"})
    assert data == {"viewer": None}
    assert verifications == []


async def test_the_embedded_provider_with_jwt_keys_sends_a_jwt_to_the_verifier(
    serve: ServeFactory, jwks_server: JwksServer, ec: SigningKey, verifications: list[str]
) -> None:
    claims = oathkeeper_claims(email="ada@example.org", name="Ada Lovelace")
    settings = jwt_settings(jwks_server, identity_provider="embedded")

    async with httpx.AsyncClient(base_url=serve(**settings), timeout=30) as client:
        data = await execute(client, VIEWER, headers=bearer(mint(claims, ec)))
        # an opaque bearer still goes to the embedded sessions, which know no such token
        assert_unauthenticated(await post_graphql(client, VIEWER, headers=bearer("opaque-session-token")))

    assert data["viewer"]["id"] == claims["sub"]
    assert data["viewer"]["email"] == "ada@example.org"
    assert data["viewer"]["name"] == "Ada Lovelace"
    assert len(verifications) == 1
    assert jwks_server.fetch_count == 1


async def test_the_embedded_provider_without_jwt_config_refuses_a_jwt(
    serve: ServeFactory, jwks_server: JwksServer, rsa: SigningKey, verifications: list[str]
) -> None:
    async with httpx.AsyncClient(base_url=serve(identity_provider="embedded"), timeout=30) as client:
        assert_unauthenticated(await post_graphql(client, VIEWER, headers=bearer(mint(oathkeeper_claims(), rsa))))
    assert verifications == []
    assert jwks_server.fetch_count == 0


async def test_a_kratos_tokenizer_jwt_against_a_jwks_file(serve: ServeFactory, tmp_path: Path) -> None:
    kratos_key = rsa_key()
    path = tmp_path / "tokenizer.jwks.json"
    path.write_text(json.dumps(jwks(kratos_key)))
    claims = kratos_tokenizer_claims()
    settings = {"identity_provider": "jwt", "jwt_jwks_file": path, "jwt_issuer": KRATOS_ISSUER}

    async with httpx.AsyncClient(base_url=serve(**settings), timeout=30) as client:
        data = await execute(client, VIEWER, headers=bearer(mint(claims, kratos_key)))

    assert data["viewer"] == {
        "id": claims["sub"],
        "email": None,
        "name": None,
        "sessionExpiresAt": datetime.fromtimestamp(claims["exp"], UTC).isoformat(),
    }


# --- failures of the key service ------------------------------------------------------------------------------------


async def test_the_jwks_server_down_is_503_identity_service_unavailable(
    serve: ServeFactory, rsa: SigningKey, ec: SigningKey
) -> None:
    with serve_jwks(rsa, ec) as jwks_server:
        base_url = serve(**jwt_settings(jwks_server))
        jwks_server.go_down()
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            response = await post_graphql(client, VIEWER, headers=bearer(mint(oathkeeper_claims(), rsa)))

    assert response.status_code == 503, response.text
    assert error_codes(response.json()) == ["IDENTITY_SERVICE_UNAVAILABLE"]


async def test_a_jwt_naming_another_key_type_is_401(serve: ServeFactory, tmp_path: Path, rsa: SigningKey) -> None:
    path = tmp_path / "no-alg.jwks.json"
    path.write_text(json.dumps(jwks(rsa, with_alg=False)))
    token = mint(oathkeeper_claims(), ec_key(), kid=rsa.kid, algorithm="ES256")
    settings = {"identity_provider": "jwt", "jwt_jwks_file": path, "jwt_issuer": ISSUER, "jwt_audience": AUDIENCE}

    async with httpx.AsyncClient(base_url=serve(**settings), timeout=30) as client:
        response = await post_graphql(client, VIEWER, headers=bearer(token))

    assert response.status_code == 401, (response.status_code, response.text)


# --- the session cache ----------------------------------------------------------------------------------------------


async def test_repeated_requests_verify_a_jwt_once_per_cache_lifetime(
    serve: ServeFactory, jwks_server: JwksServer, rsa: SigningKey, verifications: list[str]
) -> None:
    first = mint(oathkeeper_claims(sub="alice"), rsa)
    second = mint(oathkeeper_claims(sub="bob"), rsa)
    forged = tamper(first, sub="mallory")
    settings = jwt_settings(jwks_server, session_cache_seconds=60)

    async with httpx.AsyncClient(base_url=serve(**settings), timeout=30) as client:
        for _ in range(5):
            assert (await execute(client, VIEWER, headers=bearer(first)))["viewer"]["id"] == "alice"
        assert verifications.count(first) == 1
        # Concurrent first uses of a new token share one verification.
        results = await asyncio.gather(*(execute(client, VIEWER, headers=bearer(second)) for _ in range(5)))
        assert {result["viewer"]["id"] for result in results} == {"bob"}
        assert verifications.count(second) == 1
        # A refused token is not cached: each attempt is verified (and refused) again.
        for _ in range(3):
            assert_unauthenticated(await post_graphql(client, VIEWER, headers=bearer(forged)))
        assert verifications.count(forged) == 3

    assert len(verifications) == 5  # 5 + 5 requests with valid tokens, 3 forged: 1 + 1 + 3 verifications
    assert jwks_server.fetch_count == 1


async def test_without_the_cache_every_request_verifies(
    serve: ServeFactory, jwks_server: JwksServer, rsa: SigningKey, verifications: list[str]
) -> None:
    token = mint(oathkeeper_claims(), rsa)
    settings = jwt_settings(jwks_server, session_cache_seconds=0)

    async with httpx.AsyncClient(base_url=serve(**settings), timeout=30) as client:
        for _ in range(4):
            await execute(client, VIEWER, headers=bearer(token))

    assert len(verifications) == 4
    assert jwks_server.fetch_count == 1  # the key set is cached all the same


async def test_a_cached_jwt_is_verified_again_when_the_cache_lifetime_ends(
    serve: ServeFactory, jwks_server: JwksServer, rsa: SigningKey, verifications: list[str]
) -> None:
    token = mint(oathkeeper_claims(), rsa)
    settings = jwt_settings(jwks_server, session_cache_seconds=0.3)

    async with httpx.AsyncClient(base_url=serve(**settings), timeout=30) as client:
        await execute(client, VIEWER, headers=bearer(token))
        await execute(client, VIEWER, headers=bearer(token))
        assert len(verifications) == 1
        await asyncio.sleep(0.4)
        await execute(client, VIEWER, headers=bearer(token))
        assert len(verifications) == 2


async def test_the_cache_never_serves_a_jwt_past_its_exp(
    serve: ServeFactory, jwks_server: JwksServer, rsa: SigningKey, verifications: list[str]
) -> None:
    """The cache lifetime (60 s here) is cut to the token's own expiry: an expired JWT is refused, not served."""
    settings = jwt_settings(jwks_server, session_cache_seconds=60, jwt_leeway_seconds=0)

    async with httpx.AsyncClient(base_url=serve(**settings), timeout=30) as client:
        exp = int(time.time()) + 2  # once the server is up: between 1 and 2 s from now
        token = mint(oathkeeper_claims(now=exp - 60, lifetime=60), rsa)
        await execute(client, VIEWER, headers=bearer(token))
        await execute(client, VIEWER, headers=bearer(token))
        assert len(verifications) == 1  # cached while valid
        await asyncio.sleep(max(0.0, exp - time.time()) + 0.1)
        assert_unauthenticated(await post_graphql(client, VIEWER, headers=bearer(token)))

    assert len(verifications) == 2
