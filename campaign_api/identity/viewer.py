"""The viewer: who a request acts for. Resolved once per request by the context factory."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Viewer:
    """A person the API knows (``identity_id`` set), or nobody in particular (``ANONYMOUS``)."""

    identity_id: str | None = None
    email: str | None = None
    name: str | None = None
    traits: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    session_id: str | None = None
    session_expires_at: datetime | None = None
    # Kratos's authenticator assurance level: aal1 (one factor), aal2 (a second factor was used).
    authenticator_assurance_level: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.identity_id is None


ANONYMOUS = Viewer()
