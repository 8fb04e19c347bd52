"""Slugs: the readable, URL-safe names of organisations, campaigns and petitions."""

import re

SLUG_MAX_LENGTH = 64
_SLUG = re.compile(rf"[a-z0-9](?:[a-z0-9-]{{0,{SLUG_MAX_LENGTH - 2}}}[a-z0-9])?")


def is_slug(text: str) -> bool:
    """Whether ``text`` could name a row. Anything else is answered as "no such row" without asking the database."""
    return _SLUG.fullmatch(text) is not None
