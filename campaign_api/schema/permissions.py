"""Field-level permissions: one parameterised permission class, the extension that applies it, and the lookahead
that lets list resolvers decide their items' checks in one batch.

- ``Can(permit, object_of)`` is a strawberry ``BasePermission``: the viewer must hold ``permit`` (a permit of the OPL
  model, e.g. ``Campaign.edit``) on the object ``object_of(source)`` names.
- ``requires(...)`` applies it to a field. When the decision is already known (a list resolver decided it ahead) the
  check is a synchronous dictionary lookup; otherwise it waits for the request's permission loader, which batches
  every check of the tick into one engine call.
- A denial raises ``FORBIDDEN``; an engine that could not decide raises ``PERMISSION_SERVICE_UNAVAILABLE``. Either
  way only that field is null (guarded fields are nullable for this reason): public fields still resolve.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from campaign_api.errors import Forbidden
from campaign_api.permissions.engine import PermissionServiceUnavailable, Verdict
from campaign_api.permissions.loader import PermissionLoader


@dataclass(frozen=True, slots=True)
class Permit:
    """A permit of the OPL model: ``namespace`` is the class, ``name`` the entry in its ``permits``."""

    namespace: str
    name: str


def verdict_to_bool(verdict: Verdict) -> bool:
    if verdict is Verdict.UNAVAILABLE:
        raise PermissionServiceUnavailable()
    return verdict is Verdict.ALLOWED


def can_now_or_later(permissions: PermissionLoader, permit: Permit, object_id: object) -> Any:
    """True or False when decided; otherwise an awaitable of it (graphql-core awaits what a resolver returns)."""
    check = permissions.tuple_for(permit.namespace, object_id, permit.name)
    verdict = permissions.decided(check)
    if verdict is not None:
        return verdict_to_bool(verdict)

    async def later() -> bool:
        return verdict_to_bool(await permissions.verdict(check))

    return later()


class Can(BasePermission):
    message = "You may not see or do this."
    error_extensions = {"code": Forbidden.code}

    def __init__(self, permit: Permit, object_of: Callable[[Any], object] = lambda source: source.id) -> None:
        self.permit = permit
        self.object_of = object_of

    def check_for(self, source: Any, info: Any) -> Any:
        return info.context.permissions.tuple_for(self.permit.namespace, self.object_of(source), self.permit.name)

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        """The decided answer; ``requires`` makes sure it is decided before this is asked."""
        verdict = info.context.permissions.decided(self.check_for(source, info))
        return verdict is not None and verdict_to_bool(verdict)

    async def require(self, info: Any, object_id: object) -> None:
        """For mutations, whose object comes from their input: FORBIDDEN unless the viewer holds the permit."""
        loader: PermissionLoader = info.context.permissions
        _refuse_unless_allowed(
            await loader.verdict(loader.tuple_for(self.permit.namespace, object_id, self.permit.name))
        )


class Requires(FieldExtension):
    """Applies ``Can`` permissions to a field: synchronous when decided, batched through the loader when not."""

    def __init__(self, *permissions: Can) -> None:
        self.permissions = permissions

    def resolve(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        loader: PermissionLoader = info.context.permissions
        for permission in self.permissions:
            verdict = loader.decided(permission.check_for(source, info))
            if verdict is None:
                return self._resolve_later(next_, source, info, kwargs)
            _refuse_unless_allowed(verdict)
        return next_(source, info, **kwargs)

    async def resolve_async(self, next_: Callable[..., Any], source: Any, info: Any, **kwargs: Any) -> Any:
        return await self._resolve_later(next_, source, info, kwargs)

    async def _resolve_later(self, next_: Callable[..., Any], source: Any, info: Any, kwargs: dict[str, Any]) -> Any:
        loader: PermissionLoader = info.context.permissions
        for permission in self.permissions:
            _refuse_unless_allowed(await loader.verdict(permission.check_for(source, info)))
        result = next_(source, info, **kwargs)
        return await result if inspect.isawaitable(result) else result


def _refuse_unless_allowed(verdict: Verdict) -> None:
    if not verdict_to_bool(verdict):
        raise Forbidden(Can.message)


def requires(permit: Permit, object_of: Callable[[Any], object] = lambda source: source.id) -> list[FieldExtension]:
    return [Requires(Can(permit, object_of))]


# --- lookahead ------------------------------------------------------------------------------------------------------


def _fields(selections: Iterable[Selection]) -> Iterable[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, (InlineFragment, FragmentSpread)):
            yield from _fields(selection.selections)


def selected_below(info: Any, path: Sequence[str]) -> list[SelectedField]:
    """The fields selected at ``path`` below the current field (e.g. ``("edges", "node")`` of a connection)."""
    level = [field for selected in info.selected_fields for field in _fields(selected.selections)]
    for name in path:
        level = [child for field in level if field.name == name for child in _fields(field.selections)]
    return level


def permits_selected(
    fields: Sequence[SelectedField], guarded: dict[str, Permit], viewer_can: dict[str, Permit]
) -> set[Permit]:
    """The permits the selected fields of one node will check: guarded fields and ``viewerCan`` entries."""
    permits = {guarded[field.name] for field in fields if field.name in guarded}
    for field in fields:
        if field.name == "viewerCan":
            permits |= {viewer_can[child.name] for child in _fields(field.selections) if child.name in viewer_can}
    return permits


async def decide_ahead(info: Any, object_ids: Iterable[object], permits: Iterable[Permit]) -> None:
    """Decide every (object, permit) check a list's items will need, in one batch, before the items resolve."""
    loader: PermissionLoader = info.context.permissions
    permits = list(permits)
    if permits:
        await loader.decide(
            loader.tuple_for(permit.namespace, object_id, permit.name) for object_id in object_ids for permit in permits
        )
