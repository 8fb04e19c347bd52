"""The exception tree every client-facing error comes from.

    ApiError                      extensions.code             HTTP status, when raised before execution
                                                              (the context factory); inside a resolver
                                                              the error is in a 200 body
    ├── Unauthenticated           UNAUTHENTICATED             401
    ├── SecondFactorRequired      SESSION_AAL2_REQUIRED       403
    ├── Forbidden                 FORBIDDEN                   403
    ├── NotFound                  NOT_FOUND                   404
    ├── BadUserInput              BAD_USER_INPUT              400
    ├── RateLimited               RATE_LIMITED                429
    └── ServiceUnavailable        (the failing service's)     503
        └── IdentityServiceUnavailable  IDENTITY_SERVICE_UNAVAILABLE

Resolvers raise these; the error-shaping extension copies ``code`` into ``extensions.code``. Anything else that
escapes a resolver is a bug: it is logged once with the request id and masked as ``INTERNAL_SERVER_ERROR``.
Foreign errors (SQLAlchemy, httpx, JWT) are translated into this tree at the adapter that meets them.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ApiError(Exception):
    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"
    http_status: ClassVar[int] = 500
    default_message: ClassVar[str] = "Unexpected error."

    def __init__(self, message: str | None = None, **extensions: Any) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.extensions = extensions

    def graphql_extensions(self) -> dict[str, Any]:
        return {"code": self.code, **self.extensions}


class Unauthenticated(ApiError):
    code = "UNAUTHENTICATED"
    http_status = 401
    default_message = "Authentication is required."


class SecondFactorRequired(ApiError):
    """The identity has a second factor but this session has not used it (Kratos's ``session_aal2_required``)."""

    code = "SESSION_AAL2_REQUIRED"
    http_status = 403
    default_message = "This account needs a second factor: sign in again with it."


class Forbidden(ApiError):
    code = "FORBIDDEN"
    http_status = 403
    default_message = "You may not do this."


class NotFound(ApiError):
    code = "NOT_FOUND"
    http_status = 404
    default_message = "Not found."


class BadUserInput(ApiError):
    code = "BAD_USER_INPUT"
    http_status = 400
    default_message = "The input is not valid."


class RateLimited(ApiError):
    code = "RATE_LIMITED"
    http_status = 429
    default_message = "Too many attempts; try again later."


class ServiceUnavailable(ApiError):
    http_status = 503
    default_message = "A service this request needs is unavailable."


class IdentityServiceUnavailable(ServiceUnavailable):
    code = "IDENTITY_SERVICE_UNAVAILABLE"
    default_message = "The identity service is unavailable; try again shortly."
