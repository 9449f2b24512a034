"""Cursor pagination: an opaque cursor (where the last page ended) and a bounded limit."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Annotated, Final, TypeVar

from fastapi import Query

from digisom.http.problems import ApiProblem

PAGE_LIMIT_DEFAULT: Final = 50
PAGE_LIMIT_MAX: Final = 200
CURSOR_CHARS_MAX: Final = 100
_PREFIX: Final = "c1:"
# Positions are row numbers or ledger timestamps; both fit a signed 64-bit database integer.
POSITION_MAX: Final = 2**63 - 2

_Item = TypeVar("_Item")

Limit = Annotated[int, Query(ge=1, le=PAGE_LIMIT_MAX, description=f"Items per page, at most {PAGE_LIMIT_MAX}.")]
Cursor = Annotated[
    str | None,
    Query(max_length=CURSOR_CHARS_MAX, description="`next_cursor` of the previous page; absent for the first."),
]


def encode_cursor(position: int | None) -> str | None:
    """An opaque cursor for `position` (None: there is no next page)."""
    if position is None:
        return None
    return base64.urlsafe_b64encode(f"{_PREFIX}{position}".encode()).decode().rstrip("=")


def keyset_cursor(found: Sequence[_Item], limit: int, position: Callable[[_Item], int]) -> str | None:
    """The cursor after a keyset page: the last item's position when the page is full (a
    short page is the last one, so there is no cursor)."""
    return encode_cursor(position(found[-1]) if found and len(found) == limit else None)


def offset_cursor(offset: int, limit: int, found: Sequence[object]) -> str | None:
    """The cursor after an offset page: where the next page starts when this one is full."""
    return encode_cursor(offset + limit if len(found) == limit else None)


def decode_cursor(cursor: str | None) -> int:
    """The position a cursor names (0 for the first page), or a 422 problem."""
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    number = text.removeprefix(_PREFIX)
    if not text.startswith(_PREFIX) or not number.isascii() or not number.isdigit() or len(number) > 19 or (
        int(number) > POSITION_MAX
    ):
        raise ApiProblem(422, "invalid-cursor", "Invalid cursor", "pass back a next_cursor exactly as received")
    return int(number)
