"""The submitter coalesces concurrent callers into batches without mixing their chains."""

from __future__ import annotations

import threading

from digisom.ledger.model import Account, AccountFlags, Transfer, TransferFlags
from digisom.ledger.results import CreateTransferResult as R
from digisom.ledger.service import Ledger
from digisom.ledger.submitter import Submitter
from digisom.stores.memory import MemoryStore

KGS = 417
CENTRAL_BANK, MERCHANT = 1, 2
PENSIONERS = range(100, 164)


def test_concurrent_single_transfers_are_batched_and_all_answered() -> None:
    ledger = Ledger(MemoryStore())
    submitter = Submitter(ledger)
    accounts = [Account(CENTRAL_BANK, KGS, 1), Account(MERCHANT, KGS, 1, AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)]
    accounts += [Account(p, KGS, 1, AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS) for p in PENSIONERS]
    assert all(r.name == "ok" for r in submitter.create_accounts(accounts))
    per_client = 50
    answers: dict[int, list[R]] = {}

    def client(pensioner: int) -> None:
        results = []
        for n in range(per_client):
            tid = pensioner * 1000 + n
            # A pension payment, spending all of it, then one tyiyn more that must be refused.
            results += submitter.create_transfers([Transfer(tid, CENTRAL_BANK, pensioner, 10, KGS, 1)])
            results += submitter.create_transfers([Transfer(tid + 500, pensioner, MERCHANT, 10, KGS, 1)])
            results += submitter.create_transfers([Transfer(tid + 700, pensioner, MERCHANT, 1, KGS, 1)])
        answers[pensioner] = results

    threads = [threading.Thread(target=client, args=(p,)) for p in PENSIONERS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    submitter.close()
    for pensioner in PENSIONERS:
        results = answers[pensioner]
        assert results == [R.ok, R.ok, R.exceeds_credits] * per_client
    (merchant,) = ledger.lookup_accounts([MERCHANT])
    assert merchant.credits_posted == 10 * per_client * len(PENSIONERS)
    requests = len(PENSIONERS) * per_client * 3
    assert submitter.batches_committed < requests  # coalesced, not one commit per request


def test_an_open_chain_does_not_join_the_next_callers_events() -> None:
    ledger = Ledger(MemoryStore())
    submitter = Submitter(ledger)
    submitter.create_accounts([Account(CENTRAL_BANK, KGS, 1), Account(MERCHANT, KGS, 1)])
    open_chain = [
        Transfer(10, CENTRAL_BANK, MERCHANT, 5, KGS, 1),
        Transfer(11, CENTRAL_BANK, MERCHANT, 5, KGS, 1, TransferFlags.LINKED),
        Transfer(12, CENTRAL_BANK, MERCHANT, 5, KGS, 1, TransferFlags.LINKED),
    ]
    first = submitter.submit_transfers(open_chain)
    second = submitter.submit_transfers([Transfer(13, CENTRAL_BANK, MERCHANT, 7, KGS, 1)])
    assert first.result() == [R.ok, R.linked_event_failed, R.linked_event_chain_open]
    assert second.result() == [R.ok]
    submitter.close()
    (merchant,) = ledger.lookup_accounts([MERCHANT])
    assert merchant.credits_posted == 12
