"""Published roots: a custodian publishes its liabilities root with the reserves that cover
it; the reserves are checked at publication (`reserves.check_reserves`) and the verdict is
published beside them. Anyone reads roots and verdicts and checks a proof against a root;
no customer data is ever stored here."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from digisom.kernel.db_errors import reraise_unless_unique
from digisom.por import tables
from digisom.por.errors import PorError
from digisom.por.layout import ASSET_PATTERN, ROOT_KEYS
from digisom.por.reserves import HolderBalances, ReserveCheck, bad_signature, check_reserves, parse_reserves
from digisom.por.verify import ProofInvalid, verify

_HEX64: Final = re.compile(r"[0-9a-f]{64}")
NOT_CHECKED: Final = "reserves not checked: no chain is configured for this asset"


class RootInvalid(PorError, ValueError):
    """A root that is not a built tree's root.json, or reserves that attest another."""


class RootExists(PorError):
    """This root is already published (roots are append-only)."""


class RootUnknown(PorError, LookupError):
    pass


@dataclass(frozen=True, slots=True)
class Published:
    root: dict[str, Any]
    custodian_id: str
    published_by: str
    published_at: str
    reserves: dict[str, Any]
    reserve_check: dict[str, Any]


def parse_root(document: Any) -> dict[str, Any]:
    """`document` if it is a root.json; `RootInvalid` naming the field otherwise."""
    if not isinstance(document, Mapping) or set(document) != set(ROOT_KEYS):
        raise RootInvalid(f"a root must have exactly the keys {', '.join(ROOT_KEYS)}")
    root = dict(document)
    ints = {key: root[key] for key in ("total", "leaves", "depth")}
    if any(isinstance(v, bool) or not isinstance(v, int) for v in ints.values()):
        raise RootInvalid("total, leaves and depth must be integers")
    if not (0 <= root["total"] < 2**64 and 0 <= root["depth"] <= 32 and 1 <= root["leaves"] <= 2 ** root["depth"]):
        raise RootInvalid("total, leaves or depth out of range")
    if not isinstance(root["root"], str) or not _HEX64.fullmatch(root["root"]):
        raise RootInvalid("root must be 64 lowercase hex digits")
    if not isinstance(root["asset"], str) or not ASSET_PATTERN.fullmatch(root["asset"]):
        raise RootInvalid("asset must be 1 to 16 of A-Z 0-9")
    if not isinstance(root["built_at"], str) or not 0 < len(root["built_at"]) <= 32:
        raise RootInvalid("built_at must be an ISO time")
    return root


def publish(engine: Engine, custodian_id: str, root_document: Any, reserves_document: Any,
            chain: HolderBalances | None, published_by: str, now_iso: str) -> Published:
    """Check and store one root with its reserves; `RootExists` if it was published before."""
    root = parse_root(root_document)
    reserves = parse_reserves(reserves_document)
    if reserves.custodian != custodian_id:
        raise RootInvalid(f"the reserves name custodian {reserves.custodian!r}, not {custodian_id!r}")
    if reserves.root != root["root"] or reserves.asset != root["asset"]:
        raise RootInvalid("the reserves attest another root or asset")
    if chain is None:
        # Without a chain no balance counts; the signatures are still checked.
        refused = [found for entry in reserves.addresses if (found := bad_signature(reserves, entry)) is not None]
        verdict = ReserveCheck(custodian_id, reserves.asset, reserves.root, reserves.block, root["total"], 0,
                               [NOT_CHECKED, *refused])
    else:
        verdict = check_reserves(reserves, root, chain)
    row = {"root_id": root["root"], "custodian_id": custodian_id, "asset": root["asset"],
           "total_units": str(root["total"]), "leaves": root["leaves"], "depth": root["depth"],
           "built_at": root["built_at"], "published_by": published_by, "published_at": now_iso,
           "reserves": json.dumps(reserves.as_json()), "reserve_check": json.dumps(verdict.as_json()),
           "reserves_hold": int(verdict.holds)}
    try:
        with engine.begin() as conn:
            conn.execute(insert(tables.roots).values(**row))
    except IntegrityError as error:
        reraise_unless_unique(error)
        raise RootExists(f"root {root['root']} is already published") from None
    return _published(row)


def _published(row: Mapping[Any, Any]) -> Published:
    root = {"asset": row["asset"], "root": row["root_id"], "total": int(row["total_units"]), "leaves": row["leaves"],
            "depth": row["depth"], "built_at": row["built_at"]}
    return Published(root=root, custodian_id=row["custodian_id"], published_by=row["published_by"],
                     published_at=row["published_at"], reserves=json.loads(row["reserves"]),
                     reserve_check=json.loads(row["reserve_check"]))


def read(engine: Engine, root_id: str) -> Published:
    with engine.connect() as conn:
        row = conn.execute(select(tables.roots).where(tables.roots.c.root_id == root_id)).mappings().first()
    if row is None:
        raise RootUnknown(f"no published root {root_id}")
    return _published(row)


def listed(engine: Engine, custodian_id: str | None, offset: int, limit: int) -> list[Published]:
    """Up to `limit` published roots from the `offset`-th, newest first (of one custodian if
    given). Roots are only added, at the front: a root published between two pages moves
    the later pages by one, so a reader may see a root twice but never misses one."""
    query = (select(tables.roots).order_by(tables.roots.c.published_at.desc(), tables.roots.c.root_id)
             .offset(offset).limit(limit))
    if custodian_id is not None:
        query = query.where(tables.roots.c.custodian_id == custodian_id)
    with engine.connect() as conn:
        return [_published(row) for row in conn.execute(query).mappings()]


def check_proof(engine: Engine, root_id: str, proof: Mapping[str, Any]) -> str | None:
    """None if `proof` verifies against the published root `root_id`, else why not."""
    try:
        verify(proof, read(engine, root_id).root)
    except ProofInvalid as error:
        return str(error)
    return None
