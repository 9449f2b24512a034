"""Page numbers in console lists: `?page=N`, 1-based, bounded."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Query

from digisom.console.errors import ConsoleRefusal
from digisom.console.i18n import _

PAGE_ROWS: Final = 20
PAGE_MAX: Final = 10_000

PageQuery = Annotated[int, Query(ge=1, le=PAGE_MAX)]


def offset(page: int) -> int:
    """The first row of `page`."""
    return (page - 1) * PAGE_ROWS


def past_the_end(page: int, rows: int) -> None:
    """A page after the first with no rows is a 404 page, not an empty list."""
    if page > 1 and rows == 0:
        raise ConsoleRefusal(404, _("No such page"), _("This list has fewer pages. Go back to the first page."))
