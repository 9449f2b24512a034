"""The gold bar register: bars arrive from a custodian-signed LBMA weight list, move by
custodian-signed movements, and are read as they stand or as they stood on a date.

Every write is one transaction with set-based statements (one insert of many rows per
table, serials checked against the register in chunks), so an import of 100,000 bars is
a handful of round trips, and a refused file leaves nothing behind."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from sqlalchemy import Connection, Engine, RowMapping, func, select

from digisom.kernel.canonical_json import canonical_json
from digisom.kernel.clock import iso_utc
from digisom.usdkg import signers, signing, tables, weight_list
from digisom.usdkg.errors import BarStateConflict, InvalidAmount, UnknownBar
from digisom.usdkg.model import Bar, BarStatus, MovementKind, SignerRole, WeightListBar

# Serials per `IN (...)` lookup: under every driver's parameter limit (SQLite's is 32,766).
SERIALS_PER_QUERY: Final = 5_000
# One signed movement names at most this many bars (an arrival is a whole weight list).
MOVEMENT_BARS_MAX: Final = 10_000

# What each movement needs of a bar and leaves it in.
_TRANSITIONS: Final = {
    MovementKind.DISPATCH: (BarStatus.IN_VAULT, BarStatus.IN_TRANSIT),
    MovementKind.RECEIVE: (BarStatus.IN_TRANSIT, BarStatus.IN_VAULT),
    MovementKind.WITHDRAW: (BarStatus.IN_VAULT, BarStatus.WITHDRAWN),
}


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import added: the movement, the bars and their fine gold."""

    movement_id: int
    bars: int
    fine_moz: int


def arrival_body(custodian: str, vault: str, at: datetime, data: bytes) -> dict[str, str]:
    """What the custodian signs to take the bars of weight list `data` into `vault`."""
    return {
        "kind": MovementKind.ARRIVE.value,
        "custodian": custodian,
        "vault": vault,
        "at": iso_utc(at),
        "weight_list_sha256": hashlib.sha256(data).hexdigest(),
    }


def movement_body(
    kind: MovementKind, custodian: str, vault: str, at: datetime, serials: Collection[str]
) -> dict[str, object]:
    """What the custodian signs to move `serials` (dispatch towards, receive at or withdraw from `vault`)."""
    return {"kind": kind.value, "custodian": custodian, "vault": vault, "at": iso_utc(at), "serials": sorted(serials)}


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), SERIALS_PER_QUERY):
        yield items[start : start + SERIALS_PER_QUERY]


def end_of_day(day: date) -> str:
    """The first moment after `day` (UTC), as the tables store time: `at < end_of_day` is "on or before `day`"."""
    return iso_utc(datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC))


class BarRegister:
    """The register of bars on the issuer's database."""

    def __init__(self, engine: Engine, refiners: Collection[str]) -> None:
        self._engine = engine
        self._refiners = frozenset(refiners)

    def import_weight_list(
        self, data: bytes, *, vault: str, custodian: str, at: datetime, signature: bytes, recorded_at: datetime
    ) -> ImportResult:
        """Take every bar of weight list `data` into `vault` under `custodian`, whose
        signature over `arrival_body` it needs; refused whole if a row breaks a rule or a
        serial is in the register already."""
        if not vault or len(vault) > tables.NAME_CHARS_MAX:
            raise InvalidAmount(f"the vault must be 1-{tables.NAME_CHARS_MAX} characters")
        body = arrival_body(custodian, vault, at, data)
        parsed, problems = weight_list.parse_weight_list(data, self._refiners)
        with self._engine.begin() as conn:
            signers.check(conn, custodian, SignerRole.CUSTODIAN, signature, signing.MOVEMENT_TAG, body)
            present = self._present(conn, [bar.serial for _, bar in parsed])
            for row, bar in parsed:
                if bar.serial in present:
                    problems.add(row, bar.serial, "serial_in_register", "a bar with this serial is in the register")
            problems.raise_if_any()
            if not parsed:
                raise InvalidAmount("the weight list has no bars")
            movement_id = self._record_movement(conn, MovementKind.ARRIVE, custodian, body, signature, recorded_at)
            conn.execute(
                tables.bars.insert(),
                [
                    {
                        "serial": bar.serial,
                        "brand": bar.brand,
                        "year": bar.year,
                        "gross_moz": bar.gross_moz,
                        "fineness_tenths": bar.fineness_tenths,
                        "fine_moz": bar.fine_moz,
                        "vault": vault,
                        "custodian": custodian,
                        "status": BarStatus.IN_VAULT.value,
                    }
                    for _, bar in parsed
                ],
            )
            self._record_events(conn, movement_id, body["at"], BarStatus.IN_VAULT, vault, [b.serial for _, b in parsed])
        return ImportResult(movement_id, len(parsed), sum(bar.fine_moz for _, bar in parsed))

    def move(
        self,
        kind: MovementKind,
        serials: Collection[str],
        *,
        vault: str,
        custodian: str,
        at: datetime,
        signature: bytes,
        recorded_at: datetime,
        guard: Callable[[Connection, int], None] | None = None,
    ) -> int:
        """Move `serials` by a movement `custodian` signed (`movement_body`): a dispatch or a
        withdrawal needs the bars' own custodian; a receipt makes the signer their custodian.
        `guard`, given the fine gold leaving the vaults, may refuse inside the transaction
        (the coverage rule on a withdrawal). Returns the movement's id."""
        if kind not in _TRANSITIONS:
            raise BarStateConflict(f"a {kind.value} is not a movement of bars in the register")
        if not serials or len(serials) > MOVEMENT_BARS_MAX or len(set(serials)) != len(serials):
            raise InvalidAmount(f"a movement names 1-{MOVEMENT_BARS_MAX} distinct serials")
        needed, after = _TRANSITIONS[kind]
        body = movement_body(kind, custodian, vault, at, serials)
        with self._engine.begin() as conn:
            signers.check(conn, custodian, SignerRole.CUSTODIAN, signature, signing.MOVEMENT_TAG, body)
            found = self._load(conn, sorted(serials))
            for serial in sorted(serials):
                bar = found.get(serial)
                if bar is None:
                    raise UnknownBar(f"no bar {serial!r} in the register")
                if bar.status is not needed:
                    raise BarStateConflict(f"bar {serial} is {bar.status.value}; a {kind.value} needs {needed.value}")
                if kind is not MovementKind.RECEIVE and bar.custodian != custodian:
                    raise BarStateConflict(f"bar {serial} is in {bar.custodian}'s custody, not {custodian}'s")
            latest = conn.execute(
                select(func.max(tables.bar_events.c.at)).where(tables.bar_events.c.serial.in_(sorted(serials)))
            ).scalar_one()
            if latest is not None and body["at"] < latest:
                raise BarStateConflict(f"a movement at {body['at']} is earlier than the bars' last, at {latest}")
            if guard is not None and after is BarStatus.WITHDRAWN:
                guard(conn, sum(bar.fine_moz for bar in found.values()))
            movement_id = self._record_movement(conn, kind, custodian, body, signature, recorded_at)
            conn.execute(
                tables.bars.update()
                .where(tables.bars.c.serial.in_(sorted(serials)))
                .values(status=after.value, vault=vault, custodian=custodian)
            )
            self._record_events(conn, movement_id, str(body["at"]), after, vault, sorted(serials))
        return movement_id

    def bar(self, serial: str) -> Bar:
        """One bar as it stands."""
        with self._engine.connect() as conn:
            found = self._load(conn, [serial]).get(serial)
        if found is None:
            raise UnknownBar(f"no bar {serial!r} in the register")
        return found

    def bars(
        self, status: BarStatus | None = BarStatus.IN_VAULT, offset: int = 0, limit: int | None = None
    ) -> list[Bar]:
        """The bars with `status` (every bar for None), in serial order (`limit` of them
        from `offset`, for a page)."""
        query = select(tables.bars).order_by(tables.bars.c.serial).offset(offset).limit(limit)
        if status is not None:
            query = query.where(tables.bars.c.status == status.value)
        with self._engine.connect() as conn:
            return [_bar(row) for row in conn.execute(query).mappings()]

    def fine_moz_in_vaults(self, conn: Connection | None = None) -> int:
        """The fine gold of every bar in a vault: the reserve."""
        query = select(func.coalesce(func.sum(tables.bars.c.fine_moz), 0)).where(
            tables.bars.c.status == BarStatus.IN_VAULT.value
        )
        if conn is not None:
            return int(conn.execute(query).scalar_one())
        with self._engine.connect() as own:
            return int(own.execute(query).scalar_one())

    def as_of(self, day: date) -> dict[str, Bar]:
        """Every bar as it stood at the end of `day` (UTC), by serial: its state after its
        last movement on or before that day (bars that had not arrived are absent)."""
        e, b = tables.bar_events, tables.bars
        query = (
            select(
                b.c.serial,
                b.c.brand,
                b.c.year,
                b.c.gross_moz,
                b.c.fineness_tenths,
                b.c.fine_moz,
                b.c.custodian,
                e.c.vault,
                e.c.status,
            )
            .join(e, e.c.serial == b.c.serial)
            .where(e.c.at < end_of_day(day))
            .order_by(e.c.serial, e.c.at, e.c.movement_id)
        )
        with self._engine.connect() as conn:
            # Rows come in time order per bar: the last one per serial wins.
            return {row["serial"]: _bar(row) for row in conn.execute(query).mappings()}

    def weight_list(self, status: BarStatus | None = BarStatus.IN_VAULT) -> str:
        """The bars with `status` as an LBMA weight list (CSV)."""
        return weight_list.write_weight_list(
            WeightListBar(b.serial, b.brand, b.gross_moz, b.fineness_tenths, b.fine_moz, b.year)
            for b in self.bars(status)
        )

    def first_arrival(self) -> str | None:
        """When the first bar arrived (None before any did)."""
        with self._engine.connect() as conn:
            found: str | None = conn.execute(select(func.min(tables.bar_events.c.at))).scalar_one()
        return found

    @staticmethod
    def _present(conn: Connection, serials: Sequence[str]) -> set[str]:
        present: set[str] = set()
        for chunk in _chunks(serials):
            present.update(conn.execute(select(tables.bars.c.serial).where(tables.bars.c.serial.in_(chunk))).scalars())
        return present

    @staticmethod
    def _load(conn: Connection, serials: Sequence[str]) -> dict[str, Bar]:
        found: dict[str, Bar] = {}
        for chunk in _chunks(serials):
            for row in conn.execute(select(tables.bars).where(tables.bars.c.serial.in_(chunk))).mappings():
                found[row["serial"]] = _bar(row)
        return found

    @staticmethod
    def _record_movement(
        conn: Connection,
        kind: MovementKind,
        custodian: str,
        body: Mapping[str, object],
        signature: bytes,
        recorded_at: datetime,
    ) -> int:
        inserted = conn.execute(
            tables.movements.insert().values(
                kind=kind.value,
                custodian=custodian,
                at=body["at"],
                body=canonical_json(body, ascii_only=True),
                signature=signature,
                recorded_at=iso_utc(recorded_at),
            )
        )
        key = inserted.inserted_primary_key
        return int(key[0]) if key is not None else 0

    @staticmethod
    def _record_events(
        conn: Connection, movement_id: int, at: object, status: BarStatus, vault: str, serials: Sequence[str]
    ) -> None:
        conn.execute(
            tables.bar_events.insert(),
            [
                {"serial": s, "movement_id": movement_id, "at": at, "status": status.value, "vault": vault}
                for s in serials
            ],
        )


def _bar(row: RowMapping) -> Bar:
    return Bar(
        serial=row["serial"],
        brand=row["brand"],
        year=int(row["year"]),
        gross_moz=int(row["gross_moz"]),
        fineness_tenths=int(row["fineness_tenths"]),
        fine_moz=int(row["fine_moz"]),
        vault=row["vault"],
        custodian=row["custodian"],
        status=BarStatus(row["status"]),
    )
