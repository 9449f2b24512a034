"""Wiring of the volume reports: the service on the app's database, its `Licences` and
`AssetStatus` ports filled from the State Register and its VASP licensing
(`digisom.registry`), or, in tests, from whatever registers they give."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Final

from fastapi import FastAPI
from sqlalchemy import Engine

from digisom.http.services import provide
from digisom.registry.assets import AssetRegister
from digisom.registry.assets import AssetStatus as RegisterStatus
from digisom.registry.errors import UnknownAsset
from digisom.registry.licensing import Licence as RegisteredLicence
from digisom.registry.licensing import Licensing, VaspStatus
from digisom.vasp_reports import migrations
from digisom.vasp_reports.http.slots import VASP_REPORTS
from digisom.vasp_reports.periods import ReportingPolicy
from digisom.vasp_reports.ports import AssetState, AssetStatus, Licence, Licences, LicenceStatus
from digisom.vasp_reports.service import VaspReports

ED25519_KEY_BYTES: Final = 32
LICENCE_STATUS: Final[Mapping[VaspStatus, LicenceStatus]] = {
    VaspStatus.LICENSED: LicenceStatus.LICENSED, VaspStatus.SUSPENDED: LicenceStatus.SUSPENDED,
    VaspStatus.REVOKED: LicenceStatus.REVOKED}
ASSET_STATE: Final[Mapping[RegisterStatus, AssetState]] = {
    RegisterStatus.REGISTERED: AssetState.REGISTERED, RegisterStatus.SUSPENDED: AssetState.SUSPENDED,
    RegisterStatus.DELISTED: AssetState.DELISTED}


class RegisterLicences:
    """`Licences` over the register's VASP licensing. A licence past its expiry counts as
    none (the VASP may not do business); a key that is not 32 bytes of hex makes the
    licence unusable for signatures, so it counts as none as well."""

    def __init__(self, licensing: Licensing, clock: Callable[[], datetime]) -> None:
        self._licensing = licensing
        self._clock = clock

    def licence(self, vasp_id: str) -> Licence | None:
        found = self._licensing.licence_for(vasp_id)
        return None if found is None else self._port(found)

    def licences(self) -> Sequence[Licence]:
        return [self._port(found) for found in self._licensing.licences()]

    def _port(self, licence: RegisteredLicence) -> Licence:
        status = LICENCE_STATUS.get(licence.status, LicenceStatus.NONE)
        expired = date.fromisoformat(licence.expires_on) < self._clock().date()
        try:
            key = bytes.fromhex(licence.public_key)
        except ValueError:
            key = b""
        if expired or len(key) != ED25519_KEY_BYTES:
            status = LicenceStatus.NONE
        return Licence(licence.vasp_id, status, key, date.fromisoformat(licence.granted_at[:10]))


class RegisterAssets:
    """`AssetStatus` over the State Register: its status, `applied` counting as unknown."""

    def __init__(self, register: AssetRegister) -> None:
        self._register = register

    def asset_state(self, symbol: str) -> AssetState:
        try:
            entry = self._register.entry(symbol)
        except UnknownAsset:
            return AssetState.UNKNOWN
        return ASSET_STATE.get(entry.status, AssetState.UNKNOWN)


def build_reports(engine: Engine, clock: Callable[[], datetime], licences: Licences, assets: AssetStatus,
                  policy: ReportingPolicy | None = None) -> VaspReports:
    """The volume reports on `engine`, migrated, reading `licences` and `assets`."""
    migrations.migrate(engine)
    return VaspReports(engine, licences, assets, clock, policy)


def attach(app: FastAPI, engine: Engine, clock: Callable[[], datetime], licences: Licences, assets: AssetStatus,
           policy: ReportingPolicy | None = None) -> VaspReports:
    """Build the volume reports and fill their routes' slot."""
    built = build_reports(engine, clock, licences, assets, policy)
    provide(app, VASP_REPORTS, built)
    return built
