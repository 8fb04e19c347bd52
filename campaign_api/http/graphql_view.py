"""Strawberry's ASGI view, bound to the context factory and the GraphQL-over-HTTP status codes."""

from __future__ import annotations

from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse

from campaign_api.context import Context, Services, build_context
from campaign_api.errors import ApiError
from campaign_api.schema import CampaignSchema
from campaign_api.schema.errors import REQUEST_ERROR_CODES


def _is_request_error(response_data: GraphQLHTTPResponse) -> bool:
    """A request that never produced data because the client sent something wrong (GraphQL-over-HTTP: 400)."""
    errors = response_data.get("errors") or []
    return (
        response_data.get("data") is None
        and bool(errors)
        and all((error.get("extensions") or {}).get("code") in REQUEST_ERROR_CODES for error in errors)
    )


def _error_response(error: ApiError) -> JSONResponse:
    headers = {}
    if error.http_status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="campaign-api", error="invalid_token"'
    body = {"data": None, "errors": [{"message": error.message, "extensions": error.graphql_extensions()}]}
    return JSONResponse(body, status_code=error.http_status, headers=headers)


class GraphQLView(GraphQL[Context, None]):
    def __init__(self, schema: CampaignSchema, services: Services) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if services.settings.graphiql_enabled else None,
            allow_queries_via_get=False,
            multipart_uploads_enabled=False,
            subscription_protocols=(),
        )
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except ApiError as error:
            # Raised by the context factory (who is asking) before any operation ran: the whole request fails.
            await _error_response(error)(scope, receive, send)

    def parse_json(self, data: str | bytes) -> Any:
        parsed = super().parse_json(data)
        if isinstance(parsed, list):
            raise HTTPException(400, "Send one operation per request; batches are not accepted.")
        if not isinstance(parsed, dict):
            raise HTTPException(400, "The request body must be a JSON object with a `query`.")
        return parsed

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        return await build_context(request, response, self.services)

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        if isinstance(response_data, dict) and _is_request_error(response_data):
            response.status_code = 400
        return response
