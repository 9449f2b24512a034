"""The settlement book, kept durably: load the part a run needs, save what it changed.

A run needs the books of the payers it sees and the set of fraudulent devices (a
fraudulent payee gets nothing from the guarantee); nothing else is loaded, so a sync
costs what it uploads, not what the whole country ever paid offline. Chains are rows of
`offline_payments`; paid totals, returned value and findings rows of
`offline_device_books`.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from sqlalchemy import Connection, select, update

from digisom.errors import invariant
from digisom.offline import tables as t
from digisom.offline.registry import LOOKUP_CHUNK
from digisom.offline.settlement import (
    DeviceBook,
    Finding,
    Fraud,
    Link,
    SettlementBook,
    SettlementResult,
    Verdict,
)

_NO_FINDINGS: Final = "[]"


@dataclass(frozen=True, slots=True)
class LoadedBook:
    """The book a run starts from, and what it needs to save the run's changes."""

    book: SettlementBook
    known_hashes: frozenset[bytes]  # payments already stored (decided or deferred)
    defunded_tyiyn: Mapping[bytes, int]


def load(conn: Connection, payer_key_ids: Collection[bytes]) -> LoadedBook:
    """The books of `payer_key_ids`, plus the findings of every fraudulent device."""
    return with_fraudulent(conn, load_own(conn, payer_key_ids))


def load_own(conn: Connection, payer_key_ids: Collection[bytes]) -> LoadedBook:
    """The books of `payer_key_ids` only: what a run's decoding needs (`settlement.collect`),
    which a run of other payers does not change. `with_fraudulent` completes it."""
    ids = list(payer_key_ids)
    chains: dict[bytes, dict[int, list[Link]]] = {}
    decided: dict[bytes, set[bytes]] = {}
    known: set[bytes] = set()
    totals: dict[bytes, tuple[int, int, int, str]] = {}
    p, b = t.payments.c, t.device_books.c
    for start in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[start : start + LOOKUP_CHUNK]
        rows = conn.execute(
            select(p.payer_key_id, p.counter, p.payment_hash, p.previous_hash, p.amount_tyiyn,
                   p.cumulative_tyiyn, p.verdict).where(p.payer_key_id.in_(chunk))
        )
        for row in rows:
            link = Link(row.payment_hash, row.previous_hash, row.amount_tyiyn, row.cumulative_tyiyn)
            chains.setdefault(row.payer_key_id, {}).setdefault(row.counter, []).append(link)
            known.add(row.payment_hash)
            if row.verdict is not None:
                decided.setdefault(row.payer_key_id, set()).add(row.payment_hash)
        for book_row in conn.execute(select(t.device_books).where(b.key_id.in_(chunk))):
            totals[book_row.key_id] = (
                book_row.reserve_paid_tyiyn, book_row.guarantee_paid_tyiyn, book_row.defunded_tyiyn, book_row.findings
            )
    devices: dict[bytes, DeviceBook] = {}
    for key_id in ids:
        reserve, guarantee, _defunded, findings = totals.get(key_id, (0, 0, 0, _NO_FINDINGS))
        chain = {counter: tuple(sorted(links)) for counter, links in chains.get(key_id, {}).items()}
        devices[key_id] = DeviceBook(
            chain=MappingProxyType(chain),
            decided=frozenset(decided.get(key_id, ())),
            reserve_paid_tyiyn=reserve,
            guarantee_paid_tyiyn=guarantee,
            findings=_findings(key_id, findings),
        )
    defunded = {key_id: row[2] for key_id, row in totals.items()}
    return LoadedBook(SettlementBook(MappingProxyType(devices)), frozenset(known), MappingProxyType(defunded))


def with_fraudulent(conn: Connection, own: LoadedBook) -> LoadedBook:
    """`own` (a `load_own` result) plus the findings of every other fraudulent device as
    stored now: a fraudulent payee gets nothing from the guarantee, so the rules need the
    findings of the runs stored before this one. `own`'s books are kept as they are (the
    same objects: `save` writes only the books the run replaced)."""
    b = t.device_books.c
    devices: dict[bytes, DeviceBook] = {}
    for fraud_row in conn.execute(select(b.key_id, b.findings).where(b.findings != _NO_FINDINGS)):
        devices[fraud_row.key_id] = DeviceBook(findings=_findings(fraud_row.key_id, fraud_row.findings))
    devices.update(own.book.devices)
    return LoadedBook(SettlementBook(MappingProxyType(devices)), own.known_hashes, own.defunded_tyiyn)


def save(
    conn: Connection, loaded: LoadedBook, result: SettlementResult, run_id: int, defunded: Mapping[bytes, int]
) -> int:
    """Store what `result` changed; returns how many payments were decided now.

    New payments are inserted (their primary key refuses a second copy), deferred ones
    that were decided now are updated, and each changed payer's totals are written."""
    # Per paid payment: [reserve part, guarantee part].
    paid: dict[bytes, list[int]] = {}
    for payout in result.payouts:
        parts = paid.setdefault(payout.payment_hash, [0, 0])
        parts[0 if payout.source is Verdict.RESERVE else 1] += payout.amount_tyiyn
    # Rows as tuples in `_PAYMENT_COLUMNS` order: a million of them per backlog run, and a
    # dict per row cost this process more than the COPY did.
    inserts: list[tuple[object, ...]] = []
    updates: list[tuple[object, ...]] = []
    unpaid = (0, 0)
    for decision in result.decisions:
        payer_key_id, counter, payment_hash = decision.key
        link = _link(result.book.device(payer_key_id).chain, counter, payment_hash)
        if link is None:
            continue  # unknown payer or bad signature: not in any chain, may come again
        reserve, guarantee = paid.get(payment_hash, unpaid)
        verdict = None if decision.verdict is Verdict.DEFERRED else decision.verdict.value
        row: tuple[object, ...] = (payer_key_id, counter, payment_hash, link.previous_hash, decision.payee_id,
                                   decision.amount_tyiyn, link.cumulative_tyiyn, verdict, reserve, guarantee, run_id)
        (updates if payment_hash in loaded.known_hashes else inserts).append(row)
    if inserts:
        _insert_payments(conn, inserts)
    p = t.payments.c
    for key_id, at_counter, with_hash, _previous, _payee, _amount, _cumulative, new_verdict, reserve_part, \
            guarantee_part, _run in updates:
        conn.execute(
            update(t.payments)
            .where(p.payer_key_id == key_id, p.counter == at_counter, p.payment_hash == with_hash)
            .values(verdict=new_verdict, reserve_tyiyn=reserve_part, guarantee_tyiyn=guarantee_part, run_id=run_id)
        )
    changed = {k for k, book in result.book.devices.items() if book is not loaded.book.devices.get(k)}
    _save_totals(conn, loaded, result.book, changed | set(defunded), defunded)
    return sum(1 for d in result.decisions if d.verdict is not Verdict.DEFERRED)


_PAYMENT_COLUMNS: Final = tuple(c.name for c in t.payments.columns)


def _insert_payments(conn: Connection, rows: list[tuple[object, ...]]) -> None:
    """Insert new payment rows (tuples in `_PAYMENT_COLUMNS` order): on PostgreSQL with COPY
    (a million rows per sync run is the design load, and row-by-row INSERTs would take
    minutes); elsewhere executemany."""
    if conn.dialect.name != "postgresql":
        conn.execute(t.payments.insert(), [dict(zip(_PAYMENT_COLUMNS, row, strict=True)) for row in rows])
        return
    raw: Any = conn.connection.driver_connection  # psycopg.Connection (typed loosely by SQLAlchemy)
    invariant(raw is not None, "a PostgreSQL connection has a driver connection")
    columns = ", ".join(_PAYMENT_COLUMNS)
    with raw.cursor() as cursor, cursor.copy(f"COPY {t.payments.name} ({columns}) FROM STDIN") as copy:
        write_row = copy.write_row
        for row in rows:
            write_row(row)


def _link(chain: Mapping[int, Sequence[Link]], counter: int, payment_hash: bytes) -> Link | None:
    """The link of `payment_hash` at `counter` in a payer's chain, if it is there."""
    for link in chain.get(counter, ()):
        if link.payment_hash == payment_hash:
            return link
    return None


def _save_totals(
    conn: Connection, loaded: LoadedBook, book: SettlementBook, key_ids: Iterable[bytes], defunded: Mapping[bytes, int]
) -> None:
    b = t.device_books.c
    for key_id in sorted(key_ids):
        device = book.device(key_id)
        values = {
            "reserve_paid_tyiyn": device.reserve_paid_tyiyn,
            "guarantee_paid_tyiyn": device.guarantee_paid_tyiyn,
            "defunded_tyiyn": loaded.defunded_tyiyn.get(key_id, 0) + defunded.get(key_id, 0),
            "findings": json.dumps(sorted([f.fraud.value, f.counter] for f in device.findings)),
        }
        done = conn.execute(update(t.device_books).where(b.key_id == key_id).values(**values)).rowcount
        if not done:
            conn.execute(t.device_books.insert().values(key_id=key_id, **values))


def _findings(key_id: bytes, stored: str) -> frozenset[Finding]:
    return frozenset(Finding(key_id, Fraud(fraud), counter) for fraud, counter in json.loads(stored))
