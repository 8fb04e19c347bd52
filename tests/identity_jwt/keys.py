"""Signing keys, JWKS documents, tokens shaped like Ory's, and a real JWKS server for the JWT tests.

- ``rsa_key()`` / ``ec_key()``: RS256 and ES256 (P-256) key pairs made with cryptography.
- ``jwks(...)``: the public half of keys as a JWKS document (``kid``, ``alg``, ``use``), never a private member.
- ``oathkeeper_claims`` / ``kratos_tokenizer_claims``: the claims Oathkeeper's ``id_token`` mutator and Kratos's
  session tokenizer sign; ``mint`` signs them with PyJWT. ``unsigned_token`` and ``hmac_token`` build by hand what
  PyJWT refuses to build (``alg: none``, HMAC with a public key as the secret).
- ``serve_jwks(...)``: an ASGI app that serves ``/.well-known/jwks.json`` over real HTTP (uvicorn, a free port, a
  background thread). It counts fetches, rotates keys, can answer 500 or go down altogether.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISSUER = "http://oathkeeper.campaign.test:4456/"
KRATOS_ISSUER = "http://auth.campaign.test:4433/"
AUDIENCE = "campaign-api"
JWKS_PATH = "/.well-known/jwks.json"

# Private members of a JWK: none of them may ever appear in a published key set.
PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


@dataclass(frozen=True)
class SigningKey:
    """A key pair and the name (``kid``) and algorithm it is published with."""

    kid: str
    algorithm: str
    private_key: Any

    @property
    def public_key(self) -> Any:
        return self.private_key.public_key()

    def public_jwk(self, *, with_alg: bool = True) -> dict[str, Any]:
        to_jwk = RSAAlgorithm.to_jwk if isinstance(self.private_key, rsa.RSAPrivateKey) else ECAlgorithm.to_jwk
        jwk: dict[str, Any] = dict(to_jwk(self.public_key, as_dict=True))
        jwk.update(kid=self.kid, use="sig")
        if with_alg:
            jwk["alg"] = self.algorithm
        else:
            jwk.pop("alg", None)
        assert not PRIVATE_JWK_MEMBERS & jwk.keys(), jwk
        return jwk

    def public_pem(self) -> bytes:
        return self.public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _kid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def rsa_key(kid: str | None = None, *, algorithm: str = "RS256") -> SigningKey:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return SigningKey(kid or _kid("rsa"), algorithm, private_key)


def ec_key(kid: str | None = None) -> SigningKey:
    return SigningKey(kid or _kid("ec"), "ES256", ec.generate_private_key(ec.SECP256R1()))


def jwks(*keys: SigningKey, with_alg: bool = True, extra: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """A JWKS document of the keys' public halves (plus ``extra`` raw entries, e.g. a symmetric one)."""
    return {"keys": [key.public_jwk(with_alg=with_alg) for key in keys] + list(extra)}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(value: Any) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


# --- claims ---------------------------------------------------------------------------------------------------------


def kratos_session(
    identity_id: str,
    *,
    email: str = "ada@example.org",
    name: str = "Ada Lovelace",
    expires_at: datetime | None = None,
    state: str = "active",
    active: bool = True,
) -> dict[str, Any]:
    """A Kratos whoami session, as Oathkeeper's ``cookie_session`` authenticator hands it on (``extra_from: @this``)."""
    now = datetime.now(UTC)
    expires_at = expires_at or now.replace(microsecond=0) + timedelta(days=1)
    return {
        "id": str(uuid.uuid4()),
        "active": active,
        "expires_at": expires_at.isoformat().replace("+00:00", "Z"),
        "authenticated_at": now.isoformat().replace("+00:00", "Z"),
        "issued_at": now.isoformat().replace("+00:00", "Z"),
        "authenticator_assurance_level": "aal1",
        "authentication_methods": [{"method": "password", "aal": "aal1"}],
        "devices": [],
        "identity": {
            "id": identity_id,
            "schema_id": "default",
            "state": state,
            "traits": {"email": email, "name": name},
            "verifiable_addresses": [{"value": email, "verified": True, "via": "email", "status": "completed"}],
            "metadata_public": None,
        },
    }


def _finish(claims: dict[str, Any], without: Iterable[str], overrides: dict[str, Any]) -> dict[str, Any]:
    claims.update(overrides)
    for name in without:
        claims.pop(name, None)
    return claims


def oathkeeper_claims(
    sub: str | None = None,
    *,
    issuer: str = ISSUER,
    audience: list[str] | str | None = None,
    lifetime: int = 900,
    now: int | None = None,
    session: dict[str, Any] | None = None,
    email: str = "ada@example.org",
    name: str = "Ada Lovelace",
    without: Iterable[str] = (),
    **overrides: Any,
) -> dict[str, Any]:
    """Oathkeeper ``id_token`` claims with the template ``{"aud": ["campaign-api"], "session": {{ .Extra }}}``."""
    sub = sub or str(uuid.uuid4())
    now = int(time.time()) if now is None else now
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": sub,
        "aud": audience if audience is not None else [AUDIENCE],
        "exp": now + lifetime,
        "iat": now,
        "nbf": now,
        "jti": str(uuid.uuid4()),
        "session": session if session is not None else kratos_session(sub, email=email, name=name),
    }
    return _finish(claims, without, overrides)


def kratos_tokenizer_claims(
    sub: str | None = None,
    *,
    issuer: str = KRATOS_ISSUER,
    lifetime: int = 60,
    now: int | None = None,
    without: Iterable[str] = (),
    **overrides: Any,
) -> dict[str, Any]:
    """Kratos ``whoami?tokenize_as=`` claims: jti, iss, exp, sid, nbf, iat, sub; no ``aud``."""
    now = int(time.time()) if now is None else now
    claims: dict[str, Any] = {
        "jti": str(uuid.uuid4()),
        "iss": issuer,
        "exp": now + lifetime,
        "sid": str(uuid.uuid4()),
        "nbf": now,
        "iat": now,
        "sub": sub or str(uuid.uuid4()),
    }
    return _finish(claims, without, overrides)


# --- tokens ---------------------------------------------------------------------------------------------------------


def mint(
    claims: dict[str, Any],
    key: SigningKey,
    *,
    kid: str | None = None,
    algorithm: str | None = None,
    with_kid: bool = True,
) -> str:
    """Sign ``claims`` with ``key`` (by default with its own ``kid`` and algorithm)."""
    headers = {"kid": kid or key.kid} if with_kid else {}
    return jwt.encode(claims, key.private_key, algorithm=algorithm or key.algorithm, headers=headers)


def unsigned_token(claims: dict[str, Any], *, header: dict[str, Any] | None = None) -> str:
    """``{"alg": "none"}``: header and payload, an empty signature."""
    return f"{b64url_json(header or {'alg': 'none', 'typ': 'JWT'})}.{b64url_json(claims)}."


def hmac_token(claims: dict[str, Any], secret: bytes, *, kid: str | None = None, algorithm: str = "HS256") -> str:
    """An HMAC-signed token built by hand, so any bytes can be the secret (PyJWT refuses a PEM public key)."""
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[algorithm]
    header: dict[str, Any] = {"alg": algorithm, "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    signing_input = f"{b64url_json(header)}.{b64url_json(claims)}"
    signature = hmac.new(secret, signing_input.encode("ascii"), digest).digest()
    return f"{signing_input}.{b64url(signature)}"


def tamper(token: str, **changes: Any) -> str:
    """The same header and signature over a payload with ``changes`` applied."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return f"{header}.{b64url_json(claims)}.{signature}"


# --- a fake monotonic clock -----------------------------------------------------------------------------------------


@dataclass
class FakeClock:
    now: float = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# --- the JWKS server ------------------------------------------------------------------------------------------------


@dataclass
class JwksServer:
    """What the JWKS endpoint serves, and how often it was asked. Mutated by tests, read by the server thread."""

    keys: list[SigningKey]
    extra_entries: list[dict[str, Any]] = field(default_factory=list)
    failing: bool = False
    base_url: str = ""
    _fetches: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: Any = None

    @property
    def url(self) -> str:
        return f"{self.base_url}{JWKS_PATH}"

    @property
    def fetch_count(self) -> int:
        with self._lock:
            return self._fetches

    def reset(self, *keys: SigningKey) -> None:
        """Serve ``keys``, healthy, with the fetch counter at zero (to share one server between tests)."""
        with self._lock:
            self.keys = list(keys)
            self.extra_entries = []
            self.failing = False
            self._fetches = 0

    def rotate(self, new_key: SigningKey, *, keep_old: bool = False) -> None:
        with self._lock:
            self.keys = [*self.keys, new_key] if keep_old else [new_key]

    def fail(self) -> None:
        self.failing = True

    def recover(self) -> None:
        self.failing = False

    def go_down(self) -> None:
        """Stop serving: the port refuses connections from now on."""
        if self._stop is not None:
            self._stop()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        if scope["path"] != JWKS_PATH:
            await _respond(send, 404, b'{"error":"not found"}')
            return
        with self._lock:
            self._fetches += 1
            document = jwks(*self.keys, extra=self.extra_entries)
        if self.failing:
            await _respond(send, 500, b'{"error":"internal"}')
            return
        await _respond(send, 200, json.dumps(document).encode())


async def _respond(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@contextmanager
def serve_jwks(*keys: SigningKey, extra_entries: Iterable[dict[str, Any]] = ()) -> Iterator[JwksServer]:
    """Serve a JWKS for ``keys`` on a free loopback port until the block ends (or ``go_down()``)."""
    state = JwksServer(keys=list(keys), extra_entries=list(extra_entries))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        server = uvicorn.Server(uvicorn.Config(state, log_level="warning", lifespan="off", access_log=False))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        stopped = threading.Event()

        def stop() -> None:
            if stopped.is_set():
                return
            stopped.set()
            server.should_exit = True
            if thread.is_alive():
                thread.join(10)
            sock.close()

        state._stop = stop
        state.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        thread.start()
        try:
            deadline = time.monotonic() + 10
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError("the JWKS server did not start")
                time.sleep(0.01)
            yield state
        finally:
            stop()
    finally:
        sock.close()  # idempotent; covers a failure before the server ever started
