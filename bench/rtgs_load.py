"""RTGS clients for the load on `digisom serve`: banks send pacs.008 payments to each other
over HTTP while the wallets pay, and the checks that every interbank payment settled once.

The server's RTGS clock is pinned (`RTGS_CLOCK_ISO`, `digisom serve --rtgs-clock`): the
RTGS takes customer payments on business days 09:00-16:00 Bishkek only, and a test must
not depend on when it runs. Settlement is on the banks' reserve accounts of the digital
som, funded here on top of what the load world issued (which leaves them empty).

A share of messages is sent twice at once (a bank's retry): the RTGS answers the copy as a
duplicate and must never settle it again. `check` proves it from the database and the
ledger: one row per sent end-to-end id, the ledger holds exactly one committed attempt of
each settled payment and none of a queued one, and every bank's reserve balance is what it
was given plus what it received less what it paid, by the settled rows.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

import httpx

from digisom.api.runtime import domain_engine
from digisom.cbdc.accounts import AccountCode, bank_account_id
from digisom.interbank import repository
from digisom.interbank.accounts import available
from digisom.interbank.chains import payment_legs
from digisom.interbank.iso20022 import Agent, CreditTransferOrder, Priority, build_pacs008
from digisom.interbank.records import PaymentRecord, PaymentStatus
from digisom.ledger.model import PAGE_LIMIT_MAX
from digisom.ledger.service import Ledger
from digisom.money import KGS, Money
from digisom.stores.url import open_store

RTGS_CLOCK_ISO: Final = "2026-11-23T10:00:00+06:00"  # a Monday, inside the RTGS's hours
BUSINESS_DAY: Final = date(2026, 11, 23)
RESERVE_TYIYN: Final = 8_000_000  # per bank, for the RTGS: a few payments use it up, the next queue
PAYMENT_TYIYN_MAX: Final = 5_000_000
DUPLICATE_SHARE: Final = 0.1
STATUS_HEADER: Final = "Digisom-Transaction-Status"
XML_HEADERS: Final = {"content-type": "application/xml"}


@dataclass
class RtgsLoad:
    """What the RTGS clients sent and were answered."""

    banks: tuple[str, ...]
    tokens: dict[str, str]  # bank code -> its operator's token
    sent: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # e2e id -> (debtor, creditor, amount)
    answers: Counter[str] = field(default_factory=Counter)  # ACSC / PDNG / RJCT, duplicates included
    settled_answers: set[str] = field(default_factory=set)  # e2e ids answered ACSC
    statuses: Counter[int] = field(default_factory=Counter)

    @property
    def submissions(self) -> int:
        """Distinct payments sent (a copy sent twice counts once)."""
        return len(self.sent)


def setup(client: httpx.Client, central_token: str, bank_tokens: dict[str, str],
          post: Any) -> RtgsLoad:
    """Make the banks participants of the RTGS and give each `RESERVE_TYIYN` of reserves.
    `post(client, token, path, body, status)` is the harness's setup request."""
    for bank in bank_tokens:
        post(client, central_token, "/v1/interbank/banks", {"bank_code": bank, "name": bank}, 201)
        post(client, central_token, "/v1/issuance/reserve-credits",
             {"bank_code": bank, "amount_tyiyn": str(RESERVE_TYIYN), "currency": "KGS"}, 201)
    return RtgsLoad(tuple(bank_tokens), dict(bank_tokens))


async def run_client(client: httpx.AsyncClient, load: RtgsLoad, number: int, deadline: float, seed: int) -> None:
    """One bank's back office sending payments to the others until `deadline`."""
    rng = random.Random(seed * 7_919 + number)
    sent = 0
    while time.monotonic() < deadline:
        debtor, creditor = rng.sample(load.banks, 2)
        amount = rng.randint(1, PAYMENT_TYIYN_MAX)
        e2e = f"E2E-{number}-{sent}"
        sent += 1
        xml = build_pacs008(CreditTransferOrder(
            message_id=f"LOAD-{number}-{sent}", created_at=datetime.fromisoformat(RTGS_CLOCK_ISO),
            instruction_id=None, end_to_end_id=e2e, debtor_agent=Agent(bank_code=debtor),
            creditor_agent=Agent(bank_code=creditor), amount=Money(amount, KGS), settlement_date=BUSINESS_DAY,
            priority=Priority.NORMAL, debtor_name="Load debtor", creditor_name="Load creditor"))
        headers = {**XML_HEADERS, "Authorization": f"Bearer {load.tokens[debtor]}"}
        copies = 2 if rng.random() < DUPLICATE_SHARE else 1
        answers = await asyncio.gather(*(client.post("/v1/interbank/messages", content=xml, headers=headers)
                                         for _ in range(copies)))
        load.sent[e2e] = (debtor, creditor, amount)
        for answer in answers:
            load.statuses[answer.status_code] += 1
            status = answer.headers.get(STATUS_HEADER, "")
            load.answers[status] += 1
            if status == "ACSC":
                load.settled_answers.add(e2e)


def check(load: RtgsLoad, db_url: str) -> list[str]:
    """Every interbank payment settled at most once, and the reserves agree; the broken rules."""
    broken: list[str] = []
    engine = domain_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = repository.payments_of(conn, BUSINESS_DAY)
    finally:
        engine.dispose()
    by_e2e = Counter(r.end_to_end_id for r in rows)
    broken += [f"interbank {e2e}: {n} payment rows for one message" for e2e, n in by_e2e.items() if n > 1]
    broken += [f"interbank {r.end_to_end_id}: a payment nobody sent" for r in rows if r.end_to_end_id not in load.sent]
    settled = {r.end_to_end_id for r in rows if r.status is PaymentStatus.SETTLED}
    broken += [f"interbank {e2e}: answered ACSC, recorded otherwise" for e2e in load.settled_answers - settled]
    store = open_store(db_url)
    try:
        ledger = Ledger(store)
        broken += _attempts_on_ledger(ledger, rows)
        reserves = {bank: available(account) for bank, account in zip(load.banks, ledger.lookup_accounts(
            [bank_account_id(bank, AccountCode.BANK_RESERVE) for bank in load.banks]), strict=True)}
    finally:
        store.close()
    expected = dict.fromkeys(load.banks, RESERVE_TYIYN)
    for r in rows:
        if r.status is PaymentStatus.SETTLED:
            expected[r.debtor_bank] -= r.amount_tyiyn
            expected[r.creditor_bank] += r.amount_tyiyn
    broken += [f"interbank: {bank}'s reserves are {reserves[bank]}, its settled payments make them {expected[bank]}"
               for bank in load.banks if reserves[bank] != expected[bank]]
    return broken


def _attempts_on_ledger(ledger: Ledger, rows: list[PaymentRecord]) -> list[str]:
    """A settled payment has exactly one attempt's chain on the ledger, a queued or
    rejected one none (each attempt has its own transfer ids)."""
    ids = {payment_legs(r.seq, attempt).debit_id: r for r in rows for attempt in range(r.attempt + 1)}
    keys = list(ids)
    found = Counter(ids[t.id].seq for start in range(0, len(keys), PAGE_LIMIT_MAX)
                    for t in ledger.lookup_transfers(keys[start : start + PAGE_LIMIT_MAX]))
    broken = []
    for r in rows:
        wanted = 1 if r.status is PaymentStatus.SETTLED else 0
        if found[r.seq] != wanted:
            broken.append(f"interbank {r.end_to_end_id} ({r.status.value}): {found[r.seq]} chains on the ledger")
    return broken
