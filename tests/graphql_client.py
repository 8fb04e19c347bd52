"""Helpers to talk to the API over HTTP the way a frontend does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

OPERATIONS = Path(__file__).resolve().parent.parent / "graphql"


def operation(name: str) -> str:
    """The text of ``graphql/<name>.graphql``, the documents the frontend uses."""
    return (OPERATIONS / f"{name}.graphql").read_text()


async def post_graphql(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, **kwargs: Any
) -> httpx.Response:
    return await client.post("/graphql", json={"query": query, "variables": variables or {}}, **kwargs)


async def post_query(client: httpx.AsyncClient, query: str, **kwargs: Any) -> httpx.Response:
    """POST ``{"query": query}`` alone, with no ``variables`` member."""
    return await client.post("/graphql", json={"query": query}, **kwargs)


async def execute(client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """Run an operation that must succeed; returns ``data``."""
    response = await post_graphql(client, query, variables, **kwargs)
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body["errors"]
    return body["data"]


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors", [])]


def bearer(token: str) -> dict[str, str]:
    """The headers that carry ``token`` as ``Authorization: Bearer``."""
    return {"Authorization": f"Bearer {token}"}


def session_token(token: str) -> dict[str, str]:
    """The headers that carry ``token`` as ``X-Session-Token`` (Kratos's header for API clients)."""
    return {"X-Session-Token": token}
