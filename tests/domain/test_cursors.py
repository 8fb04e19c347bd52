"""Opaque pagination cursors: every row id round-trips; anything this API did not hand out is BAD_USER_INPUT."""

from __future__ import annotations

import base64
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaign_api.db.models import MAX_ROW_ID
from campaign_api.domain.cursors import decode_cursor, encode_cursor
from campaign_api.errors import ApiError, BadUserInput

URL_SAFE_BASE64 = set(string.ascii_letters + string.digits + "-_=")


def b64(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return base64.urlsafe_b64encode(raw).decode()


@pytest.mark.parametrize("row_id", [1, 2, 9, 10, 42, 1000, MAX_ROW_ID - 1, MAX_ROW_ID])
def test_a_cursor_decodes_to_the_id_it_encodes(row_id: int) -> None:
    cursor = encode_cursor(row_id)

    assert decode_cursor(cursor) == row_id
    assert set(cursor) <= URL_SAFE_BASE64
    assert cursor != str(row_id)  # opaque: not the bare id


def test_row_ids_are_32_bit() -> None:
    assert MAX_ROW_ID == 2**31 - 1


@given(st.integers(min_value=1, max_value=MAX_ROW_ID))
def test_every_positive_id_round_trips(row_id: int) -> None:
    assert decode_cursor(encode_cursor(row_id)) == row_id


@given(st.one_of(st.integers(max_value=0), st.integers(min_value=MAX_ROW_ID + 1)))
def test_every_id_outside_the_row_id_range_is_refused(row_id: int) -> None:
    with pytest.raises(BadUserInput):
        decode_cursor(encode_cursor(row_id))


def test_different_ids_give_different_cursors() -> None:
    cursors = {encode_cursor(row_id) for row_id in range(1, 200)}

    assert len(cursors) == 199


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("", id="empty"),
        pytest.param("!!!", id="not-base64"),
        pytest.param("é", id="not-ascii"),
        pytest.param("cursor:5", id="not-encoded"),
        pytest.param("Y3Vyc29yOjU", id="missing-padding"),
        pytest.param(b64("other:1"), id="other-prefix"),
        pytest.param(b64("5"), id="no-prefix"),
        pytest.param(b64("cursor:"), id="no-id"),
        pytest.param(b64("cursor:abc"), id="id-not-a-number"),
        pytest.param(b64("cursor:1.5"), id="id-not-an-integer"),
        pytest.param(b64("cursor:0"), id="id-zero"),
        pytest.param(b64("cursor:-5"), id="id-negative"),
        pytest.param(b64(b"\xff\xfecursor:1"), id="not-utf8"),
        pytest.param(encode_cursor(MAX_ROW_ID + 1), id="id-beyond-32-bit"),
        pytest.param(encode_cursor(2**63), id="id-beyond-64-bit"),
        pytest.param(b64("cursor:" + "9" * 5000), id="id-too-many-digits"),
    ],
)
def test_a_cursor_this_api_did_not_hand_out_is_bad_user_input(cursor: str) -> None:
    with pytest.raises(BadUserInput) as caught:
        decode_cursor(cursor)

    error = caught.value
    assert isinstance(error, ApiError)
    assert error.code == "BAD_USER_INPUT"
    assert error.graphql_extensions() == {"code": "BAD_USER_INPUT", "field": "after"}
    assert "cursor" in error.message
