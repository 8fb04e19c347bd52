"""The Starlette application: middleware, routes and the resources that live as long as the app.

Request path, outermost first: request id -> CORS -> CSRF guard -> body size limit -> GraphQL request guard ->
Strawberry view (context factory, then resolvers).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from campaign_api.context import Services
from campaign_api.db.database import Database
from campaign_api.db.migrate import current_revision, head_revision, require_migrated
from campaign_api.domain.rate_limit import SlidingWindowRateLimiter
from campaign_api.http.body_limit import BodyLimitMiddleware
from campaign_api.http.csrf import CsrfGuard
from campaign_api.http.graphql_guard import GraphQLRequestGuard
from campaign_api.http.graphql_view import GraphQLView
from campaign_api.http.request_id import RequestIdMiddleware
from campaign_api.identity.resolver import create_viewer_resolver
from campaign_api.permissions import create_permission_engine
from campaign_api.schema import create_schema
from campaign_api.settings import Settings

logger = logging.getLogger("campaign_api")


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    database = Database(settings.database_url)
    services = Services(
        settings=settings,
        database=database,
        signature_rate_limiter=SlidingWindowRateLimiter(
            settings.signature_rate_limit, settings.signature_rate_window_seconds
        ),
        viewer_resolver=create_viewer_resolver(settings, database),
        permission_engine=create_permission_engine(settings, database),
    )
    graphql = GraphQLRequestGuard(
        GraphQLView(create_schema(settings), services), graphiql_enabled=settings.graphiql_enabled
    )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            # Refuse to serve a database this version cannot use; the message names the command to run.
            await require_migrated(database)
            yield
        finally:
            await services.viewer_resolver.aclose()
            await services.permission_engine.aclose()
            await database.dispose()

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> JSONResponse:
        try:
            async with database.session() as session:
                await session.execute(text("SELECT 1"))
            revision = await current_revision(database)
        except Exception:
            logger.exception("readiness check: database unreachable")
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
        if revision != head_revision():
            return JSONResponse({"status": "unavailable", "database": "not migrated"}, status_code=503)
        return JSONResponse({"status": "ok"})

    async def metrics(_request: Request) -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app = Starlette(
        routes=[
            Route("/graphql", graphql),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_credentials=True,
                allow_methods=["POST"],
                allow_headers=["Content-Type", "Authorization", "X-Session-Token", "X-Request-ID"],
                expose_headers=["X-Request-ID"],
                max_age=600,
            ),
            Middleware(CsrfGuard, allowed_origins=settings.cors_origins, cookie_name=settings.session_cookie_name),
            Middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    return app
