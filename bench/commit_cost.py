"""What one commit of a full batch writes: rows, index entries and bytes, per table.

    .venv/bin/python bench/commit_cost.py                     # 10,000 accounts
    .venv/bin/python bench/commit_cost.py --accounts 1000000

Runs `bench/ledger_workload.py`'s workload (random pairs, 10% hot accounts, 2%
two-phase, ~1% refused) through the ledger on a throwaway PostgreSQL (durable defaults)
and an SQLite file: accounts, funding and a few warm-up batches, then measures one batch
of the CLI's default size (8,190 transfers) by what the database wrote for it.

- `rows`: rows inserted plus rows updated (PostgreSQL's statistics; SQLite: row counts
  before and after, plus the accounts the batch updated).
- `index_entries`: entries added to secondary b-trees (every index of the table except,
  in SQLite, the table's own b-tree). An UPDATE adds none when it is HOT (PostgreSQL:
  no indexed column changed and room on the page) or, in SQLite, when no indexed column
  changed.
- `wal_bytes`: PostgreSQL's WAL records (pg_walinspect), each counted at the relation
  its first block belongs to (an index record counts for its table; records with no
  block, such as the commit record, under `other`), with full-page images apart
  (`fpi_bytes`). SQLite: the WAL frames the commit appended (page + 24-byte header),
  by the b-tree each page belongs to (dbstat).
- `commit_ms`: the store's `commit` call alone (noisy on a busy machine; the counts are not).

Prints one JSON line, with the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import struct
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import psycopg

from digisom.cli.main import DEFAULT_BATCH_SIZE
from digisom.devtools.postgres_server import TemporaryPostgres
from digisom.ledger.service import Ledger
from digisom.ledger.store import CommittedBatch
from digisom.stores.url import open_store
from ledger_workload import Workload, make_workload

WARM_BATCHES = 3
TABLES = ("accounts", "transfers", "pendings", "failed_transfers", "balances_history", "ledger_totals", "journal",
          "journal_head")
_BLOCK_REF = re.compile(r"rel \d+/\d+/(\d+)")


def _ledger_until_measured(url: str, workload: Workload) -> tuple[Ledger, list[float]]:
    """A ledger with the workload's accounts, funding and first batches committed; its
    store's `commit` records its wall time from now on."""
    store = open_store(url)
    ledger = Ledger(store)
    for accounts in workload.account_batches(DEFAULT_BATCH_SIZE):
        ledger.create_accounts(accounts)
    for funding in workload.funding:
        ledger.create_transfers(funding)
    for batch in workload.batches[:WARM_BATCHES]:
        ledger.create_transfers(batch)
    commit_ms: list[float] = []
    commit: Callable[[CommittedBatch], None] = store.commit

    def timed(batch: CommittedBatch) -> None:
        started = time.perf_counter()
        commit(batch)
        commit_ms.append((time.perf_counter() - started) * 1000)

    store.commit = timed  # type: ignore[method-assign]
    return ledger, commit_ms


def _pg_snapshot(conn: psycopg.Connection[Any]) -> dict[str, tuple[int, int, int, int]]:
    rows = conn.execute(
        "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, pg_total_relation_size(relid) "
        "FROM pg_stat_user_tables WHERE relname = ANY(%s)", (list(TABLES),)).fetchall()
    return {name: (ins, upd, hot, size) for name, ins, upd, hot, size in rows}


def _flush_statistics(ledger: Ledger) -> None:
    """The writer's statistics reach the shared view when its backend next goes idle."""
    ledger.store._conn.execute("SELECT pg_stat_force_next_flush()")  # type: ignore[attr-defined]
    time.sleep(0.5)


def postgres_cost(workload: Workload) -> dict[str, Any]:
    with TemporaryPostgres() as server:
        url = server.create_database("ledger")
        ledger, commit_ms = _ledger_until_measured(url, workload)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
            indexes = dict(conn.execute(
                "SELECT c.relname, count(*) FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indrelid "
                "GROUP BY c.relname").fetchall())
            # relfilenode of every table, index and TOAST relation -> the table it serves
            owner = {str(node): name for node, name in conn.execute(
                "SELECT c.relfilenode, coalesce(tt.relname, ti.relname, t.relname, c.relname) FROM pg_class AS c "
                "LEFT JOIN pg_index AS i ON i.indexrelid = c.oid LEFT JOIN pg_class AS t ON t.oid = i.indrelid "
                "LEFT JOIN pg_class AS tt ON tt.reltoastrelid = c.oid "
                "LEFT JOIN pg_class AS ti ON ti.reltoastrelid = t.oid WHERE c.relfilenode <> 0").fetchall()}
            _flush_statistics(ledger)  # the warm-up batches' counts, so they are not the measured batch's
            before = _pg_snapshot(conn)
            (start_lsn,) = conn.execute("SELECT pg_current_wal_lsn()").fetchone() or (None,)
            ledger.create_transfers(workload.batches[WARM_BATCHES])
            (end_lsn,) = conn.execute("SELECT pg_current_wal_lsn()").fetchone() or (None,)
            _flush_statistics(ledger)
            after = _pg_snapshot(conn)
            records = conn.execute(
                "SELECT record_length, fpi_length, block_ref FROM pg_get_wal_records_info(%s, %s)",
                (start_lsn, end_lsn)).fetchall()
            checkpoints = conn.execute("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter").fetchone()
        ledger.store.close()
    wal: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for length, fpi, block_ref in records:
        found = _BLOCK_REF.search(block_ref or "")
        name = owner.get(found.group(1), "other") if found else "other"
        wal[name][0] += length
        wal[name][1] += fpi
    tables: dict[str, dict[str, int]] = {}
    for name in sorted(set(TABLES) | set(wal) - {"other"}):
        ins, upd, hot, size = (a - b for a, b in zip(after.get(name, (0,) * 4), before.get(name, (0,) * 4),
                                                     strict=True))
        tables[name] = {"rows": ins + upd, "inserted": ins, "updated": upd, "hot_updates": hot,
                        "index_entries": (ins + upd - hot) * indexes.get(name, 0),
                        "wal_bytes": wal[name][0], "fpi_bytes": wal[name][1], "size_growth_bytes": size}
    return {"tables": tables, "wal_bytes": sum(v[0] for v in wal.values()),
            "fpi_bytes": sum(v[1] for v in wal.values()), "other_wal_bytes": wal["other"][0],
            "wal_records": len(records), "commit_ms": round(commit_ms[-1], 1), "checkpoints_so_far": checkpoints}


def _wal_pages(wal: Path, page_size: int) -> list[int]:
    """Page numbers of the frames in an SQLite WAL file (32-byte header, 24-byte frame headers)."""
    data = wal.read_bytes()
    frame = 24 + page_size
    return [struct.unpack_from(">I", data, offset)[0] for offset in range(32, len(data) - frame + 1, frame)]


def sqlite_cost(workload: Workload, directory: Path) -> dict[str, Any]:
    path = directory / "ledger.db"
    ledger, commit_ms = _ledger_until_measured(f"sqlite:///{path}", workload)
    conn: sqlite3.Connection = ledger.store._conn  # type: ignore[attr-defined]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    counts = {name: conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in TABLES}
    ledger.create_transfers(workload.batches[WARM_BATCHES])
    pages = _wal_pages(Path(f"{path}-wal"), page_size)
    table_of = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')"))
    btree_of = {page: table_of.get(name, name) for name, page in conn.execute("SELECT name, pageno FROM dbstat")}
    secondary = {name: len(conn.execute(f"PRAGMA index_list({name})").fetchall()) for name in TABLES}
    updated = {"accounts": len({i for t in workload.batches[WARM_BATCHES]
                                for i in (t.debit_account_id, t.credit_account_id) if i}),
               "journal_head": 1, "ledger_totals": 1}
    wal: dict[str, int] = defaultdict(int)
    for page in pages:
        wal[btree_of.get(page, "other")] += 24 + page_size
    tables: dict[str, dict[str, int]] = {}
    for name in TABLES:
        inserted = conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0] - counts[name]
        # The updated accounts are an upper bound: a refused transfer's accounts are not written.
        tables[name] = {"rows": inserted + updated.get(name, 0), "inserted": inserted,
                        "updated": updated.get(name, 0), "index_entries": inserted * secondary[name],
                        "wal_bytes": wal[name], "wal_pages": wal[name] // (24 + page_size)}
    for name in set(wal) - set(TABLES) - {"other"}:  # e.g. sqlite_schema: pages, no rows to count
        tables[name] = {"wal_bytes": wal[name], "wal_pages": wal[name] // (24 + page_size)}
    ledger.store.close()
    return {"tables": tables, "wal_bytes": sum(wal.values()), "wal_frames": len(pages), "page_size": page_size,
            "other_wal_bytes": wal["other"], "commit_ms": round(commit_ms[-1], 1)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--only", choices=["postgres", "sqlite"])
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    workload = make_workload(args.accounts, (WARM_BATCHES + 1) * DEFAULT_BATCH_SIZE, DEFAULT_BATCH_SIZE)
    measured = workload.batches[WARM_BATCHES]
    figures: dict[str, Any] = {
        "accounts": args.accounts, "batch_transfers": len(measured),
        "touched_accounts": len({i for t in measured for i in (t.debit_account_id, t.credit_account_id) if i}),
    }
    if args.only != "sqlite":
        figures["postgres"] = postgres_cost(workload)
    if args.only != "postgres":
        with tempfile.TemporaryDirectory() as scratch:
            figures["sqlite"] = sqlite_cost(workload, Path(scratch))
    figures["load_average_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
