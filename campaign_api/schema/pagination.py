"""Relay connections over the keyset pages of ``db.reads``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from strawberry import relay

from campaign_api.db.reads import Page
from campaign_api.domain.cursors import decode_cursor, encode_cursor
from campaign_api.errors import BadUserInput
from campaign_api.settings import Settings

Node = TypeVar("Node")


def page_window(settings: Settings, first: int | None, after: str | None) -> tuple[int, int | None]:
    """The page size and keyset cursor a connection field was asked for, checked against the limits."""
    size = settings.default_page_size if first is None else first
    if not 0 <= size <= settings.max_page_size:
        raise BadUserInput(f"`first` must be between 0 and {settings.max_page_size}.", field="first")
    return size, decode_cursor(after) if after is not None else None


def connection(page: Page[Any], to_node: Callable[[Any], Node], *, after: str | None) -> relay.Connection[Node]:
    edges = [relay.Edge(cursor=encode_cursor(row.id), node=to_node(row)) for row in page.rows]
    return relay.Connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=page.has_next,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
