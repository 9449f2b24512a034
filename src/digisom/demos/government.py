"""The government-payments chapter of `digisom demo` (pilot phase 2), told through the HTTP API.

Ayil Bank opens wallets for six pensioners, a family, a stationery shop and a grocery,
and registers its customers' personal numbers in the alias directory (one pensioner has
only a bank account). The treasury's clerk uploads the November pension file: a first
file with bad rows is refused whole with a row-level report; the corrected file waits
for a second operator (the clerk may not approve it); the run executes in the
background and its reconciliation report shows who was paid where. Anyone reads the
public spending figures per region, with cells of fewer than five payees suppressed.
Then a school-supplies grant: the family spends part of it at the stationery shop, is
refused at the grocery, and after the grant's last day the unspent rest returns to the
treasury. Finally the stationery shop pays a tax with an ISO 11649 reference (a mistyped one is
refused) and gets its receipt. After every step circulation is compared with the
central bank's issuance liability.

The clock is the demo's own: the grant's last day is a fixed number of days ahead, and
the story moves the clock past it. Idempotency keys are fixed, so a second run on the
same `--data` folder is answered from the stored responses and pays nobody twice.
"""

from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from fastapi.testclient import TestClient
from rich.console import Console

from digisom.api.runtime import Runtime
from digisom.demos.cbdc import ApiStory, DemoFailed, amount_body, som_text, wallet_body
from digisom.demos.world import DemoWorld
from digisom.disbursement.taxes import make_reference
from digisom.kernel.access import Role

AYIL: Final = "AYIL"
SOM: Final = 100
PERIOD: Final = "2026-11"
GRANT_DAYS: Final = 30  # the school grant's last day, counted from the demo's first day
RUN_TIMEOUT_S: Final = 60.0
POLL_S: Final = 0.05


@dataclass(frozen=True, slots=True)
class Person:
    """A recipient: a wallet at Ayil Bank, or (`wallet` False) only an account there."""

    key: str
    personal_number: str
    name: str
    region: str
    wallet: bool = True


PENSIONERS: Final = (
    Person("aigul", "20304194500011", "Aigul Toktosunova", "Naryn"),
    Person("bakyt", "20304194500022", "Bakyt Omurov", "Naryn"),
    Person("cholpon", "20304194500033", "Cholpon Asanova", "Naryn"),
    Person("dastan", "20304194500044", "Dastan Beishenov", "Naryn"),
    Person("elmira", "20304194500055", "Elmira Jusupova", "Naryn"),
    Person("farida", "20304194500066", "Farida Sydykova", "Osh"),
    Person("gulzat", "20304194500077", "Gulzat Mamytova", "Osh", wallet=False),
)
FAMILY: Final = Person("family", "21509198800088", "Nurlan Abdyldaev", "Naryn")
PENSION_SOM: Final = 8_500
GRANT_SOM: Final = 3_000
STATIONERY_MCC: Final = "5943"


class DemoClock:
    """The demo's wall clock: real time moved forward by `days`, so a grant can expire."""

    def __init__(self) -> None:
        self.days = 0

    def __call__(self) -> datetime:
        return datetime.now(UTC) + timedelta(days=self.days)


def _pension_csv(rows: list[tuple[str, str, str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("pin", "amount", "region", "name"))
    writer.writerows(rows)
    return out.getvalue().encode()


def _upload(s: ApiStory, programme: str, data: bytes, key: str, expect: int = 201) -> Any:
    headers = {"Authorization": f"Bearer {s.tokens['clerk']}", "Idempotency-Key": f"demo-{key}",
               "Content-Type": "text/csv"}
    response = s.client.post(f"/v1/disbursement/programmes/{programme}/runs", params={"period": PERIOD},
                             content=data, headers=headers)
    if response.status_code != expect:
        raise DemoFailed(f"upload to {programme}: {response.status_code} {response.text[:300]}")
    return response.json()


def _pay_run(s: ApiStory, programme: str, data: bytes, key: str) -> dict[str, Any]:
    """Upload as the clerk, approve as the supervisor, execute in the background, read the report."""
    run = _upload(s, programme, data, key)
    s.post("supervisor", f"/v1/disbursement/runs/{run['id']}/approval", {}, f"{key}-approve", 200)
    # Live progress, never replayed: a completed run answers 200, one that starts or runs 202.
    status = s.call("auditor", "GET", f"/v1/disbursement/runs/{run['id']}")["status"]
    s.call("clerk", "POST", f"/v1/disbursement/runs/{run['id']}/execution", {}, f"{key}-execute",
           expect=200 if status == "completed" else 202)
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while (detail := s.call("auditor", "GET", f"/v1/disbursement/runs/{run['id']}"))["status"] != "completed":
        if detail["worker_error"] or time.monotonic() > deadline:
            raise DemoFailed(f"run {run['id']} did not complete: {detail}")
        time.sleep(POLL_S)
    report: dict[str, Any] = s.call("auditor", "GET", f"/v1/disbursement/runs/{run['id']}/report")
    return report


def _summary_text(report: dict[str, Any]) -> str:
    parts = [f"{entry['count']} {status} ({som_text(entry['amount_tyiyn'])})"
             for status, entry in report["summary"].items() if entry["count"] and status not in ("repaid", "returns")]
    return ", ".join(parts)


def _benefit_balance(s: ApiStory, who: str, scheme_id: str) -> int:
    view = s.call(who, "GET", f"/v1/wallets/{s.wallets[who]}")
    return sum(int(b["balance_tyiyn"]) for b in view["benefits"] if b["scheme_id"] == scheme_id)


def _story(s: ApiStory, clock: DemoClock, out_dir: Path | None, restart: Any) -> None:
    grant: dict[str, Any] = {}
    moved_tyiyn: dict[str, int] = {}  # what each step moved out of (-) or into (+) the treasury wallet

    def setup() -> str:
        for pid, kind, name, code in (("ayil-bank", "commercial_bank", "Ayil Bank", AYIL),
                                      ("treasury", "treasury", "Central Treasury", None)):
            s.post("central_bank", "/v1/participants", {"id": pid, "kind": kind, "name": name, "bank_code": code},
                   f"participant-{pid}")
        s.post("central_bank", "/v1/issuance/reserve-credits", {"bank_code": AYIL, **amount_body(2_000_000)},
               "reserves")
        s.post("bank", "/v1/issuance/issues", {"bank_code": AYIL, **amount_body(500_000)}, "issue")
        treasury = s.post("bank", "/v1/wallets", wallet_body("treasury", "government", 2, "Central Treasury"),
                          "wallet-treasury")["id"]
        s.wallets["treasury"] = treasury
        s.post("bank", f"/v1/wallets/{treasury}/deposit-credits", amount_body(1_000_000), "treasury-deposit", 200)
        s.post("treasury", f"/v1/wallets/{treasury}/funding", amount_body(200_000), "treasury-funding", 200)
        for person in (*PENSIONERS, FAMILY):
            if person.wallet:
                s.wallets[person.key] = s.post("bank", "/v1/wallets", wallet_body(
                    person.key, "individual", 1, person.name), f"wallet-{person.key}")["id"]
        shops = (("stationery", "Naryn Stationery", STATIONERY_MCC), ("grocery", "Naryn Grocery", "5411"))
        for key, name, mcc in shops:
            s.wallets[key] = s.post("bank", "/v1/wallets", wallet_body(
                key, "merchant", 2, f"{name} LLC", {"name": name, "city": "Naryn", "mcc": mcc}), f"wallet-{key}")["id"]
        for person in (*PENSIONERS, FAMILY):
            body = ({"wallet_id": s.wallets[person.key]} if person.wallet
                    else {"bank_account": "KG21AYIL0000004500770001"})
            s.call("bank", "PUT", f"/v1/aliases/{person.personal_number}", body, f"alias-{person.key}")
        return ("treasury wallet loaded with 200,000 som; 7 wallets and 2 merchants at Ayil Bank; "
                "8 personal numbers in the banks' alias directory (Gulzat has only a bank account)")

    def programmes() -> str:
        s.post("clerk", "/v1/disbursement/programmes", {
            "id": "pensions", "name": "State pensions", "source_wallet_id": s.wallets["treasury"],
            "budget_tyiyn": str(100_000 * SOM), "currency": "KGS"}, "programme-pensions")
        return "programme 'State pensions' paying from the treasury wallet, budget line 100,000 som"

    def refused_file() -> str:
        bad = _pension_csv([
            (PENSIONERS[0].personal_number, f"{PENSION_SOM}.00", "Naryn", PENSIONERS[0].name),
            ("20304194599999", f"{PENSION_SOM}.00", "Naryn", "Unknown Person"),
            (PENSIONERS[1].personal_number, "-100", "Naryn", PENSIONERS[1].name),
            (PENSIONERS[0].personal_number, f"{PENSION_SOM}.00", "Naryn", PENSIONERS[0].name),
        ])
        refused = _upload(s, "pensions", bad, "pension-bad-file", expect=422)
        reasons = ", ".join(f"line {e['line']} {e['reason']}" for e in refused["errors"])
        return f"a file with bad rows is refused whole, nothing paid: {reasons}"

    def pension_run() -> str:
        rows = [(p.personal_number, f"{PENSION_SOM}.00", p.region, p.name) for p in PENSIONERS]
        good = _pension_csv(rows)
        run = _upload(s, "pensions", good, "pension-file")
        if run["status"] == "uploaded":
            own = s.post("clerk", f"/v1/disbursement/runs/{run['id']}/approval", {}, "pension-self-approve", 403)
            said = f"the clerk may not approve her own upload ({own['title'].lower()}); "
        else:
            said = ""
        report = _pay_run(s, "pensions", good, "pension-file")
        if out_dir is not None:
            (out_dir / "pension-run-report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
            csv_bytes = s.client.get(f"/v1/disbursement/runs/{report['run_id']}/report", headers={
                "Authorization": f"Bearer {s.tokens['auditor']}", "Accept": "text/csv"}).content
            (out_dir / "pension-run-report.csv").write_bytes(csv_bytes)
        moved_tyiyn["pensions"] = -int(report["summary"]["paid"]["amount_tyiyn"])
        channels = sorted({line["channel"] for line in report["lines"] if line["status"] == "paid"})
        return f"{said}the supervisor approved; run executed: {_summary_text(report)} via {' and '.join(channels)}"

    def public_spending() -> str:
        page = s.call(None, "GET", "/v1/public/spending")
        cells = []
        for cell in page["items"]:
            shown = "suppressed" if cell["suppressed"] else f"{cell['payees']} payees, {som_text(cell['paid_tyiyn'])}"
            cells.append(f"{cell['programme_id']}/{cell['region']}: {shown}")
        return f"published without personal data (< {page['min_payees_per_cell']} payees hidden): " + "; ".join(cells)

    def school_grant() -> str:
        expires_on = (clock() + timedelta(days=GRANT_DAYS)).date().isoformat()
        grant.update(s.post("clerk", "/v1/benefit-schemes", {
            "name": "School supplies grant", "categories": [STATIONERY_MCC], "expires_on": expires_on,
            "treasury_wallet_id": s.wallets["treasury"]}, "scheme-school"))
        s.post("clerk", "/v1/disbursement/programmes", {
            "id": "school-grant", "name": "School supplies grant", "source_wallet_id": s.wallets["treasury"],
            "budget_tyiyn": str(10_000 * SOM), "currency": "KGS", "benefit_scheme": grant["id"]}, "programme-grant")
        data = _pension_csv([(FAMILY.personal_number, f"{GRANT_SOM}.00", FAMILY.region, FAMILY.name)])
        report = _pay_run(s, "school-grant", data, "grant-file")
        moved_tyiyn["grant"] = -int(report["summary"]["paid"]["amount_tyiyn"])
        balance = _benefit_balance(s, "family", grant["id"])
        return (f"grant for stationery (MCC {STATIONERY_MCC}) until {grant['expires_on']}: {_summary_text(report)}; "
                f"the family's wallet shows it apart: {som_text(balance)}")

    def grant_spent() -> str:
        paid = s.post("family", "/v1/payments", {
            "payer_wallet_id": s.wallets["family"], "payee_wallet_id": s.wallets["stationery"],
            **amount_body(1_200), "reference": "notebooks and pens", "benefit_scheme_id": grant["id"]}, "grant-spend")
        refused = s.post("family", "/v1/payments", {
            "payer_wallet_id": s.wallets["family"], "payee_wallet_id": s.wallets["grocery"],
            **amount_body(300), "benefit_scheme_id": grant["id"]}, "grant-at-grocery", 422)
        return (f"{som_text(paid['amount_tyiyn'])} spent at the stationery shop; at the grocery refused: "
                f"{refused['detail']}")

    def grant_expired() -> str:
        clock.days = GRANT_DAYS + 1
        late = s.post("family", "/v1/payments", {
            "payer_wallet_id": s.wallets["family"], "payee_wallet_id": s.wallets["stationery"],
            **amount_body(100), "benefit_scheme_id": grant["id"]}, "grant-late", 409)
        swept = s.post("clerk", f"/v1/benefit-schemes/{grant['id']}/expiry", {}, "grant-expiry", 200)
        moved_tyiyn["expiry"] = int(swept["returned_tyiyn"])
        left = _benefit_balance(s, "family", grant["id"])
        return (f"after the last day a purchase is refused ({late['title'].lower()}); the sweep returned "
                f"{som_text(swept['returned_tyiyn'])} to the treasury, {som_text(left)} left on the grant")

    def tax() -> str:
        reference = make_reference("2026110417")
        mistyped = reference[:-1] + ("8" if reference[-1] != "8" else "9")
        body = {"wallet_id": s.wallets["stationery"], **amount_body(450)}
        refused = s.post("stationery", "/v1/taxes", {**body, "reference": mistyped}, "tax-mistyped", 422)
        receipt = s.post("stationery", "/v1/taxes", {**body, "reference": reference}, "tax")
        again = s.post("stationery", "/v1/taxes", {**body, "reference": reference}, "tax")
        if again["receipt_id"] != receipt["receipt_id"]:
            raise DemoFailed("a retried tax payment gave a second receipt")
        moved_tyiyn["tax"] = int(receipt["amount_tyiyn"])
        if out_dir is not None:
            (out_dir / "tax-receipt.json").write_text(json.dumps(receipt, indent=2) + "\n", encoding="utf-8")
        return (f"{mistyped} refused ({refused['title'].lower()}); {reference}: {som_text(receipt['amount_tyiyn'])} "
                f"paid, receipt {receipt['receipt_id']} (the retry returned the same receipt)")

    s.step("Set-up", setup)
    restart(s.wallets["treasury"])  # the server now knows the treasury's revenue wallet for taxes
    def treasury_reconciled() -> str:
        funded_tyiyn = 200_000 * SOM
        expected = funded_tyiyn + sum(moved_tyiyn.values())
        actual = int(s.call("treasury", "GET", f"/v1/wallets/{s.wallets['treasury']}")["balance_tyiyn"])
        if actual != expected:
            raise DemoFailed(f"the treasury wallet holds {som_text(actual)}, the reports say {som_text(expected)}")
        return (f"treasury wallet {som_text(actual)} = 200,000 som funded - pensions - grant + expired grant + tax "
                "(from the reports and the receipt)")

    for title, action in (("Programme", programmes), ("Refused file", refused_file), ("Pension run", pension_run),
                          ("Public spending", public_spending), ("School grant", school_grant),
                          ("Grant spent", grant_spent), ("Grant expired", grant_expired), ("Tax", tax),
                          ("Treasury reconciled", treasury_reconciled)):
        s.step(title, action)


def _tokens(runtime: Runtime) -> dict[str, str]:
    issue = runtime.issuer.issue
    tokens = {
        "central_bank": issue(Role.CENTRAL_BANK_OPERATOR, "nbkr-operator"),
        "bank": issue(Role.BANK_OPERATOR, "ayil-ops", AYIL),
        "clerk": issue(Role.TREASURY_OPERATOR, "treasury-clerk"),
        "supervisor": issue(Role.TREASURY_OPERATOR, "treasury-supervisor"),
        "auditor": issue(Role.AUDITOR, "audit-chamber"),
    }
    for holder in ("treasury", "family", "stationery"):
        tokens[holder] = issue(Role.WALLET_HOLDER, holder, AYIL)
    return tokens


def run_government_demo(world: DemoWorld, out_dir: Path | None, console: Console) -> bool:
    """Tell the government-payments story through the API; True if every check held."""
    console.rule("Government payments: a pension run, a school grant spent and expired, a tax payment")
    clock = DemoClock()
    revenue_wallet: list[str] = []
    holder: list[Runtime] = [world.build(clock=clock)]
    story = ApiStory(holder[0], TestClient(holder[0].app), console)
    story.tokens = _tokens(holder[0])

    def restart(treasury_wallet: str | None = None) -> None:
        """Stop and start the API on the same data, as an operator restarting `digisom serve` would."""
        if treasury_wallet:
            revenue_wallet[:] = [treasury_wallet]
        holder[0].close()
        holder[0] = world.build(clock=clock,
                          tax_revenue_wallet=revenue_wallet[0] if revenue_wallet else None)
        story.runtime, story.client = holder[0], TestClient(holder[0].app)

    try:
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
        try:
            _story(story, clock, out_dir, restart)
        except DemoFailed as error:
            console.print(f"[red]demo step failed:[/red] {error}")
            return False
        return story.print_checks("Government payments: circulation against the issuance liability after each step")
    finally:
        holder[0].close()

