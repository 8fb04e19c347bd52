"""A fake Ory Kratos public API, served over real HTTP by uvicorn in a background thread.

It answers ``GET /sessions/whoami`` in Kratos's wire format, as Kratos's source has it:

- the credential is looked for in Kratos's order: ``X-Session-Token``; else the session cookie (``ory_kratos_session``)
  from the ``Cookie`` header; else ``Authorization: Bearer``. As in Kratos, a cookie it cannot read (here: a value
  no cookie session was registered under) falls through to the bearer token;
- a usable session: 200, the Session JSON and the ``X-Kratos-Authenticated-Identity-Id`` header;
- none, or one that is not active (revoked, expired, or its identity deactivated; Kratos's ``Session.IsActive``):
  401 with the body a real Kratos (built from its source and run here) sends for an unknown, revoked or missing
  session: herodot's ``ErrNoSessionFound``, which has no ``error.id`` (Kratos's docs name ``session_inactive``;
  the API reads only the status);
- a session registered with ``aal2_required``: 403 ``session_aal2_required`` with ``redirect_browser_to``.

Modes, switchable while it runs: ``slow`` (every answer waits ``slow_seconds`` first), ``trickle`` (the status line
and headers come at once, the body a few bytes every ``trickle_interval_seconds``), and ``delay_seconds`` (a short
wait that stays under the API's timeout, to make concurrent requests overlap). ``stop()`` takes it down, and
``unreachable_url()`` names a port where nothing listens.

Thread-safe bookkeeping: ``whoami_calls`` counts calls, ``requests`` records the headers of each, so a test can
prove that only the credential travelled.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

COOKIE_NAME = "ory_kratos_session"
CredentialKind = Literal["token", "cookie"]


# --------------------------------------------------------------------------------------------------------------------
# Serving any ASGI app over real HTTP


def _bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
    except BaseException:
        sock.close()
        raise
    return sock


class AsgiServer:
    """uvicorn serving ``app`` on a free loopback port in a daemon thread."""

    def __init__(self, app: ASGIApp) -> None:
        self._sock = _bound_socket()
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    def start(self) -> None:
        try:
            self._thread.start()
            deadline = time.monotonic() + 15
            while not self._server.started:
                if not self._thread.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError("the fake server did not start")
                time.sleep(0.01)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(10)
        self._sock.close()


@contextmanager
def serve_asgi(app: ASGIApp) -> Iterator[AsgiServer]:
    """Serve ``app`` with uvicorn over real HTTP; yields the running server (``.url``). The socket is always closed."""
    server = AsgiServer(app)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def unreachable_url() -> Iterator[str]:
    """A URL whose port is bound but not listening: connecting is refused at once, and no one else can take it."""
    sock = _bound_socket()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


# --------------------------------------------------------------------------------------------------------------------
# Kratos's data


def rfc3339(moment: datetime) -> str:
    """A timestamp as Go's ``time.RFC3339Nano`` writes it (what Kratos sends): UTC ``Z``, no trailing zeros."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def parse_datetime(value: str) -> datetime:
    """The datetime of an RFC 3339 timestamp, ``Z`` or an offset (what Kratos and the API send)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class FakeIdentity:
    email: str = "ada@example.org"
    first_name: str | None = "Ada"
    last_name: str | None = "Lovelace"
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    state: str = "active"  # "active" | "inactive"
    schema_id: str = "default"
    metadata_public: dict[str, Any] | None = None
    created_at: datetime = field(default_factory=_now)

    @property
    def traits(self) -> dict[str, Any]:
        traits: dict[str, Any] = {"email": self.email}
        if self.first_name is not None or self.last_name is not None:
            traits["name"] = {"first": self.first_name or "", "last": self.last_name or ""}
        return traits

    def to_json(self, public_url: str) -> dict[str, Any]:
        created = rfc3339(self.created_at)
        address = {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"verifiable:{self.id}")),
            "value": self.email,
            "verified": True,
            "via": "email",
            "status": "completed",
            "verified_at": created,
            "created_at": created,
            "updated_at": created,
        }
        return {
            "id": self.id,
            "schema_id": self.schema_id,
            "schema_url": f"{public_url}/schemas/{base64.urlsafe_b64encode(self.schema_id.encode()).decode()}",
            "state": self.state,
            "traits": self.traits,
            "verifiable_addresses": [address],
            "recovery_addresses": [
                {key: address[key] for key in ("id", "value", "via", "created_at", "updated_at")},
            ],
            "metadata_public": self.metadata_public,
            "created_at": created,
            "updated_at": created,
        }


@dataclass
class FakeSession:
    credential: str
    kind: CredentialKind
    identity: FakeIdentity
    expires_at: datetime
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    active: bool = True
    authenticator_assurance_level: str = "aal1"
    aal2_required: bool = False  # the identity has a second factor this session has not used
    authenticated_at: datetime = field(default_factory=_now)

    def is_active(self, now: datetime) -> bool:
        """Kratos's ``Session.IsActive``: active, not expired, and its identity active."""
        return self.active and self.expires_at > now and self.identity.state == "active"

    def to_json(self, public_url: str) -> dict[str, Any]:
        authenticated = rfc3339(self.authenticated_at)
        methods = [{"method": "password", "aal": "aal1", "completed_at": authenticated}]
        if self.authenticator_assurance_level == "aal2":
            methods.append({"method": "totp", "aal": "aal2", "completed_at": authenticated})
        return {
            "id": self.id,
            "active": self.is_active(_now()),
            "expires_at": rfc3339(self.expires_at),
            "authenticated_at": authenticated,
            "authenticator_assurance_level": self.authenticator_assurance_level,
            "authentication_methods": methods,
            "issued_at": authenticated,
            "identity": self.identity.to_json(public_url),
            "devices": [
                {
                    "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"device:{self.id}")),
                    "ip_address": "127.0.0.1",
                    "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
                    "location": "",
                }
            ],
        }


# Kratos's herodot error bodies, word for word, as a real Kratos sent them for an unknown and for a revoked token
# (session.ErrNoSessionFound in Kratos's source).
SESSION_INACTIVE = {
    "error": {
        "code": 401,
        "status": "Unauthorized",
        "reason": "No valid session credentials found in the request.",
        "message": "The request could not be authorized",
    }
}


def aal2_required_body(redirect_browser_to: str) -> dict[str, Any]:
    return {
        "error": {
            "id": "session_aal2_required",
            "code": 403,
            "status": "Forbidden",
            "reason": (
                "An active session was found but it does not fulfill the requested Authenticator Assurance Level. "
                "Please verify yourself with a second factor to resolve this issue."
            ),
            "message": "Session does not fulfill the requested Authenticator Assurance Level",
            "details": {"redirect_browser_to": redirect_browser_to},
        },
        "redirect_browser_to": redirect_browser_to,
    }


# --------------------------------------------------------------------------------------------------------------------
# The fake


@dataclass(frozen=True)
class ReceivedRequest:
    """One whoami request as the fake saw it: its headers, names in lower case, in the order they came."""

    headers: tuple[tuple[str, str], ...]

    @property
    def header_names(self) -> set[str]:
        return {name for name, _ in self.headers}

    def get(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name.lower()), None)

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name.lower()]


def _cookie_from_headers(cookie_headers: list[str], name: str) -> str | None:
    """The first cookie called ``name``, parsed as Go's net/http does: each ``;`` part on its own, bad ones skipped."""
    for header in cookie_headers:
        for part in header.split(";"):
            key, sep, value = part.strip().partition("=")
            if not sep or key != name:
                continue
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            return value
    return None


def _bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class FakeKratos:
    """The state of one fake Kratos; ``running_fake_kratos()`` serves it."""

    def __init__(self, *, cookie_name: str = COOKIE_NAME, prefix: str = "") -> None:
        self.cookie_name = cookie_name
        self.prefix = prefix.rstrip("/")
        self.url = ""  # the public URL, set once it listens (with the prefix)
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._generation = 0
        self._sessions: dict[tuple[CredentialKind, str], FakeSession] = {}
        self._requests: list[ReceivedRequest] = []
        self._server: AsgiServer | None = None
        self.reset()
        route = Route("/sessions/whoami", self._whoami, methods=["GET"])
        routes = [Mount(self.prefix, routes=[route])] if self.prefix else [route]
        self.app = Starlette(routes=routes)

    # -- test helpers ------------------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every session and call, and go back to prompt answers (one fake can serve many tests)."""
        with self._lock:
            self._generation += 1  # ends the waits of slow answers still running for an earlier test
            self._sessions.clear()
            self._requests.clear()
        self.slow = False
        self.slow_seconds = 5.0
        self.trickle = False
        self.trickle_interval_seconds = 0.2
        self.trickle_chunks = 8
        self.delay_seconds = 0.0
        # Real Kratos answers 401 for a session that is not active. False: answer 200 with the session as it is
        # (active false, an inactive identity, a past expiry), to test the API's own checks of the session JSON.
        self.enforce_active = True

    def add_session(
        self,
        credential: str | None = None,
        *,
        kind: CredentialKind = "token",
        identity: FakeIdentity | None = None,
        expires_at: datetime | None = None,
        expires_in: timedelta = timedelta(hours=24),
        active: bool = True,
        identity_state: str | None = None,
        authenticator_assurance_level: str = "aal1",
        aal2_required: bool = False,
        **identity_fields: Any,
    ) -> FakeSession:
        """Register a session under a session token (``kind="token"``) or a session cookie value (``"cookie"``)."""
        if identity is None:
            identity = FakeIdentity(**identity_fields)
        elif identity_fields:
            raise TypeError("pass either identity or identity fields")
        if identity_state is not None:
            identity.state = identity_state
        if credential is None:
            credential = new_session_token() if kind == "token" else new_cookie_value()
        session = FakeSession(
            credential=credential,
            kind=kind,
            identity=identity,
            expires_at=expires_at or _now() + expires_in,
            active=active,
            authenticator_assurance_level=authenticator_assurance_level,
            aal2_required=aal2_required,
        )
        with self._lock:
            self._sessions[(kind, credential)] = session
        return session

    def revoke(self, session: FakeSession) -> None:
        """What ``DELETE /self-service/logout/api`` or the admin API does: the session is no longer active."""
        with self._lock:
            session.active = False

    def remove(self, session: FakeSession) -> None:
        with self._lock:
            self._sessions.pop((session.kind, session.credential), None)

    @property
    def whoami_calls(self) -> int:
        with self._lock:
            return len(self._requests)

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._requests)

    def stop(self) -> None:
        """Kratos goes down: the port stops listening (connections are refused)."""
        self._closing.set()
        if self._server is not None:
            self._server.stop()

    # -- the endpoint ------------------------------------------------------------------------------------------------

    async def _pause(self, seconds: float) -> None:
        deadline, generation = time.monotonic() + seconds, self._generation
        while not self._closing.is_set() and generation == self._generation:
            if (left := deadline - time.monotonic()) <= 0:
                return
            await asyncio.sleep(min(left, 0.02))

    def _find(self, request: Request) -> FakeSession | None:
        """Kratos's ``extractToken`` order: X-Session-Token, then a readable session cookie, then the bearer token."""
        with self._lock:
            if token := request.headers.get("x-session-token"):
                return self._sessions.get(("token", token))
            cookie = _cookie_from_headers(request.headers.getlist("cookie"), self.cookie_name)
            if cookie is not None and ("cookie", cookie) in self._sessions:
                return self._sessions[("cookie", cookie)]
            if bearer := _bearer_token(request.headers.get("authorization")):
                return self._sessions.get(("token", bearer))
            return None

    async def _whoami(self, request: Request) -> Response:
        with self._lock:
            self._requests.append(
                ReceivedRequest(
                    tuple((name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw)
                )
            )
        if self.slow:
            await self._pause(self.slow_seconds)
        elif self.delay_seconds:
            await self._pause(self.delay_seconds)
        session = self._find(request)
        if session is None or (self.enforce_active and not session.is_active(_now())):
            return JSONResponse(SESSION_INACTIVE, status_code=401)
        if session.aal2_required:
            redirect = f"{self.url}/self-service/login/browser?aal=aal2"
            return JSONResponse(aal2_required_body(redirect), status_code=403)
        body = session.to_json(self.url)
        headers = {"X-Kratos-Authenticated-Identity-Id": session.identity.id}
        if self.trickle:
            return StreamingResponse(
                self._trickled(json.dumps(body).encode()), media_type="application/json", headers=headers
            )
        return JSONResponse(body, headers=headers)

    async def _trickled(self, body: bytes) -> AsyncIterator[bytes]:
        size = -(-len(body) // self.trickle_chunks)
        for start in range(0, len(body), size):
            if start:
                await self._pause(self.trickle_interval_seconds)
            yield body[start : start + size]


def new_session_token() -> str:
    """Shaped like a Kratos (v1+) session token."""
    return "ory_st_" + secrets.token_urlsafe(24)


def new_cookie_value() -> str:
    """Shaped like a Kratos session cookie: base64url of a signed, encrypted blob, with ``=`` padding."""
    return base64.urlsafe_b64encode(secrets.token_bytes(94)).decode()


def cookie_header(value: str, *, others: Mapping[str, str] | None = None, name: str = COOKIE_NAME) -> str:
    pairs = [f"{key}={val}" for key, val in (others or {}).items()]
    return "; ".join([*pairs, f"{name}={value}"])


@contextmanager
def running_fake_kratos(*, cookie_name: str = COOKIE_NAME, prefix: str = "") -> Iterator[FakeKratos]:
    """A fake Kratos listening on a free port; ``.url`` is its public URL."""
    fake = FakeKratos(cookie_name=cookie_name, prefix=prefix)
    with serve_asgi(fake.app) as server:
        fake._server = server
        fake.url = server.url + fake.prefix
        try:
            yield fake
        finally:
            fake._closing.set()  # let slow answers end now, so the server stops at once
