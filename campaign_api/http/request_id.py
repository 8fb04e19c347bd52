"""Gives every request an id: the caller's ``X-Request-ID`` when it is well formed, otherwise a new one.

The id is echoed in the response's ``X-Request-ID`` header, put in every log record written while the request runs,
and attached to masked errors, so a user's report can be matched to the one log line about it. An exception that
escapes the application is logged here, once, and answered with a 500 that carries the id too.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-request-id"
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_current: ContextVar[str] = ContextVar("request_id", default="-")
logger = logging.getLogger("campaign_api.errors")


def request_id_of(scope: Scope) -> str:
    return scope.get("state", {}).get("request_id", "-")


def current_request_id() -> str:
    return _current.get()


class RequestIdLogFilter(logging.Filter):
    """Adds ``request_id`` to every log record, for formats that print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(HEADER.encode(), b"").decode("latin-1")
        request_id = incoming if _WELL_FORMED.fullmatch(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = _current.set(request_id)

        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            logger.exception("unexpected error outside GraphQL execution")
            if scope["type"] != "http" or response_started:
                raise
            body = {
                "errors": [
                    {
                        "message": "Unexpected error.",
                        "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
                    }
                ]
            }
            await JSONResponse(body, status_code=500)(scope, receive, send_with_id)
        finally:
            _current.reset(token)
