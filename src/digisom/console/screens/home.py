"""Sign-in, sign-out and the start page listing the screens the operator's role may open."""

from __future__ import annotations

import time
from typing import Final, NamedTuple

import jwt
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from digisom.console.access import allowed
from digisom.console.errors import NotSignedIn
from digisom.console.i18n import N_, _
from digisom.console.session import Session, new_session
from digisom.console.sessions import SIGNED_OUT
from digisom.console.web import (
    PREFIX,
    SIGN_IN_PATH,
    SIGN_OUT_PATH,
    Console,
    check_csrf,
    console_of,
    cookie_name,
    form_of,
    is_https,
    render,
    see_other,
    session_of,
    signed_in,
)
from digisom.http.auth import TOKEN_CHARS_MAX, TokenError
from digisom.http.revocations import JTI_PATTERN


class Screen(NamedTuple):
    """A screen of the start page: shown to roles that may perform its operation."""

    title: str  # in English; the page shows it translated
    path: str
    operation: str


SCREENS: Final = (
    Screen(N_("Participants"), PREFIX + "/central-bank/participants", "participants.list"),
    Screen(N_("Issuance"), PREFIX + "/central-bank/issuance", "issuance.summary"),
    Screen(N_("Wallets: freezes and KYC tiers"), PREFIX + "/wallets", "wallets.list"),
    Screen(N_("Aliases: personal numbers to wallets and accounts"), PREFIX + "/aliases", "aliases.read"),
    Screen(N_("RTGS queue and LSM runs"), PREFIX + "/central-bank/rtgs", "interbank.queue"),
    Screen(N_("Disbursement programmes and runs"), PREFIX + "/treasury", "disbursement.programmes.read"),
    Screen(N_("Compliance review queue"), PREFIX + "/compliance/reviews", "compliance.reviews.list"),
    # Anyone may read the register; the screen is the registrars' work (reviews, status changes).
    Screen(N_("State Register and VASP licensing"), PREFIX + "/registrar", "vasps.review.propose"),
    Screen(N_("USDKG coverage and audits"), PREFIX + "/usdkg", "usdkg.coverage.report"),
    Screen(N_("Console sessions"), PREFIX + "/central-bank/sessions", "console.sessions.list"),
)


def _cookie_path(https: bool) -> str:
    # `__Host-` cookies must have Path=/ ; the plain one stays within the console.
    return "/" if https else PREFIX


def end_session(console: Console, session: Session) -> None:
    """Revoke the session's row and the bearer token it holds, so neither a copy of the
    cookie nor a copy of the token works afterwards (the API refuses the token within
    `REVOCATIONS_REFRESH_S`). Reads the database: call it from a worker thread."""
    console.sessions.revoke(session.session_id, SIGNED_OUT)
    # The token was verified at sign-in and sealed in the cookie by this server: its claims are ours.
    claims = jwt.decode(session.token, options={"verify_signature": False})
    jti, subject, exp = claims.get("jti"), claims.get("sub"), claims.get("exp")
    if isinstance(jti, str) and JTI_PATTERN.fullmatch(jti) and isinstance(exp, int | float):
        console.token_revocations.revoke_token(jti, SIGNED_OUT, "console:sign-out",
                                               subject if isinstance(subject, str) else None, int(exp))


def router() -> APIRouter:
    """Sign-in, sign-out and the start page."""
    r = APIRouter()

    @r.get(SIGN_IN_PATH)
    def sign_in_page(request: Request) -> Response:
        """The sign-in form."""
        return render(request, "sign_in.html")

    @r.post(SIGN_IN_PATH)
    async def sign_in(request: Request) -> Response:
        """Check the token with the API's verifier; open the session's row and set the
        sealed session cookie, both expiring with the token."""
        form = await form_of(request)
        token = form.get("token")
        console = console_of(request)
        try:
            if not isinstance(token, str) or not token.strip() or len(token) > TOKEN_CHARS_MAX:
                raise TokenError("no token")
            token = token.strip()
            actor = console.verifier.actor(token)
        except TokenError:
            return render(request, "sign_in.html", status=401,
                          error=_("That token was not accepted: it is not valid, or it has expired."))
        # Verified just now, so its `exp` is a number within the token's maximum lifetime.
        expires_at_s = int(jwt.decode(token, options={"verify_signature": False})["exp"])
        session_id = await run_in_threadpool(console.sessions.open, actor, expires_at_s)
        https = is_https(request)
        response = see_other(PREFIX)
        response.set_cookie(cookie_name(request), console.seal.seal(new_session(token, session_id)),
                            max_age=max(1, int(expires_at_s - time.time())), path=_cookie_path(https),
                            secure=https, httponly=True, samesite="strict")
        return response

    @r.post(SIGN_OUT_PATH)
    async def sign_out(request: Request) -> Response:
        """End the session and its token on the server (a copy of the cookie or of the
        token is refused from now on) and forget it in this browser. A session already
        ended (revoked, expired) signs out as well: the cookie's own CSRF token is what
        the form must carry."""
        session = session_of(request)
        if session is not None:
            check_csrf(await form_of(request), session)
            await run_in_threadpool(end_session, console_of(request), session)
        response = see_other(SIGN_IN_PATH)
        https = is_https(request)
        response.delete_cookie(cookie_name(request), path=_cookie_path(https), secure=https, httponly=True,
                               samesite="strict")
        return response

    @r.get(PREFIX)
    def start(request: Request) -> Response:
        """The screens this operator's role may open."""
        try:
            who = signed_in(request)
        except NotSignedIn:
            return see_other(SIGN_IN_PATH)
        screens = [s for s in SCREENS if allowed(who.actor, s.operation)]
        return render(request, "start.html", who, screens=screens)

    return r
