"""The reserve's movement policy, read from a TOML file.

Officers and the keys whose EIP-712 signatures count; per asset (in its smallest unit) the
amount bands, each with the approvals it needs and whether it is time-locked; one time lock;
the approval window after which a proposal expires; and per asset the allow-listed
destinations. The same rules are enforced on chain by `ReserveMultisig` (owners,
threshold, allow-list, time lock): `mismatches` names every difference between the file
and a deployed wallet, so neither side can be loosened alone.

Amounts may be TOML integers or strings of digits (a wei amount exceeds TOML's 64 bits).

    chain_id = 56
    wallet = "0x..."
    time_lock_s = 86400
    approval_window_s = 604800

    [[officers]]
    id = "aigul"
    address = "0x..."

    [[assets]]
    symbol = "BNB"
    decimals = 18
    destinations = ["0x..."]
    bands = [{ up_to_units = "10000000000000000000", approvals = 2 },
             { up_to_units = "1000000000000000000000", approvals = 3, time_locked = true }]

    [[bitcoin]]                       # watched only: no key here (digisom.reserve.bitcoin)
    descriptor = "addr(bc1q...)#checksum"
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

from eth_utils.address import to_checksum_address

from digisom.reserve.bitcoin import WatchOnly, watch_only
from digisom.reserve.errors import DescriptorInvalid, PolicyInvalid

OFFICERS_MAX: Final = 16  # the contract's MAX_OWNERS
BANDS_MAX: Final = 8
BITCOIN_ADDRESSES_MAX: Final = 64
DESTINATIONS_MAX: Final = 32  # the contract's MAX_ALLOWED
TIME_LOCK_S_MAX: Final = 30 * 86400  # the contract's MAX_DELAY_S
POLICY_BYTES_MAX: Final = 64 * 1024
_ADDRESS: Final = re.compile(r"0x[0-9a-fA-F]{40}")
_OFFICER_ID: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_SYMBOL: Final = re.compile(r"[A-Z0-9]{1,16}")
_UNITS_MAX: Final = 2**256 - 1


@dataclass(frozen=True, slots=True)
class Officer:
    officer_id: str
    address: str


@dataclass(frozen=True, slots=True)
class Band:
    """Movements of at most `up_to_units` need `approvals` officers (and the lock if `time_locked`)."""

    up_to_units: int
    approvals: int
    time_locked: bool


@dataclass(frozen=True, slots=True)
class AssetPolicy:
    symbol: str
    token: str | None  # None: the chain's native coin
    decimals: int
    bands: tuple[Band, ...]
    destinations: frozenset[str]

    def band_for(self, amount_units: int) -> Band | None:
        """The band `amount_units` falls in; None above the largest (never movable)."""
        return next((band for band in self.bands if amount_units <= band.up_to_units), None)

    def large_units(self) -> int:
        """The smallest time-locked amount (what the contract's `largeUnits` must be); 0: none."""
        lower = 0
        for band in self.bands:
            if band.time_locked:
                return lower + 1
            lower = band.up_to_units
        return 0


@dataclass(frozen=True, slots=True)
class Policy:
    chain_id: int
    wallet: str
    time_lock_s: int
    approval_window_s: int
    officers: Mapping[str, Officer]
    assets: Mapping[str, AssetPolicy]
    bitcoin: tuple[WatchOnly, ...] = ()  # watch-only addresses, no custody here

    def officer_at(self, address: str) -> Officer | None:
        """The officer whose key is `address`."""
        wanted = address.lower()
        return next((o for o in self.officers.values() if o.address.lower() == wanted), None)

    def asset(self, symbol: str) -> AssetPolicy:
        found = self.assets.get(symbol)
        if found is None:
            raise PolicyInvalid(f"asset {symbol!r} is not in the reserve policy")
        return found


def load_policy(path: Path) -> Policy:
    """The policy in the TOML file at `path`."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(POLICY_BYTES_MAX + 1)
    except OSError as error:
        raise PolicyInvalid(f"cannot read policy file {path}: {error.strerror}") from None
    if len(raw) > POLICY_BYTES_MAX:
        raise PolicyInvalid(f"policy file {path} is larger than {POLICY_BYTES_MAX} bytes")
    return parse_policy(raw.decode("utf-8", errors="replace"))


def parse_policy(text: str) -> Policy:
    """The policy in `text`; `PolicyInvalid` naming the first bad key."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyInvalid(f"policy is not TOML: {error}") from None
    officers = _officers(document.get("officers"))
    assets = {asset.symbol: asset for asset in _assets(document.get("assets"), len(officers))}
    if len(assets) != len(document.get("assets", [])):
        raise PolicyInvalid("an asset symbol is listed twice")
    time_lock_s = _int(document, "time_lock_s", 0, TIME_LOCK_S_MAX)
    if time_lock_s == 0 and any(b.time_locked for a in assets.values() for b in a.bands):
        raise PolicyInvalid("a band is time_locked but time_lock_s is 0")
    return Policy(
        chain_id=_int(document, "chain_id", 1, 2**63 - 1),
        wallet=_address(document.get("wallet"), "wallet"),
        time_lock_s=time_lock_s,
        approval_window_s=_int(document, "approval_window_s", 60, 365 * 86400),
        officers=officers,
        assets=assets,
        bitcoin=_bitcoin(document.get("bitcoin", [])),
    )


def _bitcoin(entries: Any) -> tuple[WatchOnly, ...]:
    if not isinstance(entries, list) or len(entries) > BITCOIN_ADDRESSES_MAX:
        raise PolicyInvalid(f"bitcoin must list at most {BITCOIN_ADDRESSES_MAX} watch-only descriptors")
    found = []
    for entry in entries:
        try:
            found.append(watch_only(entry.get("descriptor") if isinstance(entry, dict) else None))
        except DescriptorInvalid as error:
            raise PolicyInvalid(f"bitcoin.descriptor: {error}") from None
    if len({w.address for w in found}) != len(found):
        raise PolicyInvalid("a bitcoin address is listed twice")
    return tuple(found)


def _officers(entries: Any) -> dict[str, Officer]:
    if not isinstance(entries, list) or not 1 <= len(entries) <= OFFICERS_MAX:
        raise PolicyInvalid(f"officers must list 1 to {OFFICERS_MAX} officers")
    officers: dict[str, Officer] = {}
    for entry in entries:
        officer_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(officer_id, str) or not _OFFICER_ID.fullmatch(officer_id):
            raise PolicyInvalid("an officer's id must be 1 to 64 of a-z 0-9 _ -")
        officer = Officer(officer_id, _address(entry.get("address"), f"officers.{officer_id}.address"))
        if officer_id in officers or any(o.address == officer.address for o in officers.values()):
            raise PolicyInvalid(f"officer {officer_id} or its address is listed twice")
        officers[officer_id] = officer
    return officers


def _assets(entries: Any, officer_count: int) -> list[AssetPolicy]:
    if not isinstance(entries, list) or not entries:
        raise PolicyInvalid("assets must list at least one asset")
    found = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("symbol"), str) \
                or not _SYMBOL.fullmatch(entry["symbol"]):
            raise PolicyInvalid("an asset's symbol must be 1 to 16 of A-Z 0-9")
        symbol = entry["symbol"]
        token = entry.get("token")
        destinations = entry.get("destinations", [])
        if not isinstance(destinations, list) or len(destinations) > DESTINATIONS_MAX:
            raise PolicyInvalid(f"assets.{symbol}.destinations must list at most {DESTINATIONS_MAX} addresses")
        found.append(AssetPolicy(
            symbol=symbol,
            token=None if token is None else _address(token, f"assets.{symbol}.token"),
            decimals=_int(entry, "decimals", 0, 36),
            bands=_bands(entry.get("bands"), symbol, officer_count),
            destinations=frozenset(_address(d, f"assets.{symbol}.destinations") for d in destinations),
        ))
    return found


def _bands(entries: Any, symbol: str, officer_count: int) -> tuple[Band, ...]:
    if not isinstance(entries, list) or not 1 <= len(entries) <= BANDS_MAX:
        raise PolicyInvalid(f"assets.{symbol}.bands must list 1 to {BANDS_MAX} bands")
    bands = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise PolicyInvalid(f"assets.{symbol}.bands holds a non-table")
        locked = entry.get("time_locked", False)
        if not isinstance(locked, bool):
            raise PolicyInvalid(f"assets.{symbol}.bands.time_locked must be true or false")
        bands.append(Band(_units(entry.get("up_to_units"), f"assets.{symbol}.bands.up_to_units"),
                          _int(entry, "approvals", 1, officer_count), locked))
    for lower, upper in itertools.pairwise(bands):
        if upper.up_to_units <= lower.up_to_units or upper.approvals < lower.approvals \
                or (lower.time_locked and not upper.time_locked):
            raise PolicyInvalid(f"assets.{symbol}.bands must rise: amounts, approvals and the lock never go down")
    return tuple(bands)


def _units(value: Any, where: str) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 78:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _UNITS_MAX:
        raise PolicyInvalid(f"{where} must be a positive integer of smallest units")
    return value


def _int(table: Mapping[str, Any], key: str, low: int, high: int) -> int:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise PolicyInvalid(f"{key} must be an integer from {low} to {high}")
    return value


def _address(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _ADDRESS.fullmatch(value):
        raise PolicyInvalid(f"{where} must be a 0x address of 40 hex digits")
    return str(to_checksum_address(value))


class WalletView(Protocol):
    """What `mismatches` reads from the deployed wallet (`MultisigWallet` fits)."""

    def owners(self) -> list[str]: ...
    def threshold(self) -> int: ...
    def is_allowed(self, destination: str) -> bool: ...
    def large_units(self, token: str | None) -> int: ...
    def delay_s(self) -> int: ...


def mismatches(policy: Policy, wallet: WalletView) -> list[str]:
    """Every way the deployed wallet is looser or other than the policy (empty: they agree)."""
    found = []
    if {o.lower() for o in wallet.owners()} != {o.address.lower() for o in policy.officers.values()}:
        found.append("the wallet's owners are not the policy's officers")
    smallest = min(band.approvals for asset in policy.assets.values() for band in asset.bands)
    if wallet.threshold() != smallest:
        found.append(f"the wallet's threshold {wallet.threshold()} is not the smallest band's {smallest}")
    if wallet.delay_s() != policy.time_lock_s:
        found.append(f"the wallet's time lock {wallet.delay_s()} s is not the policy's {policy.time_lock_s} s")
    for asset in policy.assets.values():
        found += [f"{asset.symbol}: destination {d} is not allowed by the wallet"
                  for d in sorted(asset.destinations) if not wallet.is_allowed(d)]
        if wallet.large_units(asset.token) != asset.large_units():
            found.append(f"{asset.symbol}: the wallet locks from {wallet.large_units(asset.token)} units, "
                         f"the policy from {asset.large_units()}")
    return found


def checksummed(address: str) -> str:
    """`address` checksummed; `PolicyInvalid` if it is not a 0x address."""
    return _address(address, "address")
