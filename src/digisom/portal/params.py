"""The portal's query and form inputs, bounded: one value per name, a pattern, a length.
Anything else is `BadInput` (a 400 page in the visitor's language), never a stack trace."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final

from starlette.datastructures import QueryParams

QUERY_CHARS_MAX: Final = 1024  # the longest query any page takes (filters, a record id) is well under this
PAGE_MAX: Final = 100_000
PAGE_PATTERN: Final = re.compile(r"[1-9][0-9]{0,5}")
PROGRAMME_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
PERIOD_PATTERN: Final = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


class BadInput(ValueError):
    """A query or form value the page cannot use (the message is for logs, not the visitor)."""


class NotFound(LookupError):
    """Nothing at this address: an unknown record, a page past the end."""


def query_params(raw_query: str, query: QueryParams) -> QueryParams:
    """The request's query, refused whole when it is longer than any page needs."""
    if len(raw_query) > QUERY_CHARS_MAX:
        raise BadInput("query too long")
    return query


def one(values: Mapping[str, Sequence[str]] | QueryParams, name: str, pattern: re.Pattern[str]) -> str | None:
    """The single value of `name` matching `pattern` in full; absent or empty is None."""
    found = values.getlist(name) if isinstance(values, QueryParams) else list(values.get(name, ()))
    if len(found) > 1:
        raise BadInput(f"{name} given {len(found)} times")
    if not found or found[0] == "":
        return None
    if pattern.fullmatch(found[0]) is None:
        raise BadInput(f"{name} does not match {pattern.pattern}")
    return found[0]


def page_number(query: QueryParams) -> int:
    """`?page=`, 1 to `PAGE_MAX` (1 when absent)."""
    page = one(query, "page", PAGE_PATTERN)
    number = 1 if page is None else int(page)
    if number > PAGE_MAX:
        raise BadInput("page too large")
    return number
