"""/v1/public/log: the public transparency log, read-only and open to everyone (no sign-in):
the newest signed tree head and every earlier one, entries by leaf index, a record with its
inclusion proof, consistency proofs between signed heads, and the chain anchors."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from digisom.http.permissions import Authorize
from digisom.http.render import READ_PROBLEMS, json
from digisom.http.services import provided
from digisom.kernel.access import Actor
from digisom.transparency.http import schemas as s
from digisom.transparency.http.slots import TRANSPARENCY_LOG
from digisom.transparency.log import TransparencyLog
from digisom.transparency.records import RECORD_ID_PATTERN

# Tree sizes fit a signed 64-bit column.
SIZE_MAX: Final = 2**62
Size = Annotated[int, Query(ge=0, le=SIZE_MAX)]


def _log(request: Request) -> TransparencyLog:
    return provided(request, TRANSPARENCY_LOG)


def router() -> APIRouter:
    r = APIRouter(prefix="/v1/public/log", tags=["public"])

    @r.get("/sth", response_model=s.TreeHeadOut, responses=READ_PROBLEMS)
    def newest(request: Request, _actor: Annotated[Actor, Depends(Authorize("public.log.read"))]) -> JSONResponse:
        """The newest signed tree head."""
        log = _log(request)
        return json(s.head_out(log.newest_head(), log.public_key))

    @r.get("/sth/{tree_size}", response_model=s.TreeHeadOut, responses=READ_PROBLEMS)
    def at_size(request: Request, tree_size: Annotated[int, Path(ge=0, le=SIZE_MAX)],
                _actor: Annotated[Actor, Depends(Authorize("public.log.read"))]) -> JSONResponse:
        """The signed tree head of `tree_size`, if the log signed one of that size."""
        log = _log(request)
        return json(s.head_out(log.head(tree_size), log.public_key))

    @r.get("/sths", response_model=s.TreeHeadList, responses=READ_PROBLEMS)
    def history(request: Request, _actor: Annotated[Actor, Depends(Authorize("public.log.read"))],
                after: Annotated[int, Query(ge=-1, le=SIZE_MAX)] = -1) -> JSONResponse:
        """Signed tree heads larger than `after`, smallest first (a page; ask again after the last)."""
        log = _log(request)
        return json(s.TreeHeadList(items=[s.head_out(h, log.public_key) for h in log.heads(after)]))

    @r.get("/entries", response_model=s.EntryPage, responses=READ_PROBLEMS)
    def entries(request: Request, start: Size, end: Size,
                _actor: Annotated[Actor, Depends(Authorize("public.log.read"))]) -> JSONResponse:
        """Leaves `start` to `end - 1` of the newest signed tree (at most 100)."""
        log = _log(request)
        found = log.entries(start, end)
        return json(s.EntryPage(tree_size=log.newest_head().tree_size, start=start,
                                items=[s.entry_out(e) for e in found]))

    @r.get("/records/{record_id}", response_model=s.RecordOut, responses=READ_PROBLEMS)
    def record(request: Request, record_id: Annotated[str, Path(pattern=RECORD_ID_PATTERN)],
               _actor: Annotated[Actor, Depends(Authorize("public.log.read"))]) -> JSONResponse:
        """A record with its inclusion proof in the newest signed tree."""
        log = _log(request)
        found = log.inclusion(record_id)
        leaf = s.entry_out(found.entry)
        return json(s.RecordOut(leaf_index=leaf.leaf_index, leaf_hash=leaf.leaf_hash, entry=leaf.entry,
                                record=leaf.record, tree_head=s.head_out(found.head, log.public_key),
                                inclusion_path=[p.hex() for p in found.path]))

    @r.get("/consistency", response_model=s.ConsistencyOut, responses=READ_PROBLEMS)
    def consistency(request: Request, first: Size, second: Size,
                    _actor: Annotated[Actor, Depends(Authorize("public.log.read"))]) -> JSONResponse:
        """The proof that the signed tree of `first` is a prefix of the signed tree of `second`."""
        path = _log(request).consistency(first, second)
        return json(s.ConsistencyOut(first=first, second=second, consistency_path=[p.hex() for p in path]))

    @r.get("/anchors", response_model=s.AnchorList, responses=READ_PROBLEMS)
    def anchors(request: Request, _actor: Annotated[Actor, Depends(Authorize("public.log.read"))],
                after: Annotated[int, Query(ge=-1, le=SIZE_MAX)] = -1) -> JSONResponse:
        """The chain transactions that carry signed heads' digests, smallest head first."""
        return json(s.AnchorList(items=[s.anchor_out(a) for a in _log(request).anchors(after)]))

    return r


