"""Shapes every GraphQL error the client sees: a stable ``extensions.code`` on each, and nothing internal.

- an ``ApiError`` raised by a resolver keeps its message and gets its code;
- errors graphql-core made itself are the client's: a document that does not parse, does not validate (limits
  included) or whose variables do not fit;
- anything else is a bug: logged once, with the request id and the traceback, and masked for the client.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from campaign_api.errors import ApiError
from campaign_api.http.request_id import current_request_id

logger = logging.getLogger("campaign_api.errors")

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
# Errors of a request that never ran: the HTTP status is 400 when every error is one of these.
REQUEST_ERROR_CODES = frozenset({PARSE_FAILED, VALIDATION_FAILED, BAD_USER_INPUT})


class ErrorShaping(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        self._executing = False
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [self._shape(error) for error in result.errors]

    def on_execute(self) -> Iterator[None]:
        self._executing = True
        yield

    def _shape(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, ApiError):
            error.extensions = {**(error.extensions or {}), **original.graphql_extensions()}
            return error
        if original is None or isinstance(original, GraphQLError):
            # graphql-core's own: the document or its variables. graphql-core 3.3 wraps variable errors in another
            # GraphQLError, so the original is one too.
            error.extensions = {**(error.extensions or {}), "code": self._code_of_request_error()}
            if not self._suggestions_allowed():
                error.message = _SUGGESTION.sub("", error.message)
            return error
        request_id = current_request_id()
        logger.error("unexpected error in %s", error.path or "the operation", exc_info=original)
        return GraphQLError(
            "Unexpected error.",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": INTERNAL_SERVER_ERROR, "requestId": request_id},
        )

    def _suggestions_allowed(self) -> bool:
        # "Did you mean ...?" names types, fields and arguments: schema detail that production keeps to itself.
        context = self.execution_context.context
        return context is None or context.settings.introspection_enabled

    def _code_of_request_error(self) -> str:
        if self._executing:
            return BAD_USER_INPUT  # variables that do not fit their types, found as execution starts
        if self.execution_context.graphql_document is None:
            return PARSE_FAILED
        return VALIDATION_FAILED
