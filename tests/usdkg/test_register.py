"""The bar register: imports of LBMA weight lists, signed movements, the as-of view."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from digisom.usdkg import tables, units
from digisom.usdkg.errors import BadSignature, BarStateConflict, FileTooLarge, MalformedFile, RowsRefused, UnknownKey
from digisom.usdkg.model import BarStatus, MovementKind
from digisom.usdkg.weight_list import FILE_BYTES_MAX, parse_weight_list
from tests.usdkg.world import START, World, bar_row, csv_bytes


def _counts(world: World) -> tuple[int, int, int]:
    with world.engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(tables.bars)).scalar_one(),
            conn.execute(select(func.count()).select_from(tables.movements)).scalar_one(),
            conn.execute(select(func.count()).select_from(tables.bar_events)).scalar_one(),
        )


def test_an_import_takes_every_bar_into_the_vault_and_the_export_reads_the_same(any_world: World) -> None:
    rows = [bar_row("KG0001"), bar_row("KG0002", gross_moz=388_950, fineness_tenths=9965)]
    data = csv_bytes(rows)
    result = any_world.import_bars(data)
    assert (result.bars, result.fine_moz) == (2, 400_084 + units.fine_weight_moz(388_950, 9965))
    assert any_world.register.fine_moz_in_vaults() == result.fine_moz
    bar = any_world.register.bar("KG0002")
    assert (bar.gross_moz, bar.fineness_tenths, bar.fine_moz) == (388_950, 9965, 387_588)
    assert (bar.vault, bar.custodian, bar.status) == ("bishkek-1", "vault_bank", BarStatus.IN_VAULT)
    assert any_world.register.weight_list().encode() == data


BAD_ROWS = [
    (bar_row("KG0009", brand="Unknown Smelter"), "unknown_refiner"),
    (bar_row("KG0009", fineness_tenths=9949, gross_moz=400_000), "fineness_out_of_range"),
    (bar_row("KG0009", gross_moz=340_000), "fine_weight_out_of_range"),
    (bar_row("KG0009", gross_moz=440_000), "fine_weight_out_of_range"),
    (bar_row("KG0009", gross_moz=400_010), "gross_weight_step"),
    (["KG0009", "Kyrgyzaltyn", "400.125", "999.9", "400.085", "2024"], "fine_weight_mismatch"),
    (bar_row("KG0001"), "duplicate_serial"),
    (["KG0009", "Kyrgyzaltyn", "400.1250", "999.9", "400.084", "2024"], "malformed"),
    (["KG0009", "Kyrgyzaltyn", "4e2", "999.9", "400.084", "2024"], "malformed"),
    (["KG0009", "Kyrgyzaltyn", "400.125", "999.9"], "malformed"),
]


@pytest.mark.parametrize(("bad", "rule"), BAD_ROWS, ids=[rule + str(i) for i, (_, rule) in enumerate(BAD_ROWS)])
def test_a_bad_row_refuses_the_whole_file_naming_the_row_and_the_rule(
    any_world: World, bad: list[str], rule: str
) -> None:
    data = csv_bytes([bar_row("KG0001"), bar_row("KG0002"), bad, bar_row("KG0003")])
    with pytest.raises(RowsRefused) as refused:
        any_world.import_bars(data)
    assert refused.value.problems[0]["row"] == 4  # header is row 1
    assert refused.value.problems[0]["rule"] == rule
    assert "row 4" in refused.value.detail
    assert _counts(any_world) == (0, 0, 0)


def test_a_serial_already_in_the_register_refuses_the_second_file(any_world: World) -> None:
    any_world.import_bars(csv_bytes([bar_row("KG0001")]))
    before = _counts(any_world)
    with pytest.raises(RowsRefused) as refused:
        any_world.import_bars(csv_bytes([bar_row("KG0002"), bar_row("KG0001")]), at=START + timedelta(hours=1))
    assert refused.value.problems == [
        {
            "row": 3,
            "serial": "KG0001",
            "rule": "serial_in_register",
            "detail": "a bar with this serial is in the register",
        }
    ]
    assert _counts(any_world) == before


def test_files_over_their_limits_or_not_weight_lists_are_refused_whole(world: World) -> None:
    with pytest.raises(FileTooLarge):
        world.import_bars(b"x" * (FILE_BYTES_MAX + 1))
    with pytest.raises(MalformedFile):
        world.import_bars(b"Serial,Brand\nKG1,Kyrgyzaltyn\n")
    with pytest.raises(MalformedFile):
        world.import_bars(b"\xff\xfe")
    assert _counts(world) == (0, 0, 0)


def test_an_import_signed_by_another_custodian_is_refused(any_world: World) -> None:
    data = csv_bytes([bar_row("KG0001")])
    with pytest.raises(BadSignature):
        any_world.import_bars(data, custodian="vault_bank", signer="other_bank")
    with pytest.raises(UnknownKey):  # an auditor is not a custodian
        any_world.import_bars(data, custodian="kreston_like")
    assert _counts(any_world) == (0, 0, 0)


def test_movements_need_the_bars_own_custodian_and_the_right_status(any_world: World) -> None:
    any_world.import_bars(csv_bytes([bar_row("KG0001"), bar_row("KG0002")]))
    later = START + timedelta(days=2)
    with pytest.raises(BarStateConflict):  # not other_bank's bars, though other_bank signs correctly
        any_world.move(MovementKind.DISPATCH, ["KG0001"], vault="zurich", custodian="other_bank", at=later)
    signature = any_world.sign_move(
        MovementKind.DISPATCH, ["KG0001"], "zurich", "vault_bank", later, signer="other_bank"
    )
    with pytest.raises(BadSignature):
        any_world.register.move(
            MovementKind.DISPATCH,
            ["KG0001"],
            vault="zurich",
            custodian="vault_bank",
            at=later,
            signature=signature,
            recorded_at=later,
        )
    any_world.move(MovementKind.DISPATCH, ["KG0001"], vault="zurich", at=later)
    assert any_world.register.bar("KG0001").status is BarStatus.IN_TRANSIT
    assert any_world.register.fine_moz_in_vaults() == 400_084  # a bar in transit is not in the reserve
    with pytest.raises(BarStateConflict):
        any_world.move(MovementKind.WITHDRAW, ["KG0001"], at=later + timedelta(hours=1))
    any_world.move(
        MovementKind.RECEIVE, ["KG0001"], vault="zurich", custodian="other_bank", at=later + timedelta(days=1)
    )
    assert (any_world.register.bar("KG0001").vault, any_world.register.bar("KG0001").custodian) == (
        "zurich",
        "other_bank",
    )
    with pytest.raises(BarStateConflict):  # earlier than the bar's last movement
        any_world.move(MovementKind.DISPATCH, ["KG0001"], vault="bishkek-1", custodian="other_bank", at=later)
    # The register as it stood on each day.
    assert any_world.register.as_of(START.date())["KG0001"].status is BarStatus.IN_VAULT
    assert any_world.register.as_of(later.date())["KG0001"].status is BarStatus.IN_TRANSIT
    assert any_world.register.as_of((later + timedelta(days=1)).date())["KG0001"].vault == "zurich"
    assert any_world.register.as_of(date(2025, 12, 31)) == {}


def test_the_database_refuses_a_bar_whose_fine_weight_breaks_the_rule(any_world: World) -> None:
    """The second check: even a writer that skipped the import's validation cannot store it."""
    any_world.import_bars(csv_bytes([bar_row("KG0001")]))
    for statement in (
        "UPDATE usdkg_bars SET fine_moz = fine_moz + 1",
        "UPDATE usdkg_bars SET gross_moz = gross_moz + 1",
        "UPDATE usdkg_bars SET fineness_tenths = 9940",
        "UPDATE usdkg_bars SET status = 'lost'",
    ):
        with pytest.raises(IntegrityError), any_world.engine.begin() as conn:
            conn.execute(text(statement))


def test_parse_reports_every_rule_a_row_breaks() -> None:
    _, problems = parse_weight_list(csv_bytes([bar_row("KG1", brand="Nobody", fineness_tenths=9900)]), {"Kyrgyzaltyn"})
    assert {p["rule"] for p in problems.listed} == {"unknown_refiner", "fineness_out_of_range"}
