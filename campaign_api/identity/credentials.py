"""Where a request carries its credentials: the transport half of identity.

One function reads them all, so the context factory and the CSRF guard agree on how a request is authenticated.
Header credentials win over the cookie: a page on another site can make a browser send the cookie, never a header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from starlette.datastructures import Headers

# Three base64url segments: header.payload.signature. Opaque session tokens never contain a dot.
_JWT_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_MAX_CREDENTIAL_LENGTH = 8192


class CredentialKind(StrEnum):
    COOKIE = "cookie"  # the session cookie a browser sends by itself
    SESSION_TOKEN = "session_token"  # noqa: S105 (a name, not a secret): X-Session-Token or an opaque Bearer
    JWT = "jwt"  # Authorization: Bearer <JWT>, from Oathkeeper or Kratos's tokenizer


@dataclass(frozen=True, slots=True)
class Credentials:
    kind: CredentialKind
    value: str

    @property
    def is_explicit(self) -> bool:
        """Sent on purpose by the client (a header): a bad one is an error, not an anonymous request."""
        return self.kind is not CredentialKind.COOKIE

    def __repr__(self) -> str:  # never print a secret
        return f"Credentials({self.kind.value}, ...)"


class MalformedCredentials(ValueError):
    """An Authorization header that is not ``Bearer <token>``, or a credential too long to be real."""


def _cookie_value(headers: Headers, cookie_name: str) -> str | None:
    """The first non-empty cookie of that name, as Kratos (Go's net/http) reads it.

    A browser can send two (a host-only cookie and the parent-domain one): the API must pick the one Kratos picks.
    A malformed cookie of another app is skipped, never a reason to drop the header.
    """
    for header in headers.getlist("cookie"):
        for pair in header.split(";"):
            name, separator, value = pair.partition("=")
            value = value.strip().removeprefix('"').removesuffix('"')
            if separator and name.strip() == cookie_name and value:
                return value
    return None


def extract_credentials(headers: Headers, cookie_name: str) -> Credentials | None:
    """The request's credentials, if it carries any. Raises ``MalformedCredentials`` for an unusable header."""
    credentials: Credentials | None = None
    if token := headers.get("x-session-token", "").strip():
        credentials = Credentials(CredentialKind.SESSION_TOKEN, token)
    elif authorization := headers.get("authorization", "").strip():
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise MalformedCredentials("Use `Authorization: Bearer <token>`.")
        kind = CredentialKind.JWT if _JWT_SHAPE.fullmatch(token) else CredentialKind.SESSION_TOKEN
        credentials = Credentials(kind, token)
    elif cookie := _cookie_value(headers, cookie_name):
        credentials = Credentials(CredentialKind.COOKIE, cookie)
    if credentials is not None and len(credentials.value) > _MAX_CREDENTIAL_LENGTH:
        raise MalformedCredentials("The credential is too long.")
    return credentials
