"""Movements of the reserve: proposed by an officer, approved by officers' EIP-712
signatures over the exact multisig transaction, executed on chain only with enough valid
approvals and after the time lock.

Every signature is verified before anything is stored: it must recover to an officer of
the policy, over this proposal's transaction; the database's key (proposal, signer) refuses
the same officer twice even if two requests race. Every refusal, expiry, approval, queueing
and execution is appended to `reserve_history`, which is never updated. The wallet checks
the same rules again on chain (owners, threshold, allow-list, time lock), so a bug here
cannot move the reserve alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from eth_abi.abi import encode
from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from digisom.kernel.db_errors import reraise_unless_unique
from digisom.reserve import tables
from digisom.reserve.custody import Custody
from digisom.reserve.errors import (
    DestinationNotAllowed,
    DuplicateApproval,
    MultisigRefused,
    NotAnOfficer,
    NotEnoughApprovals,
    PolicyInvalid,
    ProposalExpired,
    ProposalNotOpen,
    ProposalUnknown,
    ReserveError,
    TimeLocked,
)
from digisom.reserve.policy import AssetPolicy, Policy, checksummed
from digisom.reserve.typed import MultisigTx, digest, pack, recover_typed

TRANSFER_SELECTOR: Final = bytes.fromhex("a9059cbb")  # ERC-20 transfer(address,uint256)
OPEN_STATES: Final = ("open", "queued")
CLOSED_STATES: Final = ("executed", "refused", "expired")


@dataclass(frozen=True, slots=True)
class Approval:
    signer: str
    officer_id: str
    signature: str
    approved_at_s: int


@dataclass(frozen=True, slots=True)
class Proposal:
    proposal_id: str
    asset: str
    destination: str
    amount_units: int
    tx: MultisigTx
    digest: str
    approvals_required: int
    time_locked: bool
    proposed_by: str
    proposed_at_s: int
    expires_at_s: int
    executable_at_s: int | None
    state: str
    executed_tx: str | None
    approvals: tuple[Approval, ...]

    def as_json(self) -> dict[str, Any]:
        """The proposal as the API shows it: with the typed data an officer signs."""
        return {
            "proposal_id": self.proposal_id, "asset": self.asset, "destination": self.destination,
            "amount_units": str(self.amount_units), "approvals_required": self.approvals_required,
            "time_locked": self.time_locked, "proposed_by": self.proposed_by, "proposed_at_s": self.proposed_at_s,
            "expires_at_s": self.expires_at_s, "executable_at_s": self.executable_at_s, "state": self.state,
            "executed_tx": self.executed_tx, "digest": self.digest,
            "transaction": {"chain_id": self.tx.chain_id, "wallet": self.tx.wallet, "to": self.tx.to,
                            "value": str(self.tx.value_units), "data": "0x" + self.tx.data.hex(),
                            "nonce": self.tx.nonce},
            "approvals": [{"signer": a.signer, "officer_id": a.officer_id, "signature": a.signature,
                           "approved_at_s": a.approved_at_s} for a in self.approvals],
        }


def movement_tx(asset: AssetPolicy, chain_id: int, wallet: str, destination: str, amount_units: int,
                nonce: int) -> MultisigTx:
    """The multisig call that moves `amount_units` of `asset` to `destination`."""
    if asset.token is None:
        return MultisigTx(chain_id, wallet, destination, amount_units, b"", nonce)
    data = TRANSFER_SELECTOR + encode(["address", "uint256"], [destination, amount_units])
    return MultisigTx(chain_id, wallet, asset.token, 0, data, nonce)


def _record(conn: Connection, proposal_id: str | None, kind: str, actor: str, detail: str, now_s: int) -> None:
    conn.execute(insert(tables.history).values(proposal_id=proposal_id, kind=kind, actor=actor[:64],
                                               detail=detail, at_s=now_s))


def _refuse(engine: Engine, proposal_id: str | None, actor: str, error: ReserveError, now_s: int) -> ReserveError:
    """Keep the refusal in the history (its own transaction: it stays whatever the caller does)."""
    with engine.begin() as conn:
        _record(conn, proposal_id, "refused", actor, f"{type(error).__name__}: {error}", now_s)
    return error


def propose(engine: Engine, policy: Policy, custody: Custody, proposal_id: str, officer_id: str, asset_symbol: str,
            destination: str, amount_units: int, now_s: int) -> Proposal:
    """Open a proposal; refused (and the refusal kept) for a non-officer, an unknown asset,
    a destination off the allow-list or an amount above every band."""
    try:
        if officer_id not in policy.officers:
            raise NotAnOfficer(f"{officer_id} is not an officer of the reserve policy")
        asset = policy.asset(asset_symbol)
        to_address = checksummed(destination)
        if to_address not in asset.destinations:
            raise DestinationNotAllowed(f"{to_address} is not an allowed destination for {asset.symbol}")
        band = asset.band_for(amount_units) if amount_units > 0 else None
        if band is None:
            raise PolicyInvalid(f"{amount_units} units of {asset.symbol} is outside every band of the policy")
        if custody.wallet_address().lower() != policy.wallet.lower() or custody.chain_id() != policy.chain_id:
            raise PolicyInvalid("the custody wallet is not the policy's")
    except ReserveError as error:
        raise _refuse(engine, proposal_id, officer_id, error, now_s) from None
    existing = _load(engine, proposal_id)
    if existing is not None:  # the same proposal again (a retry) is answered, not re-made
        return existing
    with engine.begin() as conn:
        highest = conn.execute(select(func.max(tables.proposals.c.open_nonce))
                               .where(tables.proposals.c.wallet == policy.wallet)).scalar()
        nonce = max(custody.nonce(), -1 if highest is None else int(highest) + 1)
        tx = movement_tx(asset, policy.chain_id, policy.wallet, to_address, amount_units, nonce)
        conn.execute(insert(tables.proposals).values(
            proposal_id=proposal_id, asset=asset.symbol, destination=to_address, amount_units=str(amount_units),
            chain_id=tx.chain_id, wallet=tx.wallet, tx_to=tx.to, tx_value_units=str(tx.value_units),
            tx_data=tx.data.hex(), nonce=nonce, open_nonce=nonce, digest=digest(tx.typed_data()).hex(),
            approvals_required=band.approvals, time_locked=int(band.time_locked), proposed_by=officer_id,
            proposed_at_s=now_s, expires_at_s=now_s + policy.approval_window_s, executable_at_s=None, state="open",
            executed_tx=None,
        ))
        _record(conn, proposal_id, "proposed", officer_id,
                f"{amount_units} units of {asset.symbol} to {to_address}, nonce {nonce}", now_s)
    return read(engine, proposal_id)


def approve(engine: Engine, policy: Policy, proposal_id: str, signature: bytes, submitted_by: str,
            now_s: int) -> Proposal:
    """Add one officer's signature; verified before anything is stored."""
    proposal = read(engine, proposal_id)
    try:
        signer = recover_typed(proposal.tx.typed_data(), signature)
        officer = policy.officer_at(signer)
        if officer is None:
            raise NotAnOfficer(f"the signature is by {signer}, not an officer of the reserve policy")
        _check_open(engine, proposal, submitted_by, now_s)
        if any(a.signer == signer for a in proposal.approvals):
            raise DuplicateApproval(f"officer {officer.officer_id} already approved {proposal_id}")
    except ReserveError as error:
        raise _refuse(engine, proposal_id, submitted_by, error, now_s) from None
    try:
        with engine.begin() as conn:
            conn.execute(insert(tables.approvals).values(
                proposal_id=proposal_id, signer=signer, officer_id=officer.officer_id, signature=signature.hex(),
                submitted_by=submitted_by[:64], approved_at_s=now_s))
            _record(conn, proposal_id, "approved", submitted_by, f"signed by {officer.officer_id} ({signer})", now_s)
    except IntegrityError as error:  # the same officer in a concurrent request
        reraise_unless_unique(error)
        duplicate = DuplicateApproval(f"officer {officer.officer_id} already approved {proposal_id}")
        raise _refuse(engine, proposal_id, submitted_by, duplicate, now_s) from None
    return read(engine, proposal_id)


def execute(engine: Engine, policy: Policy, custody: Custody, proposal_id: str, actor: str, now_s: int) -> Proposal:
    """Run the movement on chain. A time-locked one is queued first (its lock starts) and
    runs on a later call once the lock has passed. Refusals are kept; the proposal stays open."""
    proposal = read(engine, proposal_id)
    try:
        _check_open(engine, proposal, actor, now_s)
        counted = [(a.signer, bytes.fromhex(a.signature)) for a in proposal.approvals
                   if policy.officer_at(a.signer) is not None]  # an officer removed since no longer counts
        if len(counted) < proposal.approvals_required:
            raise NotEnoughApprovals(f"{len(counted)} of {proposal.approvals_required} approvals")
        if proposal.time_locked and proposal.state == "queued" and now_s < (proposal.executable_at_s or 0):
            raise TimeLocked(f"{proposal_id} is time-locked until {proposal.executable_at_s}")
        signatures = pack(counted)
        if proposal.time_locked and proposal.state == "open":
            tx_hash = custody.queue(proposal.tx, signatures)
            _close(engine, proposal, "queued", actor, f"time lock started by {tx_hash}", now_s,
                   executable_at_s=now_s + policy.time_lock_s)
            return read(engine, proposal_id)
        tx_hash = custody.execute(proposal.tx, signatures)
    except ReserveError as error:
        kind_error = error if not isinstance(error, MultisigRefused) else MultisigRefused(f"on chain: {error}")
        raise _refuse(engine, proposal_id, actor, kind_error, now_s) from None
    _close(engine, proposal, "executed", actor, f"executed in {tx_hash}", now_s, executed_tx=tx_hash)
    return read(engine, proposal_id)


def expire_due(engine: Engine, now_s: int) -> list[str]:
    """Expire every open proposal past its approval window; their ids."""
    with engine.begin() as conn:
        due = list(conn.execute(select(tables.proposals.c.proposal_id).where(
            tables.proposals.c.state.in_(OPEN_STATES), tables.proposals.c.expires_at_s <= now_s)).scalars())
    for proposal_id in due:
        _close(engine, read(engine, proposal_id), "expired", "system", "approval window passed", now_s)
    return due


def _check_open(engine: Engine, proposal: Proposal, actor: str, now_s: int) -> None:
    if proposal.state not in OPEN_STATES:
        raise ProposalNotOpen(f"{proposal.proposal_id} is {proposal.state}")
    if now_s >= proposal.expires_at_s:
        _close(engine, proposal, "expired", actor, "approval window passed", now_s)
        raise ProposalExpired(f"{proposal.proposal_id} expired at {proposal.expires_at_s}")


def _close(engine: Engine, proposal: Proposal, state: str, actor: str, detail: str, now_s: int,
           executable_at_s: int | None = None, executed_tx: str | None = None) -> None:
    values: dict[str, Any] = {"state": state}
    if state in CLOSED_STATES:
        values["open_nonce"] = None
    if executable_at_s is not None:
        values["executable_at_s"] = executable_at_s
    if executed_tx is not None:
        values["executed_tx"] = executed_tx
    with engine.begin() as conn:
        # Guarded: only from the state this call saw, so two executors cannot both close it.
        changed = conn.execute(update(tables.proposals).where(
            tables.proposals.c.proposal_id == proposal.proposal_id,
            tables.proposals.c.state == proposal.state).values(**values)).rowcount
        if changed != 1:
            raise ProposalNotOpen(f"{proposal.proposal_id} changed meanwhile")
        _record(conn, proposal.proposal_id, state, actor, detail, now_s)


def read(engine: Engine, proposal_id: str) -> Proposal:
    found = _load(engine, proposal_id)
    if found is None:
        raise ProposalUnknown(f"no proposal {proposal_id}")
    return found


def listed(engine: Engine, state: str | None, offset: int, limit: int) -> list[Proposal]:
    """Up to `limit` proposals from the `offset`-th, newest first (proposals are only added,
    at the front: one made between two pages repeats one on the next page, never skips one)."""
    query = select(tables.proposals.c.proposal_id).order_by(tables.proposals.c.proposed_at_s.desc(),
                                                            tables.proposals.c.proposal_id)
    if state is not None:
        query = query.where(tables.proposals.c.state == state)
    with engine.connect() as conn:
        ids = list(conn.execute(query.offset(offset).limit(limit)).scalars())
    return [read(engine, proposal_id) for proposal_id in ids]


def history(engine: Engine, proposal_id: str | None = None, after_seq: int = 0,
            limit: int | None = None) -> list[dict[str, Any]]:
    """The append-only history (of one proposal, or all), oldest first: the rows after
    `after_seq`, at most `limit` of them (all by default)."""
    query = select(tables.history).where(tables.history.c.seq > after_seq).order_by(tables.history.c.seq).limit(limit)
    if proposal_id is not None:
        query = query.where(tables.history.c.proposal_id == proposal_id)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def _load(engine: Engine, proposal_id: str) -> Proposal | None:
    with engine.connect() as conn:
        row = conn.execute(select(tables.proposals).where(tables.proposals.c.proposal_id == proposal_id)).first()
        if row is None:
            return None
        signed = conn.execute(select(tables.approvals).where(tables.approvals.c.proposal_id == proposal_id)
                              .order_by(tables.approvals.c.approved_at_s, tables.approvals.c.signer)).all()
    p = row._mapping
    tx = MultisigTx(int(p["chain_id"]), p["wallet"], p["tx_to"], int(p["tx_value_units"]),
                    bytes.fromhex(p["tx_data"]), int(p["nonce"]))
    return Proposal(
        proposal_id=p["proposal_id"], asset=p["asset"], destination=p["destination"],
        amount_units=int(p["amount_units"]), tx=tx, digest=p["digest"], approvals_required=int(p["approvals_required"]),
        time_locked=bool(p["time_locked"]), proposed_by=p["proposed_by"], proposed_at_s=int(p["proposed_at_s"]),
        expires_at_s=int(p["expires_at_s"]),
        executable_at_s=None if p["executable_at_s"] is None else int(p["executable_at_s"]),
        state=p["state"], executed_tx=p["executed_tx"],
        approvals=tuple(Approval(a.signer, a.officer_id, a.signature, int(a.approved_at_s)) for a in signed),
    )


def signatures_of(approvals: Sequence[Approval]) -> bytes:
    """The approvals packed as `execTransaction` takes them."""
    return pack((a.signer, bytes.fromhex(a.signature)) for a in approvals)
