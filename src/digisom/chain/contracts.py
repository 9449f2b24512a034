"""The contracts this repository ships, compiled from source at run time with Vyper.

The sources live in the repository's `contracts/` folder (`DIGISOM_CONTRACTS_DIR`
overrides where), so the bytecode deployed is the bytecode of the audited source.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from digisom.chain.abi import ContractAbi

CONTRACTS_DIR_ENV: Final = "DIGISOM_CONTRACTS_DIR"
KGST_FILE: Final = "KGST.vy"


@dataclass(frozen=True, slots=True)
class Artifact:
    """A compiled contract: its ABI and its init code (constructor arguments go after it)."""

    abi: ContractAbi
    bytecode: bytes

    def init_code(self, *constructor_args: object) -> bytes:
        """What a deployment transaction carries."""
        return self.bytecode + self.abi.constructor_args(*constructor_args)


def contracts_dir() -> Path:
    """`$DIGISOM_CONTRACTS_DIR`, or the repository's `contracts/` next to `src/`."""
    configured = os.environ.get(CONTRACTS_DIR_ENV)
    return Path(configured) if configured else Path(__file__).resolve().parents[3] / "contracts"


def compile_vyper(path: Path) -> Artifact:
    """Compile one Vyper source file (its pragmas fix the compiler and EVM versions)."""
    import vyper  # noqa: PLC0415 - the compiler loads only when something is compiled

    out = vyper.compile_code(path.read_text(), output_formats=["abi", "bytecode"])
    return Artifact(ContractAbi.from_json(out["abi"]), bytes.fromhex(str(out["bytecode"]).removeprefix("0x")))


def kgst_artifact(directory: Path | None = None) -> Artifact:
    """KGST, compiled."""
    return compile_vyper((directory or contracts_dir()) / KGST_FILE)


def usdkg_artifact(directory: Path | None = None) -> Artifact:
    """USDKG: the same source and bytecode as KGST, told apart by its constructor
    arguments (ADR 0008: one audited code base, KGST's deployments unchanged)."""
    return kgst_artifact(directory)


RESERVE_MULTISIG_FILE: Final = "ReserveMultisig.vy"


def reserve_multisig_artifact(directory: Path | None = None) -> Artifact:
    """The reserve's M-of-N contract wallet (docs/reserve.md), compiled."""
    return compile_vyper((directory or contracts_dir()) / RESERVE_MULTISIG_FILE)
