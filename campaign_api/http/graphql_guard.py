"""What may reach the GraphQL endpoint: JSON POSTs, and GET only for the GraphiQL page.

Operations never run over GET (a link or an image tag must not be able to run one with the viewer's cookie), and a
POST must be ``application/json``: the content types a page can send cross-origin without a preflight
(``text/plain``, forms) are refused with 415 before anything is parsed.
"""

from __future__ import annotations

from starlette.datastructures import Headers, QueryParams
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send


class GraphQLRequestGuard:
    def __init__(self, app: ASGIApp, *, graphiql_enabled: bool) -> None:
        self.app = app
        self.graphiql_enabled = graphiql_enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self._refusal(scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> PlainTextResponse | None:
        method = scope["method"]
        if method == "POST":
            media_type = Headers(scope=scope).get("content-type", "").split(";", 1)[0].strip().lower()
            if media_type != "application/json":
                return PlainTextResponse("Send GraphQL requests as application/json.", status_code=415)
            return None
        if method == "GET":
            if QueryParams(scope["query_string"]) or not self.graphiql_enabled:
                return PlainTextResponse(
                    "GraphQL operations are accepted only as POST requests.", status_code=405, headers={"Allow": "POST"}
                )
            return None
        if method == "OPTIONS":
            return None  # CORS preflight: answered by the CORS middleware in front of this guard
        return PlainTextResponse("Method not allowed.", status_code=405, headers={"Allow": "POST"})
