"""`digisom serve --reserve-config FILE`: the national crypto reserve of a running server.

The file is TOML; paths are relative to it:

    policy = "reserve-policy.toml"       # officers, bands, wallet (digisom.reserve.policy)
    rpc = "https://bsc-node.example/"    # the wallet's chain (archive node: publications re-check old blocks)
    relayer_key_file = "relayer.key"     # pays the gas of executions; decides nothing
    confirmations = 12                   # the observer posts a move this deep
    observe_every_s = 15                 # the observer worker's period; 0: no worker
    prices_file = "prices.json"          # signed by the price desk (digisom.reserve.prices)
    prices_public_key = "<64 hex>"       # the desk's Ed25519 key
    prices_staleness_s = 3600
    bitcoin = "https://blockstream.info/api"   # Esplora URL, or a balances JSON file

Only `policy` and `rpc` are required. The EVM stack loads here, only when a reserve is
configured."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from digisom.api.reserve_wiring import ReserveSetup
from digisom.reserve.bitcoin_balances import BitcoinBalances, open_source
from digisom.reserve.errors import PolicyInvalid
from digisom.reserve.policy import load_policy
from digisom.reserve.prices import SignedFilePrices

CONFIG_BYTES_MAX: Final = 16 * 1024
STALENESS_S_DEFAULT: Final = 3600


def reserve_setup(config_path: Path) -> ReserveSetup:
    """The reserve the file describes; `PolicyInvalid` naming a bad key."""
    from digisom.chain.keys import load_key  # noqa: PLC0415 - the EVM stack, only for a configured reserve
    from digisom.chain.reserve_multisig import MultisigCustody, MultisigWallet, RpcReserveReader  # noqa: PLC0415
    from digisom.chain.rpc import RpcChain  # noqa: PLC0415
    from digisom.chain.transactor import Transactor  # noqa: PLC0415

    config = _config(config_path)
    folder = config_path.parent
    policy = load_policy(folder / _text(config, "policy"))
    rpc = RpcChain.connect(_text(config, "rpc"))
    key_file = config.get("relayer_key_file")
    relayer = load_key(folder / str(key_file) if key_file else None)
    confirmations = _count(config, "confirmations", 1)
    custody = MultisigCustody(MultisigWallet(rpc, policy.wallet), Transactor(rpc, relayer), confirmations)
    return ReserveSetup(policy, custody, prices=_prices(config, folder), bitcoin=_bitcoin(config, folder),
                        reader=RpcReserveReader(rpc), chain=rpc,
                        observe_every_s=float(_count(config, "observe_every_s", 15)) or None,
                        confirmations=confirmations)


def _config(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.loads(handle.read(CONFIG_BYTES_MAX).decode("utf-8", errors="replace"))
    except OSError as error:
        raise PolicyInvalid(f"cannot read reserve config {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise PolicyInvalid(f"reserve config {path} is not TOML: {error}") from None


def _text(config: dict[str, Any], name: str) -> str:
    value = config.get(name)
    if not isinstance(value, str) or not value:
        raise PolicyInvalid(f"reserve config: {name} is required")
    return value


def _count(config: dict[str, Any], name: str, default: int) -> int:
    value = config.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PolicyInvalid(f"reserve config: {name} must be a non-negative integer")
    return value


def _prices(config: dict[str, Any], folder: Path) -> SignedFilePrices | None:
    if "prices_file" not in config:
        return None
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(_text(config, "prices_public_key")))
    except ValueError:
        raise PolicyInvalid("reserve config: prices_public_key must be 64 hex digits (Ed25519)") from None
    return SignedFilePrices(folder / _text(config, "prices_file"), key,
                            _count(config, "prices_staleness_s", STALENESS_S_DEFAULT), lambda: datetime.now(UTC))


def _bitcoin(config: dict[str, Any], folder: Path) -> BitcoinBalances | None:
    source = config.get("bitcoin")
    if source is None:
        return None
    return open_source(_text(config, "bitcoin"), folder)
