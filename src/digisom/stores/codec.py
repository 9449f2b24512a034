"""What the SQL stores share: row encoding (records to parameter tuples and back) and
the SQL text that is the same in both databases.

Both databases store ids and user_data_128 as 16-byte big-endian bytes (fixed width, so
byte order is numeric order). They differ in how they hold amounts and u64 values:
SQLite as big-endian blobs (its INTEGER is signed 64-bit), PostgreSQL as NUMERIC, which
psycopg reads and writes as Python ints. A `Codec` names those two conversions; the
row functions below are written once and take the codec.

Column order is the field order of the records (`Account._fields`, ...), so a SELECT
built from `columns(...)` decodes positionally. The row builders run for every row of
every batch: they unpack each record in the loop header (measured 2.5x faster than
attribute access on NamedTuples), call `int.to_bytes` and `int.from_bytes` directly
rather than through a wrapper, and yield rows lazily so the driver consumes each tuple
as it is made instead of holding a batch of garbage.

The shared statements differ only in placeholder syntax (`:name` for sqlite3,
`%(name)s` for psycopg); `build_queries` writes them once for either style. Each text is
built once per process, so both drivers keep reusing its prepared form.
"""
# ruff: noqa: S608 - SQL text is assembled from constant table and column names only.

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from digisom.ledger.model import PAGE_LIMIT_MAX, Account, AccountFilter, Balance, Pending, PendingState, Transfer
from digisom.ledger.store import CodeTotals, CommittedBatch, JournalRecord, LedgerTotals

Row = tuple[Any, ...]

ACCOUNT_COLUMNS: Final = Account._fields
TRANSFER_COLUMNS: Final = Transfer._fields
PENDING_COLUMNS: Final = Pending._fields
BALANCE_COLUMNS: Final = Balance._fields
TOTALS_COLUMNS: Final = ("ledger", "debits_pending", "debits_posted", "credits_pending", "credits_posted")
JOURNAL_COLUMNS: Final = ("seq", "prev_hash", "hash", "payload")
# Row layout of `account_balance_rows`: what a batch changes on an existing account.
ACCOUNT_BALANCE_COLUMNS: Final = ("id", "flags", "debits_pending", "debits_posted", "credits_pending", "credits_posted")


def columns(names: Sequence[str], alias: str = "") -> str:
    """A comma-separated column list, optionally qualified by a table alias."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + name for name in names)


def id_bytes(value: int) -> bytes:
    """A u128 as 16 big-endian bytes."""
    return value.to_bytes(16, "big")


def id_int(data: bytes) -> int:
    """16 big-endian bytes as an int."""
    return int.from_bytes(data, "big")


def u64_bytes(value: int) -> bytes:
    """A u64 as 8 big-endian bytes."""
    return value.to_bytes(8, "big")


def u256_bytes(value: int) -> bytes:
    """A u256 (a ledger total) as 32 big-endian bytes."""
    return value.to_bytes(32, "big")


@dataclass(frozen=True, slots=True)
class Codec:
    """How one database holds u128 amounts, u64 values and u256 ledger totals, both ways."""

    amount_out: Callable[[int], Any]
    amount_in: Callable[[Any], int]
    u64_out: Callable[[int], Any]
    u64_in: Callable[[Any], int]
    # A ledger's totals sum many u128 balances, so they may pass u128 (migration 0002).
    total_out: Callable[[int], Any]
    total_in: Callable[[Any], int]


# `int` of an int is the same object: the cheapest identity available in C.
SQLITE_CODEC: Final = Codec(
    amount_out=id_bytes, amount_in=id_int, u64_out=u64_bytes, u64_in=id_int, total_out=u256_bytes, total_in=id_int
)
POSTGRES_CODEC: Final = Codec(amount_out=int, amount_in=int, u64_out=int, u64_in=int, total_out=int, total_in=int)


# -- records to rows ---------------------------------------------------------------------


def account_rows(accounts: Iterable[Account], codec: Codec) -> Iterator[Row]:
    """Rows in ACCOUNT_COLUMNS order."""
    amount, u64 = codec.amount_out, codec.u64_out
    return (
        (
            id_.to_bytes(16, "big"), ledger, code, flags, ud128.to_bytes(16, "big"), u64(ud64), ud32,
            amount(dp), amount(dpo), amount(cp), amount(cpo), timestamp,
        )
        for id_, ledger, code, flags, ud128, ud64, ud32, dp, dpo, cp, cpo, timestamp in accounts
    )


def account_balance_rows(accounts: Iterable[Account], codec: Codec) -> Iterator[Row]:
    """Rows in ACCOUNT_BALANCE_COLUMNS order."""
    amount = codec.amount_out
    return (
        (id_.to_bytes(16, "big"), flags, amount(dp), amount(dpo), amount(cp), amount(cpo))
        for id_, _ledger, _code, flags, _ud128, _ud64, _ud32, dp, dpo, cp, cpo, _timestamp in accounts
    )


def transfer_rows(transfers: Iterable[Transfer], codec: Codec) -> Iterator[Row]:
    """Rows in TRANSFER_COLUMNS order."""
    amount, u64 = codec.amount_out, codec.u64_out
    return (
        (
            id_.to_bytes(16, "big"), debit.to_bytes(16, "big"), credit.to_bytes(16, "big"), amount(value),
            ledger, code, flags, pending_id.to_bytes(16, "big"), timeout_s,
            ud128.to_bytes(16, "big"), u64(ud64), ud32, timestamp,
        )
        for id_, debit, credit, value, ledger, code, flags, pending_id, timeout_s, ud128, ud64, ud32, timestamp
        in transfers
    )


def pending_rows(pendings: Iterable[Pending], codec: Codec) -> Iterator[Row]:
    """Rows in PENDING_COLUMNS order."""
    amount = codec.amount_out
    return (
        (
            id_.to_bytes(16, "big"), debit.to_bytes(16, "big"), credit.to_bytes(16, "big"), amount(value),
            ledger, code, flags, expires_at, int(state),
        )
        for id_, debit, credit, value, ledger, code, flags, expires_at, state in pendings
    )


def id_value_rows(pairs: Iterable[tuple[int, int]]) -> Iterator[Row]:
    """(id, small int) pairs, e.g. pending states or failed results, as rows."""
    return ((key.to_bytes(16, "big"), int(value)) for key, value in pairs)


def balance_rows(balances: Iterable[Balance], codec: Codec) -> Iterator[Row]:
    """Rows in BALANCE_COLUMNS order."""
    amount = codec.amount_out
    return (
        (account_id.to_bytes(16, "big"), timestamp, amount(dp), amount(dpo), amount(cp), amount(cpo))
        for account_id, timestamp, dp, dpo, cp, cpo in balances
    )


def journal_params(batch: CommittedBatch) -> tuple[dict[str, Any], dict[str, Any]]:
    """Named parameters of the shared `move_head` and `insert_journal` statements."""
    record = batch.journal
    move = {
        "seq": record.seq, "hash": record.hash, "timestamp": batch.timestamp_max,
        "prev_seq": record.seq - 1, "prev_hash": record.prev_hash,
    }
    insert = {"seq": record.seq, "prev_hash": record.prev_hash, "hash": record.hash, "payload": record.payload}
    return move, insert


def totals_params(totals: Iterable[LedgerTotals], codec: Codec) -> list[dict[str, Any]]:
    """Named parameters (TOTALS_COLUMNS) per ledger, for the shared upsert statement."""
    total = codec.total_out
    return [
        {
            "ledger": t.ledger,
            "debits_pending": total(t.debits_pending), "debits_posted": total(t.debits_posted),
            "credits_pending": total(t.credits_pending), "credits_posted": total(t.credits_posted),
        }
        for t in totals
    ]


# -- rows to records ---------------------------------------------------------------------


def accounts_from_rows(rows: Iterable[Row], codec: Codec) -> list[Account]:
    """Accounts from rows in ACCOUNT_COLUMNS order."""
    from_id, amount, u64 = int.from_bytes, codec.amount_in, codec.u64_in
    return [
        Account(
            from_id(id_, "big"), ledger, code, flags, from_id(ud128, "big"), u64(ud64), ud32,
            amount(dp), amount(dpo), amount(cp), amount(cpo), timestamp,
        )
        for id_, ledger, code, flags, ud128, ud64, ud32, dp, dpo, cp, cpo, timestamp in rows
    ]


def transfers_from_rows(rows: Iterable[Row], codec: Codec) -> list[Transfer]:
    """Transfers from rows in TRANSFER_COLUMNS order."""
    from_id, amount, u64 = int.from_bytes, codec.amount_in, codec.u64_in
    return [
        Transfer(
            from_id(id_, "big"), from_id(debit, "big"), from_id(credit, "big"), amount(value), ledger, code, flags,
            from_id(pending_id, "big"), timeout_s, from_id(ud128, "big"), u64(ud64), ud32, timestamp,
        )
        for id_, debit, credit, value, ledger, code, flags, pending_id, timeout_s, ud128, ud64, ud32, timestamp
        in rows
    ]


def pendings_from_rows(rows: Iterable[Row], codec: Codec) -> list[Pending]:
    """Pendings from rows in PENDING_COLUMNS order."""
    from_id, amount = int.from_bytes, codec.amount_in
    return [
        Pending(
            from_id(id_, "big"), from_id(debit, "big"), from_id(credit, "big"), amount(value),
            ledger, code, flags, expires_at, PendingState(state),
        )
        for id_, debit, credit, value, ledger, code, flags, expires_at, state in rows
    ]


def balances_from_rows(rows: Iterable[Row], codec: Codec) -> list[Balance]:
    """Balances from rows in BALANCE_COLUMNS order."""
    from_id, amount = int.from_bytes, codec.amount_in
    return [
        Balance(from_id(account_id, "big"), timestamp, amount(dp), amount(dpo), amount(cp), amount(cpo))
        for account_id, timestamp, dp, dpo, cp, cpo in rows
    ]


def totals_from_rows(rows: Iterable[Row], codec: Codec) -> list[LedgerTotals]:
    """Ledger totals from rows in TOTALS_COLUMNS order."""
    total = codec.total_in
    return [LedgerTotals(ledger, total(dp), total(dpo), total(cp), total(cpo)) for ledger, dp, dpo, cp, cpo in rows]


def code_totals_from_rows(ledger: int, rows: Iterable[Row], codec: Codec) -> list[CodeTotals]:
    """Code totals of `ledger` from rows of (code, accounts, dp, dpo, cp, cpo)."""
    total = codec.total_in
    return [CodeTotals(ledger, code, count, total(dp), total(dpo), total(cp), total(cpo))
            for code, count, dp, dpo, cp, cpo in rows]


def journal_from_rows(rows: Iterable[Row]) -> list[JournalRecord]:
    """Journal records from rows in JOURNAL_COLUMNS order."""
    return [JournalRecord(r[0], bytes(r[1]), bytes(r[2]), bytes(r[3])) for r in rows]


# -- shared SQL text ---------------------------------------------------------------------

Placeholder = Callable[[str], str]
# Timestamps are below 2^63; a filter's timestamp_max of 0 means "no upper bound".
TIMESTAMP_MAX: Final = (1 << 63) - 1


def sqlite_placeholder(name: str) -> str:
    """sqlite3's named parameter."""
    return f":{name}"


def psycopg_placeholder(name: str) -> str:
    """psycopg's named parameter."""
    return f"%({name})s"


def filter_params(query: AccountFilter, account_key: object) -> dict[str, object]:
    """The named parameters of the account page queries; `account_key` is the encoded id."""
    return {
        "account_id": account_key,
        "timestamp_min": query.timestamp_min,
        "timestamp_max": query.timestamp_max or TIMESTAMP_MAX,
        "debits": query.debits,
        "credits": query.credits,
        # SQLite reads a negative LIMIT as "no limit"; a page never exceeds PAGE_LIMIT_MAX.
        "limit": min(max(query.limit, 0), PAGE_LIMIT_MAX),
    }


@dataclass(frozen=True, slots=True)
class Queries:
    """The shared statements, in one placeholder style."""

    head: str
    move_head: str
    insert_journal: str
    upsert_totals: str
    pendings_due: str
    ledger_totals: str
    code_totals: str
    scan_accounts: str
    scan_journal: str
    # Indexed by AccountFilter.reversed.
    account_transfers: tuple[str, str]
    account_balances: tuple[str, str]


def build_queries(p: Placeholder, total_sum: str = "sum") -> Queries:
    """The shared statements with placeholders made by `p`; `total_sum` is the aggregate
    that adds u128 balances into a u256 total (SQLite registers its own on each connection)."""
    balance_sums = ", ".join(f"{total_sum}({c})" for c in TOTALS_COLUMNS[1:])
    totals_set = ", ".join(f"{c} = excluded.{c}" for c in TOTALS_COLUMNS[1:])
    return Queries(
        head="SELECT seq, hash, timestamp FROM journal_head",
        # Moves the head only from the record this batch follows: a second check, besides
        # the writer lock, that the journal stays contiguous and chained.
        move_head=(
            f"UPDATE journal_head SET seq = {p('seq')}, hash = {p('hash')}, timestamp = {p('timestamp')} "
            f"WHERE seq = {p('prev_seq')} AND hash = {p('prev_hash')}"
        ),
        insert_journal=(
            f"INSERT INTO journal ({columns(JOURNAL_COLUMNS)}) "
            f"VALUES ({', '.join(p(c) for c in JOURNAL_COLUMNS)})"
        ),
        upsert_totals=(
            f"INSERT INTO ledger_totals ({columns(TOTALS_COLUMNS)}) "
            f"VALUES ({', '.join(p(c) for c in TOTALS_COLUMNS)}) "
            f"ON CONFLICT (ledger) DO UPDATE SET {totals_set}"
        ),
        # The literal `state = 1 AND expires_at > 0` lets both planners use the partial index.
        pendings_due=(
            f"SELECT {columns(PENDING_COLUMNS)} FROM pendings "
            f"WHERE state = 1 AND expires_at > 0 AND expires_at <= {p('now')} "
            f"ORDER BY expires_at, id LIMIT {p('limit')}"
        ),
        ledger_totals=f"SELECT {columns(TOTALS_COLUMNS)} FROM ledger_totals ORDER BY ledger",
        code_totals=(
            f"SELECT code, count(*), {balance_sums} FROM accounts "
            f"WHERE ledger = {p('ledger')} GROUP BY code ORDER BY code"
        ),
        scan_accounts=(
            f"SELECT {columns(ACCOUNT_COLUMNS)} FROM accounts WHERE id > {p('after')} ORDER BY id LIMIT {p('limit')}"
        ),
        scan_journal=(
            f"SELECT {columns(JOURNAL_COLUMNS)} FROM journal WHERE seq > {p('after')} ORDER BY seq LIMIT {p('limit')}"
        ),
        account_transfers=(_account_transfers(p, "ASC"), _account_transfers(p, "DESC")),
        account_balances=(_account_balances(p, "ASC"), _account_balances(p, "DESC")),
    )


def _account_transfers(p: Placeholder, direction: str) -> str:
    # One index range scan per side, each stopped at the page size, then merged: a busy
    # account's page costs `limit` rows, not its whole history. A transfer cannot debit
    # and credit the same account (a CHECK), so UNION ALL never yields a row twice.
    def side(column: str, selected: str) -> str:
        return (
            f"SELECT * FROM (SELECT {columns(TRANSFER_COLUMNS)} FROM transfers "
            f"WHERE {p(selected)} AND {column} = {p('account_id')} "
            f"AND timestamp BETWEEN {p('timestamp_min')} AND {p('timestamp_max')} "
            f"ORDER BY timestamp {direction} LIMIT {p('limit')}) AS {selected}"
        )

    return (
        f"{side('debit_account_id', 'debits')} UNION ALL {side('credit_account_id', 'credits')} "
        f"ORDER BY timestamp {direction} LIMIT {p('limit')}"
    )


def _account_balances(p: Placeholder, direction: str) -> str:
    # A balance row is taken at a transfer's timestamp; the join says on which side the
    # account was. Rows with no transfer (a pending transfer's expiry) belong to neither
    # side, so they appear only when both debits and credits are asked for.
    return (
        f"SELECT {columns(BALANCE_COLUMNS, 'b')} FROM balances_history AS b "
        f"LEFT JOIN transfers AS t ON t.timestamp = b.timestamp "
        f"WHERE b.account_id = {p('account_id')} "
        f"AND b.timestamp BETWEEN {p('timestamp_min')} AND {p('timestamp_max')} "
        f"AND (({p('debits')} AND {p('credits')}) "
        f"OR ({p('debits')} AND t.debit_account_id = b.account_id) "
        f"OR ({p('credits')} AND t.credit_account_id = b.account_id)) "
        f"ORDER BY b.timestamp {direction} LIMIT {p('limit')}"
    )
