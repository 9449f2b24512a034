"""OFAC's SDN list in its CSV files (public domain): `sdn.csv`, and beside it `alt.csv`
and `add.csv` when present.

The files have no header row; `-0-` is a null. Columns (OFAC's data specification):

- sdn.csv: ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage,
  GRT, Vess_flag, Vess_owner, Remarks. SDN_Type is `individual`, `vessel`, `aircraft`
  or null for an entity. Remarks hold, among others, "DOB 12 Jan 1970" and
  "Digital Currency Address - ETH 0x...;" (one per address).
- alt.csv: ent_num, alt_num, alt_type (aka, fka, nka), alt_name, alt_remarks.
- add.csv: ent_num, add_num, address, city/state/postal code, country, add_remarks.

Remarks too long for sdn.csv spill into sdn_comments.csv, which is not read: an address
named only there is missed (docs/compliance.md).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Final

from digisom.compliance.errors import ListFileTooLarge, ListParseError
from digisom.compliance.model import Entity, SanctionsList
from digisom.compliance.sources import (
    ADDRESSES_PER_ENTITY_MAX,
    CSV_BYTES_MAX,
    ENTITIES_MAX,
    NAMES_PER_ENTITY_MAX,
    file_date,
    read_limited,
)

NULL: Final = "-0-"
SDN_COLUMNS: Final = 12
ALT_COLUMNS: Final = 5
ADD_COLUMNS: Final = 6
# OFAC's files may end with a DOS end-of-file mark on a line of its own.
_EOF_MARK: Final = "\x1a"
_DIGITAL_ADDRESS_RE: Final = re.compile(r"Digital Currency Address - ([A-Za-z0-9]+)\s+([A-Za-z0-9]+)")
_DOB_RE: Final = re.compile(r"\bDOB ([^;]+)")
_SCHEMA_BY_TYPE: Final = {"individual": "Person", "vessel": "Vessel", "aircraft": "Airplane", "": "Organization"}


@dataclass
class _Draft:
    schema: str
    names: list[str]
    addresses: list[str]
    birth_dates: list[str]
    countries: list[str] = field(default_factory=list)


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # older releases were Latin-1; every byte decodes


def _rows(data: bytes, source: str, columns: int) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells without nulls) of each row; a row of the wrong width is an error."""
    reader = csv.reader(io.StringIO(_text(data), newline=""), strict=True)
    try:
        for row in reader:
            if not row or row == [_EOF_MARK]:
                continue
            if len(row) != columns:
                raise ListParseError(source, reader.line_num, f"{len(row)} columns, expected {columns}")
            yield reader.line_num, ["" if cell.strip() == NULL else cell.strip() for cell in row]
    except csv.Error as error:
        raise ListParseError(source, reader.line_num, f"not CSV: {error}") from None


def _ent_num(cell: str, source: str, line: int) -> int:
    if not (cell.isascii() and cell.isdigit()):  # str.isdigit() also takes "³", which int() refuses
        raise ListParseError(source, line, f"ent_num {cell!r} is not a number")
    return int(cell)


def _sdn(data: bytes, source: str, entities_max: int) -> dict[int, _Draft]:
    drafts: dict[int, _Draft] = {}
    for line, row in _rows(data, source, SDN_COLUMNS):
        ent_num = _ent_num(row[0], source, line)
        if ent_num in drafts:
            raise ListParseError(source, line, f"ent_num {ent_num} appears twice")
        if not row[1]:
            raise ListParseError(source, line, "no SDN_Name")
        sdn_type = row[2].lower()
        if sdn_type not in _SCHEMA_BY_TYPE:
            raise ListParseError(source, line, f"unknown SDN_Type {row[2]!r}")
        remarks = row[11]
        drafts[ent_num] = _Draft(
            schema=_SCHEMA_BY_TYPE[sdn_type],
            names=[row[1]],
            addresses=[address for _currency, address in _DIGITAL_ADDRESS_RE.findall(remarks)],
            birth_dates=[dob.strip() for dob in _DOB_RE.findall(remarks)],
        )
        if len(drafts) > entities_max:
            raise ListFileTooLarge(f"{source} has over {entities_max} entries")
    return drafts


def _draft_of(drafts: dict[int, _Draft], row: list[str], source: str, line: int) -> _Draft:
    ent_num = _ent_num(row[0], source, line)
    if ent_num not in drafts:
        raise ListParseError(source, line, f"ent_num {ent_num} is not in sdn.csv")
    return drafts[ent_num]


def load_ofac(sdn_path: Path, as_of: date | None = None, entities_max: int = ENTITIES_MAX) -> SanctionsList:
    """The SDN list from `sdn_path` and the `alt.csv`, `add.csv` beside it (each optional).
    Its version is the SHA-256 of the three files' own SHA-256s, in that order (an absent
    file hashing as empty); its date is `as_of`, or sdn.csv's file date."""
    parts: list[tuple[str, bytes]] = [(sdn_path.name, read_limited(sdn_path, CSV_BYTES_MAX))]
    for name in ("alt.csv", "add.csv"):
        path = sdn_path.with_name(name)
        parts.append((name, read_limited(path, CSV_BYTES_MAX) if path.exists() else b""))
    (sdn_name, sdn_data), (_, alt_data), (_, add_data) = parts
    drafts = _sdn(sdn_data, sdn_name, entities_max)
    for line, row in _rows(alt_data, "alt.csv", ALT_COLUMNS):
        if row[3]:
            _draft_of(drafts, row, "alt.csv", line).names.append(row[3])
    for line, row in _rows(add_data, "add.csv", ADD_COLUMNS):
        if row[4]:
            _draft_of(drafts, row, "add.csv", line).countries.append(row[4])
    entities = []
    for ent_num, draft in drafts.items():
        if len(draft.names) > NAMES_PER_ENTITY_MAX or len(draft.addresses) > ADDRESSES_PER_ENTITY_MAX:
            raise ListFileTooLarge(f"ent_num {ent_num}: over {NAMES_PER_ENTITY_MAX} names or addresses")
        entities.append(Entity(
            entity_id=f"ofac-{ent_num}",
            schema=draft.schema,
            names=tuple(dict.fromkeys(draft.names)),
            addresses=tuple(dict.fromkeys(draft.addresses)),
            birth_dates=tuple(draft.birth_dates),
            countries=tuple(dict.fromkeys(draft.countries)),
        ))
    version = hashlib.sha256(b"".join(hashlib.sha256(data).digest() for _, data in parts)).hexdigest()
    return SanctionsList(source=sdn_name, version=version, list_date=as_of or file_date(sdn_path),
                         entities=tuple(entities))
