"""The public records chapter of `digisom demo`: everything the earlier chapters published
(issuance, payment runs and public spending, register and licence events, USDKG audits and
coverage, proofs of reserves, KGST's reserve, VASP volumes, the crypto reserve's
publications) goes into the append-only public log with the ledger journal's head; the
signed tree head is anchored on the in-process EVM; the app is served in process and
`digisom verify-public`'s checks run against it (every signature, inclusion and
consistency proof, the anchor on the chain, every figure recomputed). Then a copy of the
world has one logged record edited in its database, and the same checks name it. The
closing check is False on any mismatch.

The anchoring chain lives only in this process, so the chapter is told once per world; a
later run checks the log it left (signatures, proofs, figures; not the gone chain)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Final

from fastapi.testclient import TestClient
from rich.console import Console
from sqlalchemy import text

from digisom.api.public_verifier import verify_public_log
from digisom.api.runtime import Runtime, build, database_url, domain_engine
from digisom.api.transparency_wiring import CHECKPOINT
from digisom.chain.anchor import ChainAnchorer
from digisom.chain.embedded import EmbeddedChain
from digisom.chain.keys import generate_key
from digisom.chain.transactor import Transactor
from digisom.demos.world import DemoWorld
from digisom.http.services import filled
from digisom.kernel.canonical_json import canonical_json
from digisom.transparency.verify import Discrepancy, Findings

CHAPTER: Final = "public_records"
ANCHOR_CHAIN_ID: Final = 31337  # a development chain's id: the in-process EVM, nothing of value
ONE_ETH_WEI: Final = 10**18
# What the earlier chapters publish that the log must hold (the figures verify-public recomputes).
# Not `vasp_volume`: the register chapter's two exchanges are under the threshold at which a
# month's VASP figures go public (`vasp_reports.aggregates.PUBLIC_REPORTERS_MIN`).
EXPECTED_KINDS: Final = frozenset({"issuance_report", "disbursement_run", "public_spending", "register_event",
                                   "licence_event", "kgst_reserve", "reserve_publication", "ledger_head"})
SERVED_AT: Final = "http://testserver"


def run_public_records_demo(world: DemoWorld, out_dir: Path | None, console: Console) -> bool:
    """Tell the public log's story; True if every check held (told once per world)."""
    console.rule("Public records: a log anyone can verify, anchored on chain")
    if world.told(CHAPTER):
        return _recheck(world, console)
    told = _tell(world, console)
    world.mark_told(CHAPTER)
    return told


def _tell(world: DemoWorld, console: Console) -> bool:
    chain = EmbeddedChain(ANCHOR_CHAIN_ID)
    key = generate_key()
    chain.fund(key.address, ONE_ETH_WEI)
    runtime = world.build(log_anchorer=ChainAnchorer(Transactor(chain, key)))
    try:
        head = filled(runtime.app, CHECKPOINT)()
        console.print(f"  checkpoint: {head.tree_size} records logged, tree head signed "
                      f"(root {head.root_hash.hex()[:16]}…) and anchored on chain {ANCHOR_CHAIN_ID}")
        clean = _verified(runtime, console, "the served log", chain)
    finally:
        runtime.close()
    missing = sorted(EXPECTED_KINDS - _kinds(world.db_url))
    if missing:
        console.print(f"  [red]not logged: {', '.join(missing)}[/red]")
    with tempfile.TemporaryDirectory(prefix="digisom-public-records-") as scratch:
        caught = _tampered_copy_fails(world, Path(scratch), console)
    return clean is not None and not missing and caught


def _verified(runtime: Runtime, console: Console, what: str, chain: EmbeddedChain | None) -> Findings | None:
    """verify-public's checks against `runtime`'s app served in process; None (and why) on a discrepancy."""
    client = TestClient(runtime.app, base_url=SERVED_AT)
    try:
        found = verify_public_log(client, chain=chain)
    except Discrepancy as error:
        console.print(f"  verify-public on {what}: [red]DISCREPANCY[/red] {error}")
        return None
    console.print(f"  verify-public on {what}: [green]ok[/green] — {found.heads} signed head(s), {found.entries} "
                  f"entries, {found.inclusion_proofs} inclusion and {found.consistency_proofs} consistency proofs, "
                  f"{found.anchors} anchor(s) {'checked on chain' if chain else 'by digest'}; figures recomputed: "
                  f"{', '.join(found.figures)}")
    return found


def _kinds(db_url: str) -> set[str]:
    """The kinds of record the log holds."""
    engine = domain_engine(db_url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(text("SELECT DISTINCT kind FROM transparency_entries")).scalars())
    finally:
        engine.dispose()


def _tampered_copy_fails(world: DemoWorld, scratch: Path, console: Console) -> bool:
    """A copy of the world with the first KGST reserve record's reserve raised in its
    database row (as someone with a database login would): verify-public must name it."""
    for item in world.data_dir.iterdir():
        if item.is_file():
            shutil.copy2(item, scratch / item.name)
    engine = domain_engine(database_url(scratch, None))
    try:
        with engine.begin() as conn:
            row = conn.execute(text("SELECT leaf_index, entry FROM transparency_entries WHERE kind = 'kgst_reserve' "
                                    "ORDER BY leaf_index LIMIT 1")).first()
            if row is None:
                console.print("  [red]no KGST reserve record to tamper with[/red]")
                return False
            entry = json.loads(row.entry)
            entry["body"]["reserve_tyiyn"] = str(int(entry["body"]["reserve_tyiyn"]) + 100_000_00)
            forged = canonical_json(entry)  # canonical: only the content, not the form, is wrong
            conn.execute(text("UPDATE transparency_entries SET entry = :entry WHERE leaf_index = :index"),
                         {"entry": forged, "index": row.leaf_index})
    finally:
        engine.dispose()
    console.print(f"  a copy of the world has record {row.leaf_index} (KGST's reserve) raised by 100,000 som "
                  "in its database")
    copy = build(data_dir=scratch, clock=world.clock)
    try:
        caught = _verified(copy, console, "the tampered copy", None) is None
    finally:
        copy.close()
    return caught


def _recheck(world: DemoWorld, console: Console) -> bool:
    console.print(f"  Told in this world already ({world.data_dir}); its anchoring chain is gone, "
                  "the log it anchored is in the database.")
    runtime = world.build()
    try:
        return _verified(runtime, console, "the served log", None) is not None
    finally:
        runtime.close()
