"""Bodies of the alias directory and the benefit-scheme routes (kept apart from
`schemas` so that file does not grow without end)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Final

from pydantic import BaseModel, Field

from digisom.cbdc import model as m
from digisom.cbdc.tables import BANK_ACCOUNT_CHARS_MAX, BENEFIT_CATEGORIES_MAX, TEXT_CHARS_MAX
from digisom.http.fields import Currency, Input, PlainText, WalletId

PERSONAL_NUMBER_PATTERN: Final = r"^[0-9]{14}$"
BankAccount = Annotated[
    str, Field(pattern=rf"^[A-Z0-9]{{1,{BANK_ACCOUNT_CHARS_MAX}}}$", examples=["KG21AYIL0000001234567890"])
]


class AliasIn(Input):
    """Exactly one of the two: the customer's wallet at this bank, or their account at it."""

    wallet_id: WalletId | None = None
    bank_account: BankAccount | None = None


class AliasOut(BaseModel):
    personal_number: str
    bank_code: str
    wallet_id: str | None
    bank_account: str | None
    created_at: str
    updated_at: str


def alias_out(a: m.Alias) -> AliasOut:
    """An alias, for the bank that registered it."""
    return AliasOut(personal_number=a.personal_number, bank_code=a.bank_code, wallet_id=a.wallet_id,
                    bank_account=a.bank_account, created_at=a.created_at, updated_at=a.updated_at)


class BenefitSchemeIn(Input):
    name: Annotated[PlainText, Field(min_length=1, max_length=TEXT_CHARS_MAX)]
    categories: Annotated[
        list[Annotated[str, Field(pattern=r"^[0-9]{4}$")]],
        Field(min_length=1, max_length=BENEFIT_CATEGORIES_MAX, description="Merchant category codes (MCC)."),
    ]
    expires_on: date = Field(description="The last day it can be spent (Asia/Bishkek); then the rest returns.")
    treasury_wallet_id: WalletId


class BenefitSchemeOut(BaseModel):
    id: str
    name: str
    categories: list[str]
    expires_on: str
    treasury_wallet_id: str
    created_by: str
    created_at: str


class BenefitExpiryOut(BaseModel):
    scheme_id: str
    accounts_swept: int
    accounts_with_balance: int
    returned_tyiyn: str
    currency: Currency = "KGS"


def scheme_out(s: m.BenefitScheme) -> BenefitSchemeOut:
    """A benefit scheme's terms."""
    return BenefitSchemeOut(id=s.id, name=s.name, categories=list(s.categories), expires_on=s.expires_on,
                            treasury_wallet_id=s.treasury_wallet_id, created_by=s.created_by, created_at=s.created_at)


def expiry_out(e: m.BenefitExpiry) -> BenefitExpiryOut:
    """What the expiry sweep returned to the treasury."""
    return BenefitExpiryOut(scheme_id=e.scheme_id, accounts_swept=e.accounts_swept,
                            accounts_with_balance=e.accounts_with_balance, returned_tyiyn=str(e.returned_tyiyn))
