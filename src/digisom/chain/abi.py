"""Contract ABIs: encode calls and constructor arguments, decode results and revert messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from eth_abi.abi import decode, encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

# Error(string): how Solidity and Vyper encode a revert message.
ERROR_SELECTOR: Final = keccak(text="Error(string)")[:4]


def _types(params: Sequence[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(str(p["type"]) for p in params)


@dataclass(frozen=True, slots=True)
class Function:
    """One function of an ABI."""

    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    @property
    def selector(self) -> bytes:
        """The first four bytes of the keccak of its signature."""
        return keccak(text=f"{self.name}({','.join(self.inputs)})")[:4]

    def encode(self, *args: Any) -> bytes:
        """Calldata for a call with `args`."""
        return self.selector + encode(list(self.inputs), list(args))

    def decode(self, output: bytes) -> tuple[Any, ...]:
        """The decoded return values."""
        return tuple(decode(list(self.outputs), output))


@dataclass(frozen=True, slots=True)
class Event:
    """One event of an ABI: its topic 0 and the types of its indexed and data fields."""

    name: str
    indexed: tuple[str, ...]
    data: tuple[str, ...]
    signature_types: tuple[str, ...]

    @property
    def topic0(self) -> bytes:
        """keccak of the event's signature."""
        return keccak(text=f"{self.name}({','.join(self.signature_types)})")


@dataclass(frozen=True, slots=True)
class ContractAbi:
    """A contract's functions, events and constructor input types."""

    functions: dict[str, Function]
    events: dict[str, Event]
    constructor_inputs: tuple[str, ...]

    @classmethod
    def from_json(cls, abi: Sequence[dict[str, Any]]) -> ContractAbi:
        """Build from the JSON ABI a compiler emits (overloads are not supported)."""
        functions: dict[str, Function] = {}
        events: dict[str, Event] = {}
        constructor: tuple[str, ...] = ()
        for item in abi:
            kind = item.get("type")
            if kind == "function":
                functions[item["name"]] = Function(item["name"], _types(item["inputs"]), _types(item["outputs"]))
            elif kind == "event":
                inputs = item["inputs"]
                events[item["name"]] = Event(
                    item["name"],
                    tuple(str(i["type"]) for i in inputs if i["indexed"]),
                    tuple(str(i["type"]) for i in inputs if not i["indexed"]),
                    _types(inputs),
                )
            elif kind == "constructor":
                constructor = _types(item["inputs"])
        return cls(functions, events, constructor)

    def fn(self, name: str) -> Function:
        """The function called `name`."""
        return self.functions[name]

    def constructor_args(self, *args: Any) -> bytes:
        """ABI-encoded constructor arguments, appended to the init code when deploying."""
        return encode(list(self.constructor_inputs), list(args))


def revert_reason(output: bytes) -> str:
    """The message of a revert's output, or a description when there is none."""
    if output[:4] == ERROR_SELECTOR:
        try:
            (message,) = decode(["string"], output[4:])
        except Exception:  # malformed revert data is reported, not raised
            return f"reverted with malformed data 0x{output.hex()}"
        return str(message)
    return f"reverted without a message (0x{output.hex()})" if output else "reverted without a message"


def topic_address(topic: bytes) -> str:
    """The address an indexed address topic holds (the low 20 bytes), checksummed."""
    return str(to_checksum_address(topic[-20:]))
