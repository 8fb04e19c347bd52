"""The GraphQL schema: types, the root query and mutation, and the request limits.

``schema`` is the type system alone (what ``campaign-api export-schema`` prints); ``create_schema(settings)``
adds the limits and error handling the running API uses.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import strawberry
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig

from campaign_api.schema.errors import ErrorShaping
from campaign_api.schema.management import ManagementMutation
from campaign_api.schema.mutation import SigningMutation
from campaign_api.schema.permission_stats import PermissionStatsExtension
from campaign_api.schema.query import Query
from campaign_api.settings import Settings


@strawberry.type
class Mutation(SigningMutation, ManagementMutation):
    """Every mutation: signing (public) and the organisation's people's (permission-checked)."""


class CampaignSchema(strawberry.Schema):
    def process_errors(self, errors: list[Any], execution_context: Any = None) -> None:
        """Errors are logged by ``ErrorShaping`` (once, and only the unexpected ones), not here."""


def _extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Extension factories: strawberry makes fresh extensions for every operation."""
    extensions: list[Callable[[], SchemaExtension]] = [
        ErrorShaping,
        PermissionStatsExtension,
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        # Introspection fields (by name, never by alias) are not counted: GraphiQL's introspection query is deeper than
        # any real operation. Introspection is off in production, and the token limit still bounds it.
        partial(QueryDepthLimiter, max_depth=settings.max_query_depth),
        partial(MaxAliasesLimiter, max_alias_count=settings.max_aliases),
    ]
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    return extensions


def create_schema(settings: Settings | None = None) -> CampaignSchema:
    return CampaignSchema(
        query=Query,
        mutation=Mutation,
        extensions=_extensions(settings) if settings is not None else [],
        config=StrawberryConfig(
            disable_field_suggestions=settings is not None and not settings.introspection_enabled,
            relay_max_results=settings.max_page_size if settings is not None else 100,
        ),
    )


schema = create_schema()
