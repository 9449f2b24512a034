"""Bodies of the alias directory and the benefit-scheme routes (kept apart from
`schemas` so that file does not grow without end)."""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import BaseModel, Field

from digisom.api.schemas import Input, WalletId
from digisom.cbdc import model as m
from digisom.cbdc.tables import BANK_ACCOUNT_CHARS_MAX

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
