"""/healthz, /readyz and /metrics: what an orchestrator and a Prometheus server ask.

`/healthz` says the process answers (a liveness probe: restart me if this fails).
`/readyz` says whether it should get traffic: 200 only when every readiness check passes
(the database answers, the ledger's writer runs), else 503 naming the failing checks.
`/metrics` is the Prometheus text exposition; it needs a central-bank operator's or an
auditor's token (a Prometheus server sends one as its bearer credentials): the figures
are aggregates, but how busy the ledger is still is not everyone's business.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from digisom.http.permissions import Authorize
from digisom.http.render import READ_PROBLEMS, json
from digisom.http.services import Slot, provided
from digisom.kernel.access import Actor

PROMETHEUS_CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True, slots=True)
class ReadinessCheck:
    """One named check; `passes` returns False or raises when the dependency is not usable."""

    name: str
    passes: Callable[[], bool]


@dataclass(frozen=True, slots=True)
class Ops:
    """What the composition root gives these routes: the readiness checks and the exposition."""

    checks: Sequence[ReadinessCheck]
    exposition: Callable[[], bytes]


OPS: Final = Slot[Ops]("ops")


class Health(BaseModel):
    """A probe's answer: `ok`, or `unavailable` with the checks that failed."""

    status: str
    failing: list[str] = []


def failing_checks(checks: Sequence[ReadinessCheck]) -> list[str]:
    """The names of the checks that do not pass; an exception counts as not passing."""
    failing = []
    for check in checks:
        try:
            passed = check.passes()
        except Exception:  # a probe must answer, whatever the dependency raised
            passed = False
        if not passed:
            failing.append(check.name)
    return failing


def router() -> APIRouter:
    """The operations routes."""
    r = APIRouter(tags=["operations"])

    @r.get("/healthz", response_model=Health, responses=READ_PROBLEMS)
    def healthz(_actor: Annotated[Actor, Depends(Authorize("ops.health"))]) -> JSONResponse:
        """The process answers."""
        return json(Health(status="ok"))

    @r.get("/readyz", response_model=Health, responses={**READ_PROBLEMS, 503: {"model": Health}})
    def readyz(request: Request, _actor: Annotated[Actor, Depends(Authorize("ops.ready"))]) -> JSONResponse:
        """200 when the database answers and the ledger's writer runs; 503 naming what does not."""
        failing = failing_checks(provided(request, OPS).checks)
        if failing:
            return json(Health(status="unavailable", failing=failing), status=503)
        return json(Health(status="ok"))

    @r.get("/metrics", response_class=Response,
           responses={**READ_PROBLEMS, 200: {"content": {"text/plain": {"schema": {"type": "string"}}}}})
    def metrics(request: Request, _actor: Annotated[Actor, Depends(Authorize("ops.metrics"))]) -> Response:
        """The Prometheus text exposition of this process's metrics."""
        return Response(provided(request, OPS).exposition(), media_type=PROMETHEUS_CONTENT_TYPE)

    return r
