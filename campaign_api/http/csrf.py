"""Cross-site request forgery guard for requests the session cookie authenticates.

A browser attaches the session cookie to requests that other pages start, and a SameSite=Lax cookie set for the
parent domain travels from every sibling subdomain. So a cookie-authenticated request must come from an allowed
origin (``CAMPAIGN_API_CORS_ORIGINS``) or from the API's own; plain browsers say where a request comes from in
``Origin`` (and ``Sec-Fetch-Site``). Requests authenticated by a header token pass: a page on another site cannot
set that header. Requests without either header come from no browser, and carry no forged intent. The guard needs
no JSON check of its own: ``GraphQLRequestGuard`` already refuses every POST that is not ``application/json``.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from campaign_api.identity.credentials import CredentialKind, MalformedCredentials, extract_credentials

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfGuard:
    def __init__(self, app: ASGIApp, *, allowed_origins: tuple[str, ...], cookie_name: str) -> None:
        self.app = app
        self.allowed_origins = frozenset(allowed_origins)
        self.cookie_name = cookie_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in _SAFE_METHODS:
            headers = Headers(scope=scope)
            if self._is_cookie_authenticated(headers) and not self._comes_from_an_allowed_page(scope, headers):
                await _refusal()(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _is_cookie_authenticated(self, headers: Headers) -> bool:
        try:
            credentials = extract_credentials(headers, self.cookie_name)
        except MalformedCredentials:
            return False  # a bad header credential is refused by the context factory, with a 401
        return credentials is not None and credentials.kind is CredentialKind.COOKIE

    def _comes_from_an_allowed_page(self, scope: Scope, headers: Headers) -> bool:
        origin = headers.get("origin")
        if origin is not None:
            return origin in self.allowed_origins or origin == _own_origin(scope, headers)
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site is not None:
            # "same-site" is any sibling subdomain: without an Origin there is no telling which one.
            return fetch_site in ("same-origin", "none")
        return True


def _own_origin(scope: Scope, headers: Headers) -> str:
    return f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"


def _refusal() -> JSONResponse:
    message = "Cookie-authenticated requests must come from an allowed origin."
    body = {"data": None, "errors": [{"message": message, "extensions": {"code": "FORBIDDEN"}}]}
    return JSONResponse(body, status_code=403)
