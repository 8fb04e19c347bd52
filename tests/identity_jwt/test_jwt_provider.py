"""JwtProvider and KeySet, driven directly: which tokens make a viewer, which are refused, and how keys are fetched.

Keys come over real HTTP from a JWKS server on a free port (``keys.serve_jwks``), or from a JWKS file. KeySet gets a
fake monotonic clock, so cache and refresh windows are crossed without sleeping.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from campaign_api.db.database import Database
from campaign_api.errors import IdentityServiceUnavailable, Unauthenticated
from campaign_api.identity.credentials import CredentialKind, Credentials
from campaign_api.identity.jwt_tokens import JwtProvider, KeySet
from campaign_api.identity.provider import InvalidSession
from campaign_api.identity.resolver import create_viewer_resolver
from campaign_api.identity.viewer import Viewer
from campaign_api.settings import Settings
from tests.identity_jwt.keys import (
    AUDIENCE,
    ISSUER,
    KRATOS_ISSUER,
    FakeClock,
    JwksServer,
    SigningKey,
    b64url,
    ec_key,
    hmac_token,
    jwks,
    kratos_session,
    kratos_tokenizer_claims,
    mint,
    oathkeeper_claims,
    rsa_key,
    serve_jwks,
    tamper,
    unsigned_token,
)

HMAC_SECRET = "a-shared-secret-of-at-least-32-bytes-for-hs256"


@pytest.fixture(scope="module")
def stranger() -> SigningKey:
    """A key nobody published."""
    return rsa_key()


@pytest.fixture
def own_jwks_server(rsa: SigningKey, ec: SigningKey) -> Iterator[JwksServer]:
    """A JWKS server of this test's own, for tests that take it down."""
    with serve_jwks(rsa, ec) as server:
        yield server


@pytest.fixture
def write_jwks(tmp_path: Path) -> Callable[..., Path]:
    """A JWKS file of the keys' public halves, as an operator would give Kratos's tokenizer keys to the API."""

    def write(*keys: SigningKey, **options: Any) -> Path:
        path = tmp_path / f"{uuid.uuid4().hex}.jwks.json"
        path.write_text(json.dumps(jwks(*keys, **options)))
        return path

    return write


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def closing() -> AsyncIterator[list[Any]]:
    """Key sets and providers to close (their httpx clients) when the test ends."""
    resources: list[Any] = []
    yield resources
    for resource in reversed(resources):
        await resource.aclose()


@pytest.fixture
def make_key_set(jwks_server: JwksServer, clock: FakeClock, closing: list[Any]) -> Callable[..., KeySet]:
    def make(**overrides: Any) -> KeySet:
        options: dict[str, Any] = {"url": jwks_server.url, "clock": clock, "timeout_seconds": 2.0, **overrides}
        key_set = KeySet(**options)
        closing.append(key_set)
        return key_set

    return make


@pytest.fixture
def make_provider(make_key_set: Callable[..., KeySet], closing: list[Any]) -> Callable[..., JwtProvider]:
    """A provider configured as for Oathkeeper: RS256/ES256, issuer and audience checked, 5 s leeway."""

    def make(*, key_set: KeySet | None = None, **overrides: Any) -> JwtProvider:
        options: dict[str, Any] = {
            "hmac_secret": None,
            "algorithms": ("RS256", "ES256"),
            "issuer": ISSUER,
            "audience": AUDIENCE,
            "leeway_seconds": 5.0,
            **overrides,
        }
        provider = JwtProvider(key_set=key_set if key_set is not None else make_key_set(), **options)
        closing.append(provider)
        return provider

    return make


async def resolve(provider: JwtProvider, token: str) -> Viewer:
    return await provider.resolve(Credentials(CredentialKind.JWT, token))


def expires(claims: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(claims["exp"], UTC)


# --- accepted -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key_name", ["rsa", "ec"])
async def test_an_oathkeeper_token_from_the_jwks_url_makes_the_viewer(
    key_name: str, request: pytest.FixtureRequest, make_provider: Callable[..., JwtProvider], jwks_server: JwksServer
) -> None:
    key: SigningKey = request.getfixturevalue(key_name)
    claims = oathkeeper_claims(email="ada@example.org", name="Ada Lovelace")
    provider = make_provider()

    viewer = await resolve(provider, mint(claims, key))

    assert viewer.identity_id == claims["sub"]
    assert viewer.email == "ada@example.org"
    assert viewer.name == "Ada Lovelace"
    assert dict(viewer.traits) == {"email": "ada@example.org", "name": "Ada Lovelace"}
    assert viewer.session_id == claims["session"]["id"]
    assert viewer.authenticator_assurance_level == "aal1"
    # The token's exp, not the (longer) Kratos session's expires_at: the viewer lasts as long as the token.
    assert viewer.session_expires_at == expires(claims)
    assert jwks_server.fetch_count == 1
    assert provider.key_set is not None and provider.key_set.fetch_count == 1


async def test_a_kratos_tokenizer_token_is_checked_against_a_jwks_file_without_an_audience(
    tmp_path: Path, make_provider: Callable[..., JwtProvider], closing: list[Any]
) -> None:
    kratos_key = rsa_key()
    path = tmp_path / "kratos-tokenizer.jwks.json"
    path.write_text(json.dumps(jwks(kratos_key)))
    key_set = KeySet(path=path)
    closing.append(key_set)
    provider = make_provider(key_set=key_set, issuer=KRATOS_ISSUER, audience=None)
    claims = kratos_tokenizer_claims()
    assert "aud" not in claims

    viewer = await resolve(provider, mint(claims, kratos_key))

    assert viewer.identity_id == claims["sub"]
    assert viewer.session_id == claims["sid"]
    assert viewer.session_expires_at == expires(claims)
    assert viewer.email is None
    assert viewer.name is None
    assert key_set.fetch_count == 0  # a file is read once, never fetched


async def test_a_token_without_kid_uses_the_only_key(
    rsa: SigningKey, write_jwks: Callable[..., Path], make_provider: Callable[..., JwtProvider]
) -> None:
    provider = make_provider(key_set=KeySet(path=write_jwks(rsa)))
    claims = oathkeeper_claims()

    viewer = await resolve(provider, mint(claims, rsa, with_kid=False))

    assert viewer.identity_id == claims["sub"]


# --- refused --------------------------------------------------------------------------------------------------------

Builder = Callable[[SigningKey, SigningKey], str]  # (published RSA key, unpublished key) -> token


def _now() -> int:
    return int(time.time())


REFUSED: dict[str, tuple[Builder, str]] = {  # case: (token builder, why it is refused: the InvalidSession text)
    "alg none": (lambda rsa, _: unsigned_token(oathkeeper_claims()), "algorithm not allowed"),
    "alg none with a published kid": (
        lambda rsa, _: unsigned_token(oathkeeper_claims(), header={"alg": "none", "typ": "JWT", "kid": rsa.kid}),
        "algorithm not allowed",
    ),
    "alg None (other case)": (
        lambda rsa, _: unsigned_token(oathkeeper_claims(), header={"alg": "None", "kid": rsa.kid}),
        "algorithm not allowed",
    ),
    "HS256 with the RSA public key's PEM as secret": (
        lambda rsa, _: hmac_token(oathkeeper_claims(), rsa.public_pem(), kid=rsa.kid),
        "algorithm not allowed",
    ),
    "expired beyond the leeway": (
        lambda rsa, _: mint(oathkeeper_claims(now=_now() - 960, lifetime=900), rsa),
        "expired",
    ),  # exp 60 s ago, leeway 5
    "not yet valid beyond the leeway": (lambda rsa, _: mint(oathkeeper_claims(nbf=_now() + 60), rsa), "not yet valid"),
    "iat missing": (lambda rsa, _: mint(oathkeeper_claims(without=["iat"]), rsa), 'missing the "iat"'),
    "exp missing": (lambda rsa, _: mint(oathkeeper_claims(without=["exp"]), rsa), 'missing the "exp"'),
    "sub missing": (lambda rsa, _: mint(oathkeeper_claims(without=["sub"]), rsa), 'missing the "sub"'),
    "sub empty": (lambda rsa, _: mint({**oathkeeper_claims(session={}), "sub": ""}, rsa), "no subject"),
    "sub not a string": (
        lambda rsa, _: mint({**oathkeeper_claims(session={}), "sub": 42}, rsa),
        "Subject must be a string",
    ),
    "wrong issuer": (lambda rsa, _: mint(oathkeeper_claims(issuer="http://evil.test/"), rsa), "Invalid issuer"),
    "issuer missing": (lambda rsa, _: mint(oathkeeper_claims(without=["iss"]), rsa), 'missing the "iss"'),
    "wrong audience": (lambda rsa, _: mint(oathkeeper_claims(audience=["another-api"]), rsa), "Audience doesn't match"),
    "audience missing while configured": (
        lambda rsa, _: mint(oathkeeper_claims(without=["aud"]), rsa),
        'missing the "aud"',
    ),
    "unknown kid": (lambda rsa, _: mint(oathkeeper_claims(), rsa, kid="no-such-kid"), "no key for this token"),
    "an unpublished key under a published kid": (
        lambda rsa, stranger: mint(oathkeeper_claims(), stranger, kid=rsa.kid),
        "Signature verification failed",
    ),
    "tampered exp, signature kept": (
        lambda rsa, _: tamper(mint(oathkeeper_claims(), rsa), exp=_now() + 365 * 86_400),
        "Signature verification failed",
    ),
    "tampered identity, signature kept": (lambda rsa, _: _tampered_identity(rsa), "Signature verification failed"),
    "session claim for another identity": (
        lambda rsa, _: mint(oathkeeper_claims(sub="alice-id", session=kratos_session("mallory-id")), rsa),
        "another identity",
    ),
    "session claim with an inactive identity": (
        lambda rsa, _: mint(
            oathkeeper_claims(sub="alice-id", session=kratos_session("alice-id", state="inactive")), rsa
        ),
        "identity is inactive",
    ),
    "session claim with an inactive session": (
        lambda rsa, _: mint(oathkeeper_claims(sub="alice-id", session=kratos_session("alice-id", active=False)), rsa),
        "session is not active",
    ),
    "three segments of garbage": (lambda rsa, _: "abc.def.ghi", "invalid token"),
}


def _tampered_identity(rsa: SigningKey) -> str:
    token = mint(oathkeeper_claims(sub="alice-id"), rsa)
    return tamper(token, sub="mallory-id", session=kratos_session("mallory-id"))


@pytest.mark.parametrize(("build", "reason"), REFUSED.values(), ids=REFUSED.keys())
async def test_a_bad_token_is_refused(
    build: Builder, reason: str, rsa: SigningKey, stranger: SigningKey, make_provider: Callable[..., JwtProvider]
) -> None:
    provider = make_provider()
    token = build(rsa, stranger)

    with pytest.raises(InvalidSession, match=re.escape(reason)):
        await resolve(provider, token)


async def test_the_same_claims_signed_properly_are_accepted(
    rsa: SigningKey, make_provider: Callable[..., JwtProvider]
) -> None:
    """The control for the table above: the claims builder and the provider's configuration are right."""
    viewer = await resolve(make_provider(), mint(oathkeeper_claims(sub="alice-id"), rsa))
    assert viewer.identity_id == "alice-id"


async def test_alg_none_is_refused_even_if_configured(
    rsa: SigningKey, make_provider: Callable[..., JwtProvider]
) -> None:
    """Settings refuse `none`; the provider drops it anyway, should it be built some other way."""
    provider = make_provider(algorithms=("none", "RS256"))
    with pytest.raises(InvalidSession):
        await resolve(provider, unsigned_token(oathkeeper_claims(), header={"alg": "none", "kid": rsa.kid}))


async def test_hs256_with_the_public_key_as_secret_is_refused_even_when_hmac_is_allowed(
    rsa: SigningKey, make_provider: Callable[..., JwtProvider]
) -> None:
    """The key confusion attack: the HMAC secret is the configured one, never a published public key."""
    provider = make_provider(algorithms=("RS256", "HS256"), hmac_secret=HMAC_SECRET)
    forged = hmac_token(oathkeeper_claims(), rsa.public_pem(), kid=rsa.kid)

    with pytest.raises(InvalidSession):
        await resolve(provider, forged)
    # and the public key as a JWK member (n) is no better
    forged_from_jwk = hmac_token(oathkeeper_claims(), rsa.public_jwk()["n"].encode(), kid=rsa.kid)
    with pytest.raises(InvalidSession):
        await resolve(provider, forged_from_jwk)


async def test_hmac_is_refused_without_a_secret_even_if_the_algorithm_is_listed(
    rsa: SigningKey, make_provider: Callable[..., JwtProvider]
) -> None:
    provider = make_provider(algorithms=("RS256", "HS256"), hmac_secret=None)
    with pytest.raises(InvalidSession):
        await resolve(provider, hmac_token(oathkeeper_claims(), rsa.public_pem(), kid=rsa.kid))


async def test_a_key_published_for_rs256_does_not_verify_an_rs384_token(
    rsa: SigningKey, make_provider: Callable[..., JwtProvider]
) -> None:
    provider = make_provider(algorithms=("RS256", "RS384"))
    rs384 = mint(oathkeeper_claims(), rsa, algorithm="RS384")

    with pytest.raises(InvalidSession):
        await resolve(provider, rs384)
    # the same key still verifies the algorithm it is published for
    assert (await resolve(provider, mint(oathkeeper_claims(sub="bob-id"), rsa))).identity_id == "bob-id"


@pytest.mark.parametrize(("header_alg", "published"), [("ES256", "rsa"), ("RS256", "ec")])
async def test_a_token_naming_another_key_type_is_refused_when_the_jwk_names_no_alg(
    header_alg: str,
    published: str,
    request: pytest.FixtureRequest,
    write_jwks: Callable[..., Path],
    make_provider: Callable[..., JwtProvider],
    closing: list[Any],
) -> None:
    key: SigningKey = request.getfixturevalue(published)
    key_set = KeySet(path=write_jwks(key, with_alg=False))
    closing.append(key_set)
    provider = make_provider(key_set=key_set)
    # Signed by a key of the header's type (so PyJWT builds it); the kid points at the published key of the other type.
    signer = ec_key() if header_alg == "ES256" else rsa_key()
    token = mint(oathkeeper_claims(), signer, kid=key.kid, algorithm=header_alg)

    with pytest.raises(InvalidSession):
        await resolve(provider, token)


async def test_a_symmetric_key_in_a_jwks_is_ignored(
    rsa: SigningKey, write_jwks: Callable[..., Path], make_provider: Callable[..., JwtProvider], closing: list[Any]
) -> None:
    secret = secrets.token_bytes(32)
    oct_entry = {"kty": "oct", "kid": "shared", "alg": "HS256", "use": "sig", "k": b64url(secret)}
    key_set = KeySet(path=write_jwks(rsa, extra=[oct_entry]))
    closing.append(key_set)

    with pytest.raises(InvalidSession):
        await key_set.key_for("shared")
    assert (await key_set.key_for(rsa.kid)).algorithm == "RS256"  # the rest of the document is used

    # Even with HS256 listed, the oct key is not a verifying key: a token signed with it is refused.
    provider = make_provider(key_set=key_set, algorithms=("RS256", "HS256"), hmac_secret=HMAC_SECRET)
    with pytest.raises(InvalidSession):
        await resolve(provider, hmac_token(oathkeeper_claims(), secret, kid="shared"))


async def test_other_credentials_and_tokens_without_a_key_set_are_refused() -> None:
    provider = JwtProvider(
        key_set=None, hmac_secret=None, algorithms=("RS256",), issuer=ISSUER, audience=None, leeway_seconds=0
    )
    with pytest.raises(InvalidSession):
        await provider.resolve(Credentials(CredentialKind.SESSION_TOKEN, "opaque"))
    with pytest.raises(InvalidSession):  # no key set at all: an RS256 token cannot be checked
        await provider.resolve(Credentials(CredentialKind.JWT, mint(oathkeeper_claims(), rsa_key())))


# --- leeway ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("leeway", "accepted"), [(5.0, True), (0.0, False)])
async def test_leeway_for_a_token_expired_two_seconds_ago(
    leeway: float, accepted: bool, rsa: SigningKey, make_provider: Callable[..., JwtProvider]
) -> None:
    now = _now()
    claims = oathkeeper_claims(now=now - 60, exp=now - 2)
    provider = make_provider(leeway_seconds=leeway)

    if accepted:
        assert (await resolve(provider, mint(claims, rsa))).identity_id == claims["sub"]
    else:
        with pytest.raises(InvalidSession):
            await resolve(provider, mint(claims, rsa))


@pytest.mark.parametrize(("leeway", "accepted"), [(5.0, True), (0.0, False)])
async def test_leeway_for_a_token_valid_in_three_seconds(
    leeway: float, accepted: bool, rsa: SigningKey, make_provider: Callable[..., JwtProvider]
) -> None:
    claims = oathkeeper_claims(nbf=_now() + 3)
    provider = make_provider(leeway_seconds=leeway)

    if accepted:
        assert (await resolve(provider, mint(claims, rsa))).identity_id == claims["sub"]
    else:
        with pytest.raises(InvalidSession):
            await resolve(provider, mint(claims, rsa))


# --- fetching the key set -------------------------------------------------------------------------------------------


async def test_a_flood_of_unknown_kids_costs_a_bounded_number_of_fetches(
    rsa: SigningKey,
    jwks_server: JwksServer,
    clock: FakeClock,
    make_key_set: Callable[..., KeySet],
    make_provider: Callable[..., JwtProvider],
) -> None:
    key_set = make_key_set(min_refresh_seconds=30)
    provider = make_provider(key_set=key_set)
    tokens = [mint(oathkeeper_claims(), rsa, kid=f"made-up-{uuid.uuid4().hex}") for _ in range(50)]

    # Half at once on a cold key set, half one after another.
    results = await asyncio.gather(*(resolve(provider, token) for token in tokens[:25]), return_exceptions=True)
    for token in tokens[25:]:
        with pytest.raises(InvalidSession):
            await resolve(provider, token)

    assert all(isinstance(result, InvalidSession) for result in results), results
    assert 1 <= jwks_server.fetch_count <= 2
    assert key_set.fetch_count == jwks_server.fetch_count
    fetches = jwks_server.fetch_count

    # Once min_refresh_seconds have passed, an unknown kid may refresh again: once.
    clock.advance(30)
    for _ in range(10):
        with pytest.raises(InvalidSession):
            await resolve(provider, mint(oathkeeper_claims(), rsa, kid=f"made-up-{uuid.uuid4().hex}"))
    assert jwks_server.fetch_count == fetches + 1
    assert key_set.fetch_count == fetches + 1

    # Known keys keep working all along, without more fetches.
    assert (await resolve(provider, mint(oathkeeper_claims(sub="ok"), rsa))).identity_id == "ok"
    assert jwks_server.fetch_count == fetches + 1


async def test_the_key_set_is_cached_between_tokens(
    rsa: SigningKey,
    ec: SigningKey,
    jwks_server: JwksServer,
    clock: FakeClock,
    make_provider: Callable[..., JwtProvider],
) -> None:
    provider = make_provider()
    for key in (rsa, ec, rsa, ec):
        await resolve(provider, mint(oathkeeper_claims(), key))
    assert jwks_server.fetch_count == 1

    clock.advance(300)  # cache_seconds: the next token refetches
    await resolve(provider, mint(oathkeeper_claims(), rsa))
    assert jwks_server.fetch_count == 2


async def test_a_token_signed_by_a_rotated_key_is_accepted_after_the_refresh(
    rsa: SigningKey,
    jwks_server: JwksServer,
    clock: FakeClock,
    make_key_set: Callable[..., KeySet],
    make_provider: Callable[..., JwtProvider],
) -> None:
    key_set = make_key_set(min_refresh_seconds=30)
    provider = make_provider(key_set=key_set)
    assert (await resolve(provider, mint(oathkeeper_claims(sub="before"), rsa))).identity_id == "before"
    new_key = rsa_key()
    jwks_server.rotate(new_key)

    # Right after a fetch, the unknown kid may not refresh yet.
    with pytest.raises(InvalidSession):
        await resolve(provider, mint(oathkeeper_claims(), new_key))
    assert jwks_server.fetch_count == 1

    clock.advance(30)
    assert (await resolve(provider, mint(oathkeeper_claims(sub="after"), new_key))).identity_id == "after"
    assert jwks_server.fetch_count == 2
    assert key_set.fetch_count == 2
    # The retired key is gone with the old document.
    with pytest.raises(InvalidSession):
        await resolve(provider, mint(oathkeeper_claims(), rsa))


async def test_the_jwks_server_down_at_first_use_is_identity_service_unavailable(
    rsa: SigningKey,
    own_jwks_server: JwksServer,
    make_key_set: Callable[..., KeySet],
    make_provider: Callable[..., JwtProvider],
) -> None:
    key_set = make_key_set(url=own_jwks_server.url)
    provider = make_provider(key_set=key_set)
    own_jwks_server.go_down()

    with pytest.raises(IdentityServiceUnavailable):
        await resolve(provider, mint(oathkeeper_claims(), rsa))


async def test_the_jwks_server_failing_at_first_use_is_identity_service_unavailable(
    rsa: SigningKey, jwks_server: JwksServer, clock: FakeClock, make_provider: Callable[..., JwtProvider]
) -> None:
    provider = make_provider()
    jwks_server.fail()

    with pytest.raises(IdentityServiceUnavailable):
        await resolve(provider, mint(oathkeeper_claims(), rsa))
    assert jwks_server.fetch_count == 1

    jwks_server.recover()
    # A failed fetch is not retried for min_refresh_seconds (30 s), so an outage costs one fetch per interval.
    with pytest.raises(IdentityServiceUnavailable):
        await resolve(provider, mint(oathkeeper_claims(), rsa))
    assert jwks_server.fetch_count == 1

    clock.advance(30)
    assert (await resolve(provider, mint(oathkeeper_claims(sub="back"), rsa))).identity_id == "back"
    assert jwks_server.fetch_count == 2


@pytest.mark.parametrize("outage", ["fail", "go_down"])
async def test_cached_keys_keep_working_when_the_jwks_server_fails(
    outage: str,
    rsa: SigningKey,
    ec: SigningKey,
    own_jwks_server: JwksServer,
    clock: FakeClock,
    make_key_set: Callable[..., KeySet],
    make_provider: Callable[..., JwtProvider],
) -> None:
    key_set = make_key_set(url=own_jwks_server.url, cache_seconds=300, min_refresh_seconds=30)
    provider = make_provider(key_set=key_set)
    await resolve(provider, mint(oathkeeper_claims(), rsa))
    assert own_jwks_server.fetch_count == 1
    getattr(own_jwks_server, outage)()

    clock.advance(301)  # stale: the next token tries to refresh, fails, and keeps the keys it has
    assert (await resolve(provider, mint(oathkeeper_claims(sub="still-rsa"), rsa))).identity_id == "still-rsa"
    assert (await resolve(provider, mint(oathkeeper_claims(sub="still-ec"), ec))).identity_id == "still-ec"
    assert key_set.fetch_count == 2
    # The failed refresh counts as one: no refetch per token while the server is out.
    for _ in range(5):
        await resolve(provider, mint(oathkeeper_claims(), rsa))
    assert key_set.fetch_count == 2


async def test_concurrent_tokens_share_one_failed_fetch_while_the_jwks_server_is_down(
    rsa: SigningKey,
    jwks_server: JwksServer,
    make_key_set: Callable[..., KeySet],
    make_provider: Callable[..., JwtProvider],
) -> None:
    key_set = make_key_set()
    provider = make_provider(key_set=key_set)
    jwks_server.fail()

    results = await asyncio.gather(
        *(resolve(provider, mint(oathkeeper_claims(), rsa)) for _ in range(10)), return_exceptions=True
    )

    assert all(isinstance(result, IdentityServiceUnavailable) for result in results), results
    assert key_set.fetch_count <= 2, f"{key_set.fetch_count} fetches for 10 concurrent tokens"


# --- HMAC through settings ------------------------------------------------------------------------------------------


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("CAMPAIGN_API_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


async def test_an_hs256_token_with_the_configured_secret_is_accepted(clean_environment: None, rsa: SigningKey) -> None:
    settings = Settings(
        identity_provider="jwt",
        jwt_hmac_secret=HMAC_SECRET,
        jwt_algorithms=("HS256",),
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
    )
    database = Database(settings.database_url)
    resolver = create_viewer_resolver(settings, database)
    try:
        claims = oathkeeper_claims()
        token = hmac_token(claims, HMAC_SECRET.encode())
        viewer = await resolver.resolve(Credentials(CredentialKind.JWT, token))
        assert viewer.identity_id == claims["sub"]
        assert viewer.email == "ada@example.org"

        for refused in (
            hmac_token(oathkeeper_claims(), b"another-secret-of-at-least-32-bytes-long"),
            hmac_token(oathkeeper_claims(), rsa.public_pem(), kid=rsa.kid),
            mint(oathkeeper_claims(), rsa),  # RS256 is not in this allow-list
        ):
            with pytest.raises(Unauthenticated):
                await resolver.resolve(Credentials(CredentialKind.JWT, refused))
    finally:
        await resolver.aclose()
        await database.dispose()


# --- settings validation --------------------------------------------------------------------------------------------

JWKS_URL = "http://oathkeeper.campaign.test:4456/.well-known/jwks.json"


@pytest.mark.parametrize(
    "algorithms", [("RS256", "none"), ("none",), ("NONE",), ("RS256", "None"), "RS256,none"], ids=str
)
def test_settings_refuse_the_none_algorithm(clean_environment: None, algorithms: Any) -> None:
    with pytest.raises(ValidationError, match="none"):
        Settings(jwt_jwks_url=JWKS_URL, jwt_issuer=ISSUER, jwt_algorithms=algorithms)


def test_settings_refuse_none_from_the_environment(clean_environment: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMPAIGN_API_JWT_JWKS_URL", JWKS_URL)
    monkeypatch.setenv("CAMPAIGN_API_JWT_ISSUER", ISSUER)
    monkeypatch.setenv("CAMPAIGN_API_JWT_ALGORITHMS", "RS256, none")
    with pytest.raises(ValidationError, match="none"):
        Settings()


def test_settings_refuse_hmac_without_a_secret(clean_environment: None) -> None:
    with pytest.raises(ValidationError, match="HS256"):
        Settings(jwt_jwks_url=JWKS_URL, jwt_issuer=ISSUER, jwt_algorithms=("RS256", "HS256"))
    # with the secret it is fine
    settings = Settings(jwt_hmac_secret=HMAC_SECRET, jwt_issuer=ISSUER, jwt_algorithms=("HS256",))
    assert settings.jwt_enabled


def test_settings_refuse_the_jwt_provider_without_keys(clean_environment: None) -> None:
    with pytest.raises(ValidationError, match="jwt identity provider"):
        Settings(identity_provider="jwt", jwt_issuer=ISSUER)


def test_settings_refuse_jwts_without_an_issuer(clean_environment: None, tmp_path: Path) -> None:
    configurations: list[dict[str, Any]] = [
        {"jwt_jwks_url": JWKS_URL},
        {"jwt_jwks_file": tmp_path / "jwks.json"},
        {"jwt_hmac_secret": HMAC_SECRET, "jwt_algorithms": ("HS256",)},
    ]
    for keys in configurations:
        for provider in ("jwt", "embedded"):
            with pytest.raises(ValidationError, match="ISSUER"):
                Settings(identity_provider=provider, **keys)


def test_settings_accept_a_complete_jwt_configuration(clean_environment: None) -> None:
    settings = Settings(identity_provider="jwt", jwt_jwks_url=JWKS_URL, jwt_issuer=ISSUER, jwt_audience=AUDIENCE)
    assert settings.jwt_enabled
    assert settings.jwt_algorithms == ("RS256", "ES256", "EdDSA")
    assert settings.jwt_leeway_seconds == 5.0
