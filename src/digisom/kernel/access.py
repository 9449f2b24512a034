"""Who is calling: the token roles and the authenticated actor, shared by every domain
and by the HTTP layer. Which wallets or banks are an actor's own is each domain's rule
(`digisom.cbdc.access` for the digital som's wallets)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """The token roles."""

    CENTRAL_BANK_OPERATOR = "central_bank_operator"
    BANK_OPERATOR = "bank_operator"
    TREASURY_OPERATOR = "treasury_operator"  # the treasury and ministries: disbursements, benefit schemes
    WALLET_HOLDER = "wallet_holder"
    AUDITOR = "auditor"  # also USDKG's gold auditor: imports and signs the bar counts
    ISSUER_OPERATOR = "issuer_operator"  # USDKG's issuer: prices, signers, coverage reports, mints
    CUSTODIAN = "custodian"  # USDKG's vault bank: signed bar arrivals and movements
    PARTNER = "partner"  # a foreign money-transfer operator or exchange: the subject is its partner id
    COMPLIANCE_OFFICER = "compliance_officer"  # screens, and decides reviews with a second officer
    REGISTRAR = "registrar"  # the State Register of Digital Assets and VASP licensing
    VASP_OPERATOR = "vasp_operator"  # a licensed exchange or custodian: the subject is its VASP id
    RESERVE_OFFICER = "reserve_officer"  # the national crypto reserve: proposes and approves movements
    MERCHANT = "merchant"  # a shop paid in KGST or USDKG: the subject is its merchant id
    PUBLIC = "public"


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated caller: a role, a subject, and for banks and holders a bank code."""

    role: Role
    subject: str
    bank_code: str | None = None

    @property
    def principal(self) -> str:
        """A stable name for the caller (idempotency keys and audit records are scoped by it)."""
        return f"{self.role.value}:{self.bank_code or '-'}:{self.subject}"
