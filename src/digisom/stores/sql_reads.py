"""The read side of the SQL stores, written once for SQLite and PostgreSQL.

A store supplies its codec, its statements, the texts of its four id lookups, and two
primitives: `_fetch` (one statement, all rows) and `_lookup` (rows for a set of ids, in
as few statements as the database allows).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Literal

from digisom.ledger.model import Account, AccountFilter, Balance, Pending, Transfer
from digisom.ledger.store import (
    BatchReads,
    CodeTotals,
    JournalHead,
    JournalRecord,
    LedgerStore,
    LedgerTotals,
    read_batch_one_by_one,
)
from digisom.stores import codec
from digisom.stores.codec import Codec, Queries, filter_params, id_bytes

Lookup = Literal["accounts", "transfers", "failed", "pendings"]


class SqlReads:
    """`LedgerStore` reads in terms of `_fetch` and `_lookup`."""

    _codec: Codec
    _q: Queries

    def _fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        raise NotImplementedError

    def _lookup(self, kind: Lookup, ids: Collection[int]) -> list[Any]:
        raise NotImplementedError

    def _head(self) -> JournalHead:
        raise NotImplementedError

    def head(self) -> JournalHead:
        """The last committed journal head."""
        return self._head()

    def get_accounts(self, ids: Collection[int]) -> dict[int, Account]:
        """The accounts among `ids` that exist."""
        return self._accounts_found(self._lookup("accounts", ids))

    def get_transfers(self, ids: Collection[int]) -> dict[int, Transfer]:
        """The transfers among `ids` that exist."""
        return self._transfers_found(self._lookup("transfers", ids))

    def get_failed_transfer_ids(self, ids: Collection[int]) -> dict[int, int]:
        """Of `ids`, those that failed on a transient result, with that result code."""
        return self._failed_found(self._lookup("failed", ids))

    def get_pendings(self, ids: Collection[int]) -> dict[int, Pending]:
        """The pending transfers among `ids`, with their live state."""
        return self._pendings_found(self._lookup("pendings", ids))

    # The rows of each lookup, decoded and keyed by id.

    def _accounts_found(self, rows: list[Any]) -> dict[int, Account]:
        return {a.id: a for a in codec.accounts_from_rows(rows, self._codec)}

    def _transfers_found(self, rows: list[Any]) -> dict[int, Transfer]:
        return {t.id: t for t in codec.transfers_from_rows(rows, self._codec)}

    def _failed_found(self, rows: list[Any]) -> dict[int, int]:
        return {codec.id_int(key): result for key, result in rows}

    def _pendings_found(self, rows: list[Any]) -> dict[int, Pending]:
        return {p.id: p for p in codec.pendings_from_rows(rows, self._codec)}

    def get_pendings_due(self, now_ns: int, limit: int) -> list[Pending]:
        """Live pendings with `0 < expires_at <= now_ns`, soonest first."""
        rows = self._fetch(self._q.pendings_due, {"now": now_ns, "limit": limit})
        return codec.pendings_from_rows(rows, self._codec)

    def read_batch(
        self,
        now_ns: int,
        due_limit: int,
        account_ids: Collection[int],
        transfer_ids: Collection[int],
        pending_ids: Collection[int],
    ) -> BatchReads:
        """The reads before a batch; one after the other unless a store can do better."""
        store: LedgerStore = self  # type: ignore[assignment]  # the SQL stores are complete LedgerStores
        return read_batch_one_by_one(store, now_ns, due_limit, account_ids, transfer_ids, pending_ids)

    def get_ledger_totals(self) -> list[LedgerTotals]:
        """The per-ledger sums, ordered by ledger."""
        return codec.totals_from_rows(self._fetch(self._q.ledger_totals), self._codec)

    def get_code_totals(self, ledger: int) -> list[CodeTotals]:
        """Per account code of `ledger`, its accounts' sums: one GROUP BY."""
        return codec.code_totals_from_rows(ledger, self._fetch(self._q.code_totals, {"ledger": ledger}), self._codec)

    def get_account_transfers(self, query: AccountFilter) -> list[Transfer]:
        """A page of an account's transfers by timestamp; see `AccountFilter`."""
        rows = self._fetch(self._q.account_transfers[query.reversed], filter_params(query, id_bytes(query.account_id)))
        return codec.transfers_from_rows(rows, self._codec)

    def get_account_balances(self, query: AccountFilter) -> list[Balance]:
        """A page of an account's balance history by timestamp; see `AccountFilter`."""
        rows = self._fetch(self._q.account_balances[query.reversed], filter_params(query, id_bytes(query.account_id)))
        return codec.balances_from_rows(rows, self._codec)

    def scan_accounts(self, after_id: int, limit: int) -> list[Account]:
        """Accounts with id > `after_id`, by id, at most `limit`."""
        rows = self._fetch(self._q.scan_accounts, {"after": id_bytes(after_id), "limit": limit})
        return codec.accounts_from_rows(rows, self._codec)

    def scan_journal(self, after_seq: int, limit: int) -> list[JournalRecord]:
        """Journal records with seq > `after_seq`, by seq, at most `limit`."""
        return codec.journal_from_rows(self._fetch(self._q.scan_journal, {"after": after_seq, "limit": limit}))
