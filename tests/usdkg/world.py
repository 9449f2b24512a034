"""A USDKG issuer on a fresh database: signers, the register, prices, audits, coverage,
and a fake of the chains' supply."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from digisom.usdkg import signers, signing, units
from digisom.usdkg.audits import Audits, resolution_body, signed_body
from digisom.usdkg.coverage import Coverage, CoveragePolicy
from digisom.usdkg.migrations import migrate
from digisom.usdkg.model import MovementKind, PriceQuote, SignerRole
from digisom.usdkg.price_book import PriceBook
from digisom.usdkg.refiners import SYNTHETIC_REFINERS
from digisom.usdkg.register import BarRegister, ImportResult, arrival_body, movement_body
from digisom.usdkg.weight_list import COUNT_COLUMNS, WEIGHT_LIST_COLUMNS

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PRICE_CENTS_PER_OZ = 265_000  # USD 2,650.00
BRAND = "Kyrgyzaltyn"


@dataclass
class FakeSupply:
    """The chains' supply, as the chain adapter would report it."""

    by_chain: dict[int, int] = field(default_factory=lambda: {1: 0, 56: 0})

    def supply_units_by_chain(self) -> Mapping[int, int]:
        return dict(self.by_chain)


def bar_row(serial: str, gross_moz: int = 400_125, fineness_tenths: int = 9999, brand: str = BRAND) -> list[str]:
    """A weight-list row, fine weight computed as the rule says."""
    fine = units.fine_weight_moz(gross_moz, fineness_tenths)
    return [
        serial,
        brand,
        units.format_decimal(gross_moz, 3),
        units.format_decimal(fineness_tenths, 1),
        units.format_decimal(fine, 3),
        "2024",
    ]


def csv_bytes(rows: Iterable[list[str]], columns: tuple[str, ...] = WEIGHT_LIST_COLUMNS) -> bytes:
    lines = [",".join(columns)] + [",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def count_rows(rows: Iterable[list[str]], vault: str, day: date) -> bytes:
    return csv_bytes(([*row, vault, day.isoformat()] for row in rows), COUNT_COLUMNS)


class World:
    """Everything USDKG needs, with the custodian `vault_bank`, the auditor `kreston_like`
    and the price signer `treasury_desk` registered."""

    def __init__(self, engine: Engine, floor_bps: int = 10_000, staleness_s: int = 86_400) -> None:
        self.engine = engine
        migrate(engine)
        self.keys = {
            name: Ed25519PrivateKey.generate()
            for name in ("vault_bank", "other_bank", "kreston_like", "other_auditor", "treasury_desk")
        }
        roles = {
            "vault_bank": SignerRole.CUSTODIAN,
            "other_bank": SignerRole.CUSTODIAN,
            "kreston_like": SignerRole.AUDITOR,
            "other_auditor": SignerRole.AUDITOR,
            "treasury_desk": SignerRole.PRICE_SIGNER,
        }
        for name, key in self.keys.items():
            signers.register(engine, name, roles[name], signing.public_bytes(key), START)
        self.register = BarRegister(engine, SYNTHETIC_REFINERS)
        self.prices = PriceBook(engine, staleness_s)
        self.audits = Audits(engine, self.register)
        self.supply = FakeSupply()
        self.coverage = Coverage(
            engine,
            self.register,
            self.prices,
            self.audits,
            self.supply,
            CoveragePolicy(floor_bps=floor_bps, price_staleness_s=staleness_s),
        )

    def import_bars(
        self,
        data: bytes,
        *,
        vault: str = "bishkek-1",
        custodian: str = "vault_bank",
        signer: str | None = None,
        at: datetime = START,
    ) -> ImportResult:
        body = arrival_body(custodian, vault, at, data)
        signature = signing.sign(self.keys[signer or custodian], signing.MOVEMENT_TAG, body)
        return self.register.import_weight_list(
            data, vault=vault, custodian=custodian, at=at, signature=signature, recorded_at=at
        )

    def sign_move(
        self,
        kind: MovementKind,
        serials: list[str],
        vault: str,
        custodian: str,
        at: datetime,
        signer: str | None = None,
    ) -> bytes:
        return signing.sign(
            self.keys[signer or custodian], signing.MOVEMENT_TAG, movement_body(kind, custodian, vault, at, serials)
        )

    def move(
        self,
        kind: MovementKind,
        serials: list[str],
        *,
        vault: str = "bishkek-1",
        custodian: str = "vault_bank",
        at: datetime = START + timedelta(days=1),
    ) -> int:
        return self.register.move(
            kind,
            serials,
            vault=vault,
            custodian=custodian,
            at=at,
            signature=self.sign_move(kind, serials, vault, custodian, at),
            recorded_at=at,
        )

    def withdraw(self, serials: list[str], *, at: datetime, custodian: str = "vault_bank") -> int:
        signature = self.sign_move(MovementKind.WITHDRAW, serials, "bishkek-1", custodian, at)
        return self.coverage.withdraw(
            serials, vault="bishkek-1", custodian=custodian, at=at, signature=signature, now=at
        )

    def set_price(self, cents: int, as_of: datetime) -> None:
        self.prices.record(PriceQuote(cents, as_of, "test"), b"evidence", as_of)

    def sign_audit(self, audit_id: int, signer: str = "kreston_like") -> bytes:
        audit = self.audits.audit(audit_id)
        return signing.sign(
            self.keys[signer], signing.AUDIT_TAG, signed_body(audit.audit_date.isoformat(), audit.report_sha256)
        )

    def sign_resolution(self, audit_id: int, note: str, signer: str = "kreston_like") -> bytes:
        audit = self.audits.audit(audit_id)
        return signing.sign(
            self.keys[signer],
            signing.RESOLUTION_TAG,
            resolution_body(audit.audit_date.isoformat(), audit.report_sha256, note),
        )
