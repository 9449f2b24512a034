"""The issuer's one mint and redeem path: every mint and redemption (the routes, the
command line, the demo) goes through `UsdkgIssuer`.

A mint holds the mint lock (`SharedLock`: a PostgreSQL advisory lock across processes)
from the coverage check to the chain's confirmation, so two processes cannot both fill
the same room (ADR 0005); it is recorded by operation id before the chain is asked, so a
retried id never mints twice, even when the first answer was lost. Mints sent with no
recorded outcome count as issued in the check.

The chain is reached through `TokenChain`, whose errors are already USDKG's
(`api.usdkg_wiring.ChainToken` translates the chain adapter's): this domain does not
import the chain package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Final, Protocol

from digisom.kernel.clock import utc_now
from digisom.usdkg.coverage import Coverage
from digisom.usdkg.errors import (
    ChainRefused,
    InvalidAddress,
    InvalidAmount,
    OperationInDoubt,
    RedemptionRefused,
    UnknownChain,
)
from digisom.usdkg.operations import (
    Operation,
    OperationKind,
    OperationRequest,
    Operations,
    OperationState,
    check_request,
)

MINT_LOCK: Final = "usdkg-mint"  # one lock for every chain: coverage is over the sum of their supplies
# Refusals before anything changed on the chain: the record is dropped, the id may be used again.
_REFUSED_BEFORE_SENDING: Final = (InvalidAddress, InvalidAmount, ChainRefused)


class TokenChain(Protocol):
    """USDKG on one chain, its errors USDKG's: `InvalidAddress`, `InvalidAmount`,
    `ChainRefused` (nothing changed) or `ChainUnavailable` (the outcome is unknown)."""

    @property
    def redemption_address(self) -> str:
        """Where holders send USDKG to redeem it."""
        ...

    def balance_of(self, holder: str) -> int:
        """A holder's balance in token units."""
        ...

    def mint(self, to: str, amount_token_units: int) -> str:
        """Issue; the transaction id once confirmed."""
        ...

    def burn(self, amount_token_units: int) -> str:
        """Burn from the redemption address; the transaction id once confirmed."""
        ...


class UsdkgIssuer:
    """Mint and redeem USDKG on the configured chains, gated by coverage, once per operation id."""

    def __init__(
        self,
        coverage: Coverage,
        operations: Operations,
        tokens: Mapping[int, TokenChain],
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
        the first outcome from the record; with the same id and another request, `OperationConflict`."""
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
        (`RedemptionRefused` if less waits there). Once per operation id. Releasing bars is
        the custodian's signed withdrawal, `Coverage.withdraw`."""
        token = self._token(chain_id)
        request = OperationRequest(operation_id, OperationKind.REDEEM, chain_id, token.redemption_address,
                                   amount_units)
        check_request(request)
        with self._lock:  # a burn only lowers the supply, but a mint's check must not read it half-done
            recorded = self._replayed(request)
            if recorded is not None:
                return recorded
            waiting = token.balance_of(token.redemption_address)
            if waiting < amount_units:  # checked here too, so nothing is recorded for a burn the chain refuses
                raise RedemptionRefused(
                    f"{waiting} units wait at the redemption address on chain {chain_id}, not {amount_units}",
                    waiting_units=str(waiting),
                )
            return self._send(request, lambda: token.burn(amount_units))

    def operations(self) -> list[Operation]:
        """Every recorded operation."""
        return self._operations.all()

    def operation(self, operation_id: str) -> Operation | None:
        """The operation recorded under `operation_id` (as a replay would answer it), or None."""
        return self._operations.find(operation_id)

    def _token(self, chain_id: int) -> TokenChain:
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
        except _REFUSED_BEFORE_SENDING:  # simulated first, or mined and reverted: nothing changed
            self._operations.forget(request.operation_id)
            raise
        # Any other failure (`ChainUnavailable`: node gone, timeout) leaves the operation `sending`: in doubt.
        return self._operations.complete(request, tx_hash, self._clock())
