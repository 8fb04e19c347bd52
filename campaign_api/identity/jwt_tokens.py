"""Signed JWTs as identity: Oathkeeper's ``id_token`` mutator, or Kratos's session tokenizer.

The algorithm allow-list comes from settings, never from the token; ``none`` is never accepted and HMAC only with a
configured secret. ``exp``, ``iat`` and ``sub`` are required, issuer and audience checked. Keys come from a JWKS URL
(fetched with httpx and cached; an unknown ``kid`` refreshes it at most once per ``min_refresh_seconds``) or a JWKS
file (Kratos's tokenizer publishes no key set).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt

from campaign_api.errors import IdentityServiceUnavailable
from campaign_api.identity.credentials import CredentialKind, Credentials
from campaign_api.identity.kratos_session import viewer_from_session
from campaign_api.identity.provider import InvalidSession
from campaign_api.identity.viewer import Viewer

REQUIRED_CLAIMS = ["exp", "iat", "sub"]
logger = logging.getLogger("campaign_api.identity")


@dataclasses.dataclass(frozen=True, slots=True)
class VerifyingKey:
    key: Any
    algorithm: str | None  # the JWK's "alg", when it names one


class KeySet:
    """The verifying keys by ``kid``, from a JWKS URL or file."""

    def __init__(
        self,
        *,
        url: str | None = None,
        path: Path | None = None,
        cache_seconds: float = 300.0,
        min_refresh_seconds: float = 30.0,
        timeout_seconds: float = 2.0,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if (url is None) == (path is None):
            raise ValueError("a key set comes from exactly one of a URL or a file")
        self.url = url
        self.cache_seconds = cache_seconds
        self.min_refresh_seconds = min_refresh_seconds
        self.timeout_seconds = timeout_seconds
        self.fetch_count = 0
        self._clock = clock
        self._keys: dict[str | None, VerifyingKey] = _parse_jwks(json.loads(path.read_text())) if path else {}
        self._fetched_at: float | None = None  # the last successful fetch
        self._attempted_at: float | None = None  # the last fetch, successful or not
        self._lock = asyncio.Lock()
        self._client = (
            httpx.AsyncClient(timeout=httpx.Timeout(timeout_seconds), transport=transport) if url is not None else None
        )

    async def key_for(self, kid: str | None) -> VerifyingKey:
        if self.url is not None and (self._is_stale() or self._find(kid) is None) and self._may_fetch():
            await self._fetch()
        key = self._find(kid)
        if key is None:
            if self.url is not None and self._fetched_at is None:
                raise IdentityServiceUnavailable("The token signing keys cannot be fetched.")
            raise InvalidSession("no key for this token")
        return key

    def _find(self, kid: str | None) -> VerifyingKey | None:
        if kid is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))
        return self._keys.get(kid)

    def _is_stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self.cache_seconds

    def _may_fetch(self) -> bool:
        # Whether the last attempt succeeded or failed, the next waits min_refresh_seconds: unknown kids and a
        # JWKS endpoint that is down both cost one fetch per interval, not one per request.
        return self._attempted_at is None or self._clock() - self._attempted_at >= self.min_refresh_seconds

    async def _fetch(self) -> None:
        attempted_before = self._attempted_at
        async with self._lock:
            if self._attempted_at != attempted_before:
                return  # another request fetched (or failed to) while this one waited: share its outcome
            assert self._client is not None and self.url is not None
            self.fetch_count += 1
            try:
                async with asyncio.timeout(self.timeout_seconds):  # the whole fetch, not each read
                    response = await self._client.get(self.url)
                response.raise_for_status()
                keys = _parse_jwks(response.json())
            except (httpx.HTTPError, ValueError, TimeoutError) as exc:
                logger.warning("cannot fetch the JWKS at %s: %s", self.url, exc)
                return  # keep the keys we have, if any
            finally:
                self._attempted_at = self._clock()
            self._keys, self._fetched_at = keys, self._attempted_at

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def _parse_jwks(document: Any) -> dict[str | None, VerifyingKey]:
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document")
    keys: dict[str | None, VerifyingKey] = {}
    for entry in document["keys"]:
        if not isinstance(entry, Mapping) or entry.get("use", "sig") != "sig":
            continue
        if entry.get("kty") == "oct":
            continue  # a shared secret has no business in a published key set
        try:
            key = jwt.PyJWK(dict(entry))
        except (jwt.PyJWKError, jwt.InvalidKeyError):
            continue  # a key type this library cannot use: skip it, as other verifiers do
        algorithm = entry.get("alg")
        keys[entry.get("kid")] = VerifyingKey(key.key, algorithm if isinstance(algorithm, str) else None)
    return keys


class JwtProvider:
    def __init__(
        self,
        *,
        key_set: KeySet | None,
        hmac_secret: str | None,
        algorithms: tuple[str, ...],
        issuer: str,
        audience: str | None,
        leeway_seconds: float,
    ) -> None:
        self.key_set = key_set
        self._hmac_secret = hmac_secret
        self._algorithms = [algorithm for algorithm in algorithms if algorithm.lower() != "none"]
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_seconds

    async def _key(self, header: Mapping[str, Any]) -> Any:
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self._algorithms:
            raise InvalidSession("algorithm not allowed")
        if algorithm.startswith("HS"):
            if self._hmac_secret is None:
                raise InvalidSession("HMAC tokens are not accepted")
            return self._hmac_secret
        if self.key_set is None:
            raise InvalidSession("no key set for signed tokens")
        kid = header.get("kid")
        key = await self.key_set.key_for(kid if isinstance(kid, str) else None)
        if key.algorithm is not None and key.algorithm != algorithm:
            raise InvalidSession("the key is published for another algorithm")
        return key.key

    async def resolve(self, credentials: Credentials) -> Viewer:
        if credentials.kind is not CredentialKind.JWT:
            raise InvalidSession("only JWTs are accepted")
        try:
            header = jwt.get_unverified_header(credentials.value)
            claims = jwt.decode(
                credentials.value,
                key=await self._key(header),
                algorithms=self._algorithms,
                issuer=self._issuer,
                audience=self._audience,
                leeway=self._leeway,
                options={"require": REQUIRED_CLAIMS, "verify_aud": self._audience is not None},
            )
        except (jwt.PyJWTError, TypeError, ValueError) as exc:
            # PyJWT raises TypeError or ValueError, not one of its own errors, when a token's algorithm does not fit
            # the key's type (ES256 against an RSA key whose JWK names no alg).
            raise InvalidSession(f"invalid token: {exc}") from exc
        return viewer_from_claims(claims)

    async def aclose(self) -> None:
        if self.key_set is not None:
            await self.key_set.aclose()


def viewer_from_claims(claims: Mapping[str, Any]) -> Viewer:
    """``sub`` is the identity; Oathkeeper's ``session`` claim (the whoami session), when present, supplies traits."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise InvalidSession("no subject")
    expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
    session = claims.get("session")
    if isinstance(session, Mapping) and isinstance(session.get("identity"), Mapping):
        viewer = viewer_from_session(session)
        if viewer.identity_id != subject:
            raise InvalidSession("the session claim is for another identity")
        return dataclasses.replace(viewer, session_expires_at=expires_at)
    return Viewer(
        identity_id=subject,
        email=claims.get("email") if isinstance(claims.get("email"), str) else None,
        name=claims.get("name") if isinstance(claims.get("name"), str) else None,
        session_id=claims.get("sid") if isinstance(claims.get("sid"), str) else None,
        session_expires_at=expires_at,
        authenticator_assurance_level=claims.get("aal") if isinstance(claims.get("aal"), str) else None,
    )
