"""The viewer: who a request acts for. Resolved once per request by the context factory."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Viewer:
    """A person the API knows (``identity_id`` set), or nobody in particular (``ANONYMOUS``)."""

    identity_id: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.identity_id is None


ANONYMOUS = Viewer()
