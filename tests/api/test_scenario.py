"""The digital som's main story through the API, on SQLite and on PostgreSQL:
issuance, wallets, payments, waterfall, reverse waterfall, QR, refunds, request to pay,
freeze, closing, redemption. Circulation equals the issuance liability after every step,
and the ledger's independent verifier agrees at the end."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from digisom.api.runtime import Runtime
from digisom.cbdc.accounts import CIRCULATING_CODES, AccountCode, balance_tyiyn
from digisom.ledger.audit import verify
from digisom.stores.url import open_store
from tests.api.world import AYIL, SOM, World, kgs


def test_the_digital_som_story(any_store_runtime: Runtime) -> None:
    w = World.create(any_store_runtime).setup()
    assert w.assert_balanced() == 500_000 * SOM
    pensioner, merchant, treasury = (w.wallets[n] for n in ("pensioner", "merchant", "treasury"))

    # P2P across banks: a social transfer from the treasury to the pensioner.
    paid = w.ok(w.pay("treasury", "treasury", "pensioner", 12_000), 201)
    assert (paid["kind"], paid["waterfall_tyiyn"], paid["topup_tyiyn"]) == ("p2p", "0", "0")
    assert w.balance("pensioner") == 12_000 * SOM
    w.assert_balanced()

    # Waterfall: tier 0 holds at most 15,000 som; 2,000 of the next 5,000 go to the bank account.
    paid = w.ok(w.pay("treasury", "treasury", "pensioner", 5_000), 201)
    assert paid["waterfall_tyiyn"] == str(2_000 * SOM)
    assert (w.balance("pensioner"), w.deposit("pensioner")) == (15_000 * SOM, 2_000 * SOM)
    view = w.ok(w.get("pensioner", f"/v1/wallets/{pensioner}"))
    assert view["limits"]["balance_room_tyiyn"] == "0"
    w.assert_balanced()

    # Merchant QR: the merchant shows a dynamic code, the pensioner's app decodes and pays it.
    code = w.ok(w.post("merchant", "/v1/qr", {"wallet_id": merchant, "amount_tyiyn": str(2_500 * SOM),
                                              "bill_number": "B-17"}), 201)["payload"]
    decoded = w.ok(w.post("pensioner", "/v1/qr/decode", {"payload": code}))
    assert (decoded["merchant_name"], decoded["amount_tyiyn"], decoded["bill_number"]) == (
        "Naryn Grocery", str(2_500 * SOM), "B-17")
    image = w.client.get("/v1/qr/image", params={"payload": code}, headers=w.headers("merchant"))
    assert image.headers["content-type"] == "image/png" and image.content.startswith(b"\x89PNG")
    sale = w.ok(w.post("pensioner", "/v1/payments/qr", {"payer_wallet_id": pensioner, "payload": code,
                                                        "currency": "KGS"}), 201)
    assert (sale["kind"], sale["reference"], w.balance("pensioner")) == ("merchant", "B-17", 12_500 * SOM)
    w.assert_balanced()

    # Refunds: partial, then never above what is left.
    w.ok(w.post("merchant", f"/v1/payments/{sale['id']}/refunds", kgs(1_000)), 201)
    too_much = w.post("merchant", f"/v1/payments/{sale['id']}/refunds", kgs(1_600))
    assert too_much.status_code == 422
    assert too_much.headers["content-type"] == "application/problem+json"
    problem = too_much.json()
    assert problem["type"] == "https://digisom.kg/problems/limit-exceeded"
    assert (problem["limit"], problem["remaining_tyiyn"]) == ("refundable_tyiyn", str(1_500 * SOM))
    w.ok(w.post("merchant", f"/v1/payments/{sale['id']}/refunds", kgs(1_500)), 201)
    assert w.post("merchant", f"/v1/payments/{sale['id']}/refunds", kgs(1)).json()["remaining_tyiyn"] == "0"
    assert w.ok(w.get("merchant", f"/v1/payments/{sale['id']}"))["refunded_tyiyn"] == str(2_500 * SOM)
    assert w.balance("pensioner") == 15_000 * SOM
    w.assert_balanced()

    # Reverse waterfall: the pensioner pays more than the wallet holds; the bank account tops it up.
    w.ok(w.post("commercial_bank", f"/v1/wallets/{pensioner}/deposit-credits", kgs(10_000)))
    w.ok(w.pay("pensioner", "pensioner", "merchant", 9_000), 201)
    topped = w.ok(w.pay("pensioner", "pensioner", "merchant", 9_000), 201)
    assert topped["topup_tyiyn"] == str(3_000 * SOM)
    assert (w.balance("pensioner"), w.deposit("pensioner")) == (0, 9_000 * SOM)
    w.assert_balanced()

    # Request to pay: paid once, never twice.
    asked = w.ok(w.post("merchant", "/v1/payment-requests", {"payee_wallet_id": merchant, "payer_wallet_id": pensioner,
                                                             **kgs(500), "message": "milk"}), 201)
    inbox = w.ok(w.get("pensioner", f"/v1/wallets/{pensioner}/payment-requests"))["items"]
    assert [(q["id"], q["status"], q["message"]) for q in inbox] == [(asked["id"], "open", "milk")]
    answered = w.ok(w.post("pensioner", f"/v1/payment-requests/{asked['id']}/accept"))
    assert answered["status"] == "paid" and answered["payment_id"]
    assert w.post("pensioner", f"/v1/payment-requests/{asked['id']}/accept").status_code == 409
    w.assert_balanced()

    # Freeze under a legal order: neither pays nor receives; the reason is recorded.
    hold = w.ok(w.post("central_bank", f"/v1/wallets/{pensioner}/freeze",
                       {"reason": "court order", "legal_order_ref": "ORD-2026-17"}))
    assert hold["action"] == "freeze"
    refused = w.pay("treasury", "treasury", "pensioner", 100)
    assert refused.json()["type"] == "https://digisom.kg/problems/wallet-frozen"
    assert w.pay("pensioner", "pensioner", "merchant", 1).status_code == 409
    w.ok(w.post("central_bank", f"/v1/wallets/{pensioner}/unfreeze", {"reason": "lifted", "legal_order_ref": "ORD-18"}))
    reasons = [h["reason"] for h in w.ok(w.get("commercial_bank", f"/v1/wallets/{pensioner}/holds"))["items"]]
    assert reasons == ["court order", "lifted"]
    w.ok(w.pay("treasury", "treasury", "pensioner", 100), 201)
    w.assert_balanced()

    # Closing: the balance goes to the linked bank account; the wallet receives nothing more.
    before = w.balance("pensioner") + w.deposit("pensioner")
    closed = w.ok(w.post("commercial_bank", f"/v1/wallets/{pensioner}/close"))
    assert (closed["status"], closed["balance_tyiyn"], int(closed["linked_deposit_tyiyn"])) == ("closed", "0", before)
    assert w.pay("treasury", "treasury", "pensioner", 1).json()["type"] == "https://digisom.kg/problems/wallet-closed"
    w.assert_balanced()

    # Redemption: Ayil Bank turns 50,000 som back into reserves.
    w.ok(w.post("commercial_bank", "/v1/issuance/redemptions", {"bank_code": AYIL, **kgs(50_000)}), 201)
    assert w.assert_balanced() == 450_000 * SOM
    over = w.post("commercial_bank", "/v1/issuance/redemptions", {"bank_code": AYIL, **kgs(10_000_000)})
    assert over.json()["type"] == "https://digisom.kg/problems/insufficient-funds"
    assert w.assert_balanced() == 450_000 * SOM

    # Reports: the daily report (JSON and CSV) and the public aggregate.
    day = datetime.now(UTC).date().isoformat()
    report = w.ok(w.get("auditor", f"/v1/issuance/reports/{day}"))
    assert (report["issued_tyiyn"], report["redeemed_tyiyn"]) == (str(500_000 * SOM), str(50_000 * SOM))
    text = w.client.get(f"/v1/issuance/reports/{day}", params={"format": "csv"}, headers=w.headers("auditor")).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[-1]["bank_code"] == "TOTAL" and rows[-1]["outstanding_tyiyn"] == str(450_000 * SOM)
    public = w.ok(w.get(None, "/v1/public/aggregate"))
    assert (public["circulation_tyiyn"], public["wallets_open"], public["banks"]) == (str(450_000 * SOM), 2, 2)

    # The statement shows the chain legs; the journal is readable; the ledger verifies.
    kinds = {e["kind"] for e in w.ok(w.get("treasury", f"/v1/wallets/{treasury}/statement"))["items"]}
    assert {"funding", "p2p", "waterfall"} <= kinds
    assert w.ok(w.get("auditor", "/v1/ledger/journal", limit=5))["next_cursor"]
    store = open_store(any_store_runtime.db_url)
    try:
        assert verify(store).ok
        # Independently of the domain's tables: every digital-som account in the ledger.
        every = store.scan_accounts(0, 100_000)
        circulating = sum(balance_tyiyn(a) for a in every if a.code in CIRCULATING_CODES)
        issued = sum(balance_tyiyn(a) for a in every if a.code == AccountCode.ISSUANCE)
        assert circulating == issued == 450_000 * SOM
    finally:
        store.close()
