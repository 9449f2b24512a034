"""What each page shows, read from the domains' own services and read models through the
slots the composition root filled. A domain not wired in this process reads as None: its
page says the figures are not available, never fails."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

from fastapi import FastAPI

from digisom.cbdc import issuance
from digisom.cbdc.http.slots import CBDC_SERVICE
from digisom.cbdc.model import PublicAggregate
from digisom.disbursement import spending
from digisom.disbursement.http.slots import DISBURSEMENT
from digisom.http.services import Slot, filled
from digisom.por import publication
from digisom.por.http.slots import POR_DB
from digisom.registry import register
from digisom.registry.http.routes import REGISTER_DB
from digisom.registry.http.slots import LICENSING
from digisom.registry.licensing import Licence
from digisom.registry.model import AssetEntry
from digisom.stablecoin import repository as stablecoin_repository
from digisom.stablecoin.http.slots import STABLECOIN_DB
from digisom.stablecoin.model import ReserveReport
from digisom.usdkg.audits import Audit
from digisom.usdkg.coverage import CoverageFigure
from digisom.usdkg.http.slots import USDKG
from digisom.usdkg.model import Bar

MONTHS_MAX: Final = 24  # the circulation chart: two years of months
RESERVE_REPORTS_MAX: Final = 120
BARS_PER_PAGE: Final = 50
CELLS_PER_PAGE: Final = 50
ROOTS_MAX: Final = 20
REGISTER_ENTRIES_MAX: Final = 200

T = TypeVar("T")


def _wired(app: FastAPI, slot: Slot[T]) -> T | None:
    try:
        return filled(app, slot)
    except LookupError:
        return None


@dataclass(frozen=True, slots=True)
class CirculationView:
    """Digital som held against the central bank's issuance liability, now and by month."""

    circulation_tyiyn: int
    liability_tyiyn: int
    balanced: bool
    aggregate: PublicAggregate
    months: Sequence[tuple[str, int]]  # (YYYY-MM, liability at the month's end)


def circulation(app: FastAPI) -> CirculationView | None:
    """The home page's figures (None: the digital som is not wired here)."""
    service = _wired(app, CBDC_SERVICE)
    if service is None:
        return None
    summary = service.issuance_summary()
    return CirculationView(summary.circulation_tyiyn, summary.issuance_liability_tyiyn, summary.audit.balanced,
                           service.public_aggregate(), issuance.outstanding_by_month(service.ctx, MONTHS_MAX))


def kgst_reports(app: FastAPI) -> list[ReserveReport] | None:
    """KGST's published reserve reports, oldest first."""
    engine = _wired(app, STABLECOIN_DB)
    if engine is None:
        return None
    with engine.connect() as conn:
        return stablecoin_repository.recent_reports(conn, RESERVE_REPORTS_MAX)


@dataclass(frozen=True, slots=True)
class UsdkgView:
    """USDKG's coverage figure, one page of bars in the vaults, and the audits."""

    figure: CoverageFigure
    bars: Sequence[Bar]
    has_next: bool
    audits: Sequence[Audit]


def usdkg(app: FastAPI, page: int) -> UsdkgView | None:
    """USDKG's page `page` (1-based) of bars; an empty page past the first is the caller's 404."""
    issuer = _wired(app, USDKG)
    if issuer is None:
        return None
    bars = issuer.register.bars(offset=(page - 1) * BARS_PER_PAGE, limit=BARS_PER_PAGE + 1)
    return UsdkgView(issuer.coverage.figure(issuer.clock()), bars[:BARS_PER_PAGE], len(bars) > BARS_PER_PAGE,
                     issuer.audits.all())


@dataclass(frozen=True, slots=True)
class SpendingView:
    """One page of public spending cells and whether another follows."""

    cells: Sequence[spending.SpendingCell]
    has_next: bool
    min_payees_per_cell: int


def public_spending(app: FastAPI, programme: str | None, period: str | None, page: int) -> SpendingView | None:
    """Page `page` (1-based) of spending cells, filtered by programme and period."""
    runtime = _wired(app, DISBURSEMENT)
    if runtime is None:
        return None
    cells = spending.spending(runtime.engine, programme, period, (page - 1) * CELLS_PER_PAGE, CELLS_PER_PAGE + 1)
    return SpendingView(cells[:CELLS_PER_PAGE], len(cells) > CELLS_PER_PAGE, spending.MIN_PAYEES_PER_CELL)


@dataclass(frozen=True, slots=True)
class RegisterView:
    """The State Register's assets and the VASP licences, as they stand."""

    assets: Sequence[AssetEntry]
    licences: Sequence[Licence]


def register_view(app: FastAPI) -> RegisterView | None:
    """The register page's entries (None: the register is not wired here)."""
    licensing = _wired(app, LICENSING)
    engine = _wired(app, REGISTER_DB)
    if licensing is None or engine is None:
        return None
    return RegisterView(register.entries(engine, REGISTER_ENTRIES_MAX), licensing.licences())


def por_roots(app: FastAPI) -> list[publication.Published] | None:
    """The newest published proof-of-reserves roots."""
    engine = _wired(app, POR_DB)
    return None if engine is None else publication.listed(engine, None, 0, ROOTS_MAX)
