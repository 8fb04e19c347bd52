"""The context factory: what every resolver of one request can reach.

Built once per GraphQL request, after the middleware and before any resolver. It answers "who is asking" (the
viewer: no credentials, no identity work; otherwise one cached provider lookup) and gives the request its own data
loaders and permission decisions, so nothing cached outlives the request.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from campaign_api.db.database import Database
from campaign_api.db.loaders import Loaders
from campaign_api.domain.rate_limit import SlidingWindowRateLimiter
from campaign_api.errors import Unauthenticated
from campaign_api.http.request_id import request_id_of
from campaign_api.identity import ANONYMOUS, Viewer
from campaign_api.identity.credentials import MalformedCredentials, extract_credentials
from campaign_api.identity.resolver import ViewerResolver
from campaign_api.permissions.engine import PermissionEngine
from campaign_api.permissions.loader import PermissionLoader
from campaign_api.settings import Settings


@dataclass(frozen=True, slots=True)
class Services:
    """What lives for the application's lifetime and every request shares."""

    settings: Settings
    database: Database
    signature_rate_limiter: SlidingWindowRateLimiter
    viewer_resolver: ViewerResolver
    permission_engine: PermissionEngine


@dataclass(slots=True)
class Context:
    request: Request
    response: Response
    request_id: str
    services: Services
    viewer: Viewer
    permissions: PermissionLoader
    loaders: Loaders

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def client_address(self) -> str:
        client = self.request.client
        return client.host if client else "unknown"


async def resolve_viewer(request: Request, services: Services) -> Viewer:
    """Who is asking. Raises ``Unauthenticated`` for a bad explicit token; a stale cookie is just anonymous."""
    if request.method != "POST":
        return ANONYMOUS  # GET serves only the GraphiQL page: nothing runs as anyone
    try:
        credentials = extract_credentials(request.headers, services.settings.session_cookie_name)
    except MalformedCredentials as exc:
        raise Unauthenticated(str(exc)) from None
    return await services.viewer_resolver.resolve(credentials)


async def build_context(request: Request, response: Response, services: Services) -> Context:
    viewer = await resolve_viewer(request, services)
    permissions = PermissionLoader(services.permission_engine, viewer, batching=services.settings.permission_batching)
    return Context(
        request=request,
        response=response,
        request_id=request_id_of(request.scope),
        services=services,
        viewer=viewer,
        permissions=permissions,
        loaders=Loaders(services.database, permissions),
    )
