"""What the revocation check costs per authenticated request: this process's cached copy
(`RevokingVerifier`, the design) against one indexed database lookup per request.

    .venv/bin/python bench/token_revocations.py                  # 10,000 revoked ids, 1,000 cut-offs
    .venv/bin/python bench/token_revocations.py --revoked 100000

On an SQLite file and a throwaway PostgreSQL, each with `--revoked` revoked token ids and
a tenth as many subject cut-offs, it times per call (microseconds, median of `--rounds`):

- `verify_us`: the signature and claims alone (`TokenVerifier`), the floor;
- `cached_us`: the same plus the check against the cached copy (warm);
- `lookup_us`: the same plus a query of both tables by their keys (one transaction);
- `reload_ms`: one reload of the cached copy (what a process pays every `REVOCATIONS_REFRESH_S`).

Prints one JSON line per database, with the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, insert, select

from digisom.api.runtime import domain_engine
from digisom.devtools.postgres_server import TemporaryPostgres
from digisom.http import tables
from digisom.http.auth import TOKEN_TTL_S_MAX, TokenError, TokenIssuer, TokenVerifier, VerifiedToken
from digisom.http.migrations import migrate
from digisom.http.revocation_check import RevocationList, RevokingVerifier
from digisom.http.revocations import RevocationStore
from digisom.kernel.access import Role


def _fill(engine: Engine, revoked: int) -> None:
    now = int(time.time())
    common = {"expires_at_s": now + TOKEN_TTL_S_MAX, "revoked_at_s": now, "reason": "bench", "revoked_by": "bench"}
    with engine.begin() as conn:
        conn.execute(insert(tables.revoked_tokens), [{"jti": uuid.uuid4().hex, "subject": None, **common}
                                                     for _ in range(revoked)])
        conn.execute(insert(tables.token_cutoffs), [{"subject": f"s-{i}", "bank_code": "", "issued_before_s": now,
                                                     **common} for i in range(revoked // 10)])


def _lookup(engine: Engine) -> Callable[[VerifiedToken], bool]:
    """The alternative design: is this token revoked? asked of the database by its keys."""
    r, t = tables.revoked_tokens, tables.token_cutoffs

    def revoked(token: VerifiedToken) -> bool:
        actor = token.actor
        with engine.begin() as conn:
            if conn.execute(select(r.c.jti).where(r.c.jti == token.token_id)).first() is not None:
                return True
            cutoffs = conn.execute(select(t.c.issued_before_s).where(
                (t.c.subject == actor.subject) & t.c.bank_code.in_({"", actor.bank_code or ""}))).scalars().all()
        return any(token.issued_at_s < before_s for before_s in cutoffs)

    return revoked


def _per_call_us(call: Callable[[], object], calls: int, rounds: int) -> float:
    medians = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        medians.append((time.perf_counter() - start) / calls * 1e6)
    return round(statistics.median(medians), 1)


def measure(engine: Engine, revoked: int, calls: int, rounds: int) -> dict[str, object]:
    migrate(engine)
    _fill(engine, revoked)
    key = Ed25519PrivateKey.generate()
    token = TokenIssuer(key).issue(Role.BANK_OPERATOR, "bench-teller", "AYIL")
    plain = TokenVerifier(key.public_key())
    store = RevocationStore(engine)
    cached = RevokingVerifier(key.public_key(), revocations=RevocationList(store))
    cached.verified(token)  # warm: loaded once
    lookup = _lookup(engine)

    def looked_up() -> None:
        checked = plain.verified(token)
        if lookup(checked):
            raise TokenError("token revoked")

    reload_ms = statistics.median(_per_call_us(store.current, 1, 1) / 1000 for _ in range(rounds))
    return {"revoked": revoked, "cutoffs": revoked // 10,
            "verify_us": _per_call_us(lambda: plain.verified(token), calls, rounds),
            "cached_us": _per_call_us(lambda: cached.verified(token), calls, rounds),
            "lookup_us": _per_call_us(looked_up, calls, rounds), "reload_ms": round(reload_ms, 2)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--revoked", type=int, default=10_000, help="revoked token ids (and a tenth as many cut-offs)")
    parser.add_argument("--calls", type=int, default=2_000, help="calls per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder, TemporaryPostgres() as server:
        for name, url in (("sqlite", f"sqlite:///{Path(folder) / 'bench.db'}"),
                          ("postgresql", server.create_database("revocations"))):
            load_before = os.getloadavg()[0]
            engine = domain_engine(url)
            try:
                figures = measure(engine, args.revoked, args.calls, args.rounds)
            finally:
                engine.dispose()
            print(json.dumps({"database": name, **figures, "load_before": round(load_before, 2),
                              "load_after": round(os.getloadavg()[0], 2)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
