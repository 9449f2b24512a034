"""Rail 1 at volume: N remittances (default 100,000) quoted and paid out of a partner's
prefunded position into digital som wallets, with every party screened.

    .venv/bin/python bench/remittance.py               # 100,000 remittances
    .venv/bin/python bench/remittance.py --count 20000

Untimed setup: the digital som on an in-memory ledger and a SQLite file (one database for
both domains' tables, as the API runs them), a bank with issued digital som, W recipient
wallets, a Moscow partner onboarded by the bank with a rouble corridor and a prefunded
position, and a rates file.

Timed: quotes (`quote_many`) and payouts (`send_many`) in batches of `CHUNK` remittances
(three ledger events at most each, so one batch stays within the ledger's 8,190 events).

Screening: `ListScreener` below, a trivial real screener (exact match of casefolded,
whitespace-collapsed names against a list of 10,000 synthetic names), not the compliance
domain's fuzzy matcher, which is built and benchmarked separately (bench/screening.py);
it stands in for the port so the figure is the remittance path's own.

Checked after the clock stops, independently of the service: circulation equals issuance
(`digisom.kernel.circulation`, positions counted), the position fell by exactly what the
wallets and deposits received, and every remittance is paid. Prints one JSON line:
`remittances_per_s`, `all_in_cost_pct_200usd` and `_500usd` (the World Bank RPW method),
`seconds`, `count`; exits 1 if a check fails.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from sqlalchemy import create_engine

from digisom.api.money import MONEY_CHART
from digisom.api.remittance_wiring import build_remittance
from digisom.cbdc.accounts import deposit_account_id, wallet_account_id
from digisom.cbdc.context import Context
from digisom.cbdc.ledger_port import LedgerPort
from digisom.cbdc.migrations import migrate
from digisom.cbdc.model import HolderKind, ParticipantKind
from digisom.cbdc.policy import load_policy
from digisom.cbdc.ports import NO_HOLDER_SCREENING
from digisom.cbdc.service import CbdcService
from digisom.kernel.access import Actor, Role
from digisom.kernel.circulation import audit_ledger
from digisom.ledger.service import Ledger
from digisom.ledger.submitter import Submitter
from digisom.remittance.model import Corridor, PartnerKind, Status
from digisom.remittance.ports import Decision, Screening
from digisom.remittance.pricing import ppm_as_percent
from digisom.remittance.rates import FileRates
from digisom.remittance.service import SendRequest
from digisom.stores.memory import MemoryStore

CHUNK: Final = 2730  # 3 ledger events at most per remittance: 8,190 per batch
WALLETS: Final = 2000
SENDERS: Final = 20_000
LISTED_NAMES: Final = 10_000
NOW: Final = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
PARTNER: Final = "zolotaya-mto"
CENTRAL_BANK: Final = Actor(Role.CENTRAL_BANK_OPERATOR, "nbkr-operator")
BANK: Final = Actor(Role.BANK_OPERATOR, "ayil-teller", "AYIL")


@dataclass(frozen=True)
class ListScreener:
    """Exact matching of normalised names against a list: a trivial real screener."""

    listed: frozenset[str]

    @staticmethod
    def normal(name: str) -> str:
        return " ".join(name.casefold().split())

    def screen(self, name: str, schema: str) -> Screening:
        if self.normal(name) in self.listed:
            return Screening(Decision.HIT, f"{schema} listed: {name}")
        return Screening(Decision.CLEAR)

    def screen_address(self, address: str) -> Screening:
        return Screening(Decision.HIT if address.casefold() in self.listed else Decision.CLEAR)


def chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="digisom-remittance-"))
    engine = create_engine(f"sqlite:///{folder / 'digisom.db'}")
    migrate(engine)
    store = MemoryStore()
    submitter = Submitter(Ledger(store))
    reader = Ledger(store)
    ctx = Context(engine, LedgerPort(submitter, Ledger(store)), load_policy(), NO_HOLDER_SCREENING, clock=lambda: NOW)
    cbdc = CbdcService(ctx)
    cbdc.register_participant("ayil-bank", ParticipantKind.COMMERCIAL_BANK, "Ayil Bank", "AYIL")
    total_tyiyn = 40_000_00 * args.count  # generous: each remittance is under 40,000 som
    cbdc.convert(CENTRAL_BANK, "reserve_credit", "AYIL", total_tyiyn, "reserves")
    cbdc.convert(CENTRAL_BANK, "issue", "AYIL", total_tyiyn, "issue")
    wallets = [cbdc.open_wallet(BANK, f"open-{i}", f"holder-{i}", HolderKind.INDIVIDUAL, 2, f"Holder {i}",
                                "+996700000001", "1234", None).id for i in range(WALLETS)]
    (folder / "rates.csv").write_text("date,currency,rate\n2026-12-07,USD,87.4500\n2026-12-07,RUB,1.0895\n")
    screener = ListScreener(frozenset(ListScreener.normal(f"Listed Person {i}") for i in range(LISTED_NAMES)))
    remit = build_remittance(engine, submitter, reader, ctx, FileRates.from_path(folder / "rates.csv"), screener,
                             clock=lambda: NOW)
    remit.onboard_partner(PARTNER, "Zolotaya Korona MTO", PartnerKind.MONEY_TRANSFER_OPERATOR, "RU", "AYIL",
                          total_tyiyn)
    remit.configure_corridor(Corridor("zolotaya-rub", PARTNER, "RUB", 0, 30, 50, 80_000_00, 10_000_000_00))
    remit.prefund(PARTNER, "prefund", total_tyiyn)
    amounts = [rng.randrange(1_000_00, 30_000_00) for _ in range(args.count)]  # 1,000..30,000 RUB

    started = time.perf_counter()
    outcomes = []
    for index, chunk in enumerate(chunks(amounts, CHUNK)):
        quotes = remit.quote_many(PARTNER, "RUB", chunk)
        requests = [SendRequest(PARTNER, f"zk-{index}-{i}", q.quote_id, f"sender-{rng.randrange(SENDERS)}",
                                "Aibek Asanov", f"Recipient {i}", recipient_wallet_id=rng.choice(wallets))
                    for i, q in enumerate(quotes)]
        outcomes += remit.send_many(requests)
    seconds = time.perf_counter() - started
    costs = remit.rpw_costs_ppm(PARTNER, "RUB")
    submitter.close()

    paid = [o for o in outcomes if not isinstance(o, Exception) and o.status is Status.PAID]
    received = sum(reader.lookup_accounts([wallet_account_id(w)])[0].credits_posted for w in wallets)
    received += sum(a.credits_posted for w in wallets for a in reader.lookup_accounts([deposit_account_id(w)]))
    circulation = audit_ledger(MONEY_CHART, reader)
    checks = {
        "all_paid": len(paid) == args.count,
        "position_fell_by_what_arrived": total_tyiyn - remit.position_tyiyn(PARTNER) == received
        == sum(r.receive_tyiyn for r in paid),
        "circulation_equals_issuance": circulation.balanced,
    }
    print(json.dumps({
        "count": args.count, "seconds": round(seconds, 3), "remittances_per_s": round(args.count / seconds),
        "all_in_cost_pct_200usd": ppm_as_percent(costs[200_00]),
        "all_in_cost_pct_500usd": ppm_as_percent(costs[500_00]),
        "ledger_events_per_batch_max": 3 * CHUNK, "screener": "exact list match (bench-only, see docstring)",
        "checks": checks,
    }))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
