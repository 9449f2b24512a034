"""The digital-som chapter of `digisom demo`, told through the HTTP API.

The National Bank credits reserves to two banks; the banks turn reserves into digital
som; Ayil Bank opens wallets for a pensioner and a grocery, Bakai Bank one for the
treasury; the treasury pays the pensioner (the holding limit waterfalls the excess to
her bank account); she pays the grocery's QR code, gets part of it refunded, pays
more than her wallet holds (reverse waterfall); a court order freezes her wallet and
is lifted; Ayil Bank redeems digital som back into reserves. After every step the
circulation is compared with the central bank's issuance liability.

Idempotency keys are fixed, so a second run on the same `--data` folder is answered
from the stored responses: nothing is issued or paid twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table

from digisom.api.runtime import Runtime
from digisom.demos.world import DemoWorld
from digisom.kernel.access import Role
from digisom.money import KGS, Money

AYIL: Final = "AYIL"
BAKAI: Final = "BAKAI"
SOM: Final = 100


class DemoFailed(Exception):
    """A step of the story did not answer as the story expects."""


@dataclass
class ApiStory:
    """The API client, the tokens, and what the story has seen so far."""

    runtime: Runtime
    client: TestClient
    console: Console
    tokens: dict[str, str] = field(default_factory=dict)
    wallets: dict[str, str] = field(default_factory=dict)
    checks: list[tuple[str, int, int]] = field(default_factory=list)

    def call(self, who: str | None, method: str, path: str, body: Any = None, key: str | None = None,
             expect: int = 200, **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        if key:
            headers["Idempotency-Key"] = f"demo-{key}"
        response = self.client.request(method, path, json=body, headers=headers, params=params or None)
        if response.status_code != expect:
            raise DemoFailed(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json() if "json" in response.headers.get("content-type", "") else response.content

    def post(self, who: str, path: str, body: Any, key: str, expect: int = 201) -> Any:
        return self.call(who, "POST", path, body, key, expect)

    def print_checks(self, title: str) -> bool:
        """Print circulation against issuance after every step; True if they were always equal."""
        table = Table(title=title)
        for column in ("after", "circulation", "issuance liability", "equal"):
            table.add_column(column, justify="right" if column != "after" else "left")
        for step, circulation, liability in self.checks:
            table.add_row(step, som_text(circulation), som_text(liability), "yes" if circulation == liability else "NO")
        self.console.print(table)
        return all(circulation == liability for _, circulation, liability in self.checks)

    def step(self, title: str, action: Callable[[], str]) -> None:
        """Run one step, print it, and check circulation against issuance."""
        said = action()
        summary = self.call("central_bank", "GET", "/v1/issuance/summary")
        circulation, liability = int(summary["circulation_tyiyn"]), int(summary["issuance_liability_tyiyn"])
        self.checks.append((title, circulation, liability))
        mark = "[green]=[/green]" if circulation == liability else "[red]![/red]"
        self.console.print(f"  [bold]{title}[/bold]: {said}  (circulation {som_text(circulation)} {mark} issued)")


def som_text(tyiyn: int | str) -> str:
    return Money(int(tyiyn), KGS).format()


def amount_body(som: int) -> dict[str, str]:
    return {"amount_tyiyn": str(som * SOM), "currency": "KGS"}


def wallet_body(holder: str, kind: str, tier: int, name: str, merchant: dict[str, str] | None = None) -> Any:
    body: dict[str, Any] = {"holder_id": holder, "holder_kind": kind, "tier": tier,
                            "identity": {"full_name": name, "phone": "+996555010203", "pin": "2580"}}
    if merchant:
        body["merchant"] = merchant
    return body


def _story(s: ApiStory, out_dir: Path | None) -> None:
    def banks() -> str:
        for pid, kind, name, code in (("ayil-bank", "commercial_bank", "Ayil Bank", AYIL),
                                      ("bakai-bank", "commercial_bank", "Bakai Bank", BAKAI),
                                      ("treasury", "treasury", "Central Treasury", None)):
            s.post("central_bank", "/v1/participants", {"id": pid, "kind": kind, "name": name, "bank_code": code},
                   f"participant-{pid}")
        for code in (AYIL, BAKAI):
            s.post("central_bank", "/v1/issuance/reserve-credits", {"bank_code": code, **amount_body(2_000_000)},
                   f"reserves-{code}")
        return "Ayil Bank and Bakai Bank registered, 2,000,000 som of reserves each"

    def issue() -> str:
        s.post("commercial_bank", "/v1/issuance/issues", {"bank_code": AYIL, **amount_body(300_000)}, "issue-ayil")
        s.post("second_bank", "/v1/issuance/issues", {"bank_code": BAKAI, **amount_body(500_000)}, "issue-bakai")
        return "reserves turned into digital som: Ayil 300,000, Bakai 500,000"

    def wallets() -> str:
        s.wallets["pensioner"] = s.post("commercial_bank", "/v1/wallets",
                                        wallet_body("pensioner", "individual", 0, "Gulnara Sydykova"),
                                        "wallet-pensioner")["id"]
        s.wallets["merchant"] = s.post("commercial_bank", "/v1/wallets", wallet_body(
            "merchant", "merchant", 2, "Naryn Grocery LLC", {"name": "Naryn Grocery", "city": "Naryn", "mcc": "5411"}),
            "wallet-merchant")["id"]
        s.wallets["treasury"] = s.post("second_bank", "/v1/wallets",
                                       wallet_body("treasury", "government", 2, "Central Treasury"),
                                       "wallet-treasury")["id"]
        treasury = s.wallets["treasury"]
        s.post("second_bank", f"/v1/wallets/{treasury}/deposit-credits", amount_body(1_000_000), "treasury-deposit",
               200)
        s.post("treasury", f"/v1/wallets/{treasury}/funding", amount_body(250_000), "treasury-funding", 200)
        return f"pensioner {s.wallets['pensioner']} (tier 0), grocery, treasury loaded with 250,000 som"

    def p2p() -> str:
        paid = s.post("treasury", "/v1/payments", {"payer_wallet_id": s.wallets["treasury"],
                                                  "payee_wallet_id": s.wallets["pensioner"], **amount_body(12_000),
                                                  "reference": "pension November"}, "pension")
        return f"treasury paid the pension: {som_text(paid['amount_tyiyn'])}"

    def waterfall() -> str:
        paid = s.post("treasury", "/v1/payments", {"payer_wallet_id": s.wallets["treasury"],
                                                  "payee_wallet_id": s.wallets["pensioner"], **amount_body(5_000),
                                                  "reference": "heating allowance"}, "allowance")
        return (f"5,000 som more; the 15,000 som holding limit sent {som_text(paid['waterfall_tyiyn'])} "
                "to her Ayil Bank account (waterfall)")

    sale: dict[str, Any] = {}

    def qr_payment() -> str:
        qr_body = {"wallet_id": s.wallets["merchant"], "amount_tyiyn": str(2_500 * SOM), "bill_number": "B-1017"}
        payload = s.post("merchant", "/v1/qr", qr_body, "qr")["payload"]
        if out_dir is not None:
            for fmt in ("png", "svg"):
                image = s.call("merchant", "GET", "/v1/qr/image", payload=payload, format=fmt)
                (out_dir / f"merchant-qr.{fmt}").write_bytes(image)
        decoded = s.post("pensioner", "/v1/qr/decode", {"payload": payload}, "qr-decode", 200)
        sale.update(s.post("pensioner", "/v1/payments/qr", {"payer_wallet_id": s.wallets["pensioner"],
                                                           "payload": payload, "currency": "KGS"}, "qr-pay"))
        bill = decoded["bill_number"]
        return f"paid {decoded['merchant_name']}'s QR code (bill {bill}): {som_text(sale['amount_tyiyn'])}"

    def refund() -> str:
        s.post("merchant", f"/v1/payments/{sale['id']}/refunds", amount_body(700), "refund")
        refused = s.post("merchant", f"/v1/payments/{sale['id']}/refunds", amount_body(2_000), "refund-too-much", 422)
        return (f"700 som refunded; a 2,000 som refund refused ({refused['limit']}, "
                f"{som_text(refused['remaining_tyiyn'])} left)")

    def reverse_waterfall() -> str:
        pensioner = s.wallets["pensioner"]
        paid = s.post("pensioner", "/v1/payments", {"payer_wallet_id": pensioner, "payee_wallet_id":
                                                    s.wallets["merchant"], **amount_body(9_000)}, "big-shop-1")
        paid = s.post("pensioner", "/v1/payments", {"payer_wallet_id": pensioner, "payee_wallet_id":
                                                    s.wallets["merchant"], **amount_body(6_000)}, "big-shop-2")
        topup = som_text(paid['topup_tyiyn'])
        return f"paid 9,000 som, then 6,000: {topup} came from her bank account (reverse waterfall)"

    def freeze() -> str:
        pensioner = s.wallets["pensioner"]
        s.post("central_bank", f"/v1/wallets/{pensioner}/freeze",
               {"reason": "court order: inheritance dispute", "legal_order_ref": "ORD-2026-1123"}, "freeze", 200)
        refused = s.post("treasury", "/v1/payments", {"payer_wallet_id": s.wallets["treasury"],
                                                     "payee_wallet_id": pensioner, **amount_body(10)}, "to-frozen", 409)
        s.post("central_bank", f"/v1/wallets/{pensioner}/unfreeze",
               {"reason": "order lifted", "legal_order_ref": "ORD-2026-1124"}, "unfreeze", 200)
        return f"frozen under ORD-2026-1123 (a payment to it: {refused['title'].lower()}), then unfrozen"

    def redeem() -> str:
        s.post("commercial_bank", "/v1/issuance/redemptions", {"bank_code": AYIL, **amount_body(100_000)}, "redeem")
        return "Ayil Bank redeemed 100,000 som into reserves"

    for title, action in (("Reserves", banks), ("Issuance", issue), ("Wallets", wallets), ("P2P", p2p),
                          ("Waterfall", waterfall), ("Merchant QR", qr_payment), ("Refund", refund),
                          ("Reverse waterfall", reverse_waterfall), ("Freeze", freeze), ("Redemption", redeem)):
        s.step(title, action)


def run_cbdc_demo(world: DemoWorld, out_dir: Path | None, console: Console) -> bool:
    """Tell the digital-som story through the API; True if every check held."""
    console.rule("The digital som: two-tier issuance, wallets and payments, through the HTTP API")
    runtime = world.build()
    try:
        story = ApiStory(runtime, TestClient(runtime.app), console)
        issue = runtime.issuer.issue
        story.tokens = {
            "central_bank": issue(Role.CENTRAL_BANK_OPERATOR, "nbkr-operator"),
            "commercial_bank": issue(Role.BANK_OPERATOR, "ayil-ops", AYIL),
            "second_bank": issue(Role.BANK_OPERATOR, "bakai-ops", BAKAI),
            "treasury": issue(Role.WALLET_HOLDER, "treasury", BAKAI),
            "pensioner": issue(Role.WALLET_HOLDER, "pensioner", AYIL),
            "merchant": issue(Role.WALLET_HOLDER, "merchant", AYIL),
        }
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
        try:
            _story(story, out_dir)
        except DemoFailed as error:
            console.print(f"[red]demo step failed:[/red] {error}")
            return False
        return _summary(story, out_dir)
    finally:
        runtime.close()


def _summary(s: ApiStory, out_dir: Path | None) -> bool:
    balanced = s.print_checks("Digital som in circulation against the National Bank's issuance liability")
    public = s.call(None, "GET", "/v1/public/aggregate")
    s.console.print(f"  Published aggregate: {som_text(public['circulation_tyiyn'])} in {public['wallets_open']} "
                    f"wallets at {public['banks']} banks")
    if out_dir is not None:
        report_day = s.runtime.service.ctx.clock().date().isoformat()
        report = s.call("central_bank", "GET", f"/v1/issuance/reports/{report_day}")
        (out_dir / "issuance-report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        csv_bytes = s.call("central_bank", "GET", f"/v1/issuance/reports/{report_day}", format="csv")
        (out_dir / "issuance-report.csv").write_bytes(csv_bytes)
    return balanced
