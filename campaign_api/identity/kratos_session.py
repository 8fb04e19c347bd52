"""Kratos's Session and Identity JSON, turned into a Viewer.

Every provider speaks this shape: Kratos returns it from /sessions/whoami, the embedded store renders its rows in it,
and Oathkeeper's ``id_token`` mutator can carry it in a ``session`` claim. One mapping serves them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from campaign_api.identity.provider import InvalidSession
from campaign_api.identity.viewer import Viewer


def parse_timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def display_name(traits: Mapping[str, Any]) -> str | None:
    """Kratos's schemas hold a name as a string or as ``{"first": ..., "last": ...}``."""
    name = traits.get("name")
    if isinstance(name, str):
        return name or None
    if isinstance(name, Mapping):
        parts = [str(name[key]) for key in ("first", "last") if name.get(key)]
        return " ".join(parts) or None
    return None


def email_of(identity: Mapping[str, Any]) -> str | None:
    traits = identity.get("traits") or {}
    if isinstance(traits.get("email"), str):
        return traits["email"]
    for address in identity.get("verifiable_addresses") or []:
        if isinstance(address, Mapping) and address.get("via") == "email" and address.get("value"):
            return str(address["value"])
    return None


def viewer_from_session(session: Mapping[str, Any]) -> Viewer:
    """The viewer a Kratos session describes; ``InvalidSession`` when it describes no one who may act."""
    identity = session.get("identity")
    if not session.get("active") or not isinstance(identity, Mapping) or not identity.get("id"):
        raise InvalidSession("the session is not active")
    if identity.get("state", "active") != "active":
        raise InvalidSession("the identity is inactive")
    traits = identity.get("traits") if isinstance(identity.get("traits"), Mapping) else {}
    return Viewer(
        identity_id=str(identity["id"]),
        email=email_of(identity),
        name=display_name(traits),
        traits=dict(traits),
        session_id=str(session["id"]) if session.get("id") else None,
        session_expires_at=parse_timestamp(session.get("expires_at")),
        authenticator_assurance_level=session.get("authenticator_assurance_level") or None,
    )
