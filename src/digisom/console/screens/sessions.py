"""The console's own sessions: who is signed in (by subject, never a session id) and a
form that ends a subject's sessions (`console.sessions.list`, `console.sessions.revoke`:
the central bank; auditors read). The same store as `digisom console sessions` and
`/v1/console/sessions`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from digisom.console.api_routes import RevocationIn
from digisom.console.screens.pages import PAGE_ROWS, PageQuery, offset, past_the_end
from digisom.console.sessions import end_subject
from digisom.console.web import PREFIX, console_of, parsed, posted, render, see_other, viewer

PATH: Final = PREFIX + "/central-bank/sessions"


def _time(at_s: int) -> str:
    return datetime.fromtimestamp(at_s, UTC).strftime("%Y-%m-%d %H:%M UTC")


def router() -> APIRouter:
    """The sessions page and the revoke form."""
    r = APIRouter()

    @r.get(PATH)
    def sessions(request: Request, page: PageQuery = 1) -> Response:
        """The live sessions by subject, oldest first, and the form that ends a subject's."""
        who = viewer(request, "console.sessions.list")
        found = console_of(request).sessions.active(offset(page), PAGE_ROWS)
        past_the_end(page, len(found))
        rows = [(s.subject, s.role, s.bank_code or "", _time(s.created_at_s), _time(s.expires_at_s)) for s in found]
        return render(request, "central_bank/sessions.html", who, rows=rows, page=page, page_rows=PAGE_ROWS,
                      subjects=sorted({s.subject for s in found}))

    @r.post(PATH + "/revocations")
    async def revoke(request: Request) -> Response:
        """End every live session of the chosen subject (`console.sessions.revoke`)."""
        who, form = await posted(request, "console.sessions.revoke")
        body = parsed(RevocationIn, {"subject": form.get("subject"), "reason": form.get("reason"),
                                     "tokens": form.get("tokens") == "yes"})
        console = console_of(request)
        await run_in_threadpool(lambda: end_subject(console.sessions, console.token_revocations, body.subject,
                                                    body.reason, who.actor.principal, tokens=body.tokens))
        return see_other(PATH)

    return r
