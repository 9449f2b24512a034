"""`digisom verify-public --base-url URL`: download the public transparency log and check it
(docs/transparency.md, "How to verify").

    digisom verify-public --base-url https://api.example.kg [--key HEX] [--rpc-url URL] [--state FILE]

Checks every signed tree head's signature (with `--key`, the published key must be that
one), consistency between successive heads (and from the head a `--state` file remembers
to the newest), every entry against its leaf hash and the newest signed root, every
record's inclusion proof, every anchor's digest and, with `--rpc-url`, the anchoring
transaction on the chain; then recomputes the public figures from the records. Exit 0 with
a summary, or 1 naming the first discrepancy; 2 when the log cannot be read."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import httpx
import typer

from digisom.registry.chain import verify_chain
from digisom.transparency import verify as v
from digisom.transparency.records import Record
from digisom.transparency.sth import TreeHead, sth_hash

if TYPE_CHECKING:  # the EVM stack loads only with --rpc-url (or a chain a test hands in)
    from digisom.chain.protocol import Chain

EXIT_DISCREPANCY: Final = 1
EXIT_UNREADABLE: Final = 2
HTTP_TIMEOUT_S: Final = 30.0
LOG: Final = "/v1/public/log"
PAGE: Final = 100  # the server's ENTRIES_PAGE_MAX


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


def verify_log(client: httpx.Client, *, public_key: bytes | None = None, chain: Chain | None = None,
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

    _check_anchors(client, {h.tree_size: h for h in heads}, chain, findings)
    _check_register(records, key)
    v.check_figures(records, findings)
    if not any(r.kind == "ledger_head" for r in records):
        raise v.Discrepancy("the log holds no ledger journal head")
    if state_path is not None:
        state_path.write_text(json.dumps({"public_key": key.hex(), "tree_size": newest.tree_size,
                                          "root_hash": newest.root_hash.hex()}))
    return findings


def _check_anchors(client: httpx.Client, heads: dict[int, TreeHead], chain: Chain | None,
                   findings: v.Findings) -> None:
    anchored: set[int] = set()
    after = -1
    while True:
        page = _get(client, "/anchors", after=after)["items"]
        if not page:
            break
        for document in page:
            size = v.check_anchor_digest(document, heads)
            if chain is not None:
                from digisom.chain.anchor import check_anchor  # noqa: PLC0415 - the EVM stack, only with a chain

                problem = check_anchor(chain, int(document["chain_id"]), str(document["tx_hash"]),
                                       v.hex_bytes(str(document["raw_tx"]).removeprefix("0x"), "a raw transaction"),
                                       sth_hash(heads[size]),
                                       int(document["block_number"]))
                if problem is not None:
                    raise v.Discrepancy(problem)
            anchored.add(size)
            findings.anchors += 1
            after = size
    if chain is not None:
        missing = sorted(set(heads) - anchored)
        if missing:
            raise v.Discrepancy(f"signed tree head {missing[0]} has no chain anchor")


def _check_register(records: list[Record], key: bytes) -> None:
    """The register's events, as logged, form its signed hash chain (ADR 0009)."""
    events = [dict(r.body) for r in records if r.kind in ("register_event", "licence_event")]
    events.sort(key=lambda e: e.get("seq", 0))
    problems = verify_chain(events, key) if events else []
    if problems:
        raise v.Discrepancy(f"the State Register's events: {problems[0]}")


def verify_public(
    base_url: Annotated[str, typer.Option("--base-url", help="The API's base URL, e.g. https://api.example.kg")],
    key: Annotated[str | None, typer.Option(help="The log's Ed25519 public key (hex) to expect.")] = None,
    rpc_url: Annotated[str | None, typer.Option(help="JSON-RPC URL of the anchoring chain's node.")] = None,
    state: Annotated[Path | None, typer.Option(help="A file remembering the last head seen (read, then updated).")]
    = None,
) -> None:
    """Download the public transparency log and check every signature, proof and anchor."""
    chain = None
    if rpc_url is not None:
        from digisom.chain.rpc import RpcChain  # noqa: PLC0415 - the EVM stack, only with a chain

        chain = RpcChain.connect(rpc_url)
    try:
        public_key = bytes.fromhex(key) if key else None
    except ValueError:
        typer.echo("error: --key is not hex", err=True)
        raise typer.Exit(EXIT_UNREADABLE) from None
    try:
        with httpx.Client(base_url=base_url, timeout=HTTP_TIMEOUT_S) as client:
            findings = verify_log(client, public_key=public_key, chain=chain, state_path=state)
    except httpx.HTTPError as error:
        typer.echo(f"error: {base_url} cannot be read ({error})", err=True)
        raise typer.Exit(EXIT_UNREADABLE) from None
    except v.Discrepancy as error:
        typer.echo(f"DISCREPANCY: {error}", err=True)
        raise typer.Exit(EXIT_DISCREPANCY) from None
    typer.echo(json.dumps({"ok": True, "signed_tree_heads": findings.heads, "entries": findings.entries,
                           "inclusion_proofs": findings.inclusion_proofs,
                           "consistency_proofs": findings.consistency_proofs, "anchors": findings.anchors,
                           "figures_recomputed": findings.figures}))
