"""The permission engine seam: check many tuples at once, write and delete tuples, list them.

    PermissionEngine
    ├── EmbeddedEngine   tuples in the application database, the OPL model evaluated in bulk (embedded/)
    └── KetoEngine       Ory Keto's read and write REST APIs over httpx (keto.py)

Checks never raise for a failing engine: each answer is a ``Verdict``, and anything the engine could not decide is
``UNAVAILABLE``, which callers treat as a denial that says the permission service is unavailable (fail closed).
Writes raise ``PermissionServiceUnavailable``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from campaign_api.errors import ServiceUnavailable
from campaign_api.permissions.tuples import RelationTuple, TupleQuery

DEFAULT_MAX_DEPTH = 5  # Keto's limit.max_read_depth


class Verdict(Enum):
    ALLOWED = "allowed"
    DENIED = "denied"
    UNAVAILABLE = "unavailable"  # the engine failed for this check: deny, and say so


class PermissionServiceUnavailable(ServiceUnavailable):
    code = "PERMISSION_SERVICE_UNAVAILABLE"
    default_message = "The permission service is unavailable; try again shortly."


@dataclass(frozen=True, slots=True)
class TuplePage:
    tuples: list[RelationTuple]
    next_page_token: str  # empty on the last page, as in Keto


class PermissionEngine(Protocol):
    async def check(self, checks: Sequence[RelationTuple]) -> list[Verdict]:
        """A verdict for each check, in order."""
        ...

    async def write(self, *, insert: Sequence[RelationTuple] = (), delete: Sequence[RelationTuple] = ()) -> None:
        """Insert and delete in one go; writing a tuple that exists, or deleting one that does not, changes nothing."""
        ...

    async def delete_matching(self, query: TupleQuery) -> None: ...

    async def list(self, query: TupleQuery, *, page_size: int = 100, page_token: str = "") -> TuplePage: ...

    async def aclose(self) -> None: ...
