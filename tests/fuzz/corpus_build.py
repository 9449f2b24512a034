"""Writes the seed corpus: a few valid and interesting inputs per decoder (synthetic only).

Run `python -m tests.fuzz.corpus_build` to regenerate; the files are committed, and the
fuzzers start from them. Crash regressions are added by hand beside them (`regress-*`).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from digisom.cbdc import qr
from digisom.interbank.iso20022 import (
    AccountStatement,
    CreditTransferOrder,
    Notification,
    PaymentReturn,
    Priority,
    StatusReport,
    TransactionStatus,
)
from digisom.interbank.iso20022.outbound import (
    build_camt053,
    build_camt054,
    build_pacs002,
    build_pacs004,
    build_pacs008,
    build_pacs009,
)
from digisom.money import KGS, Money
from digisom.por.proof import to_binary
from digisom.registry.chain import seal
from digisom.vasp_reports.csv_format import to_csv
from digisom.vasp_reports.report import canonical_bytes, parse_report
from tests.compliance.conftest import ADD_CSV, ALT_CSV, FTM_ENTITIES, SDN_CSV
from tests.disbursement.test_pain001 import document, transaction
from tests.fuzz import samples
from tests.interbank.samples import BUSINESS_DAY, COMMERCIAL_BANK, ENTRIES, NOW, OTHER_COMMERCIAL_BANK
from tests.remittance.test_ivms101 import valid_payload
from tests.usdkg.world import bar_row, count_rows, csv_bytes
from tests.vasp_reports.helpers import report

CORPUS = Path(__file__).parent / "corpus"


def _order(**changes: object) -> CreditTransferOrder:
    fields: dict[str, object] = {
        "message_id": "COMMERCIAL-20261123-0001", "created_at": NOW, "instruction_id": "INSTR-0001",
        "end_to_end_id": "E2E-PENSION-0001", "debtor_agent": COMMERCIAL_BANK, "creditor_agent": OTHER_COMMERCIAL_BANK,
        "amount": Money(1_234_567_89, KGS), "settlement_date": BUSINESS_DAY, "priority": Priority.URGENT,
        "debtor_name": "Treasury", "debtor_account": "1180000000000001", "creditor_name": "Pensioner",
        "creditor_account": "1090000000000002",
    }
    fields.update(changes)
    return CreditTransferOrder(**fields)  # type: ignore[arg-type]


def iso20022() -> dict[str, bytes]:
    status = StatusReport(
        message_id="RTGS-STS-0001", created_at=NOW, original_message_id="COMMERCIAL-20261123-0001",
        original_message_name="pacs.008.001.08", status=TransactionStatus.PENDING,
        original_end_to_end_id="E2E-PENSION-0001", original_instruction_id="INSTR-0001", reason_code="AM04",
        reason_detail="queued for liquidity",
    )
    returned = PaymentReturn(
        message_id="OTHER-RTR-0001", created_at=NOW, return_id="RTR-0001",
        original_message_id="COMMERCIAL-20261123-0001", original_message_name="pacs.008.001.08",
        original_end_to_end_id="E2E-PENSION-0001", returned_amount=Money(1_234_567_89, KGS),
        settlement_date=BUSINESS_DAY, returning_agent=OTHER_COMMERCIAL_BANK, receiving_agent=COMMERCIAL_BANK,
        reason_code="AC04", original_instruction_id="INSTR-0001",
    )
    statement = AccountStatement(
        message_id="RTGS-STMT-0001", created_at=NOW, statement_id="STMT-118001-20261123",
        account="SETTLEMENT-118001", bank=COMMERCIAL_BANK, statement_date=BUSINESS_DAY,
        opening_balance=Money(1_000_00, KGS), closing_balance=Money(300_00, KGS), entries=ENTRIES,
    )
    notification = Notification(
        message_id="RTGS-NTF-0001", created_at=NOW, notification_id="NTF-118001-0001",
        account="SETTLEMENT-118001", bank=COMMERCIAL_BANK, entries=ENTRIES,
    )
    return {
        "pacs008.xml": build_pacs008(_order()),
        "pacs008-normal.xml": build_pacs008(_order(priority=Priority.NORMAL, debtor_name=None)),
        "pacs009.xml": build_pacs009(_order()),
        "pacs002.xml": build_pacs002(status),
        "pacs004.xml": build_pacs004(returned),
        "camt053.xml": build_camt053(statement),
        "camt054.xml": build_camt054(notification),
    }


def pain001() -> dict[str, bytes]:
    return {
        "good-09.xml": document(transaction("21203195000123", "8500.50"), transaction("11505196000456", "7000")),
        "good-03.xml": document(transaction("21203195000123", "100"), version="03"),
        "wrong-count.xml": document(transaction("21203195000123", "1"), count=3, control_sum="9"),
        "usd.xml": document(transaction("21203195000123", "1", currency="USD")),
    }


def csv_upload() -> dict[str, bytes]:
    return {
        "som.csv": b"pin,amount,name,region\n21203195000123,8500.50,Pensioner,Naryn\n11505196000456,7000,Widow,Osh\n",
        "tyiyn-bom.csv": b"\xef\xbb\xbfpin,amount_tyiyn,region\r\n21203195000123,850050,Naryn\r\n",
        "quoted.csv": b'pin,amount,name,region\n21203195000123,"1,5","Asanov, A.",Naryn\n',
        "duplicate.csv": b"pin,amount,region\n21203195000123,1,Naryn\n21203195000123,2,Naryn\n",
    }


def emv_qr() -> dict[str, bytes]:
    wallet = "wabcdefghijklmnopqrstuvwx"
    return {
        "static.txt": qr.encode(qr.MerchantQr(wallet, "Chaikhana Navat", "Bishkek", "5812")).encode(),
        "dynamic.txt": qr.encode(qr.MerchantQr(wallet, "Navat", "Osh", "5812", 150_00, "INV-7")).encode(),
    }


def ledger_jsonl() -> dict[str, bytes]:
    return {
        "account.json": b'{"id": "1001", "ledger": 417, "code": 10, "flags": ["debits_must_not_exceed_credits"]}',
        "transfer.json": (b'{"id": "7", "debit_account_id": "1001", "credit_account_id": "1002", "amount": "150000",'
                          b' "ledger": 417, "code": 1, "flags": ["pending"], "timeout_s": 60}'),
        "u128.json": b'{"id": "340282366920938463463374607431768211455", "ledger": 1, "code": 1}',
    }


def jwt_tokens() -> dict[str, bytes]:
    return {f"{name}.jwt": token.encode() for name, token in samples.tokens().items()}


def ivms101() -> dict[str, bytes]:
    return {"migrant.json": json.dumps(valid_payload(), ensure_ascii=False).encode()}


def sanctions() -> dict[str, bytes]:
    ftm = "".join(json.dumps(entity, ensure_ascii=False) + "\n" for entity in FTM_ENTITIES)
    return {"entities.ftm.json": ftm.encode()}


def ofac() -> dict[str, bytes]:
    # One file, the three parts separated as the fuzz target splits them.
    return {"sdn-alt-add.txt": samples.OFAC_SEPARATOR.join(p.encode() for p in (SDN_CSV, ALT_CSV, ADD_CSV))}


def vasp_reports() -> dict[str, bytes]:
    key = Ed25519PrivateKey.from_private_bytes(bytes(32))
    data = report()
    signature = key.sign(canonical_bytes(parse_report(data)))
    return {"report.csv": to_csv(parse_report(data), signature), "report.json": json.dumps(data).encode()}


def por() -> dict[str, bytes]:
    proof = {"customer_id": "cust-1", "index": 2, "nonce": "ab" * 16, "balance": 500,
             "path": [{"hash": "cd" * 32, "balance": 100}, {"hash": "ef" * 32, "balance": 7}]}
    return {
        "balances.csv": b"customer_id,balance\ncust-1,500\ncust-2,0\ncust-3,18446744073709551614\n",
        "bare.csv": b"a,1\r\nb,2",
        "proof.bin": to_binary(proof),
    }


def registry_export() -> dict[str, bytes]:
    key = Ed25519PrivateKey.from_private_bytes(bytes(32))
    events = []
    prev = "0" * 64
    for seq, kind in enumerate(("vasp.registered", "licence.granted"), start=1):
        event = seal(key, seq, "vasp-ala-too", kind, {"name": "Ala-Too", "n": seq}, "registrar", "2026-12-01T09:00:00Z",
                     prev)
        events.append(event.as_json())
        prev = event.hash
    return {"export.json": json.dumps({"events": events}, indent=1).encode()}


def usdkg() -> dict[str, bytes]:
    rows = [bar_row("KG1"), bar_row("KG2", gross_moz=399_000, fineness_tenths=9995)]
    return {
        "weight-list.csv": csv_bytes(rows),
        "count.csv": count_rows(rows, "vault-bishkek", date(2026, 11, 30)),
    }


def rates() -> dict[str, bytes]:
    return {
        "rates.csv": b"date,currency,rate\n2026-12-01,USD,87.45\n2026-12-01,RUB,0.9512\n",
        "rates.json": b'[{"date": "2026-12-01", "currency": "USD", "rate": "87.45"}]',
    }


def offline() -> dict[str, dict[str, bytes]]:
    return samples.offline_corpus()


def main() -> None:
    groups: dict[str, dict[str, bytes]] = {
        "iso20022": iso20022(), "pain001": pain001(), "csv_upload": csv_upload(), "emv_qr": emv_qr(),
        "ledger_jsonl": ledger_jsonl(), "jwt": jwt_tokens(), "ivms101": ivms101(), "ftm": sanctions(),
        "ofac": ofac(), "vasp_reports": vasp_reports(), "por": por(), "registry_export": registry_export(),
        "usdkg": usdkg(), "rates": rates(), **offline(),
    }
    for group, files in groups.items():
        folder = CORPUS / group
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (folder / name).write_bytes(data)


if __name__ == "__main__":
    main()
