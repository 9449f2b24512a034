"""Lists in FollowTheMoney JSON lines, the OpenSanctions export format.

One entity per line: `{"id", "schema", "properties": {"name": [...], ...}, "target",
"last_change"}`. Kept: Person, Organization, Company, PublicBody and LegalEntity (by
`name`, `alias` and `previousName`; `weakAlias` is left out, as OpenSanctions marks such
names too weak to match on), and CryptoWallet (by `publicKey`, named by `holder`'s id
when it has no name). Other schemas (sanctions, addresses, relations) are skipped, and
so is an entity marked `"target": false` (a relative or an owner, not a designated
party). The list's date is the latest `last_change` of its entities, or the file's date.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Final

from digisom.compliance.errors import ListFileTooLarge, ListParseError
from digisom.compliance.model import NAMED_SCHEMAS, WALLET_SCHEMAS, Entity, SanctionsList
from digisom.compliance.sources import (
    ADDRESSES_PER_ENTITY_MAX,
    ENTITIES_MAX,
    LINE_BYTES_MAX,
    LIST_BYTES_MAX,
    NAMES_PER_ENTITY_MAX,
    HashedLines,
    file_date,
)
from digisom.kernel.json_depth import JsonDepthScan

# An entity nests three levels (entity, properties, values); nested entities five.
JSON_DEPTH_MAX: Final = 8
NAME_PROPERTIES: Final = ("name", "alias", "previousName")
ADDRESS_PROPERTIES: Final = ("publicKey", "address")
ID_CHARS_MAX: Final = 200


def _strings(properties: dict[str, object], names: tuple[str, ...], source: str, line: int) -> list[str]:
    found: list[str] = []
    for name in names:
        values = properties.get(name, [])
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            raise ListParseError(source, line, f"property {name!r} is not a list of strings")
        found.extend(value for value in values if value.strip())
    return found


def _entity(data: bytes, source: str, line: int) -> tuple[Entity | None, str]:
    """The entity of one line (None for a schema not screened) and its `last_change` date."""
    if not JsonDepthScan(JSON_DEPTH_MAX).feed(data):
        raise ListParseError(source, line, f"JSON nested deeper than {JSON_DEPTH_MAX}")
    try:
        record = json.loads(data)
    except (UnicodeDecodeError, ValueError) as error:
        raise ListParseError(source, line, f"not JSON: {error}") from None
    if not isinstance(record, dict):
        raise ListParseError(source, line, "not a JSON object")
    entity_id, schema, properties = record.get("id"), record.get("schema"), record.get("properties", {})
    if not isinstance(entity_id, str) or not 0 < len(entity_id) <= ID_CHARS_MAX:
        raise ListParseError(source, line, f"no entity id (a string of 1 to {ID_CHARS_MAX} characters)")
    if not isinstance(schema, str) or not isinstance(properties, dict):
        raise ListParseError(source, line, "no schema, or properties that are not an object")
    last_change = record.get("last_change")
    changed = last_change[:10] if isinstance(last_change, str) else ""
    if schema not in NAMED_SCHEMAS | WALLET_SCHEMAS or record.get("target") is False:
        return None, changed
    names = _strings(properties, NAME_PROPERTIES, source, line)
    addresses = _strings(properties, ADDRESS_PROPERTIES, source, line) if schema in WALLET_SCHEMAS else []
    if schema in WALLET_SCHEMAS and not names:
        names = _strings(properties, ("holder",), source, line)
    if len(names) > NAMES_PER_ENTITY_MAX or len(addresses) > ADDRESSES_PER_ENTITY_MAX:
        raise ListFileTooLarge(f"{source} line {line}: over {NAMES_PER_ENTITY_MAX} names or addresses", line=line)
    entity = Entity(
        entity_id=entity_id,
        schema=schema,
        names=tuple(dict.fromkeys(names)),
        addresses=tuple(dict.fromkeys(addresses)),
        birth_dates=tuple(_strings(properties, ("birthDate",), source, line)),
        countries=tuple(_strings(properties, ("country", "nationality"), source, line)),
    )
    return entity, changed


def load_ftm(path: Path, bytes_max: int = LIST_BYTES_MAX, entities_max: int = ENTITIES_MAX) -> SanctionsList:
    """The whole list in `path`, or a typed error naming the first bad line (nothing half-loaded)."""
    lines = HashedLines(path, bytes_max, LINE_BYTES_MAX)
    entities: list[Entity] = []
    latest = ""
    for line in lines:
        if not line.data.strip():
            continue
        entity, changed = _entity(line.data, path.name, line.number)
        latest = max(latest, changed)
        if entity is None:
            continue
        entities.append(entity)
        if len(entities) > entities_max:
            raise ListFileTooLarge(f"{path.name} has over {entities_max} entities")
    try:
        list_date = date.fromisoformat(latest) if latest else file_date(path)
    except ValueError:
        list_date = file_date(path)
    return SanctionsList(source=path.name, version=lines.sha256, list_date=list_date, entities=tuple(entities))
