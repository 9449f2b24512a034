"""Wiring of the volume reports: the service on the app's database, its `Licences` and
`AssetStatus` ports filled.

Until the register of digital assets and VASP licensing offer their read API, the
licences are those given (none by default: every report is refused as unlicensed) and an
asset is registered if the present `digisom.registry` table lists its symbol. The lead
replaces both adapters with the register's (docs/vasp-reports.md, "Ports")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy import Engine

from digisom.http.services import provide
from digisom.registry import register
from digisom.vasp_reports import migrations
from digisom.vasp_reports.http.slots import VASP_REPORTS
from digisom.vasp_reports.periods import ReportingPolicy
from digisom.vasp_reports.ports import AssetState, AssetStatus, Licences
from digisom.vasp_reports.service import VaspReports
from digisom.vasp_reports.static_registers import StaticLicences


class RegistryAssets:
    """`AssetStatus` over today's `digisom.registry` entries: a symbol with an entry is
    registered; there is no suspension or delisting there yet."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def asset_state(self, symbol: str) -> AssetState:
        """REGISTERED if an entry has `symbol`, else UNKNOWN."""
        listed = {entry.symbol for entry in register.entries(self._engine)}
        return AssetState.REGISTERED if symbol in listed else AssetState.UNKNOWN


def build_reports(engine: Engine, clock: Callable[[], datetime], licences: Licences | None = None,
                  assets: AssetStatus | None = None, policy: ReportingPolicy | None = None) -> VaspReports:
    """The volume reports on `engine`, migrated; the ports as given, else the interim adapters."""
    migrations.migrate(engine)
    register.ensure_schema(engine)
    return VaspReports(engine, licences or StaticLicences(), assets or RegistryAssets(engine), clock, policy)


def attach(app: FastAPI, engine: Engine, clock: Callable[[], datetime], licences: Licences | None = None,
           assets: AssetStatus | None = None, policy: ReportingPolicy | None = None) -> VaspReports:
    """Build the volume reports and fill their routes' slot."""
    built = build_reports(engine, clock, licences, assets, policy)
    provide(app, VASP_REPORTS, built)
    return built
