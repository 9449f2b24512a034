"""`digisom usdkg`: bars import (signed here or elsewhere), coverage, audit import and sign,
on a data folder; a refused file names every refused row and exits 2, nothing imported."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from typer.testing import CliRunner

from digisom.api.runtime import database_url, domain_engine
from digisom.cli.main import app
from digisom.usdkg import signers, signing, units
from digisom.usdkg.migrations import migrate
from digisom.usdkg.model import PriceQuote, SignerRole
from digisom.usdkg.price_book import PriceBook
from digisom.usdkg.register import arrival_body
from tests.usdkg.api_world import REDEMPTION_ADDRESS, FakeChain
from tests.usdkg.world import bar_row, count_rows, csv_bytes

ARRIVED = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
AT = ARRIVED.strftime("%Y-%m-%dT%H:%M:%S+0000")
HOLDER = "0x" + "aa" * 20
PRICE = 265_000


@pytest.fixture
def folder(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    """A data folder with a custodian and an auditor registered, and their key files."""
    data = tmp_path / "data"
    engine = domain_engine(database_url(data, None))
    migrate(engine)
    key_files = {}
    for name, role in (("vault_bank", SignerRole.CUSTODIAN), ("other_bank", SignerRole.CUSTODIAN),
                       ("kreston_like", SignerRole.AUDITOR)):
        key = Ed25519PrivateKey.generate()
        signers.register(engine, name, role, signing.public_bytes(key), ARRIVED)
        key_files[name] = tmp_path / f"{name}.pem"
        key_files[name].write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    engine.dispose()
    return data, key_files


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["usdkg", *args])
    return result.exit_code, result.stdout, result.stderr


def _import(data: Path, file: Path, *signing_args: str, custodian: str = "vault_bank") -> tuple[int, str, str]:
    return _run("bars", "import", str(file), "--vault", "bishkek-1", "--custodian", custodian, "--at", AT,
                *signing_args, "--data", str(data))


def _coverage(data: Path) -> dict[str, object]:
    code, out, err = _run("coverage", "--data", str(data))
    assert code == 0, err
    figure: dict[str, object] = json.loads(out)
    return figure


def test_a_bad_row_refuses_the_file_naming_it_and_exits_2(folder: tuple[Path, dict[str, Path]],
                                                           tmp_path: Path) -> None:
    data, keys = folder
    file = tmp_path / "list.csv"
    file.write_bytes(csv_bytes([bar_row("KG0001"), bar_row("KG0002", brand="Nowhere Refining")]))
    code, _, err = _import(data, file, "--key-file", str(keys["vault_bank"]))
    assert code == 2
    assert "row 3: serial KG0002: unknown_refiner" in err and "nothing was imported" in err
    assert _coverage(data)["fine_moz"] == "0"


def test_bars_import_signed_here_or_elsewhere_and_the_wrong_custodian_refused(
        folder: tuple[Path, dict[str, Path]], tmp_path: Path) -> None:
    data, keys = folder
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_bytes(csv_bytes([bar_row("KG0001")]))
    second.write_bytes(csv_bytes([bar_row("KG0002")]))
    code, _, err = _import(data, first, "--key-file", str(keys["other_bank"]))
    assert code == 1 and "not 'vault_bank'" in err
    code, out, err = _import(data, first, "--key-file", str(keys["vault_bank"]))
    assert code == 0, err
    assert "1 bars, 400.084 fine oz" in out
    # Signed elsewhere: the same body, the signature passed as hex.
    key = Ed25519PrivateKey.generate()
    code, _, err = _import(data, second, "--signature", signing.sign(
        key, signing.MOVEMENT_TAG, arrival_body("vault_bank", "bishkek-1", ARRIVED, second.read_bytes())).hex())
    assert code == 1 and "signature" in err
    code, _, err = _import(data, second)
    assert code == 1 and "--key-file or --signature" in err
    figure = _coverage(data)
    assert (figure["fine_moz"], figure["chains"], figure["supply_units"]) == ("400084", [], "0")


def test_an_audit_is_imported_for_its_date_and_signed(folder: tuple[Path, dict[str, Path]], tmp_path: Path) -> None:
    data, keys = folder
    bars = tmp_path / "list.csv"
    bars.write_bytes(csv_bytes([bar_row("KG0001"), bar_row("KG0002")]))
    assert _import(data, bars, "--key-file", str(keys["vault_bank"]))[0] == 0
    day = ARRIVED.date() + timedelta(days=1)
    count = tmp_path / "count.csv"
    count.write_bytes(count_rows([bar_row("KG0001")], "bishkek-1", day - timedelta(days=1)))
    code, _, err = _run("audit", "import", str(count), "--date", day.isoformat(), "--auditor", "kreston_like",
                        "--data", str(data))
    assert code == 1 and "row 2" in err and "not on the audit date" in err
    count.write_bytes(count_rows([bar_row("KG0001")], "bishkek-1", day))
    code, out, err = _run("audit", "import", str(count), "--date", day.isoformat(), "--auditor", "kreston_like",
                          "--data", str(data))
    assert code == 0, err
    assert "audit 1 of" in out and "1 findings" in out and "missing_bar: KG0002" in out
    code, _, err = _run("audit", "sign", "1", "--key-file", str(keys["vault_bank"]), "--data", str(data))
    assert code == 1 and "signature" in err
    code, out, err = _run("audit", "sign", "1", "--key-file", str(keys["kreston_like"]), "--data", str(data))
    assert code == 0 and "signed" in out, err
    assert _coverage(data)["audits_unresolved"] == [day.isoformat()]


def test_coverage_publishes_todays_report_once_as_json_or_csv(folder: tuple[Path, dict[str, Path]]) -> None:
    data, _ = folder
    code, out, err = _run("coverage", "--publish", "--data", str(data))
    assert code == 0 and "sha256" in err
    code, again, _ = _run("coverage", "--publish", "--format", "csv", "--data", str(data))
    assert code == 0 and again.startswith("field,value\n")
    assert json.loads(out)["chains"] == [] and "chains," in again


def test_mint_within_coverage_over_every_chain_and_redeem(folder: tuple[Path, dict[str, Path]], tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    data, keys = folder
    chains = {1: FakeChain(1, {HOLDER: 10}), 56: FakeChain(56)}
    monkeypatch.setattr("digisom.cli.usdkg.connect_tokens", lambda specs, _key: {
        int(spec.split(",")[0]): chains[int(spec.split(",")[0])] for spec in specs})
    where = ["--chain", "1,http://eth.invalid,0xT", "--chain", "56,http://bsc.invalid,0xT", "--data", str(data)]
    bars = tmp_path / "list.csv"
    bars.write_bytes(csv_bytes([bar_row("KG0001")]))
    assert _import(data, bars, "--key-file", str(keys["vault_bank"]))[0] == 0
    engine = domain_engine(database_url(data, None))
    PriceBook(engine, 86_400).record(PriceQuote(PRICE, datetime.now(UTC), "test"), b"", datetime.now(UTC))
    engine.dispose()
    room = units.value_units(units.fine_weight_moz(400_125, 9999), PRICE) - 10  # chain 1 holds 10
    code, _, err = _run("mint", "--on", "56", "--to", HOLDER, "--amount-units", str(room + 1), "--operation-id", "m-1",
                        *where)
    assert code == 1 and "coverage_floor" in err and chains[56].balances == {}
    code, out, err = _run("mint", "--on", "56", "--to", HOLDER, "--amount-units", str(room), "--operation-id", "m-1",
                          *where)
    assert code == 0, err
    assert json.loads(out)["chain_id"] == 56 and chains[56].balances == {HOLDER: room}
    code, again, err = _run("mint", "--on", "56", "--to", HOLDER, "--amount-units", str(room), "--operation-id",
                            "m-1", *where)
    assert code == 0 and json.loads(again) == json.loads(out), err  # answered from the record
    assert chains[56].sent == [f"mint {HOLDER} {room}"]  # minted once
    code, _, err = _run("mint", "--on", "56", "--to", HOLDER, "--amount-units", "1", *where)
    assert code == 2 and "--operation-id" in err  # required
    code, _, err = _run("mint", "--on", "137", "--to", HOLDER, "--amount-units", "1", "--operation-id", "x", *where)
    assert code == 1 and "--on 137" in err
    chains[56].balances[REDEMPTION_ADDRESS] = 7
    code, _, err = _run("redeem", "--on", "56", "--amount-units", "8", "--operation-id", "r-1", *where)
    assert code == 1 and "redemption" in err
    code, out, err = _run("redeem", "--on", "56", "--amount-units", "7", "--operation-id", "r-1", *where)
    assert code == 0 and chains[56].balances[REDEMPTION_ADDRESS] == 0, err
