"""Field types every domain's request bodies share: amounts as strings of integer tyiyn
with the currency beside them, ids with their patterns, free text without control
characters, and `Input`, which refuses unknown fields."""

from __future__ import annotations

from typing import Annotated, Final, Literal

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from digisom.kernel.text import refuse_control_chars

# 10^15 tyiyn = 10 trillion som: above any single operation, inside every DB integer.
AMOUNT_DIGITS_MAX: Final = 15
AmountTyiyn = Annotated[
    str, Field(pattern=rf"^[1-9][0-9]{{0,{AMOUNT_DIGITS_MAX - 1}}}$", description="Integer tyiyn (1 som = 100).",
               examples=["150000"])
]
Currency = Literal["KGS"]
WalletId = Annotated[str, Field(pattern=r"^w[a-z2-7]{24}$", examples=["wqk64c56bsevnzhlefab73iy5"])]
WalletPath = Annotated[str, Path(pattern=r"^w[a-z2-7]{24}$", description="A wallet id.")]
BankCode = Annotated[str, Field(pattern=r"^[A-Z0-9]{2,16}$", examples=["AYIL"])]
# Free text (names, references, reasons, messages): no control or text-direction characters.
PlainText = Annotated[str, AfterValidator(refuse_control_chars)]
ShortText = Annotated[PlainText, Field(min_length=1, max_length=140)]


class Input(BaseModel):
    """Inputs refuse unknown fields."""

    model_config = ConfigDict(extra="forbid")
