"""The interbank story: one business day of the RTGS in ISO 20022 messages.

A normal morning (payments settle on arrival, one waits for liquidity, one uses intraday
credit against pledged collateral), a gridlock of three banks that the liquidity-saving
mechanism resolves, a duplicate and a malformed message answered safely, and end of day:
what is still queued is rejected (AM04), intraday credit is repaid, every bank gets its
camt.053. Every ISO 20022 message consumed and produced is written, validated, to
`out_dir/messages/`, one per file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Final

from rich.console import Console
from rich.table import Table

from digisom.api.interbank_wiring import build_rtgs
from digisom.api.runtime import domain_engine
from digisom.demos.world import DemoWorld
from digisom.interbank.iso20022 import (
    Agent,
    CreditTransferOrder,
    Iso20022Error,
    Priority,
    build_pacs008,
    build_pacs009,
    parse_inbound,
)
from digisom.interbank.iso20022.secure import namespace_of, parse_xml
from digisom.interbank.ports import NO_PARTY_SCREENING
from digisom.interbank.records import PaymentStatus
from digisom.interbank.rtgs import Answer, Rtgs
from digisom.interbank.schedule import BISHKEK
from digisom.money import KGS, Money

BUSINESS_DAY: Final = date(2026, 11, 23)  # a Monday, no holiday
SOM: Final = 100  # tyiyn
BANKS: Final = (("AYIL", "Ayil Bank", "AYILKG22"), ("BAKAI", "Bakai Bank", "BAKAKG22"),
                ("DEMIR", "Demir Bank", "DEMIKG22"))
OPENING_RESERVES_SOM: Final = {"AYIL": 5_000_000, "BAKAI": 3_000_000, "DEMIR": 1_000_000}
PAGE: Final = 200


@dataclass
class _Clock:
    now: datetime = field(default_factory=lambda: datetime.combine(BUSINESS_DAY, time(9, 0), BISHKEK))

    def __call__(self) -> datetime:
        return self.now

    def at(self, hour: int, minute: int) -> None:
        self.now = datetime.combine(BUSINESS_DAY, time(hour, minute), BISHKEK)


@dataclass
class _Story:
    """Sends messages, narrates the answers, keeps every message for the output folder."""

    rtgs: Rtgs
    clock: _Clock
    console: Console
    consumed: list[bytes] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    count: int = 0

    def order(self, sender: str, receiver: str, som: int, *, urgent: bool = False, e2e: str | None = None
              ) -> CreditTransferOrder:
        self.count += 1
        return CreditTransferOrder(
            message_id=f"{sender}-{BUSINESS_DAY:%Y%m%d}-{self.count:04d}", created_at=self.clock(),
            instruction_id=f"INSTR-{self.count:04d}", end_to_end_id=e2e or f"E2E-{sender}-{self.count:04d}",
            debtor_agent=Agent(bank_code=sender), creditor_agent=Agent(bank_code=receiver),
            amount=Money(som * SOM, KGS), settlement_date=BUSINESS_DAY,
            priority=Priority.URGENT if urgent else Priority.NORMAL,
            debtor_name="Ministry of Finance" if urgent else "Naryn Grocery", creditor_name="Pension Fund",
        )

    def send(self, what: str, xml: bytes, sender: str | None) -> Answer:
        answer = self.rtgs.submit(xml, sender)
        self.consumed.append(xml)
        self.answers.append(answer)
        colour = {"ACSC": "green", "PDNG": "yellow", "RJCT": "red"}[answer.status.value]
        extra = f" {answer.reason_code}" if answer.reason_code else ""
        extra += " (duplicate: original status, nothing settled again)" if answer.duplicate else ""
        self.console.print(f"  {self.clock():%H:%M} {what}: [{colour}]{answer.status.value}{extra}[/{colour}]")
        return answer

    def balances(self, title: str) -> dict[str, int]:
        table = Table(title=title)
        for column in ("bank", "settlement account (som)", "intraday credit left (som)"):
            table.add_column(column, justify="right")
        found = {}
        for code, _, _ in BANKS:
            cash, credit = self.rtgs.liquidity(code)
            found[code] = cash
            table.add_row(code, f"{Money(cash, KGS)}", f"{Money(credit, KGS)}")
        self.console.print(table)
        return found


def run_interbank_demo(world: DemoWorld, out_dir: Path | None, console: Console | None = None) -> bool:
    """Tell the interbank story; True when every check passes. Its database is its own, in the
    world's folder: the RTGS settles on the banks' reserve accounts, which the digital som's
    chapters fill, while this story needs its own opening reserves (a gridlock only forms when
    each bank is short) on a business day of its own clock (docs/demo.md)."""
    console = console or Console()
    folder = world.folder("interbank")
    url = f"sqlite:///{folder / 'interbank.db'}"
    engine = domain_engine(url)
    clock = _Clock()
    rtgs, close = build_rtgs(engine, url, clock, screening=NO_PARTY_SCREENING)  # the story is settlement
    try:
        return _tell(_Story(rtgs, clock, console), out_dir)
    finally:
        close()
        engine.dispose()


def _tell(story: _Story, out_dir: Path | None) -> bool:
    rtgs, clock, say = story.rtgs, story.clock, story.console.print
    say("[bold]Interbank settlement in digital som: one business day of the RTGS[/bold]")
    for code, name, bic in BANKS:
        rtgs.register_bank(code, name, bic)
        rtgs.fund(code, OPENING_RESERVES_SOM[code] * SOM, f"opening-{BUSINESS_DAY}")
    rtgs.pledge_collateral("DEMIR", 2_000_000 * SOM, f"treasury-bills-{BUSINESS_DAY}")
    start = story.balances("09:00 opening reserves (Demir Bank pledged 2,000,000 som of treasury bills)")
    funded = sum(start.values())

    say("\n[bold]A normal morning[/bold]")
    clock.at(9, 30)
    story.send("Ayil -> Bakai 1,200,000 som (pacs.008)", build_pacs008(story.order("AYIL", "BAKAI", 1_200_000)),
               "AYIL")
    story.send("Demir -> Ayil 2,500,000 som, urgent (pacs.009; draws 1,500,000 of intraday credit)",
               build_pacs009(story.order("DEMIR", "AYIL", 2_500_000, urgent=True)), "DEMIR")
    clock.at(9, 40)
    story.send("Demir -> Bakai 800,000 som (pacs.008; Demir is short: queued)",
               build_pacs008(story.order("DEMIR", "BAKAI", 800_000)), "DEMIR")
    clock.at(9, 45)
    salary = build_pacs008(story.order("AYIL", "DEMIR", 300_000, e2e="E2E-SALARY-1123"))
    story.send("Ayil -> Demir 300,000 som (pacs.008; the incoming liquidity settles Demir's queue)", salary, "AYIL")
    story.send("the same message again", salary, "AYIL")
    story.send("a malformed message", b"<Document><not-closed>", None)
    story.balances("09:45 after the morning")

    say("\n[bold]A gridlock[/bold]: each bank waits for the next one's payment")
    clock.at(10, 2)
    gridlock = [story.send(f"{a} -> {b} 7,000,000 som", build_pacs008(story.order(a, b, 7_000_000)), a)
                for a, b in (("AYIL", "BAKAI"), ("BAKAI", "DEMIR"), ("DEMIR", "AYIL"))]
    clock.at(10, 5)
    settled_by_lsm = rtgs.run_lsm()
    say(f"  10:05 liquidity-saving mechanism: {settled_by_lsm} queued payments settled together, all or nothing")
    story.balances("10:05 after the gridlock resolution")

    say("\n[bold]The afternoon[/bold]")
    clock.at(14, 0)
    story.send("Ayil -> Demir 2,500,000 som overnight loan (pacs.009)",
               build_pacs009(story.order("AYIL", "DEMIR", 2_500_000)), "AYIL")
    clock.at(15, 0)
    waiting = story.send("Bakai -> Ayil 9,000,000 som (pacs.008; Bakai holds 5,000,000: queued)",
                         build_pacs008(story.order("BAKAI", "AYIL", 9_000_000)), "BAKAI")

    say("\n[bold]End of day[/bold]")
    clock.at(17, 30)
    report = rtgs.end_of_day(BUSINESS_DAY)
    say(f"  17:30 final LSM run settled {report.settled_by_final_lsm}; rejected at the close (AM04): "
        f"{report.rejected}")
    for bank in report.banks:
        flag = " [red]flagged: unpaid intraday credit[/red]" if bank.flagged else ""
        say(f"  {bank.bank_code}: intraday credit drawn {Money(bank.credit_drawn_tyiyn, KGS)}, repaid "
            f"{Money(bank.credit_repaid_tyiyn, KGS)}{flag}; camt.053 closing {Money(bank.closing_balance_tyiyn, KGS)}")
    end = story.balances("17:30 closing balances")

    statuses = {p.seq: p.status for p in rtgs.payments(BUSINESS_DAY)}
    checks = {
        # On a second run over the same --data the day's messages are duplicates: answered
        # with their original status, so the LSM has nothing left to settle.
        "the gridlock settled through the LSM": all(
            a.payment_seq is not None and statuses[a.payment_seq] is PaymentStatus.SETTLED for a in gridlock)
        and (settled_by_lsm >= len(gridlock) or all(a.duplicate for a in gridlock)),
        "the payment short of liquidity was rejected at the close": waiting.payment_seq is not None
        and statuses[waiting.payment_seq] is PaymentStatus.REJECTED,
        "no money created or lost (intraday credit repaid)": sum(end.values()) == funded,
        "every statement closes on the ledger balance": all(
            b.closing_balance_tyiyn == end[b.bank_code] for b in report.banks),
        "intraday credit repaid": not any(b.flagged for b in report.banks),
    }
    if out_dir is not None:
        checks["every message written validates"] = _write_messages(story, out_dir)
    for name, ok in checks.items():
        say(f"  {'[green]ok[/green]' if ok else '[red]FAILED[/red]'} {name}")
    return all(checks.values())


def _write_messages(story: _Story, out_dir: Path) -> bool:
    """Write every well-formed ISO 20022 message consumed and produced, one per file; check
    each against its XSD. Input that is not an ISO 20022 message at all is left out."""
    produced: list[bytes] = [a.xml for a in story.answers]
    for code, _, _ in BANKS:
        after = 0
        while page := story.rtgs.messages(code, after, PAGE):
            produced.extend(m.xml for m in page)
            after = page[-1].seq
    folder = out_dir / "messages"
    folder.mkdir(parents=True, exist_ok=True)
    seen: set[bytes] = set()
    ok = True
    number = 0
    for direction, messages in (("in", story.consumed), ("out", produced)):
        for xml in messages:
            if xml in seen or not _is_iso20022(xml):
                continue
            seen.add(xml)
            number += 1
            try:
                parsed = parse_inbound(xml)
            except Iso20022Error as error:
                story.console.print(f"  [red]invalid message written[/red]: {error}")
                ok = False
                continue
            name = f"{number:03d}-{direction}-{parsed.message_type.value}-{parsed.body.message_id}.xml"
            (folder / name).write_bytes(xml)
    story.console.print(f"  {number} ISO 20022 messages written to {folder}")
    return ok and number > 0


def _is_iso20022(xml: bytes) -> bool:
    try:
        return namespace_of(parse_xml(xml).tag).startswith("urn:iso:std:iso:20022:tech:xsd:")
    except Iso20022Error:
        return False

