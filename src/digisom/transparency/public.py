"""Walking a served transparency log and checking it (what `digisom verify-public` does,
docs/transparency.md "How to verify"): every signed tree head's signature, consistency
between successive heads (and from a remembered head to the newest), every entry against
its leaf hash and the newest signed root, every record's inclusion proof, every anchor's
digest, then the public figures. What only another domain or the chain can check comes
in as ports (`Checks`): the register's signed event chain, an anchor's transaction on a
chain, figures that need another domain's rule. `Discrepancy` names the first failure."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx

from digisom.transparency import verify as v
from digisom.transparency.records import Record
from digisom.transparency.sth import TreeHead, sth_hash

LOG: Final = "/v1/public/log"
PAGE: Final = 100  # the server's ENTRIES_PAGE_MAX

# (the published anchor, the digest of the head it names) -> None, or what is wrong on the chain.
AnchorCheck = Callable[[Mapping[str, Any], bytes], "str | None"]
# (the register's events as logged, the log's public key) -> the problems of its hash chain.
RegisterCheck = Callable[[list[dict[str, Any]], bytes], list[str]]


@dataclass(frozen=True)
class Checks:
    """What the caller checks beyond the log itself: each anchor on a chain (None: digests
    only), the register's event chain, and figures of other kinds (`verify.FigureCheck`)."""

    anchor: AnchorCheck | None = None
    register: RegisterCheck | None = None
    figures: Mapping[str, v.FigureCheck] = field(default_factory=dict)


def _get(client: httpx.Client, path: str, **params: Any) -> Any:
    response = client.get(LOG + path, params=params)
    if response.status_code != 200:
        try:
            detail = response.json().get("detail", "")
        except ValueError:
            detail = response.text[:200]
        raise v.Discrepancy(f"GET {LOG}{path} answered {response.status_code}: {detail}")
    return response.json()


def _heads(client: httpx.Client, public_key: bytes) -> list[TreeHead]:
    heads: list[TreeHead] = []
    after = -1
    while True:
        page = _get(client, "/sths", after=after)["items"]
        if not page:
            return heads
        for document in page:
            if document.get("public_key") != public_key.hex():
                raise v.Discrepancy(f"signed tree head {document.get('tree_size')} names another public key")
            heads.append(v.tree_head(document, public_key))
        after = heads[-1].tree_size


def _consistent(client: httpx.Client, older: TreeHead, newer: TreeHead, findings: v.Findings) -> None:
    proof = _get(client, "/consistency", first=older.tree_size, second=newer.tree_size)
    v.check_consistency(older, newer, proof["consistency_path"])
    findings.consistency_proofs += 1


def _state(path: Path | None) -> dict[str, Any] | None:
    if path is None or not path.exists():
        return None
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise v.Discrepancy(f"the state file {path} cannot be read ({error})") from None
    if not isinstance(found, dict):
        raise v.Discrepancy(f"the state file {path} is not a JSON object")
    return found


def verify_log(client: httpx.Client, *, public_key: bytes | None = None, checks: Checks = Checks(),
               state_path: Path | None = None) -> v.Findings:
    """Check the log `client` serves (its base URL is the API's); `Discrepancy` on the first
    thing that does not check out. The key is `public_key`, else the state file's, else the
    one the log publishes (trusted on first use: pin it with `--key`)."""
    findings = v.Findings()
    newest_doc = _get(client, "/sth")
    state = _state(state_path)
    served_key = v.hex_bytes(newest_doc.get("public_key"), "the log's public key", 32)
    key = public_key or (bytes.fromhex(state["public_key"]) if state else served_key)
    if served_key != key:
        raise v.Discrepancy("the log publishes another public key than the one expected")
    newest = v.tree_head(newest_doc, key)
    heads = _heads(client, key)
    if not heads or heads[-1] != newest:
        raise v.Discrepancy("the newest signed tree head is not the last of the published history")
    findings.heads = len(heads)
    for older, newer in itertools.pairwise(heads):
        _consistent(client, older, newer, findings)
    if state is not None:
        remembered = TreeHead(int(state["tree_size"]), bytes.fromhex(state["root_hash"]), 0, b"")
        proof = _get(client, "/consistency", first=remembered.tree_size, second=newest.tree_size)
        v.check_consistency(remembered, newest, proof["consistency_path"])
        findings.consistency_proofs += 1

    records: list[Record] = []
    leaves: list[bytes] = []
    for start in range(0, newest.tree_size, PAGE):
        page = _get(client, "/entries", start=start, end=min(start + PAGE, newest.tree_size))["items"]
        for offset, document in enumerate(page):
            record, leaf = v.check_entry(document, start + offset)
            records.append(record)
            leaves.append(leaf)
    v.check_root(newest, leaves)
    findings.entries = len(records)
    for record, leaf in zip(records, leaves, strict=True):
        v.check_inclusion(_get(client, f"/records/{record.record_id}"), newest, record.record_id, leaf)
        findings.inclusion_proofs += 1

    _check_anchors(client, {h.tree_size: h for h in heads}, checks.anchor, findings)
    _check_register(records, key, checks.register)
    v.check_figures(records, findings, checks.figures)
    if not any(r.kind == "ledger_head" for r in records):
        raise v.Discrepancy("the log holds no ledger journal head")
    if state_path is not None:
        state_path.write_text(json.dumps({"public_key": key.hex(), "tree_size": newest.tree_size,
                                          "root_hash": newest.root_hash.hex()}))
    return findings


def _check_anchors(client: httpx.Client, heads: dict[int, TreeHead], on_chain: AnchorCheck | None,
                   findings: v.Findings) -> None:
    anchored: set[int] = set()
    after = -1
    while True:
        page = _get(client, "/anchors", after=after)["items"]
        if not page:
            break
        for document in page:
            size = v.check_anchor_digest(document, heads)
            if on_chain is not None:
                problem = on_chain(document, sth_hash(heads[size]))
                if problem is not None:
                    raise v.Discrepancy(problem)
            anchored.add(size)
            findings.anchors += 1
            after = size
    if on_chain is not None:
        # From the first anchored head on, every head is anchored. Heads signed before the log
        # anchored at all are bound to it by the consistency proofs checked above.
        first = min(anchored, default=max(heads, default=0))
        missing = sorted(size for size in set(heads) - anchored if size >= first)
        if missing:
            raise v.Discrepancy(f"signed tree head {missing[0]} has no chain anchor")


def _check_register(records: list[Record], key: bytes, register: RegisterCheck | None) -> None:
    """The register's events, as logged, form its signed hash chain (ADR 0009)."""
    events = [dict(r.body) for r in records if r.kind in ("register_event", "licence_event")]
    events.sort(key=lambda e: e.get("seq", 0))
    problems = register(events, key) if events and register is not None else []
    if problems:
        raise v.Discrepancy(f"the State Register's events: {problems[0]}")
