"""What the disbursement and tax routes need from the composition root: the domain's
services in this process, and the wallets taxes are paid from (the digital som's)."""

from __future__ import annotations

from typing import Final, Protocol

from fastapi import Request

from digisom.disbursement.http.executions import DisbursementRuntime
from digisom.http.problems import ApiProblem
from digisom.http.services import Slot, provided
from digisom.kernel.access import Actor


class TaxPayers(Protocol):
    """Wallets by id, with the scope rules of their domain (refusals as it makes them)."""

    def payer_account_id(self, actor: Actor, wallet_id: str, amount_tyiyn: int) -> int:
        """The ledger account of a wallet `actor` may pay `amount_tyiyn` from now (its holder
        or its bank; active; within its tier's payment limit); refused otherwise."""
        ...

    def readable_account_id(self, actor: Actor, wallet_id: str) -> int:
        """The ledger account of a wallet `actor` may read; refused otherwise."""
        ...

    def bank_float_account_id(self, bank_code: str) -> int:
        """A bank's digital som float, where payments to its customers' accounts land."""
        ...


DISBURSEMENT: Final = Slot[DisbursementRuntime]("disbursement.runtime")
TAX_PAYERS: Final = Slot[TaxPayers]("disbursement.tax_payers")


def disbursement(request: Request) -> DisbursementRuntime:
    """The app's disbursement services (503 when the process was built without them)."""
    try:
        return provided(request, DISBURSEMENT)
    except LookupError:
        raise ApiProblem(503, "unavailable", "The service cannot take this request now",
                         "disbursement is not configured in this process") from None


def tax_payers(request: Request) -> TaxPayers:
    """The wallets taxes are paid from."""
    return provided(request, TAX_PAYERS)
