"""Wiring of merchant invoices (`digisom.merchants`) to the chain, the KGST bridge, the
digital som's wallets, the compliance desk and the remittance domain's reference rates.
The domain imports none of them; each adapter here fills one of its ports.

- `ChainRail`: a listed token on a `Chain`: the follower of its `Transfer` logs (cursor in
  the merchants' own table), and a relayer key that submits EIP-3009 authorizations and
  pays their gas.
- `BridgeSettlement`: the bridge's redemption path; a sweep's credit is the bridge's
  redemption operation of the sweep's `Transfer` log.
- `IssuerRedemption`: USDKG invoices' settlement at the quote: the USDKG issuer's one
  redeem path (`UsdkgIssuer.redeem`) burns the swept tokens, and `CbdcSomPayout` pays the
  price from the issuer's digital som wallet into the merchant's (a ledger transfer through
  the digital som's payment path); both keyed by the invoice.
- `CbdcMerchantWallets`, `DeskPayerScreening` (context `merchant_payment`), `ReferenceUsdRates`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, Final, Protocol

from eth_abi.abi import decode
from eth_utils.address import to_checksum_address
from fastapi import FastAPI
from sqlalchemy import Engine

from digisom.api.screening_wiring import decision_reason, screening_reference
from digisom.cbdc import credits, payments
from digisom.cbdc.context import Context
from digisom.cbdc.model import HolderKind
from digisom.chain.abi import ContractAbi, topic_address
from digisom.chain.errors import RpcError, TransactionReverted
from digisom.chain.follower import CursorStore, Follower
from digisom.chain.model import Log
from digisom.chain.protocol import Chain
from digisom.compliance.desk import ComplianceDesk
from digisom.compliance.releases import FinalDecision
from digisom.http.services import provide
from digisom.kernel.access import Actor
from digisom.kernel.errors import DomainError
from digisom.merchants import migrations
from digisom.merchants.addresses import InvoiceKeys
from digisom.merchants.authorization import Authorization
from digisom.merchants.errors import AssetUnavailable, AuthorizationRefused
from digisom.merchants.http.slots import MERCHANT_INVOICES
from digisom.merchants.model import Asset, Transfer
from digisom.merchants.ports import (
    Credit,
    CreditState,
    Decision,
    MerchantWallet,
    QuoteRedemption,
    Screening,
    Settlement,
    TokenRail,
    UsdRate,
)
from digisom.merchants.service import InvoiceService
from digisom.remittance.rates import ReferenceRates, reference_rate
from digisom.stablecoin.bridge import Bridge, redeem_operation_id
from digisom.stablecoin.errors import OperationNotFound
from digisom.stablecoin.model import State
from digisom.usdkg.errors import ChainUnavailable, OperationInDoubt, UsdkgError
from digisom.usdkg.issuing import UsdkgIssuer

if TYPE_CHECKING:  # the EVM stack loads only where a chain is configured (tests/security/test_transport.py)
    from digisom.chain.transactor import Transactor

ZERO_ADDRESS: Final = "0x" + "00" * 20
MERCHANT_PAYMENT_CONTEXT: Final = "merchant_payment"
MERCHANT_REQUESTER: Final = "system:merchant-invoices"


class ChainRail:
    """`TokenRail` over a deployed KGST-source token (KGST or USDKG) on a `Chain`."""

    def __init__(self, chain: Chain, abi: ContractAbi, address: str, relayer: Transactor, cursor: CursorStore,
                 confirmations: int, start_block: int) -> None:
        self._chain = chain
        self._abi = abi
        self._address = to_checksum_address(address)
        self._relayer = relayer
        self._confirmations = confirmations
        self._follower = Follower(chain, self._address, [abi.events["Transfer"].topic0], confirmations,
                                  start_block, cursor)
        self._name = str(self._read("name"))
        self._decimals = int(self._read("decimals"))

    @property
    def name(self) -> str:
        return self._name

    @property
    def chain_id(self) -> int:
        return self._chain.chain_id()

    @property
    def address(self) -> str:
        return str(self._address)

    @property
    def decimals(self) -> int:
        return self._decimals

    def poll(self, on_transfers: Callable[[list[Transfer]], None], on_rollback: Callable[[int], None]) -> None:
        def on_logs(logs: list[Log]) -> None:
            found = [seen for log in logs if (seen := _transfer(log)) is not None]
            if found:
                on_transfers(found)

        self._follower.poll(on_logs, on_rollback)

    def submit(self, auth: Authorization) -> str:
        v, r, s = auth.vrs()
        data = self._abi.fn("transferWithAuthorization").encode(
            auth.source, auth.to, auth.value, auth.valid_after, auth.valid_before, bytes.fromhex(auth.nonce[2:]),
            v, r, s)
        try:
            return self._relayer.send(self._address, data).tx_hash
        except TransactionReverted as error:
            raise AuthorizationRefused(f"the token refuses the authorization: {error}") from None
        except RpcError as error:
            raise AuthorizationRefused(f"the node refused the transaction: {error}") from None

    def outcome(self, tx_hash: str) -> bool | None:
        from digisom.chain.transactor import TxState, status  # noqa: PLC0415 (see the imports)

        found = status(self._chain, tx_hash, self._confirmations)
        if found.state is TxState.CONFIRMED:
            return True
        if found.state is TxState.REVERTED:
            return False
        return None

    def authorization_used(self, authorizer: str, nonce: str) -> bool:
        return bool(self._read("authorizationState", to_checksum_address(authorizer), bytes.fromhex(nonce[2:])))

    def _read(self, name: str, *args: object) -> Any:
        fn = self._abi.fn(name)
        return fn.decode(self._chain.call(self._address, fn.encode(*args)))[0]


# keccak("Transfer(address,address,uint256)"): AuthorizationUsed also has three topics.
TRANSFER_TOPIC: Final = bytes.fromhex("ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef")


def _transfer(log: Log) -> Transfer | None:
    if len(log.topics) != 3 or log.topics[0] != TRANSFER_TOPIC:
        return None
    source = topic_address(log.topics[1])
    if source == to_checksum_address(ZERO_ADDRESS):
        return None
    (value,) = decode(["uint256"], log.data)
    return Transfer(log.tx_hash.lower(), log.log_index, log.block_number, source, topic_address(log.topics[2]),
                    int(value))


class BridgeSettlement:
    """`Settlement` over the KGST bridge (same chain as the rail)."""

    def __init__(self, bridge: Bridge, chain: Chain, redemption_address: str) -> None:
        self._bridge = bridge
        self._chain = chain
        self._redemption = to_checksum_address(redemption_address)

    @property
    def redemption_address(self) -> str:
        return str(self._redemption)

    def link(self, address: str, wallet_id: str) -> None:
        self._bridge.link_address(wallet_id, address)

    def credit(self, sweep_tx_hash: str) -> Credit | None:
        receipt = self._chain.receipt(sweep_tx_hash)
        if receipt is None:
            return None
        log = next((entry for entry in receipt.logs if (tr := _transfer(entry)) is not None
                    and tr.to == self._redemption), None)
        if log is None:
            return Credit(CreditState.REFUSED, f"the sweep {sweep_tx_hash} moved no tokens to the redemption address")
        try:
            op = self._bridge.operation(redeem_operation_id(sweep_tx_hash, log.log_index))
        except OperationNotFound:
            return None
        if op.state is State.POSTED:
            return Credit(CreditState.POSTED)
        if op.state in (State.UNMATCHED, State.VOIDED, State.REJECTED):
            return Credit(CreditState.REFUSED, f"{op.state.value}: {op.failure or ''}")
        return Credit(CreditState.PENDING)


class SomPayout(Protocol):
    """Pays som into a merchant's wallet from the USDKG issuer's digital som, once per key."""

    def pay(self, key: str, wallet_id: str, amount_tyiyn: int) -> Credit:
        ...


def settlement_key(invoice_id: str) -> str:
    """The one key of an invoice's settlement: the issuer's redemption and the som payment."""
    return f"merchant-invoice:{invoice_id}"


class IssuerRedemption:
    """`QuoteRedemption` over the USDKG issuer's one redeem path: the swept units burned
    (once per invoice: the issuer records the operation id before the chain is asked),
    then the quoted som price paid by `payout` (once per invoice: the payment's key)."""

    def __init__(self, issuer: UsdkgIssuer, redemption_address: str, payout: SomPayout) -> None:
        self._issuer = issuer
        self._redemption = to_checksum_address(redemption_address)
        self._payout = payout

    @property
    def redemption_address(self) -> str:
        return str(self._redemption)

    def redeem(self, invoice_id: str, chain_id: int, amount_units: int, wallet_id: str,
               amount_tyiyn: int) -> Credit:
        key = settlement_key(invoice_id)
        try:
            self._issuer.redeem(chain_id, amount_units, key)
        except (OperationInDoubt, ChainUnavailable) as error:  # the burn's outcome unknown: never sent twice
            return Credit(CreditState.PENDING, str(error))
        except UsdkgError as error:
            return Credit(CreditState.REFUSED, f"the issuer refused the redemption: {error}")
        return self._payout.pay(key, wallet_id, amount_tyiyn)


class CbdcSomPayout:
    """`SomPayout` through the digital som's payment path: the issuer's wallet pays the
    merchant's (kind merchant: a merchant payment), as `actor` (the issuer's operator)."""

    def __init__(self, ctx: Context, actor: Actor, issuer_wallet_id: str) -> None:
        self._ctx = ctx
        self._actor = actor
        self._wallet_id = issuer_wallet_id

    def pay(self, key: str, wallet_id: str, amount_tyiyn: int) -> Credit:
        try:
            paid = payments.pay(self._ctx, self._actor, key, self._wallet_id, wallet_id, amount_tyiyn, key)
        except DomainError as error:
            return Credit(CreditState.REFUSED, f"the som payment was refused: {error}")
        return Credit(CreditState.POSTED if paid.status == "completed" else CreditState.PENDING, paid.status)


class CbdcMerchantWallets:
    """`MerchantWallets` over the digital som's wallets: kind merchant only."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def merchant_wallet(self, wallet_id: str) -> MerchantWallet | None:
        wallet = credits.load_many(self._ctx, [wallet_id]).get(wallet_id)
        if wallet is None or wallet.holder_kind is not HolderKind.MERCHANT:
            return None
        refused = credits.refusal(wallet)
        return MerchantWallet(wallet.id, wallet.bank_code, refused is None, refused.value if refused else "")


class DeskPayerScreening:
    """`PayerScreening` over the compliance desk, recorded under `merchant_payment`."""

    def __init__(self, desk: ComplianceDesk) -> None:
        self._desk = desk

    def screen_address(self, address: str) -> Screening:
        recorded = self._desk.screen_address(address, context=MERCHANT_PAYMENT_CONTEXT,
                                             requested_by=MERCHANT_REQUESTER)
        return Screening(Decision(recorded.result.decision.value), decision_reason(recorded))


class MerchantPaymentReleases:
    """The compliance desk's `ReviewSubscriber` for context `merchant_payment`: a review of
    a payer decided by two officers releases the invoices it stopped (cleared) or keeps
    them stopped with the tokens held (confirmed). Idempotent: a retry finds nothing held."""

    def __init__(self, service: InvoiceService) -> None:
        self._service = service

    def __call__(self, decision: FinalDecision) -> str:
        touched = self._service.release_screening(screening_reference(decision.screening_id), decision.cleared,
                                                  decision.describe())
        verb = "released" if decision.cleared else "kept stopped"
        return f"invoices {verb}: {', '.join(touched)}" if touched else "no invoice held on this screening"


def subscribe(desk: ComplianceDesk, service: InvoiceService) -> None:
    """Register the merchant-payment reviews' subscriber in a process that runs the invoices' rail."""
    desk.releases.subscribe(MERCHANT_PAYMENT_CONTEXT, MerchantPaymentReleases(service))


class ReferenceUsdRates:
    """`UsdRates` over the remittance domain's reference rates (age-checked there)."""

    def __init__(self, rates: ReferenceRates) -> None:
        self._rates = rates

    def usd(self, today: date) -> UsdRate:
        rate = reference_rate(self._rates, "USD", today)
        return UsdRate(rate.som_e6, rate.on)


class NoSettlement:
    """`Settlement` where no KGST bridge runs in this process (and so no rail either: no
    invoice can be created, nothing is ever settled here)."""

    @property
    def redemption_address(self) -> str:
        raise AssetUnavailable("no KGST bridge is configured in this process")

    def link(self, address: str, wallet_id: str) -> None:
        raise AssetUnavailable("no KGST bridge is configured in this process")

    def credit(self, sweep_tx_hash: str) -> Credit | None:
        return None


def build_invoices(engine: Engine, ctx: Context, desk: ComplianceDesk, *,
                   rails: Mapping[Asset, TokenRail] | None = None, settlement: Settlement | None = None,
                   secret: bytes | None = None, rates: ReferenceRates | None = None,
                   redemption: QuoteRedemption | None = None) -> InvoiceService:
    """The invoice service over the digital som's wallets and the compliance desk. Without
    `rails` (the default API process) every create is refused as asset-unavailable, so the
    throwaway secret never derives an address anyone is told."""
    migrations.migrate(engine)
    return InvoiceService(engine, CbdcMerchantWallets(ctx), rails or {}, InvoiceKeys(secret or os.urandom(32)),
                          DeskPayerScreening(desk), settlement or NoSettlement(),
                          None if rates is None else ReferenceUsdRates(rates), clock=ctx.clock,
                          redemption=redemption)


def attach(app: FastAPI, service: InvoiceService) -> None:
    """Fill the routes' slot."""
    provide(app, MERCHANT_INVOICES, service)
