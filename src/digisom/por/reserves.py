"""Reserves that cover a published liabilities root (docs/por.md, "Reserves").

A custodian lists its addresses holding the asset on one chain at one block; each address
signs an EIP-191 `personal_sign` challenge naming the custodian, the asset, the date, the
root and the address itself, so a signature proves control of the key now and cannot be
reused for another custodian, day or root. The regulator's check re-reads every balance
at that block through the chain (never trusting the listed figure), recovers every
signer, and requires reserves >= the root's total."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, Protocol

from digisom.por.errors import PorError

CHALLENGE_TITLE: Final = "digisom proof of reserves"
RESERVES_KEYS: Final = ("custodian", "asset", "date", "root", "chain_id", "token", "block", "addresses")
_ADDRESS: Final = re.compile(r"0x[0-9a-fA-F]{40}")
_ROOT: Final = re.compile(r"[0-9a-f]{64}")
_CUSTODIAN: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
ADDRESSES_MAX: Final = 1000


class ReservesInvalid(PorError, ValueError):
    """A reserves attestation that is not well formed."""


@dataclass(frozen=True, slots=True)
class ReserveAddress:
    address: str
    balance_units: int
    signature: str


@dataclass(frozen=True, slots=True)
class Reserves:
    custodian: str
    asset: str
    date: str
    root: str
    chain_id: int
    token: str
    block: int
    addresses: tuple[ReserveAddress, ...]

    def as_json(self) -> dict[str, Any]:
        return {"custodian": self.custodian, "asset": self.asset, "date": self.date, "root": self.root,
                "chain_id": self.chain_id, "token": self.token, "block": self.block,
                "addresses": [{"address": entry.address, "balance": entry.balance_units, "signature": entry.signature}
                              for entry in self.addresses]}


class HolderBalances(Protocol):
    """Token balances on one chain, read at a given block (the chain adapter fills this)."""

    def chain_id(self) -> int: ...

    def balances_at(self, token: str, addresses: Sequence[str], block: int) -> dict[str, int]:
        """Token units of each address (checksummed, as given) at the end of `block`."""
        ...


def challenge(custodian: str, asset: str, day: str, root: str, address: str) -> str:
    """The text each reserve address signs with EIP-191 personal_sign."""
    return (f"{CHALLENGE_TITLE}\ncustodian: {custodian}\nasset: {asset}\ndate: {day}\nroot: {root}\n"
            f"address: {address.lower()}")


def sign_challenge(private_key: bytes | str, text: str) -> str:
    from eth_account import Account  # noqa: PLC0415 - the EVM stack loads only when signing
    from eth_account.messages import encode_defunct  # noqa: PLC0415

    return "0x" + bytes(Account.sign_message(encode_defunct(text=text), private_key=private_key).signature).hex()


def recover_signer(text: str, signature: str) -> str | None:
    """The address whose key made `signature` over `text`, or None if it is not a signature."""
    from eth_account import Account  # noqa: PLC0415
    from eth_account.messages import encode_defunct  # noqa: PLC0415

    try:
        return str(Account.recover_message(encode_defunct(text=text), signature=signature))
    except Exception:
        return None


def _int(value: Any, what: str, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ReservesInvalid(f"{what} must be an integer of at least {low}, not {value!r}")
    return value


def _text(value: Any, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ReservesInvalid(f"{what} is not valid: {value!r}")
    return value


def parse_reserves(document: Any) -> Reserves:
    """The attestation in `document` (reserves.json); `ReservesInvalid` naming the field."""
    if not isinstance(document, Mapping) or set(document) != set(RESERVES_KEYS):
        raise ReservesInvalid(f"reserves must be an object with exactly the keys {', '.join(RESERVES_KEYS)}")
    day = document["date"]
    try:
        date.fromisoformat(day if isinstance(day, str) and len(day) == 10 else "")
    except ValueError:
        raise ReservesInvalid(f"date must be YYYY-MM-DD, not {day!r}") from None
    entries = document["addresses"]
    if not isinstance(entries, list) or not 0 < len(entries) <= ADDRESSES_MAX:
        raise ReservesInvalid(f"addresses must be a list of 1 to {ADDRESSES_MAX} entries")
    addresses = []
    for position, entry in enumerate(entries):
        if not isinstance(entry, Mapping) or set(entry) != {"address", "balance", "signature"}:
            raise ReservesInvalid(f"addresses[{position}] must have exactly address, balance, signature")
        addresses.append(ReserveAddress(
            address=_text(entry["address"], _ADDRESS, f"addresses[{position}].address"),
            balance_units=_int(entry["balance"], f"addresses[{position}].balance"),
            signature=_text(entry["signature"], re.compile(r"0x[0-9a-fA-F]{130}"), f"addresses[{position}].signature")))
    if len({entry.address.lower() for entry in addresses}) != len(addresses):
        raise ReservesInvalid("an address is listed twice")
    return Reserves(custodian=_text(document["custodian"], _CUSTODIAN, "custodian"),
                    asset=_text(document["asset"], re.compile(r"[A-Z0-9]{1,16}"), "asset"),
                    date=day, root=_text(document["root"], _ROOT, "root"),
                    chain_id=_int(document["chain_id"], "chain_id", 1),
                    token=_text(document["token"], _ADDRESS, "token"), block=_int(document["block"], "block"),
                    addresses=tuple(addresses))


@dataclass(frozen=True, slots=True)
class ReserveCheck:
    """The regulator's verdict; `problems` names each shortfall, bad signature or mismatch."""

    custodian: str
    asset: str
    root: str
    block: int
    liabilities_units: int
    reserves_units: int
    problems: list[str] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {"custodian": self.custodian, "asset": self.asset, "root": self.root, "block": self.block,
                "liabilities": self.liabilities_units, "reserves": self.reserves_units, "holds": self.holds,
                "problems": self.problems}


def bad_signature(reserves: Reserves, entry: ReserveAddress) -> str | None:
    """Why `entry`'s signature does not prove its address's key signed this challenge, or None."""
    text = challenge(reserves.custodian, reserves.asset, reserves.date, reserves.root, entry.address)
    signer = recover_signer(text, entry.signature)
    if signer is None or signer.lower() != entry.address.lower():
        return f"bad signature for {entry.address}: recovers {signer or 'nothing'}"
    return None


def check_reserves(reserves: Reserves, root: Mapping[str, Any], chain: HolderBalances) -> ReserveCheck:
    """Recompute every balance at the block, recover every signer, compare with the root's total.

    Only balances read from the chain and backed by a valid signature count as reserves."""
    problems: list[str] = []
    if reserves.asset != root.get("asset"):
        problems.append(f"reserves are in {reserves.asset}, the root in {root.get('asset')}")
    if reserves.root != root.get("root"):
        problems.append("reserves attest another root than the published one")
    if chain.chain_id() != reserves.chain_id:
        problems.append(f"the chain read is {chain.chain_id()}, the reserves name chain {reserves.chain_id}")
    on_chain = chain.balances_at(reserves.token, [entry.address for entry in reserves.addresses], reserves.block)
    counted = 0
    for entry in reserves.addresses:
        refused = bad_signature(reserves, entry)
        if refused is not None:
            problems.append(refused)
            continue
        held = on_chain.get(entry.address, 0)
        if held != entry.balance_units:
            problems.append(f"{entry.address} holds {held} at block {reserves.block}, not the {entry.balance_units} "
                            "listed")
        counted += held
    liabilities = int(root.get("total", 0))
    if counted < liabilities:
        problems.append(f"shortfall of {liabilities - counted} {reserves.asset} units: reserves {counted} < "
                        f"liabilities {liabilities}")
    return ReserveCheck(custodian=reserves.custodian, asset=reserves.asset, root=reserves.root, block=reserves.block,
                        liabilities_units=liabilities, reserves_units=counted, problems=problems)
