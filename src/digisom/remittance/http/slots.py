"""What the remittance routes need from the composition root: the service, the reads,
(rail 2) the on-chain rail where the process runs it, and (rail 3) the ISO 20022 messages."""

from __future__ import annotations

from collections.abc import Collection
from typing import Final, Protocol

from fastapi import Request

from digisom.http.services import Slot, provided
from digisom.remittance.errors import ChainRailNotRunning
from digisom.remittance.onchain import Inbound, InboundStatus
from digisom.remittance.ports import PaymentMessages
from digisom.remittance.reads import RemittanceReads
from digisom.remittance.service import RemittanceService

REMITTANCE_SERVICE: Final = Slot[RemittanceService]("remittance.service")
REMITTANCE_READS: Final = Slot[RemittanceReads]("remittance.reads")
REMITTANCE_MESSAGES: Final = Slot[PaymentMessages]("remittance.messages")


class ChainInbound(Protocol):
    """Rail 2 (`remittance.onchain`) of the process's token, as its routes need it."""

    def wallet_bank(self, wallet_id: str) -> str | None:
        """The bank code of `wallet_id`, None if there is no such wallet."""
        ...

    def wallet_banks(self, wallet_ids: Collection[str]) -> dict[str, str]:
        """The bank code of each of `wallet_ids` that exists (one read)."""
        ...

    def link(self, wallet_id: str, address: str) -> str:
        """Let `address` send remittances into `wallet_id` (idempotent); the checked address."""
        ...

    def inbounds(self, status: InboundStatus | None, after_position: int | None, limit: int) -> list[Inbound]:
        """The recorded transfers to the redemption address (of one status), in chain order:
        at most `limit` after `after_position` (an `Inbound.position`; None: from the first)."""
        ...


class NotRunning:
    """`ChainInbound` of a process that runs no rail 2: nothing recorded, nothing to link."""

    def wallet_bank(self, wallet_id: str) -> str | None:
        raise ChainRailNotRunning("rail 2 runs with the KGST bridge: digisom serve --merchant-chain")

    def wallet_banks(self, wallet_ids: Collection[str]) -> dict[str, str]:
        return {}  # nothing recorded names a wallet

    def link(self, wallet_id: str, address: str) -> str:
        raise ChainRailNotRunning("rail 2 runs with the KGST bridge: digisom serve --merchant-chain")

    def inbounds(self, status: InboundStatus | None, after_position: int | None, limit: int) -> list[Inbound]:
        return []


REMITTANCE_CHAIN: Final = Slot[ChainInbound]("remittance.chain")


def service(request: Request) -> RemittanceService:
    """The process's remittance service."""
    return provided(request, REMITTANCE_SERVICE)


def reads(request: Request) -> RemittanceReads:
    """The remittance lists."""
    return provided(request, REMITTANCE_READS)


def messages(request: Request) -> PaymentMessages:
    """Rail 3's ISO 20022 reader and writer."""
    return provided(request, REMITTANCE_MESSAGES)


def chain(request: Request) -> ChainInbound:
    """Rail 2 (or `NotRunning`)."""
    return provided(request, REMITTANCE_CHAIN)
