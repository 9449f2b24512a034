"""Reading a disbursement file: every bad row is reported with a typed reason, and one bad
row refuses the whole file before any payment."""

from __future__ import annotations

import pytest

from digisom.disbursement import parsing
from digisom.disbursement.parsing import (
    AMOUNT_TYIYN_MAX,
    FILE_LEVEL_LINE,
    FileRefused,
    Reason,
    check_file,
    parse_amount_tyiyn,
    parse_csv,
)
from digisom.disbursement.ports import Channel, Destination
from tests.disbursement.directory import FakeDirectory

PENSIONER = "21203195000123"
WIDOW = "11505196000456"
VETERAN = "20101194500789"
STRANGER = "29999199900000"


def directory() -> FakeDirectory:
    return FakeDirectory(
        {
            PENSIONER: Destination(Channel.WALLET, 101),
            WIDOW: Destination(Channel.BANK_ACCOUNT, 202),
            VETERAN: Destination(Channel.NONE),
        }
    )


def test_a_good_file_in_som_resolves_every_row() -> None:
    data = (
        "pin,amount,name,region\n"
        f"{PENSIONER},8500.50,Pensioner,Naryn\n"
        f"{WIDOW},7000,Widow,Osh\n"
        f"{VETERAN},12000.5,,Talas\n"
    ).encode()
    rows = check_file(data, directory(), budget_remaining_tyiyn=10_000_000)
    assert [(r.row.pin, r.row.amount_tyiyn, r.destination.channel) for r in rows] == [
        (PENSIONER, 850_050, Channel.WALLET),
        (WIDOW, 700_000, Channel.BANK_ACCOUNT),
        (VETERAN, 1_200_050, Channel.NONE),
    ]
    assert rows[0].row.line == 2


def test_amount_tyiyn_column_and_utf8_bom() -> None:
    data = f"\ufeffpin,amount_tyiyn,region\n{PENSIONER},850050,Чүй\n".encode()
    rows = check_file(data, directory(), budget_remaining_tyiyn=850_050)
    assert rows[0].row.amount_tyiyn == 850_050
    assert rows[0].row.region == "Чүй"


@pytest.mark.parametrize(
    ("text", "in_som", "expected"),
    [
        ("1", True, 100),
        ("0.01", True, 1),
        ("10.1", True, 1010),
        ("10.123", True, Reason.TOO_MANY_DECIMALS),
        ("10.5", False, Reason.NON_NUMERIC_AMOUNT),
        ("0", True, Reason.NON_POSITIVE_AMOUNT),
        ("0.00", True, Reason.NON_POSITIVE_AMOUNT),
        ("-5", False, Reason.NON_POSITIVE_AMOUNT),
        ("abc", True, Reason.NON_NUMERIC_AMOUNT),
        ("1e3", True, Reason.NON_NUMERIC_AMOUNT),
        ("NaN", True, Reason.NON_NUMERIC_AMOUNT),
        (str(AMOUNT_TYIYN_MAX + 1), False, Reason.AMOUNT_TOO_LARGE),
    ],
)
def test_amounts(text: str, in_som: bool, expected: int | Reason) -> None:
    assert parse_amount_tyiyn(text, in_som) == expected


def test_every_bad_row_is_reported_with_its_reason_and_nothing_passes() -> None:
    data = (
        "pin,amount_tyiyn,name,region\n"
        f"{PENSIONER},100,Pensioner,Naryn\n"  # 2 fine
        f"{PENSIONER},100,Pensioner again,Naryn\n"  # 3 duplicate
        f"{WIDOW},-5,Widow,Osh\n"  # 4 negative
        f"{VETERAN},lots,Veteran,Talas\n"  # 5 non-numeric
        f"{STRANGER},100,Stranger,Batken\n"  # 6 unknown
        "123,100,Short,Osh\n"  # 7 invalid pin
        f"{VETERAN},100\n"  # 8 malformed
        f"{VETERAN},100,{'x' * 201},Osh\n"  # 9 too long
        f"{VETERAN},0,Veteran,\n"  # 10 missing region
    ).encode()
    with pytest.raises(FileRefused) as refused:
        check_file(data, directory(), budget_remaining_tyiyn=10_000)
    got = [(e.line, e.reason) for e in refused.value.report.errors]
    assert got == [
        (3, Reason.DUPLICATE_PIN),
        (4, Reason.NON_POSITIVE_AMOUNT),
        (5, Reason.NON_NUMERIC_AMOUNT),
        (6, Reason.UNKNOWN_PIN),
        (7, Reason.INVALID_PIN),
        (8, Reason.MALFORMED_ROW),
        (9, Reason.FIELD_TOO_LONG),
        (10, Reason.MISSING_FIELD),
    ]
    as_json = refused.value.report.to_dict()
    assert as_json["left_off"] == 0


def test_a_total_over_the_budget_line_refuses_the_file() -> None:
    data = f"pin,amount,region\n{PENSIONER},100,Naryn\n{WIDOW},100.01,Osh\n".encode()
    with pytest.raises(FileRefused) as refused:
        check_file(data, directory(), budget_remaining_tyiyn=20_000)
    (error,) = refused.value.report.errors
    assert (error.line, error.reason) == (FILE_LEVEL_LINE, Reason.TOTAL_OVER_BUDGET)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", Reason.EMPTY_FILE),
        (b"pin,amount,region\n", Reason.EMPTY_FILE),
        (b"pin,region\n", Reason.BAD_HEADER),
        (b"pin,amount,amount_tyiyn,region\n", Reason.BAD_HEADER),
        (b"pin,amount,region,iban\n", Reason.BAD_HEADER),
        (b"pin,amount,region\n\xff\xfe,1,Osh\n", Reason.NOT_UTF8),
        (b'pin,amount,region\n"21203195000123,1,Osh\n', Reason.MALFORMED_ROW),
    ],
)
def test_file_level_problems(data: bytes, reason: Reason) -> None:
    rows, errors = parse_csv(data)
    assert rows == []
    assert [e.reason for e in errors] == [reason]


def test_row_and_size_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsing, "ROWS_MAX", 2)
    data = f"pin,amount,region\n{PENSIONER},1,Osh\n{WIDOW},1,Osh\n{VETERAN},1,Osh\n".encode()
    assert [e.reason for e in parse_csv(data)[1]] == [Reason.TOO_MANY_ROWS]
    monkeypatch.setattr(parsing, "FILE_BYTES_MAX", 10)
    assert [e.reason for e in parse_csv(data)[1]] == [Reason.FILE_TOO_LARGE]


def test_directory_lookups_are_batched() -> None:
    pins = [f"{n:014d}" for n in range(1, 20_001)]
    known = FakeDirectory({pin: Destination(Channel.WALLET, n) for n, pin in enumerate(pins, 1)})
    data = ("pin,amount_tyiyn,region\n" + "".join(f"{pin},1,Osh\n" for pin in pins)).encode()
    assert len(check_file(data, known, budget_remaining_tyiyn=20_000)) == 20_000
    assert known.calls == 3
