"""What every list loader shares: the file limits, reading within them, the version hash."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Final, NamedTuple

from digisom.compliance.errors import ListFileTooLarge

# OpenSanctions' full export is a few GiB; its sanctions collection well under one.
LIST_BYTES_MAX: Final = 8 * 1024**3
# One FollowTheMoney entity per line; the largest real ones are tens of KiB.
LINE_BYTES_MAX: Final = 4 * 1024**2
# OFAC's CSV files are a few MiB each.
CSV_BYTES_MAX: Final = 256 * 1024**2
ENTITIES_MAX: Final = 5_000_000
NAMES_PER_ENTITY_MAX: Final = 500
ADDRESSES_PER_ENTITY_MAX: Final = 500


class Line(NamedTuple):
    """One line of a list file, without its line ending; `number` counts from 1."""

    number: int
    data: bytes


class HashedLines:
    """The lines of a file, read within the limits; `sha256` is the file's once all are read."""

    def __init__(self, path: Path, bytes_max: int = LIST_BYTES_MAX, line_bytes_max: int = LINE_BYTES_MAX) -> None:
        self.path = path
        self.bytes_max = bytes_max
        self.line_bytes_max = line_bytes_max
        self._hash = hashlib.sha256()

    def __iter__(self) -> Iterator[Line]:
        total = 0
        with self.path.open("rb") as stream:
            number = 0
            while line := stream.readline(self.line_bytes_max + 1):
                number += 1
                total += len(line)
                if len(line) > self.line_bytes_max:
                    raise ListFileTooLarge(f"{self.path.name} line {number} is over {self.line_bytes_max} bytes",
                                           line=number)
                if total > self.bytes_max:
                    raise ListFileTooLarge(f"{self.path.name} is over {self.bytes_max} bytes")
                self._hash.update(line)
                yield Line(number, line.rstrip(b"\r\n"))

    @property
    def sha256(self) -> str:
        """The hex SHA-256 of every byte read so far (the whole file, after iteration)."""
        return self._hash.hexdigest()


def read_limited(path: Path, bytes_max: int = CSV_BYTES_MAX) -> bytes:
    """The whole of a small file, refused if over `bytes_max`."""
    with path.open("rb") as stream:
        data = stream.read(bytes_max + 1)
    if len(data) > bytes_max:
        raise ListFileTooLarge(f"{path.name} is over {bytes_max} bytes")
    return data


def file_date(path: Path) -> date:
    """The UTC date the file was last written: a list's date where the file says none."""
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).date()
