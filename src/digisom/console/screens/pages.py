"""Page numbers in console lists: `?page=N`, 1-based, bounded."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Query

from digisom.console.errors import ConsoleRefusal
from digisom.console.i18n import _

PAGE_ROWS: Final = 20
PAGE_MAX: Final = 10_000

PageQuery = Annotated[int, Query(ge=1, le=PAGE_MAX)]
# Lists the services page by position (a sequence number): `?after=N`, 0 for the first page.
AFTER_MAX: Final = 2**62
AfterQuery = Annotated[int, Query(ge=0, le=AFTER_MAX)]


def offset(page: int) -> int:
    """The first row of `page`."""
    return (page - 1) * PAGE_ROWS


def past_the_end(page: int, rows: int) -> None:
    """A page after the first with no rows is a 404 page, not an empty list."""
    if page > 1 and rows == 0:
        raise ConsoleRefusal(404, _("No such page"), _("This list has fewer pages. Go back to the first page."))


def past_the_cursor(after: int, rows: int) -> None:
    """A page after a position with no rows is a 404 page, like `past_the_end`."""
    past_the_end(2 if after else 1, rows)
