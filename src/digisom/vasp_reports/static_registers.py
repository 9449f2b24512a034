"""`Licences` and `AssetStatus` over plain data: in memory (tests, the demo) or from a
JSON file, until the register's own read API fills the ports.

The file is `{"licences": [{"vasp_id", "status", "public_key": hex, "licensed_from":
"YYYY-MM-DD"}], "assets": {"SYMBOL": "registered"|"suspended"|"delisted"}}`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Final

from digisom.vasp_reports.ports import AssetState, Licence, LicenceStatus

FILE_BYTES_MAX: Final = 4 * 1024 * 1024


class StaticLicences:
    """Licences held in memory; `put` replaces a VASP's (a test grants, suspends, revokes)."""

    def __init__(self, licences: Iterable[Licence] = ()) -> None:
        self._licences = {licence.vasp_id: licence for licence in licences}

    def put(self, licence: Licence) -> None:
        """Set `licence.vasp_id`'s licence."""
        self._licences[licence.vasp_id] = licence

    def licence(self, vasp_id: str) -> Licence | None:
        """The licence of `vasp_id`, or None."""
        return self._licences.get(vasp_id)

    def licences(self) -> Sequence[Licence]:
        """Every licence, by VASP id."""
        return [self._licences[vasp_id] for vasp_id in sorted(self._licences)]


class StaticAssets:
    """Asset states held in memory; a symbol not given is UNKNOWN."""

    def __init__(self, states: Mapping[str, AssetState] | None = None) -> None:
        self._states = dict(states or {})

    def put(self, symbol: str, state: AssetState) -> None:
        """Set `symbol`'s state."""
        self._states[symbol] = state

    def asset_state(self, symbol: str) -> AssetState:
        """The state of `symbol`, UNKNOWN if not given."""
        return self._states.get(symbol, AssetState.UNKNOWN)


def _licence(entry: Any) -> Licence:
    if not isinstance(entry, dict) or set(entry) != {"vasp_id", "status", "public_key", "licensed_from"}:
        raise ValueError("a licence is {vasp_id, status, public_key, licensed_from}")
    return Licence(str(entry["vasp_id"]), LicenceStatus(entry["status"]), bytes.fromhex(entry["public_key"]),
                   date.fromisoformat(entry["licensed_from"]))


def load(path: Path) -> tuple[StaticLicences, StaticAssets]:
    """The licences and asset states of a JSON file (module docstring); `ValueError` if it is not one."""
    data = path.read_bytes()
    if len(data) > FILE_BYTES_MAX:
        raise ValueError(f"{path.name} is over {FILE_BYTES_MAX} bytes")
    document = json.loads(data)
    if not isinstance(document, dict) or set(document) - {"licences", "assets"}:
        raise ValueError("the file is {licences: [...], assets: {...}}")
    licences = StaticLicences(_licence(entry) for entry in document.get("licences", []))
    assets = StaticAssets({str(symbol): AssetState(state) for symbol, state in document.get("assets", {}).items()})
    return licences, assets
