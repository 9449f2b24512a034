"""A test double of the alias directory: PINs of known people and where they are paid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from digisom.disbursement.ports import DIRECTORY_LOOKUP_MAX, Destination


@dataclass
class FakeDirectory:
    """Known PINs by destination; counts lookups to prove they are batched."""

    known: dict[str, Destination] = field(default_factory=dict)
    calls: int = 0

    def resolve(self, pins: Sequence[str]) -> Mapping[str, Destination]:
        assert len(pins) <= DIRECTORY_LOOKUP_MAX
        self.calls += 1
        return {pin: self.known[pin] for pin in pins if pin in self.known}
