"""/v1/ledger/journal: the ledger's hash-chained journal, for the auditor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from digisom.cbdc.http import schemas as s
from digisom.cbdc.http.slots import service
from digisom.http.pagination import Cursor, Limit, decode_cursor, encode_cursor
from digisom.http.permissions import Authorize
from digisom.http.render import READ_PROBLEMS, json
from digisom.kernel.access import Actor


def router() -> APIRouter:
    """The journal route."""
    r = APIRouter(prefix="/v1/ledger", tags=["ledger"])

    @r.get("/journal", response_model=s.JournalPage, responses=READ_PROBLEMS)
    def journal(
        request: Request, _actor: Annotated[Actor, Depends(Authorize("ledger.journal"))],
        cursor: Cursor = None, limit: Limit = 50,
    ) -> JSONResponse:
        """Journal records in order: each holds the previous one's hash; recompute to verify."""
        found = service(request).journal(decode_cursor(cursor), limit)
        return json(s.JournalPage(items=[s.journal_entry_out(j) for j in found.items],
                                  next_cursor=encode_cursor(found.next_after)))

    return r
