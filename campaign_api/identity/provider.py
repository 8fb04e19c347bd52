"""The strategy half of identity: what turns credentials into a viewer.

    IdentityProvider          one per kind of identity store
    ├── EmbeddedProvider      identities and sessions in the application database (embedded.py)
    ├── KratosProvider        Ory Kratos's /sessions/whoami (kratos.py)
    └── JwtProvider           signed JWTs checked against a key set (jwt_tokens.py)

A provider answers with a ``Viewer`` or raises: ``InvalidSession`` (no such session, expired, revoked, inactive;
the resolver decides whether that is anonymous or a 401), ``SecondFactorRequired`` or
``IdentityServiceUnavailable``. Foreign errors (httpx, PyJWT, SQLAlchemy) are translated inside each provider.
"""

from __future__ import annotations

from typing import Protocol

from campaign_api.identity.credentials import Credentials
from campaign_api.identity.viewer import Viewer


class InvalidSession(Exception):
    """The credentials name no usable session. Internal: never shown to a client as it is."""


class IdentityProvider(Protocol):
    async def resolve(self, credentials: Credentials) -> Viewer: ...

    async def aclose(self) -> None: ...
