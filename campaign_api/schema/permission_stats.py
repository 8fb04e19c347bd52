"""Records each request's permission statistics in Prometheus and, when CAMPAIGN_API_DEBUG_PERMISSIONS is on, returns
them in the response's ``extensions.permissions``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension


class PermissionStatsExtension(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        if context is not None:
            context.permissions.finish()

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        if context is None or not context.settings.debug_permissions:
            return {}
        return {"permissions": context.permissions.stats.as_dict()}
