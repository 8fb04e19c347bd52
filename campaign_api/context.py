"""The context factory: what every resolver of one request can reach.

Built once per GraphQL request, after the middleware and before any resolver. It answers "who is asking" (the
viewer) and gives the request its own data loaders, so nothing cached outlives the request.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from campaign_api.db.database import Database
from campaign_api.db.loaders import Loaders
from campaign_api.domain.rate_limit import SlidingWindowRateLimiter
from campaign_api.http.request_id import request_id_of
from campaign_api.identity import ANONYMOUS, Viewer
from campaign_api.settings import Settings


@dataclass(frozen=True, slots=True)
class Services:
    """What lives for the application's lifetime and every request shares."""

    settings: Settings
    database: Database
    signature_rate_limiter: SlidingWindowRateLimiter


@dataclass(slots=True)
class Context:
    request: Request
    response: Response
    request_id: str
    services: Services
    viewer: Viewer
    loaders: Loaders

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def client_address(self) -> str:
        client = self.request.client
        return client.host if client else "unknown"


async def build_context(request: Request, response: Response, services: Services) -> Context:
    # Authentication comes later: until a provider exists every request is anonymous, and no credentials mean no
    # identity work at all.
    viewer = ANONYMOUS
    return Context(
        request=request,
        response=response,
        request_id=request_id_of(request.scope),
        services=services,
        viewer=viewer,
        loaders=Loaders(services.database, viewer),
    )
