"""A bank's alias directory: look up its customer's alias by personal number, register
or replace one (the customer's wallet at the bank or their account at it), remove one.

The same service calls and MATRIX operations as the API's `/v1/aliases` routes
(`aliases.read`, `aliases.register`, `aliases.remove`), with the API's `AliasIn` schema:
a bank sees and changes its own customers' aliases only; another bank's is as absent.
"""

from __future__ import annotations

import re
from typing import Annotated, Final

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from digisom.cbdc.http import schemas_benefits as sb
from digisom.cbdc.model import Alias
from digisom.console.errors import ConsoleRefusal
from digisom.console.i18n import _
from digisom.console.screens.central_bank import cbdc
from digisom.console.web import PREFIX, field, parsed, posted, render, see_other, viewer
from digisom.kernel.errors import NotFound

BASE: Final = PREFIX + "/aliases"
PERSONAL_NUMBER: Final = re.compile(sb.PERSONAL_NUMBER_PATTERN)
PersonalNumberPath = Annotated[str, Path(pattern=sb.PERSONAL_NUMBER_PATTERN)]
PersonalNumberQuery = Annotated[str | None, Query(pattern=sb.PERSONAL_NUMBER_PATTERN)]


def _number(text: str) -> str:
    if not PERSONAL_NUMBER.match(text):
        raise ConsoleRefusal(400, _("Invalid form"), _("A personal number is 14 digits."))
    return text


def router() -> APIRouter:
    """The alias page and its forms."""
    r = APIRouter()

    @r.get(BASE)
    def aliases(request: Request, personal_number: PersonalNumberQuery = None) -> Response:
        """Look a number up (`aliases.read`); the register and remove forms where allowed."""
        who = viewer(request, "aliases.read")
        found: Alias | None = None
        if personal_number is not None:
            try:
                found = cbdc(request).alias(who.actor, personal_number)
            except NotFound:
                found = None  # this bank holds none (another bank's is not shown, as over the API)
        return render(request, "bank/aliases.html", who, personal_number=personal_number, alias=found)

    @r.post(BASE)
    async def register(request: Request) -> Response:
        """Register or replace an alias (`aliases.register`): exactly one destination."""
        who, form = await posted(request, "aliases.register")
        number = _number(field(form, "personal_number", 14))
        body = parsed(sb.AliasIn, {"wallet_id": form.get("wallet_id") or None,
                                   "bank_account": form.get("bank_account") or None})
        await run_in_threadpool(cbdc(request).register_alias, who.actor, number, body.wallet_id, body.bank_account)
        return see_other(f"{BASE}?personal_number={number}")

    @r.post(BASE + "/{personal_number}/removal")
    async def remove(request: Request, personal_number: PersonalNumberPath) -> Response:
        """Remove the bank's alias of the number (`aliases.remove`; none held: nothing to do)."""
        who, _form = await posted(request, "aliases.remove")
        await run_in_threadpool(cbdc(request).remove_alias, who.actor, personal_number)
        return see_other(f"{BASE}?personal_number={personal_number}")

    return r
