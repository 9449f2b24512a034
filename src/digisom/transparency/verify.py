"""What `digisom verify-public` checks of a log it downloaded, pure: each signed tree head's
signature, consistency between successive heads, every entry against its leaf hash and the
newest root, every inclusion proof, each anchor's digest, and the public figures that the
records let anyone recompute. The first discrepancy stops the check (`Discrepancy`) and
names what is wrong; fetching is `digisom.transparency.public`'s, the chain the caller's."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from digisom.transparency import merkle
from digisom.transparency.errors import RecordInvalid
from digisom.transparency.records import Record, parse_entry
from digisom.transparency.sth import TreeHead, signed_by, sth_hash

HEX: Final = frozenset("0123456789abcdef")

# A figure a record lets anyone recompute: None, or what does not add up.
FigureCheck = Callable[[Record], "str | None"]


class Discrepancy(Exception):
    """The first thing that does not check out."""


@dataclass
class Findings:
    """What was checked (for the summary line)."""

    heads: int = 0
    entries: int = 0
    inclusion_proofs: int = 0
    consistency_proofs: int = 0
    anchors: int = 0
    figures: list[str] = field(default_factory=list)


def hex_bytes(value: Any, what: str, size_bytes: int | None = None) -> bytes:
    """`value` as bytes if it is lowercase hex (of `size_bytes`, if given); `Discrepancy` naming `what`."""
    if not isinstance(value, str) or not set(value) <= HEX or len(value) % 2:
        raise Discrepancy(f"{what} is not lowercase hex")
    raw = bytes.fromhex(value)
    if size_bytes is not None and len(raw) != size_bytes:
        raise Discrepancy(f"{what} has {len(raw)} bytes, not {size_bytes}")
    return raw


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Discrepancy(f"{what} is not a non-negative integer")
    return value


def tree_head(document: Any, public_key: bytes) -> TreeHead:
    """The head a published document states, checked: its signature is the key's, and its
    `sth_hash` is the digest of what was signed."""
    if not isinstance(document, Mapping):
        raise Discrepancy("a tree head is not a JSON object")
    size = _int(document.get("tree_size"), "tree_size")
    head = TreeHead(size, hex_bytes(document.get("root_hash"), f"the root of tree {size}", merkle.HASH_BYTES),
                    _int(document.get("timestamp_ms"), f"the timestamp of tree {size}"),
                    hex_bytes(document.get("signature"), f"the signature of tree {size}", 64))
    if not signed_by(head, public_key):
        raise Discrepancy(f"signed tree head {size}: the signature is not the log key's")
    if document.get("sth_hash") != sth_hash(head).hex():
        raise Discrepancy(f"signed tree head {size}: sth_hash is not the digest of the signed head")
    return head


def check_consistency(older: TreeHead, newer: TreeHead, path_hex: Sequence[Any]) -> None:
    """`Discrepancy` unless the path proves `older`'s tree a prefix of `newer`'s."""
    path = [hex_bytes(p, "a consistency path node", merkle.HASH_BYTES) for p in path_hex]
    if newer.tree_size < older.tree_size or not merkle.verify_consistency(
            older.tree_size, newer.tree_size, path, older.root_hash, newer.root_hash):
        raise Discrepancy(f"signed tree heads {older.tree_size} and {newer.tree_size} are not consistent: "
                          "the log was rewritten")


def check_entry(document: Any, index: int) -> tuple[Record, bytes]:
    """The record and leaf hash of published entry `index`, checked: the leaf hash is
    SHA-256(0x00 || entry) and the entry is a canonical record."""
    if not isinstance(document, Mapping) or document.get("leaf_index") != index or not isinstance(
            document.get("entry"), str):
        raise Discrepancy(f"entry {index} is missing or out of order")
    entry = document["entry"].encode()
    stated = hex_bytes(document.get("leaf_hash"), f"the leaf hash of entry {index}", merkle.HASH_BYTES)
    try:
        found = parse_entry(entry)
    except RecordInvalid as error:
        raise Discrepancy(f"entry {index}: {error}") from None
    if merkle.leaf_hash(entry) != stated:
        raise Discrepancy(f"entry {index} ({found.record_id}): its content does not match its leaf hash (altered)")
    return found, stated


def check_root(head: TreeHead, leaves: Sequence[bytes]) -> None:
    """`Discrepancy` unless the leaves are the signed tree's."""
    if len(leaves) != head.tree_size or merkle.root(leaves) != head.root_hash:
        raise Discrepancy(f"the {len(leaves)} published entries do not make the signed root of tree {head.tree_size}")


def check_inclusion(document: Any, head: TreeHead, record_id: str, leaf: bytes) -> None:
    """`Discrepancy` unless a record's published proof puts the leaf in the signed tree."""
    if not isinstance(document, Mapping):
        raise Discrepancy(f"record {record_id}: no proof published")
    index = _int(document.get("leaf_index"), f"record {record_id}'s leaf index")
    entry = document.get("entry")
    if not isinstance(entry, str) or merkle.leaf_hash(entry.encode()) != leaf:
        raise Discrepancy(f"record {record_id}: the record served with its proof is not the logged entry (altered)")
    path = [hex_bytes(p, "an inclusion path node", merkle.HASH_BYTES) for p in document.get("inclusion_path", [])]
    if not merkle.verify_inclusion(index, head.tree_size, leaf, path, head.root_hash):
        raise Discrepancy(f"record {record_id}: its inclusion proof does not lead to the signed root "
                          f"of tree {head.tree_size}")


def check_anchor_digest(document: Any, heads: Mapping[int, TreeHead]) -> int:
    """The size of the head an anchor names, checked: that head was signed and the anchor
    carries its digest (the chain is checked by the caller)."""
    if not isinstance(document, Mapping):
        raise Discrepancy("an anchor is not a JSON object")
    size = _int(document.get("tree_size"), "an anchor's tree size")
    head = heads.get(size)
    if head is None:
        raise Discrepancy(f"the anchor of tree {size} names no signed tree head")
    if document.get("sth_hash") != sth_hash(head).hex():
        raise Discrepancy(f"the anchor of tree {size} does not carry that head's digest")
    return size


def _tyiyn(value: Any, what: str) -> int:
    if not isinstance(value, str) or not value.isdigit():
        raise Discrepancy(f"{what} is not an integer amount")
    return int(value)


def _issuance(record: Record) -> str | None:
    body = record.body
    circulation = _tyiyn(body.get("circulation_tyiyn"), f"{record.record_id}: circulation")
    held = sum(_tyiyn(v, f"{record.record_id}: {k}") for k, v in dict(body.get("by_code_tyiyn", {})).items())
    if held != circulation:
        return f"{record.record_id}: circulation {circulation} is not the sum of its holding codes ({held})"
    liability = _tyiyn(body.get("issuance_liability_tyiyn"), f"{record.record_id}: liability")
    if liability != circulation:
        return f"{record.record_id}: circulation {circulation} differs from the issuance liability {liability}"
    return None


def _run(record: Record) -> str | None:
    body = record.body
    by_status = dict(body.get("by_status", {}))
    count = sum(_int(s.get("count"), f"{record.record_id}: a count") for s in by_status.values())
    amount = sum(_tyiyn(s.get("amount_tyiyn"), f"{record.record_id}: an amount") for s in by_status.values())
    if count != body.get("rows") or amount != _tyiyn(body.get("total_tyiyn"), f"{record.record_id}: total"):
        return (f"{record.record_id}: its payments by status ({count}, {amount} tyiyn) do not add up to the run "
                f"({body.get('rows')}, {body.get('total_tyiyn')} tyiyn)")
    return None


def _spending(record: Record, runs: Mapping[str, Record]) -> str | None:
    """A programme's published total against its runs' paid amounts, as logged before it."""
    paid: dict[str, tuple[int, int]] = {}
    for run in runs.values():
        line = dict(run.body.get("by_status", {})).get("paid", {"count": 0, "amount_tyiyn": "0"})
        count, amount = paid.get(run.body["programme_id"], (0, 0))
        paid[run.body["programme_id"]] = (count + _int(line["count"], "a paid count"),
                                          amount + _tyiyn(line["amount_tyiyn"], "a paid amount"))
    programmes = dict(record.body.get("programmes", {}))
    for programme, figures in sorted(programmes.items()):
        stated = (_int(figures.get("payees"), "payees"), _tyiyn(figures.get("paid_tyiyn"), "paid"))
        if paid.get(programme, (0, 0)) != stated:
            counted = paid.get(programme, (0, 0))
            return (f"{record.record_id}: programme {programme} is published as {stated[1]} tyiyn to {stated[0]} "
                    f"payees, its logged runs paid {counted[1]} tyiyn to {counted[0]}")
    for programme in sorted(set(paid) - set(programmes)):
        if paid[programme] != (0, 0):
            return (f"{record.record_id}: programme {programme}'s logged runs paid {paid[programme][1]} tyiyn, "
                    "not published")
    for programme, figures in programmes.items():
        cells = [c for c in record.body.get("cells", []) if c.get("programme_id") == programme]
        shown = sum(_tyiyn(c["paid_tyiyn"], "a cell") for c in cells if c.get("paid_tyiyn") is not None)
        whole = all(c.get("paid_tyiyn") is not None for c in cells)
        total = _tyiyn(figures["paid_tyiyn"], "paid")
        if shown > total or (whole and shown != total):
            return f"{record.record_id}: programme {programme}'s spending cells add up to {shown}, not {total}"
    return None


def _coverage(record: Record) -> str | None:
    report = record.body.get("report")
    if not isinstance(report, str) or hashlib.sha256(report.encode()).hexdigest() != record.body.get("report_sha256"):
        return f"{record.record_id}: the report does not match its published SHA-256"
    return None


def _kgst_reserve(record: Record) -> str | None:
    """The reserve covers the supply, allowing only for what is in flight (a mint's som is
    held before its tokens exist, a redemption's released after they burn), and the report
    says so exactly when it does."""
    body, name = record.body, record.record_id
    reserve = _tyiyn(body.get("reserve_tyiyn"), f"{name}: reserve")
    minting = _tyiyn(body.get("mint_in_flight_tyiyn"), f"{name}: mint in flight")
    redeeming = _tyiyn(body.get("redeem_in_flight_tyiyn"), f"{name}: redemption in flight")
    supply_text = body.get("supply_tyiyn")
    supply = None if supply_text is None else _tyiyn(supply_text, f"{name}: supply")
    covered = supply is not None and reserve - redeeming <= supply <= reserve + minting
    if body.get("balanced") is not covered:
        return f"{name}: published as {'' if body.get('balanced') else 'not '}balanced, its figures say otherwise"
    if not covered:
        return f"{name}: KGST supply {supply_text} tyiyn is not covered by its reserve of {reserve} tyiyn"
    return None


def _summed(lines: Sequence[Any], name: str, field_name: str) -> int:
    if field_name == "trades":
        return sum(_int(line.get("trades"), f"{name}: trades") for line in lines)
    return sum(_tyiyn(line.get(field_name), f"{name}: {field_name}") for line in lines)


def _vasp_volume(record: Record) -> str | None:
    """A month's VASP aggregates add up: the month's volume and trades are its pairs',
    each asset's traded volume is the pairs it is the base of, one counted report per exchange."""
    body, name = record.body, record.record_id
    pairs, versions = list(body.get("pairs", [])), list(body.get("versions", []))
    for field_name in ("volume_tyiyn", "trades"):
        stated = body.get(field_name)
        total = _summed(pairs, name, field_name)
        if (stated if field_name == "trades" else _tyiyn(stated, f"{name}: {field_name}")) != total:
            return f"{name}: the month's {field_name} {stated} is not the sum of its pairs ({total})"
    for asset in body.get("assets", []):
        based = [p for p in pairs if p.get("base") == asset.get("asset")]
        for field_name in ("volume_base_units", "volume_tyiyn", "trades"):
            total = _summed(based, name, field_name)
            stated = asset.get(field_name)
            if (stated if field_name == "trades" else _tyiyn(stated, f"{name}: {field_name}")) != total:
                return f"{name}: asset {asset.get('asset')}'s {field_name} {stated} is not its pairs' ({total})"
    exchanges = [v.get("vasp_id") for v in versions]
    if body.get("reports") != len(versions) or len(set(exchanges)) != len(exchanges):
        return f"{name}: {body.get('reports')} reports counted, {len(versions)} versions listed (one per exchange)"
    return None


def check_figures(records: Sequence[Record], findings: Findings,
                  more: Mapping[str, FigureCheck] | None = None) -> None:
    """Recompute what the records let anyone recompute, in log order: circulation against
    its holding codes and the issuance liability; each run's payments against its totals;
    each programme's published spending against its logged runs; each coverage report
    against its digest; KGST's supply against its reserve; each month's VASP volumes
    against their pairs; the journal's heads only move forward; then `more` (by kind)."""
    runs: dict[str, Record] = {}
    journal_seq = -1
    checks: dict[str, FigureCheck] = {"issuance_report": _issuance, "disbursement_run": _run,
                                      "usdkg_coverage": _coverage, "kgst_reserve": _kgst_reserve,
                                      "vasp_volume": _vasp_volume, **(more or {})}
    for record in records:
        check = checks.get(record.kind)
        problem = check(record) if check is not None else None
        if record.kind == "disbursement_run":
            runs[str(record.body.get("run_id"))] = record  # the newest version of a run counts
        elif record.kind == "public_spending":
            problem = _spending(record, runs)
        elif record.kind == "ledger_head":
            seq = _int(record.body.get("journal_seq"), f"{record.record_id}: journal_seq")
            if seq <= journal_seq:
                problem = f"{record.record_id}: the journal's head went back from {journal_seq} to {seq}"
            journal_seq = seq
        if problem is not None:
            raise Discrepancy(problem)
    kinds = sorted({r.kind for r in records} & {*checks, "public_spending", "ledger_head"})
    findings.figures = kinds
