"""Wiring of the State Register of Digital Assets and VASP licensing: one signed log on
the app's database, signing with the service's Ed25519 key (the API's signing key), and
the first register's rows adopted into it once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from sqlalchemy import Engine

from digisom.http.services import provide
from digisom.registry import migrations
from digisom.registry.assets import AssetRegister
from digisom.registry.documents import Documents
from digisom.registry.http.slots import ASSET_REGISTER, DOCUMENTS, LICENSING
from digisom.registry.licensing import Licensing
from digisom.registry.log import EventLog

ADOPTING_ACTOR: Final = "system:registry-migration-2"


@dataclass(frozen=True)
class Registry:
    """The register's services, for the routes and for the domains that read it."""

    log: EventLog
    assets: AssetRegister
    licensing: Licensing


def attach(app: FastAPI, engine: Engine, key: Ed25519PrivateKey, clock: Callable[[], datetime]) -> Registry:
    """Fill the register's slots; the first register's rows enter the log (once)."""
    migrations.migrate(engine)
    log = EventLog(engine, key, clock)
    assets = AssetRegister(log)
    assets.adopt_legacy(ADOPTING_ACTOR)
    licensing = Licensing(log, clock)
    provide(app, ASSET_REGISTER, assets)
    provide(app, LICENSING, licensing)
    provide(app, DOCUMENTS, Documents(engine, clock))
    return Registry(log, assets, licensing)
