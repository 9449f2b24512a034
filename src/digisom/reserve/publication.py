"""Published holdings with proof of control (docs/reserve.md, "Publication").

A publication names a chain, a block and a date, lists every reserve address's balance of
each asset at that block, and commits to them with a holdings root (SHA-256 of the
canonical JSON of the sorted holdings). Each address proves control now, over that date
and root: an EOA with an EIP-191 `personal_sign` of the challenge; a contract wallet with
EIP-1271 (`isValidSignature(hash, signatures)` where the hash is the challenge's EIP-191
hash and the owners signed it as `ReserveMessage` typed data), its owners and threshold
listed. `verify` re-reads every balance, owner list and threshold at the published block
and checks every signature; it names each failure. Unlike a published address alone, this
proves the reserve could move the funds on that day, and only with M of N owners.

Watched Bitcoin addresses are holding lines too, under the same root: each names its
descriptor, the Bitcoin height its balance was read at, and `control_proven: false` (no
BIP-322 proof: the platform holds no Bitcoin key). `verify` re-reads their balances at that
height from a `BitcoinBalances` source; a line it cannot re-read there is a failure, never
a pass.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_defunct
from eth_utils.address import to_checksum_address
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from digisom.kernel.canonical_json import canonical_json
from digisom.kernel.db_errors import reraise_unless_unique
from digisom.reserve import tables
from digisom.reserve.bitcoin import canonical_address, watch_only
from digisom.reserve.bitcoin_balances import BitcoinBalances
from digisom.reserve.chain_reads import ChainAtBlock
from digisom.reserve.errors import BitcoinUnavailable, DescriptorInvalid, PublicationExists, PublicationInvalid

__all__ = ["BitcoinLine", "ChainAtBlock", "HoldingLine", "Line", "build", "challenge", "challenge_hash",
           "holdings_root", "listed", "one", "parse", "store", "verify"]

TITLE: Final = "digisom national crypto reserve"
PUBLICATION_KEYS: Final = ("title", "date", "chain_id", "block", "root", "holdings", "wallets", "proofs")
_ADDRESS: Final = re.compile(r"0x[0-9a-fA-F]{40}")
_HEX_SIGNATURE: Final = re.compile(r"0x(?:[0-9a-fA-F]{130})+")
BITCOIN_LINE_KEYS: Final = ("asset", "token", "address", "balance_units", "descriptor", "height", "control_proven")


@dataclass(frozen=True, slots=True)
class HoldingLine:
    asset: str
    token: str | None  # None: the native coin
    address: str
    balance_units: int

    def as_json(self) -> dict[str, Any]:
        return {"asset": self.asset, "token": self.token, "address": self.address,
                "balance_units": str(self.balance_units)}


@dataclass(frozen=True, slots=True)
class BitcoinLine:
    """A watched Bitcoin address's confirmed satoshis at a Bitcoin height; control not proven."""

    descriptor: str
    address: str
    balance_units: int
    height: int

    def as_json(self) -> dict[str, Any]:
        return {"asset": "BTC", "token": None, "address": self.address, "balance_units": str(self.balance_units),
                "descriptor": self.descriptor, "height": self.height, "control_proven": False}


Line = HoldingLine | BitcoinLine


def holdings_root(lines: Sequence[Line]) -> str:
    """SHA-256 (hex) of the canonical JSON of the holdings, sorted by asset and address."""
    ordered = sorted((line.as_json() for line in lines), key=lambda h: (h["asset"], h["address"].lower()))
    return hashlib.sha256(canonical_json(ordered, ascii_only=True).encode()).hexdigest()


def challenge(day: str, root: str, address: str) -> str:
    """The text each address signs: the date, the root and the address itself."""
    return f"{TITLE}\ndate: {day}\nroot: {root}\naddress: {address.lower()}"


def challenge_hash(day: str, root: str, address: str) -> bytes:
    """The EIP-191 hash of the challenge (what a contract wallet's EIP-1271 check is asked about)."""
    return bytes(_hash_eip191_message(encode_defunct(text=challenge(day, root, address))))


def build(day: str, chain: ChainAtBlock, block: int, lines: Sequence[Line], wallets: Sequence[str],
          proofs: Mapping[str, tuple[str, bytes]]) -> dict[str, Any]:
    """The publication document: `proofs` maps each address to ("eip191" | "eip1271", signature)."""
    root = holdings_root(lines)
    return {
        "title": TITLE, "date": day, "chain_id": chain.chain_id(), "block": block, "root": root,
        "holdings": [line.as_json() for line in lines],
        "wallets": [{"address": w, "owners": sorted(chain.owners(w, block), key=str.lower),
                     "threshold": chain.threshold(w, block)} for w in wallets],
        "proofs": [{"address": address, "kind": kind, "signature": "0x" + signature.hex()}
                   for address, (kind, signature) in sorted(proofs.items())],
    }


def parse(document: Any) -> tuple[list[Line], dict[str, Any]]:
    """The holdings of a publication; `PublicationInvalid` naming the malformed field."""
    if not isinstance(document, Mapping) or set(document) != set(PUBLICATION_KEYS):
        raise PublicationInvalid(f"a publication has exactly the keys {', '.join(PUBLICATION_KEYS)}")
    try:
        date.fromisoformat(document["date"])
    except (TypeError, ValueError):
        raise PublicationInvalid("date must be YYYY-MM-DD") from None
    for key in ("chain_id", "block"):
        if isinstance(document[key], bool) or not isinstance(document[key], int) or document[key] < 0:
            raise PublicationInvalid(f"{key} must be a non-negative integer")
    lines: list[Line] = []
    for entry in document["holdings"] if isinstance(document["holdings"], list) else [None]:
        if isinstance(entry, Mapping) and "descriptor" in entry:
            lines.append(_bitcoin_line(entry))
            continue
        if not isinstance(entry, Mapping) or not _is_address(entry.get("address")) \
                or not (entry.get("token") is None or _is_address(entry.get("token"))) \
                or not isinstance(entry.get("asset"), str) or not str(entry.get("balance_units", "")).isdigit():
            raise PublicationInvalid("a holding needs asset, token (address or null), address and balance_units")
        lines.append(HoldingLine(entry["asset"], entry["token"], entry["address"], int(entry["balance_units"])))
    for item, fields in ((document["wallets"], ("address", "owners", "threshold")),
                         (document["proofs"], ("address", "kind", "signature"))):
        if not isinstance(item, list) or not all(isinstance(e, Mapping) and set(e) == set(fields) for e in item):
            raise PublicationInvalid(f"each of wallets/proofs needs exactly {', '.join(fields)}")
    return lines, dict(document)


def _bitcoin_line(entry: Mapping[str, Any]) -> BitcoinLine:
    if set(entry) != set(BITCOIN_LINE_KEYS) or entry["asset"] != "BTC" or entry["token"] is not None \
            or entry["control_proven"] is not False or not str(entry["balance_units"]).isdigit() \
            or isinstance(entry["height"], bool) or not isinstance(entry["height"], int) or entry["height"] < 0:
        raise PublicationInvalid(f"a Bitcoin holding needs exactly {', '.join(BITCOIN_LINE_KEYS)} "
                                 "(asset BTC, token null, control_proven false)")
    try:
        watched = watch_only(entry["descriptor"])
    except DescriptorInvalid as error:
        raise PublicationInvalid(f"a Bitcoin holding's descriptor: {error}") from None
    if not isinstance(entry["address"], str) or canonical_address(entry["address"]) != canonical_address(
            watched.address):
        raise PublicationInvalid(f"a Bitcoin holding's address is not its descriptor's ({watched.address})")
    return BitcoinLine(watched.descriptor, watched.address, int(entry["balance_units"]), entry["height"])


def verify(document: Any, chain: ChainAtBlock, bitcoin: BitcoinBalances | None = None) -> list[str]:
    """Every check the publication fails (empty: it holds), each named; `bitcoin` re-reads the
    watched Bitcoin addresses' balances (None: each such line fails as not re-checkable)."""
    lines, doc = parse(document)
    failures = []
    block, day = int(doc["block"]), str(doc["date"])
    if chain.chain_id() != doc["chain_id"]:
        return [f"chain: the node is chain {chain.chain_id()}, the publication chain {doc['chain_id']}"]
    if holdings_root(lines) != doc["root"]:
        failures.append("root: the holdings do not hash to the published root")
    evm_lines = [line for line in lines if isinstance(line, HoldingLine)]
    failures += [f for line in lines if isinstance(line, BitcoinLine) for f in _check_bitcoin(line, bitcoin)]
    for line in evm_lines:
        found = (chain.native_balance(line.address, block) if line.token is None
                 else chain.token_balance(line.token, line.address, block))
        if found != line.balance_units:
            failures.append(f"balance: {line.asset} at {line.address} is {found} at block {block}, "
                            f"published {line.balance_units}")
    wallets = {str(w["address"]).lower(): w for w in doc["wallets"]}
    for wallet in wallets.values():
        owners = sorted(chain.owners(wallet["address"], block), key=str.lower)
        if [o.lower() for o in owners] != [str(o).lower() for o in wallet["owners"]]:
            failures.append(f"owners: {wallet['address']} has other owners at block {block}")
        if chain.threshold(wallet["address"], block) != wallet["threshold"]:
            failures.append(f"threshold: {wallet['address']} has another threshold at block {block}")
    proofs = {str(p["address"]).lower(): p for p in doc["proofs"]}
    for address in sorted({line.address.lower() for line in evm_lines}):
        proof = proofs.get(address)
        if proof is None:
            failures.append(f"proof: {address} has no proof of control")
            continue
        failures += _check_proof(chain, proof, day, str(doc["root"]), address, address in wallets, block)
    return failures


def _check_bitcoin(line: BitcoinLine, source: BitcoinBalances | None) -> list[str]:
    if source is None:
        return [f"bitcoin: BTC at {line.address} cannot be re-checked: no Bitcoin balance source was given"]
    try:
        found = source.balance(line.address)
    except BitcoinUnavailable as error:
        return [f"bitcoin: BTC at {line.address} cannot be re-read: {error}"]
    if found.height != line.height:
        return [f"bitcoin: BTC at {line.address} cannot be re-read at height {line.height}: "
                f"the source is at height {found.height}"]
    if found.confirmed_sats != line.balance_units:
        return [f"balance: BTC at {line.address} is {found.confirmed_sats} at height {line.height}, "
                f"published {line.balance_units}"]
    return []


def _check_proof(chain: ChainAtBlock, proof: Mapping[str, Any], day: str, root: str, address: str,
                 is_wallet: bool, block: int) -> list[str]:
    signature = proof["signature"]
    if not isinstance(signature, str) or not _HEX_SIGNATURE.fullmatch(signature):
        return [f"proof: {address}'s signature is not hex 65-byte signatures"]
    raw = bytes.fromhex(signature[2:])
    if proof["kind"] == "eip1271":
        if not is_wallet:
            return [f"proof: {address} is not a listed contract wallet"]
        if not chain.is_valid_signature(proof["address"], challenge_hash(day, root, address), raw, block):
            return [f"proof: {address}'s EIP-1271 signature is not valid (not its owners', or another challenge)"]
        return []
    if proof["kind"] != "eip191" or len(raw) != 65:
        return [f"proof: {address}'s proof kind must be eip191 or eip1271"]
    try:
        signer = Account.recover_message(encode_defunct(text=challenge(day, root, address)), signature=raw)
    except Exception:  # a malformed signature is a failed check, not a crash
        return [f"proof: {address}'s EIP-191 signature does not recover"]
    if str(signer).lower() != address:
        return [f"proof: {address}'s EIP-191 signature is by {to_checksum_address(signer)}"]
    return []


def store(engine: Engine, document: dict[str, Any], published_by: str, now_s: int) -> None:
    """Keep a publication (append-only: one per root)."""
    parse(document)
    try:
        with engine.begin() as conn:
            conn.execute(insert(tables.publications).values(
                publication_id=document["root"], published_on=document["date"], block=document["block"],
                document=json.dumps(document, sort_keys=True), published_by=published_by[:64], published_at_s=now_s))
    except IntegrityError as error:
        reraise_unless_unique(error)
        raise PublicationExists(f"a publication with root {document['root']} exists") from None


def one(engine: Engine, root: str) -> dict[str, Any] | None:
    """The publication with holdings root `root`, as published."""
    with engine.connect() as conn:
        found = conn.execute(select(tables.publications.c.document)
                             .where(tables.publications.c.publication_id == root)).scalar()
    return None if found is None else dict(json.loads(found))


def listed(engine: Engine, offset: int, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` publications from the `offset`-th, newest first (one published between
    two pages repeats one on the next page, never skips one)."""
    c = tables.publications.c
    with engine.connect() as conn:
        rows = conn.execute(select(c.document).order_by(c.published_at_s.desc(), c.publication_id)
                            .offset(offset).limit(limit)).scalars()
        return [json.loads(row) for row in rows]


def _is_address(value: Any) -> bool:
    return isinstance(value, str) and _ADDRESS.fullmatch(value) is not None
