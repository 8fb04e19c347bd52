"""Opaque pagination cursors. Lists are ordered newest first by id, so a cursor is the last id seen (keyset)."""

from __future__ import annotations

import base64
import binascii

from campaign_api.db.models import MAX_ROW_ID
from campaign_api.errors import BadUserInput

_PREFIX = "cursor:"


def encode_cursor(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{row_id}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode()
        if not text.startswith(_PREFIX):
            raise ValueError(text)
        row_id = int(text.removeprefix(_PREFIX))
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise BadUserInput("The cursor is not valid; use one this API returned.", field="after") from exc
    if not 1 <= row_id <= MAX_ROW_ID:
        raise BadUserInput("The cursor is not valid; use one this API returned.", field="after")
    return row_id
