"""The chart of accounts checked a second time, independently of the ledger gateways: a
replay of the ledger's journal that finds every account and transfer the chart does not
allow (an unknown ledger or code; a debit of an account code the transfer's domain may not
debit, or that the transfer code does not allow; a post or void under another code than
its hold's). The gateways refuse these before they reach the ledger; this audit proves
none got past them, or through a writer that skipped them (`digisom ledger verify --chart`).

Retired codes are accepted in history: they were live when their transfers were posted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from digisom.kernel.chart import CHART, Chart
from digisom.ledger import journal
from digisom.ledger.audit import JOURNAL_PAGE_RECORDS
from digisom.ledger.model import Transfer, TransferFlags
from digisom.ledger.store import LedgerStore

# At most this many violations are listed; the count is always complete.
VIOLATIONS_LISTED_MAX: Final = 100
_SETTLES: Final = int(TransferFlags.POST_PENDING_TRANSFER | TransferFlags.VOID_PENDING_TRANSFER)


@dataclass
class ChartAudit:
    """What the replay found: counts, and the first violations in journal order."""

    accounts: int = 0
    transfers: int = 0
    violation_count: int = 0
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No account or transfer broke the chart."""
        return self.violation_count == 0

    def _found(self, what: str) -> None:
        self.violation_count += 1
        if len(self.violations) < VIOLATIONS_LISTED_MAX:
            self.violations.append(what)


def audit_chart(store: LedgerStore, chart: Chart = CHART) -> ChartAudit:
    """Replay `store`'s journal against `chart`."""
    report = ChartAudit()
    account_codes: dict[int, int] = {}
    pending_codes: dict[int, int] = {}
    seq = 0
    while page := store.scan_journal(seq, JOURNAL_PAGE_RECORDS):
        for record in page:
            batch = journal.decode(record.payload)
            for account in batch.accounts:
                report.accounts += 1
                account_codes[account.id] = account.code
                if account.ledger not in chart.ledgers:
                    report._found(f"account {account.id}: ledger {account.ledger} is not in the chart")
                if account.code not in chart.accounts:
                    report._found(f"account {account.id}: account code {account.code} is not in the chart")
            for transfer in batch.transfers:
                report.transfers += 1
                problem = _transfer_problem(chart, transfer, account_codes, pending_codes)
                if problem is not None:
                    report._found(f"transfer {transfer.id} (journal record {record.seq}): {problem}")
            seq = record.seq
    return report


def _transfer_problem(chart: Chart, transfer: Transfer, account_codes: dict[int, int],
                      pending_codes: dict[int, int]) -> str | None:
    if transfer.flags & _SETTLES:
        held_code = pending_codes.get(transfer.pending_id)
        if transfer.code and held_code is not None and transfer.code != held_code:
            return f"settles a hold of code {held_code} under code {transfer.code}"
        return None
    if transfer.flags & TransferFlags.PENDING:
        pending_codes[transfer.id] = transfer.code
    entry = chart.transfers.get(transfer.code)
    if entry is None:
        return f"transfer code {transfer.code} is not in the chart"
    debit_code = account_codes.get(transfer.debit_account_id)
    if debit_code is None:
        return f"debits account {transfer.debit_account_id}, which the journal never created"
    debited = chart.accounts.get(debit_code)
    if debited is None or entry.owner not in debited.debited_by:
        return f"{entry.name} ({entry.owner.value}) may not debit an account of code {debit_code}"
    if entry.debits and debit_code not in entry.debits:
        return f"{entry.name} may debit only account codes {sorted(entry.debits)}, not {debit_code}"
    return None
