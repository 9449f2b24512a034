"""`Gate`: authentication and the role check before any body is read.

FastAPI reads and parses a route's body before it runs the route's dependencies, so the
`Authorize` dependency alone let an anonymous client make the server parse whatever it
sent (issue 13). The gate finds the route a request is for, and answers 401 or 403
(problem+json, with `Connection: close`) before the app reads a byte of the body unless
the bearer token passes the same check `Authorize` makes. `Authorize` still runs in the
route: defence in depth, and the actor it returns is what the route uses.

Requests for no route of the API (404, 405, the OpenAPI document) pass when they carry no
body; with a body they need a valid token of some role: a route the gate does not know
never has an anonymous body parsed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from digisom.http import problems
from digisom.http.auth import TokenVerifier
from digisom.http.body_limit import has_body
from digisom.http.permissions import EVERYONE, PUBLIC, authorize, bearer_token, route_authorize
from digisom.kernel.access import Role

# A route without an `Authorize` dependency, or a body for no route: any valid token.
AUTHENTICATED: Final = EVERYONE - {PUBLIC}


def route_roles(route: APIRoute) -> frozenset[Role]:
    """The roles that may call `route` (fail closed: a route naming no operation needs a token)."""
    guard = route_authorize(route)
    return AUTHENTICATED if guard is None else guard.roles


class Gate:
    """Check the bearer token against the route's roles before passing the request on."""

    def __init__(self, app: ASGIApp, routes: Sequence[APIRoute], verifier: TokenVerifier) -> None:
        self.app = app
        self.routes = [(route, route_roles(route)) for route in routes]
        self.verifier = verifier

    def roles_for(self, scope: Scope, headers: Headers) -> frozenset[Role] | None:
        """The roles the request's route allows; None when the request may pass unchecked."""
        path_exists = False
        for route, roles in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return roles
            path_exists = path_exists or match is Match.PARTIAL
        if path_exists:
            return None  # the path exists, not for this method: the router answers 405 unread
        return AUTHENTICATED if has_body(headers) else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse the request unread, or pass it on."""
        if scope["type"] == "http":
            headers = Headers(scope=scope)
            roles = self.roles_for(scope, headers)
            if roles is not None:
                token = bearer_token(headers.get("authorization"))
                try:
                    if token is not None and self.verifier.reads_next():  # a database read: off the event loop
                        await run_in_threadpool(authorize, self.verifier, token, roles)
                    else:
                        authorize(self.verifier, token, roles)
                except problems.ApiProblem as refusal:
                    response = problems.problem_response(refusal.status, refusal.slug, refusal.title,
                                                         refusal.detail, **refusal.extensions)
                    await problems.send_before_body(response, scope, send)
                    return
        await self.app(scope, receive, send)
