"""Request and response bodies of /v1/usdkg. Integers (units, cents, moz) are strings,
as everywhere in digisom; signatures and keys are lower-case hex."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from digisom.kernel.clock import iso_utc
from digisom.usdkg import audits as audit_rules
from digisom.usdkg import signing
from digisom.usdkg.allocation import HolderBacking
from digisom.usdkg.audits import Audit
from digisom.usdkg.model import Bar, PriceQuote, SignerRole
from digisom.usdkg.operations import Operation

NAME_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$"
# Serials in a path: the register's pattern without "/" (a path segment cannot hold one).
SERIAL_PATH_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,31}$"
SERIAL_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9 /._-]{0,31}$"
SIGNATURE_PATTERN: Final = rf"^[0-9a-f]{{{2 * signing.SIGNATURE_BYTES}}}$"
PUBLIC_KEY_PATTERN: Final = rf"^[0-9a-f]{{{2 * signing.PUBLIC_KEY_BYTES}}}$"
UNITS_PATTERN: Final = r"^[1-9][0-9]{0,29}$"
DATE_PATTERN: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# An EVM address (0x + 40 hex) or a TRON base58check address (T + 33).
ADDRESS_PATTERN: Final = r"^(0x[0-9a-fA-F]{40}|T[1-9A-HJ-NP-Za-km-z]{33})$"
EVM_ADDRESS_PATTERN: Final = r"^0x[0-9a-fA-F]{40}$"
CHAIN_ID_MAX: Final = 2**53 - 1  # EIP-2294's bound on chain ids
SERIALS_PER_MOVEMENT_MAX: Final = 10_000

_STRICT: Final = ConfigDict(extra="forbid")


class SignerIn(BaseModel):
    """A custodian's, auditor's or price signer's Ed25519 public key."""

    model_config = _STRICT
    name: str = Field(pattern=NAME_PATTERN)
    role: SignerRole
    public_key: str = Field(pattern=PUBLIC_KEY_PATTERN, description="32 bytes, hex")


class SignerOut(BaseModel):
    name: str
    role: SignerRole
    public_key: str
    registered_at: str


class SignerList(BaseModel):
    items: list[SignerOut]


class BarOut(BaseModel):
    """A bar as it stands; weights in 0.001 troy oz, fineness in 0.1 parts per thousand."""

    serial: str
    brand: str
    year: int
    gross_moz: str
    fineness_tenths: int
    fine_moz: str
    vault: str
    custodian: str
    status: Literal["in_vault", "in_transit", "withdrawn"]


class BarPage(BaseModel):
    items: list[BarOut]
    next_cursor: str | None


class ImportFingerprint(BaseModel):
    """What an import asks (for its idempotency key): where, by whom, which file."""

    vault: str
    custodian: str
    at: str
    signature: str
    file_sha256: str


class ImportOut(BaseModel):
    movement_id: int
    bars: int
    fine_moz: str


class MovementIn(BaseModel):
    """A custodian-signed movement: `signature` over `{kind, custodian, vault, at, serials}`
    (serials sorted) under the tag `digisom-usdkg-movement-v1`."""

    model_config = _STRICT
    kind: Literal["dispatch", "receive", "withdraw"]
    serials: list[Annotated[str, Field(pattern=SERIAL_PATTERN)]] = Field(
        min_length=1, max_length=SERIALS_PER_MOVEMENT_MAX
    )
    vault: str = Field(pattern=NAME_PATTERN)
    custodian: str = Field(pattern=NAME_PATTERN)
    at: AwareDatetime
    signature: str = Field(pattern=SIGNATURE_PATTERN)


class MovementOut(BaseModel):
    movement_id: int
    kind: str
    bars: int


class PriceFingerprint(BaseModel):
    file_sha256: str


class PriceOut(BaseModel):
    price_cents_per_oz: str
    as_of: str
    source: str


class PriceList(BaseModel):
    items: list[PriceOut]


class MintCheckOut(BaseModel):
    """Whether a mint of `amount_units` passes every coverage rule now (the figure before it)."""

    amount_units: str
    allowed: bool
    rule: str | None = Field(description="The coverage rule that refuses the mint (null when allowed).")
    detail: str | None
    figure: dict[str, object]


class AuditFingerprint(BaseModel):
    audit_date: str
    auditor: str
    file_sha256: str


class AuditCountIn(BaseModel):
    """Who counted and for which day: the count route's query (`audit_date`, `auditor`),
    as a schema for forms that send them as fields (the console's)."""

    model_config = _STRICT
    audit_date: date
    auditor: str = Field(pattern=NAME_PATTERN)


class SignatureIn(BaseModel):
    """The auditor's signature over `{audit_date, report_sha256}` (tag `digisom-usdkg-audit-v1`)."""

    model_config = _STRICT
    signature: str = Field(pattern=SIGNATURE_PATTERN)


class ResolutionIn(BaseModel):
    """The auditor's signed resolution (tag `digisom-usdkg-audit-resolution-v1`)."""

    model_config = _STRICT
    resolution: str = Field(min_length=1, max_length=audit_rules.RESOLUTION_CHARS_MAX)
    signature: str = Field(pattern=SIGNATURE_PATTERN)


class AuditOut(BaseModel):
    """An audit: its published report (canonical JSON) and the report's SHA-256."""

    audit_id: int
    audit_date: str
    auditor: str
    findings: int
    signed: bool
    resolved: bool
    resolution: str | None
    report_sha256: str
    report: dict[str, object]


class AuditList(BaseModel):
    items: list[AuditOut]


class MintIn(BaseModel):
    """Issue `amount_units` (6 decimals) to `to` on chain `chain_id`."""

    model_config = _STRICT
    chain_id: int = Field(ge=1, le=CHAIN_ID_MAX)
    to: str = Field(pattern=EVM_ADDRESS_PATTERN)
    amount_units: str = Field(pattern=UNITS_PATTERN)


class RedemptionIn(BaseModel):
    """Burn `amount_units` that holders sent to the redemption address on `chain_id`."""

    model_config = _STRICT
    chain_id: int = Field(ge=1, le=CHAIN_ID_MAX)
    amount_units: str = Field(pattern=UNITS_PATTERN)


class OperationOut(BaseModel):
    """A mint or burn as the issuer recorded it: `done` with the chain's transaction id."""

    operation_id: str = Field(description="The caller and its Idempotency-Key, hashed: the record's key")
    kind: str
    chain_id: int
    address: str = Field(description="The recipient of a mint; the redemption address of a burn")
    amount_units: str
    state: str
    tx_id: str | None


class BackingOut(BaseModel):
    serial: str
    units: str


class LookupOut(BaseModel):
    """Which bars back an address's tokens (the published allocation rule, docs/usdkg.md)."""

    address: str
    balance_units: str
    price_cents_per_oz: str | None = Field(description="null before any price: then no bar backs anything")
    bars: list[BackingOut]
    unbacked_units: str


def signer_out(name: str, role: SignerRole, public_key: bytes, registered_at: str) -> SignerOut:
    return SignerOut(name=name, role=role, public_key=public_key.hex(), registered_at=registered_at)


def bar_out(bar: Bar) -> BarOut:
    return BarOut(serial=bar.serial, brand=bar.brand, year=bar.year, gross_moz=str(bar.gross_moz),
                  fineness_tenths=bar.fineness_tenths, fine_moz=str(bar.fine_moz), vault=bar.vault,
                  custodian=bar.custodian, status=bar.status.value)


def price_out(quote: PriceQuote) -> PriceOut:
    return PriceOut(price_cents_per_oz=str(quote.price_cents_per_oz), as_of=iso_utc(quote.as_of),
                    source=quote.source)


def audit_out(audit: Audit, report: dict[str, object]) -> AuditOut:
    return AuditOut(audit_id=audit.audit_id, audit_date=audit.audit_date.isoformat(), auditor=audit.auditor,
                    findings=audit.findings, signed=audit.signed, resolved=audit.resolved,
                    resolution=audit.resolution, report_sha256=audit.report_sha256, report=report)


def operation_out(done: Operation) -> OperationOut:
    request = done.request
    return OperationOut(operation_id=request.operation_id, kind=request.kind.value, chain_id=request.chain_id,
                        address=request.address, amount_units=str(request.amount_units), state=done.state.value,
                        tx_id=done.tx_hash)


def lookup_out(address: str, price_cents_per_oz: int | None, backing: HolderBacking) -> LookupOut:
    return LookupOut(address=address, balance_units=str(backing.balance_units),
                     price_cents_per_oz=None if price_cents_per_oz is None else str(price_cents_per_oz),
                     bars=[BackingOut(serial=b.serial, units=str(b.units)) for b in backing.bars],
                     unbacked_units=str(backing.unbacked_units))
