"""The USDKG issuer's one mint and redeem path: the gold domain (`digisom.usdkg`: coverage,
the operations record) joined to the token on each chain (`digisom.chain.usdkg`), which
do not import each other.

A mint holds the mint lock (`SharedLock`: a PostgreSQL advisory lock across processes)
from the coverage check to the chain's confirmation, so two processes cannot both fill
the same room; it is recorded by operation id before the chain is asked, so a retried
id never mints twice. Mints sent with no recorded outcome count as issued in the check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Final

from sqlalchemy import Engine

from digisom.chain.errors import TransactionReverted
from digisom.chain.token import InvalidTokenAddress, InvalidTokenAmount
from digisom.chain.usdkg import DecimalsMismatch, SupplySource, UsdkgChainToken, read_supplies
from digisom.kernel.clock import utc_now
from digisom.kernel.locks import SharedLock
from digisom.usdkg import units
from digisom.usdkg.audits import Audits
from digisom.usdkg.coverage import Coverage, CoveragePolicy
from digisom.usdkg.errors import ChainRefused, InvalidAddress, InvalidAmount, OperationInDoubt, UnknownChain
from digisom.usdkg.operations import (
    Operation,
    OperationKind,
    OperationRequest,
    Operations,
    OperationState,
    check_request,
)
from digisom.usdkg.price_book import PriceBook
from digisom.usdkg.register import BarRegister

MINT_LOCK: Final = "usdkg-mint"  # one lock for every chain: coverage is over the sum of their supplies


class ChainSupplyReader:
    """Coverage's `SupplyReader` over the configured chains: each chain's `totalSupply()`,
    in the 6-decimal units coverage counts in (a deployment with other decimals is refused)."""

    def __init__(self, tokens: Mapping[int, SupplySource]) -> None:
        self._tokens = dict(tokens)

    def supply_units_by_chain(self) -> Mapping[int, int]:
        """Chain id -> supply in token units, read from each chain now."""
        supplies = read_supplies(self._tokens)
        if supplies.decimals != units.TOKEN_DECIMALS:
            raise DecimalsMismatch(f"USDKG has {units.TOKEN_DECIMALS} decimals; the chains report {supplies.decimals}")
        return supplies.by_chain_token_units


class UsdkgIssuer:
    """Mint and redeem USDKG on the configured chains, gated by coverage, once per operation id."""

    def __init__(
        self,
        coverage: Coverage,
        operations: Operations,
        tokens: Mapping[int, UsdkgChainToken],
        lock: AbstractContextManager[None],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._coverage = coverage
        self._operations = operations
        self._tokens = dict(tokens)
        self._lock = lock
        self._clock = clock

    @property
    def coverage(self) -> Coverage:
        """The coverage this issuer checks (its supply read from the same chains it mints on)."""
        return self._coverage

    @property
    def chain_ids(self) -> list[int]:
        """The chains USDKG is configured on."""
        return sorted(self._tokens)

    def mint(self, chain_id: int, to_address: str, amount_units: int, operation_id: str) -> Operation:
        """Issue `amount_units` to `to_address` on `chain_id` if coverage allows (`CoverageRefused`
        naming the rule otherwise, nothing minted). A second call with the same id returns
        the first outcome; with the same id and another request, `OperationConflict`."""
        token = self._token(chain_id)
        request = OperationRequest(operation_id, OperationKind.MINT, chain_id, to_address, amount_units)
        check_request(request)
        with self._lock:
            recorded = self._replayed(request)
            if recorded is not None:
                return recorded
            in_doubt_units = self._operations.in_doubt_mint_units()
            self._coverage.may_mint(amount_units + in_doubt_units, self._clock())
            return self._send(request, lambda: token.mint(to_address, amount_units))

    def redeem(self, chain_id: int, amount_units: int, operation_id: str) -> Operation:
        """Burn `amount_units` that holders sent to the redemption address on `chain_id`
        (the chain refuses more than is there: `ChainRefused`). Once per operation id.
        Releasing bars is the custodian's signed withdrawal, `Coverage.withdraw`."""
        token = self._token(chain_id)
        request = OperationRequest(operation_id, OperationKind.REDEEM, chain_id, token.redemption_address,
                                   amount_units)
        check_request(request)
        with self._lock:  # a burn only lowers the supply, but a mint's check must not read it half-done
            recorded = self._replayed(request)
            if recorded is not None:
                return recorded
            return self._send(request, lambda: token.burn(amount_units))

    def operations(self) -> list[Operation]:
        """Every recorded operation."""
        return self._operations.all()

    def _token(self, chain_id: int) -> UsdkgChainToken:
        token = self._tokens.get(chain_id)
        if token is None:
            raise UnknownChain(f"USDKG is not configured on chain {chain_id}", chain_ids=self.chain_ids)
        return token

    def _replayed(self, request: OperationRequest) -> Operation | None:
        recorded = self._operations.replay(request)
        if recorded is not None and recorded.state is OperationState.SENDING:
            raise OperationInDoubt(
                f"the {request.kind.value} {request.operation_id!r} was sent to chain {request.chain_id} and its "
                "outcome was not recorded; it is not sent again",
                operation_id=request.operation_id,
            )
        return recorded

    def _send(self, request: OperationRequest, send: Callable[[], str]) -> Operation:
        self._operations.start(request, self._clock())
        try:
            tx_hash = send()
        except InvalidTokenAddress as error:
            self._operations.forget(request.operation_id)
            raise InvalidAddress(f"{request.address!r} is not an address on chain {request.chain_id}") from error
        except InvalidTokenAmount as error:
            self._operations.forget(request.operation_id)
            raise InvalidAmount(str(error)) from error
        except TransactionReverted as error:  # simulated first, or mined and reverted: nothing changed
            self._operations.forget(request.operation_id)
            raise ChainRefused(
                f"chain {request.chain_id} refused the {request.kind.value}: {error.reason}",
                chain_id=request.chain_id,
                reason=error.reason,
            ) from error
        # Any other failure (node gone, timeout) leaves the operation `sending`: in doubt.
        return self._operations.complete(request, tx_hash, self._clock())


def build_issuer(
    engine: Engine,
    register: BarRegister,
    prices: PriceBook,
    audits: Audits,
    tokens: Mapping[int, UsdkgChainToken],
    policy: CoveragePolicy,
    clock: Callable[[], datetime] = utc_now,
) -> UsdkgIssuer:
    """The issuer on `engine`, its coverage reading the supply from the chains it mints on."""
    coverage = Coverage(engine, register, prices, audits, ChainSupplyReader(tokens), policy)
    return UsdkgIssuer(coverage, Operations(engine), tokens, SharedLock(MINT_LOCK, engine), clock)
