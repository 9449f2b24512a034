"""`digisom serve --merchant-chain embedded`: the served app (built by the same
`ServeSettings` as serve) creates an invoice through the API, and the worker running in the
process settles it once paid; the USDKG payout through the digital som's payment path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from digisom.api import merchants_wiring
from digisom.api.merchant_rail import issuer_payout
from digisom.cli.main import app
from digisom.demos.merchants import Karakol
from digisom.merchants.ports import CreditState

PRICE = 350_00


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Karakol]:
    built = Karakol.open(tmp_path_factory.mktemp("serve-rail") / "data")
    try:
        yield built
    finally:
        built.close()


def test_the_served_rail_settles_an_invoice_created_through_the_api(town: Karakol) -> None:
    assert town.buy_kgst(500_00) == "posted"
    before = town.balance_tyiyn(town.cafe_wallet)
    invoice = town.create_invoice(PRICE, "till-1")
    assert town.create_invoice(PRICE, "till-1") == invoice  # the same key: the same invoice
    assert invoice["status"] == "open" and invoice["pay_units"] == str(PRICE)
    town.pay(invoice["pay_address"], PRICE)
    seen = town.statuses_until(invoice["invoice_id"], "settled")
    assert seen[-1] == "settled", seen
    done = town.invoice(invoice["invoice_id"])
    assert done["settled_tyiyn"] == str(PRICE) and [m["kind"] for m in done["moves"]] == ["sweep"]
    assert town.balance_tyiyn(town.cafe_wallet) - before == PRICE
    town.rail.run_once()  # more rounds settle nothing twice
    assert town.balance_tyiyn(town.cafe_wallet) - before == PRICE
    # The compliance desk's merchant_payment subscriber is registered in the served process.
    assert town.rail.desk is not None and town.rail.service is not None
    with pytest.raises(ValueError, match="already has a review subscriber"):
        merchants_wiring.subscribe(town.rail.desk, town.rail.service)


def test_the_usdkg_payout_pays_through_the_digital_som_once_per_key(town: Karakol) -> None:
    """`CbdcSomPayout`: the issuer's wallet (here the exchange's) pays the café's wallet."""
    payout = issuer_payout(town.runtime.service.ctx, town.exchange_wallet)
    cafe, issuer = town.balance_tyiyn(town.cafe_wallet), town.balance_tyiyn(town.exchange_wallet)
    assert payout.pay("merchant-invoice:inv-1", town.cafe_wallet, 12_34).state is CreditState.POSTED
    assert payout.pay("merchant-invoice:inv-1", town.cafe_wallet, 12_34).state is CreditState.POSTED
    assert town.balance_tyiyn(town.cafe_wallet) - cafe == 12_34
    assert issuer - town.balance_tyiyn(town.exchange_wallet) == 12_34
    short = payout.pay("merchant-invoice:inv-2", town.cafe_wallet, 10**12)
    assert short.state is CreditState.REFUSED and "refused" in short.reason
    assert town.balance_tyiyn(town.cafe_wallet) - cafe == 12_34


@pytest.mark.parametrize(("args", "says"), [
    (["--merchant-chain", "56,http://127.0.0.1:1,0x" + "11" * 20], "--merchant-relayer-key-file"),
    (["--merchant-chain", "fifty-six"], "is not ID,RPC_URL"),
    (["--merchant-chain", "embedded", "--workers", "2", "--db", "postgresql://u@127.0.0.1:1/x"], "one process"),
])
def test_serve_refuses_a_rail_it_cannot_run(tmp_path: Path, args: list[str], says: str) -> None:
    result = CliRunner().invoke(app, ["serve", "--data", str(tmp_path), "--port", "0", *args])
    assert result.exit_code == 2 and says in result.output, result.output


def test_two_rounds_never_run_at_once(tmp_path: Path) -> None:
    """The worker thread's round and a caller's (the demo calls `run_once` while the worker
    runs) are serialised: overlapping rounds followed the same chain cursor at once and
    both recorded its blocks (a UNIQUE violation in the demo)."""
    import threading  # noqa: PLC0415

    from digisom.api.merchant_rail import EMBEDDED, MerchantRail, RailSettings  # noqa: PLC0415

    rail = MerchantRail(RailSettings(EMBEDDED), f"sqlite:///{tmp_path / 'x.db'}", None, [], None)
    inside, release, second_entered = threading.Event(), threading.Event(), threading.Event()
    calls: list[str] = []

    class Worker:
        def process(self) -> None:
            calls.append(threading.current_thread().name)
            if threading.current_thread().name == "first":
                inside.set()
                release.wait(5)
            else:
                second_entered.set()

    class Chain:
        def mine(self, blocks: int) -> None:
            pass

    rail.service, rail.bridge, rail.chain = Worker(), Worker(), Chain()  # type: ignore[assignment]
    first = threading.Thread(target=rail.run_once, name="first")
    second = threading.Thread(target=rail.run_once, name="second")
    first.start()
    assert inside.wait(5)
    second.start()
    assert not second_entered.wait(0.3)  # the second round waits for the first
    release.set()
    first.join(5)
    second.join(5)
    assert calls == ["first"] * 3 + ["second"] * 3
