"""What the merchant-invoice routes need from the composition root: the service."""

from __future__ import annotations

from typing import Final

from digisom.http.services import Slot
from digisom.merchants.service import InvoiceService

MERCHANT_INVOICES: Final = Slot[InvoiceService]("merchants.invoices")
