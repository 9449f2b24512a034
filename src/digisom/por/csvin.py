"""Customer balances from CSV (`customer_id,balance`, balance in the asset's smallest unit).

The whole file is checked before anything is built: a bad line, a duplicate id or a total
past 2**64-1 is a typed error naming the line; nothing is written half. The common path is
a few C-speed passes (10M lines in seconds); the line-by-line scan runs only to name an error."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from digisom.por import errors

U64_MAX: Final = 2**64 - 1
LEAVES_MAX: Final = 2**24  # depth 24: the depth the proof's 1 KB binary form is sized for
FILE_BYTES_MAX: Final = 2**30
CUSTOMER_ID_BYTES_MAX: Final = 64
HEADER: Final = b"customer_id,balance"
# An id is printable UTF-8 without spaces, commas or quotes: it goes unquoted into the
# customers index, and a proof is looked up by it.
_ID_FORBIDDEN: Final = re.compile(rb'[\x00-\x20",\x7f]')
# The bytes an id may hold, plus the separators: deleting them from the whole body (one C
# pass, once the lines are known to be `id,digits`) leaves exactly the forbidden bytes of the
# ids, with no copy joining 10M ids and no regular expression over the file.
_BODY_ALLOWED: Final = bytes(b for b in range(256) if b in b"\n," or not _ID_FORBIDDEN.fullmatch(bytes([b])))
_TWO_COMMAS: Final = re.compile(rb",[^\n]*,")


@dataclass(frozen=True, slots=True)
class Balances:
    """Ids (UTF-8 bytes) and balances in file order; `total_units` their sum."""

    ids: list[bytes]
    balances: list[int]
    total_units: int


def read_balances(path: Path) -> Balances:
    """The balances of `path`; a `BalancesInvalid` subclass naming the first problem."""
    size = path.stat().st_size
    if size > FILE_BYTES_MAX:
        raise errors.BalancesTooLarge(f"{path}: {size} bytes, more than {FILE_BYTES_MAX}")
    return parse_balances(path.read_bytes(), str(path))


def parse_balances(data: bytes, source: str = "balances") -> Balances:
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
    first = 1 if data.startswith(HEADER + b"\n") or data == HEADER else 0
    body = data[len(HEADER) + 1:] if first else data
    if body and not body.endswith(b"\n"):
        body += b"\n"
    lines = body.count(b"\n")
    if lines == 0:
        raise errors.EmptyBalances(f"{source}: no customers")
    if lines > LEAVES_MAX:
        raise errors.BalancesTooLarge(f"{source}: {lines} customers, more than {LEAVES_MAX}")
    # Exactly one comma on every line: as many commas as lines and no line with two. Then
    # one split of the whole body alternates id, balance (C speed; a split per line is 6x slower).
    if body.count(b",") != lines or _TWO_COMMAS.search(body):
        _name_malformed(body, first, source)
    parts = body.replace(b"\n", b",").split(b",")
    ids, texts = parts[0:-1:2], parts[1:-1:2]
    if not all(map(bytes.isdigit, texts)) or max(map(len, texts)) > 20:
        _name_bad_balance(texts, first, source)
    balances = list(map(int, texts))
    _check_ids(ids, body, first, source)
    if max(balances) > U64_MAX:
        _name_bad_balance(texts, first, source)
    total = sum(balances)
    if total > U64_MAX:
        raise errors.TotalOverflow(f"{source}: total {total} exceeds 2**64-1")
    return Balances(ids=ids, balances=balances, total_units=total)


def _line(position: int, first: int) -> int:
    return position + first + 1


def _name_malformed(body: bytes, first: int, source: str) -> None:
    for position, line in enumerate(body.split(b"\n")):
        if line.count(b",") != 1:
            raise errors.MalformedLine(f"{source} line {_line(position, first)}: expected customer_id,balance")


def _name_bad_balance(texts: list[bytes], first: int, source: str) -> None:
    for position, text in enumerate(texts):
        where = f"{source} line {_line(position, first)}"
        shown = text[:40].decode(errors="replace")
        if text.startswith(b"-") and text[1:].isdigit():
            raise errors.NegativeBalance(f"{where}: negative balance {shown}")
        if not text.isdigit():
            raise errors.NonIntegerBalance(f"{where}: balance {shown!r} is not a whole number of units")
        if int(text) > U64_MAX:
            raise errors.TotalOverflow(f"{where}: balance {shown} exceeds 2**64-1")


def _utf8(data: bytes) -> bool:
    if data.isascii():  # the usual file: no decode, no 10M-character copy
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _check_ids(ids: list[bytes], body: bytes, first: int, source: str) -> None:
    """Every id valid, none twice. The scans run over `body`, whose other bytes are commas,
    newlines and digits (checked before): ASCII separators never fall inside a UTF-8
    sequence, so the body decodes exactly when every id does."""
    bad = (not all(ids) or max(map(len, ids)) > CUSTOMER_ID_BYTES_MAX
           or body.translate(None, _BODY_ALLOWED) != b"" or not _utf8(body))
    if bad:
        for position, customer in enumerate(ids):
            try:
                customer.decode("utf-8")
                valid = 0 < len(customer) <= CUSTOMER_ID_BYTES_MAX and not _ID_FORBIDDEN.search(customer)
            except UnicodeDecodeError:
                valid = False
            if not valid:
                raise errors.CustomerIdInvalid(
                    f"{source} line {_line(position, first)}: customer id must be 1 to {CUSTOMER_ID_BYTES_MAX} bytes "
                    "of printable UTF-8 without spaces, commas or quotes")
    if len(set(ids)) != len(ids):
        seen: dict[bytes, int] = {}
        for position, customer in enumerate(ids):
            if customer in seen:
                raise errors.DuplicateCustomer(
                    f"{source} line {_line(position, first)}: customer {customer.decode()!r} already on line "
                    f"{_line(seen[customer], first)}")
            seen[customer] = position
