"""The real app with the Kratos provider, against a fake Kratos, both over real HTTP: who the viewer is for each way
of carrying a session, what a client sees when Kratos says no or is away, and how many whoami calls a request costs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import ServeFactory
from tests.fakes.kratos import COOKIE_NAME, FakeKratos, cookie_header, parse_datetime, unreachable_url
from tests.graphql_client import bearer, error_codes, post_graphql, session_token

VIEWER = "{ viewer { id email name sessionExpiresAt authenticatorAssuranceLevel } }"
TIMEOUT = 2.0


@pytest.fixture
def serve_kratos(serve: ServeFactory, kratos: FakeKratos) -> ServeFactory:
    """``serve_kratos(**settings)``: the app, with the Kratos provider pointed at the fake."""

    def start(**settings: Any) -> str:
        settings = {"kratos_public_url": kratos.url, "kratos_timeout_seconds": TIMEOUT, **settings}
        return serve(identity_provider="kratos", **settings)

    return start


@pytest.fixture
async def client(serve_kratos: ServeFactory) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app with default cache settings."""
    async with httpx.AsyncClient(base_url=serve_kratos(), timeout=30) as client:
        yield client


async def viewer_of(client: httpx.AsyncClient, **headers: str) -> dict[str, Any] | None:
    response = await post_graphql(client, VIEWER, headers=headers)
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body
    return body["data"]["viewer"]


# --------------------------------------------------------------------------------------------------------------------
# Who the viewer is


@pytest.mark.parametrize("carrier", ["cookie", "x-session-token", "bearer"])
async def test_the_viewer_for_each_way_of_carrying_a_session(
    client: httpx.AsyncClient, kratos: FakeKratos, carrier: str
) -> None:
    expires_at = datetime(2031, 5, 17, 9, 30, 15, 250000, tzinfo=UTC)
    session = kratos.add_session(
        kind="cookie" if carrier == "cookie" else "token",
        email="grace@example.org",
        first_name="Grace",
        last_name="Hopper",
        expires_at=expires_at,
    )
    headers = {
        "cookie": {"Cookie": cookie_header(session.credential)},
        "x-session-token": session_token(session.credential),
        "bearer": bearer(session.credential),
    }[carrier]

    viewer = await viewer_of(client, **headers)

    assert viewer is not None
    assert parse_datetime(viewer.pop("sessionExpiresAt")) == expires_at
    assert viewer == {
        "id": session.identity.id,
        "email": "grace@example.org",
        "name": "Grace Hopper",
        "authenticatorAssuranceLevel": "aal1",
    }
    assert kratos.whoami_calls == 1


async def test_a_stale_cookie_is_anonymous(client: httpx.AsyncClient, kratos: FakeKratos) -> None:
    session = kratos.add_session(kind="cookie", active=False)

    response = await post_graphql(client, VIEWER, headers={"Cookie": cookie_header(session.credential)})

    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": None}}
    assert kratos.whoami_calls == 1


@pytest.mark.parametrize("carrier", ["x-session-token", "bearer"])
async def test_a_bad_token_is_a_401(client: httpx.AsyncClient, kratos: FakeKratos, carrier: str) -> None:
    headers = session_token("ory_st_unknown") if carrier == "x-session-token" else bearer("ory_st_unknown")

    response = await post_graphql(client, VIEWER, headers=headers)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    body = response.json()
    assert body["data"] is None
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert kratos.whoami_calls == 1


async def test_headers_win_over_the_cookie(client: httpx.AsyncClient, kratos: FakeKratos) -> None:
    """A bad header token is a 401 even next to a good cookie: the client asked for that token on purpose."""
    session = kratos.add_session(kind="cookie")
    headers = {"Cookie": cookie_header(session.credential), **session_token("ory_st_unknown")}

    response = await post_graphql(client, VIEWER, headers=headers)

    assert response.status_code == 401
    assert error_codes(response.json()) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("kind", ["cookie", "token"])
async def test_aal2_required_asks_for_a_second_factor(client: httpx.AsyncClient, kratos: FakeKratos, kind: str) -> None:
    session = kratos.add_session(kind=kind, aal2_required=True)
    headers = {"Cookie": cookie_header(session.credential)} if kind == "cookie" else session_token(session.credential)

    response = await post_graphql(client, VIEWER, headers=headers)

    assert response.status_code == 403
    [error] = response.json()["errors"]
    assert error["extensions"] == {
        "code": "SESSION_AAL2_REQUIRED",
        "redirectBrowserTo": f"{kratos.url}/self-service/login/browser?aal=aal2",
    }


# --------------------------------------------------------------------------------------------------------------------
# Kratos away


async def test_a_kratos_nobody_listens_for_is_a_503(serve: ServeFactory) -> None:
    with unreachable_url() as url:
        base_url = serve(identity_provider="kratos", kratos_public_url=url, kratos_timeout_seconds=TIMEOUT)
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            for headers in (session_token("ory_st_any"), {"Cookie": cookie_header("any-cookie")}):
                response = await post_graphql(client, VIEWER, headers=headers)

                assert response.status_code == 503, response.text
                assert error_codes(response.json()) == ["IDENTITY_SERVICE_UNAVAILABLE"]


async def test_a_slow_kratos_is_a_503(serve_kratos: ServeFactory, kratos: FakeKratos) -> None:
    timeout = 0.3
    session = kratos.add_session()
    kratos.slow, kratos.slow_seconds = True, 10 * timeout
    base_url = serve_kratos(kratos_timeout_seconds=timeout)

    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await post_graphql(client, VIEWER, headers=session_token(session.credential))

    # Had the API waited for the fake's late 200, the viewer would be there.
    assert response.status_code == 503, response.text
    assert error_codes(response.json()) == ["IDENTITY_SERVICE_UNAVAILABLE"]
    assert kratos.whoami_calls == 1


# --------------------------------------------------------------------------------------------------------------------
# What travels to Kratos


async def test_only_the_session_cookie_travels_to_kratos(client: httpx.AsyncClient, kratos: FakeKratos) -> None:
    session = kratos.add_session(kind="cookie")
    headers = {
        "Cookie": cookie_header(session.credential, others={"theme": "dark", "csrf_token_abc": "xyz"}),
        "X-Request-ID": "request-1",
        "X-Custom": "not for Kratos",
        "User-Agent": "browser/1.0",
    }

    assert await viewer_of(client, **headers) is not None

    [received] = kratos.requests
    assert received.getlist("cookie") == [f"{COOKIE_NAME}={session.credential}"]
    assert not {"authorization", "x-session-token", "x-request-id", "x-custom"} & received.header_names
    assert received.get("user-agent") != "browser/1.0"


@pytest.mark.parametrize("carrier", ["x-session-token", "bearer"])
async def test_only_the_session_token_travels_to_kratos(
    client: httpx.AsyncClient, kratos: FakeKratos, carrier: str
) -> None:
    session = kratos.add_session(kind="token")
    credential = session_token(session.credential) if carrier == "x-session-token" else bearer(session.credential)
    headers = {**credential, "Cookie": "theme=dark; other=1", "X-Request-ID": "request-1", "X-Custom": "secret"}

    assert await viewer_of(client, **headers) is not None

    [received] = kratos.requests
    assert received.getlist("x-session-token") == [session.credential]
    assert not {"authorization", "cookie", "x-request-id", "x-custom"} & received.header_names


# Cookies other sites and scripts on the shared parent domain set, which browsers send as they are.
FOREIGN_COOKIES = [
    pytest.param('cc_cookie={"categories":["necessary"]}', id="json-value"),
    pytest.param("greeting=hello world", id="space-in-value"),
    pytest.param("flag", id="cookie-without-equals-sign"),
]


@pytest.mark.parametrize("foreign", FOREIGN_COOKIES)
async def test_the_session_cookie_is_found_next_to_cookies_of_other_apps(
    client: httpx.AsyncClient, kratos: FakeKratos, foreign: str
) -> None:
    """Kratos (Go's net/http) skips a cookie it cannot parse and keeps the others; so must the API. (The standard
    library's SimpleCookie dropped the whole header, and with it the session: a signed-in browser was anonymous.)"""
    session = kratos.add_session(kind="cookie")

    viewer = await viewer_of(client, Cookie=f"{foreign}; {COOKIE_NAME}={session.credential}")

    assert viewer is not None and viewer["id"] == session.identity.id
    assert kratos.whoami_calls == 1


async def test_of_two_session_cookies_the_first_counts_as_in_kratos(
    client: httpx.AsyncClient, kratos: FakeKratos
) -> None:
    current = kratos.add_session(kind="cookie")
    stale = kratos.add_session(kind="cookie", active=False)

    viewer = await viewer_of(client, Cookie=f"{COOKIE_NAME}={current.credential}; {COOKIE_NAME}={stale.credential}")

    assert viewer is not None and viewer["id"] == current.identity.id


# --------------------------------------------------------------------------------------------------------------------
# How many whoami calls a request costs


async def test_whoami_calls_per_request(client: httpx.AsyncClient, kratos: FakeKratos) -> None:
    session = kratos.add_session()

    async def calls_for(**headers: str) -> int:
        before = kratos.whoami_calls
        await viewer_of(client, **headers)
        return kratos.whoami_calls - before

    measured = {
        "anonymous": await calls_for(),
        "first token request": await calls_for(**session_token(session.credential)),
        "repeated token request": await calls_for(**session_token(session.credential)),
        "same token as Bearer": await calls_for(**bearer(session.credential)),
    }
    print(f"\nwhoami calls per request: {measured}")

    assert measured == {
        "anonymous": 0,
        "first token request": 1,
        "repeated token request": 0,
        "same token as Bearer": 0,
    }


async def test_no_credentials_make_no_whoami_calls(client: httpx.AsyncClient, kratos: FakeKratos) -> None:
    for _ in range(5):
        assert await viewer_of(client) is None
    assert await viewer_of(client, Cookie="theme=dark; other=1") is None
    assert kratos.whoami_calls == 0


async def test_a_hundred_concurrent_requests_with_one_new_token_make_one_whoami_call(
    client: httpx.AsyncClient, kratos: FakeKratos
) -> None:
    session = kratos.add_session()
    kratos.delay_seconds = 0.5  # under the timeout; keeps the first call in flight while the others arrive

    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(base_url=str(client.base_url), timeout=30, limits=limits) as many:
        viewers = await asyncio.gather(*(viewer_of(many, **session_token(session.credential)) for _ in range(100)))

    assert all(viewer is not None and viewer["id"] == session.identity.id for viewer in viewers)
    print(f"\nwhoami calls for 100 concurrent requests with one new token: {kratos.whoami_calls}")
    assert kratos.whoami_calls == 1


async def test_a_cached_session_is_not_served_after_it_expires(serve_kratos: ServeFactory, kratos: FakeKratos) -> None:
    """Cache lifetime 60 s, session 1.5 s: the entry goes when the session does, and Kratos is asked again."""
    base_url = serve_kratos(session_cache_seconds=60)
    session = kratos.add_session(expires_in=timedelta(seconds=1.5))
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        assert await viewer_of(client, **session_token(session.credential)) is not None
        assert await viewer_of(client, **session_token(session.credential)) is not None
        assert kratos.whoami_calls == 1

        await asyncio.sleep(max(0.0, (session.expires_at - datetime.now(UTC)).total_seconds()) + 0.2)
        response = await post_graphql(client, VIEWER, headers=session_token(session.credential))

    assert kratos.whoami_calls == 2
    assert response.status_code == 401
    assert error_codes(response.json()) == ["UNAUTHENTICATED"]


async def test_a_zero_cache_lifetime_asks_kratos_every_time(
    serve_kratos: ServeFactory, kratos: FakeKratos, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMPAIGN_API_SESSION_CACHE_SECONDS", "0")
    base_url = serve_kratos()
    session = kratos.add_session()

    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        for _ in range(4):
            assert await viewer_of(client, **session_token(session.credential)) is not None

    assert kratos.whoami_calls == 4


async def test_a_revoked_session_is_served_until_the_cache_lifetime_passes(
    serve_kratos: ServeFactory, kratos: FakeKratos
) -> None:
    """The documented revocation window: a session revoked at Kratos lives on here for the cache lifetime."""
    lifetime = 1.0
    base_url = serve_kratos(session_cache_seconds=lifetime)
    session = kratos.add_session()
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        assert await viewer_of(client, **session_token(session.credential)) is not None
        cached_at = time.monotonic()
        kratos.remove(session)

        still = await viewer_of(client, **session_token(session.credential))
        assert still is not None and still["id"] == session.identity.id
        assert kratos.whoami_calls == 1

        await asyncio.sleep(max(0.0, cached_at + lifetime + 0.1 - time.monotonic()))
        response = await post_graphql(client, VIEWER, headers=session_token(session.credential))

    assert response.status_code == 401
    assert kratos.whoami_calls == 2
