"""Bad balance files are typed errors naming the line; nothing is built from them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digisom.por import csvin, errors
from digisom.por.csvin import parse_balances, read_balances


@pytest.mark.parametrize(("data", "error", "words"), [
    (b"", errors.EmptyBalances, "no customers"),
    (b"customer_id,balance\n", errors.EmptyBalances, "no customers"),
    (b"a,1\nb,-2\n", errors.NegativeBalance, "line 2: negative balance -2"),
    (b"customer_id,balance\na,1.5\n", errors.NonIntegerBalance, "line 2"),
    (b"a,1e3\n", errors.NonIntegerBalance, "1e3"),
    (b"a,+3\n", errors.NonIntegerBalance, "+3"),
    (b"a,\n", errors.NonIntegerBalance, "line 1"),
    (b"a,1\nb,2\na,3\n", errors.DuplicateCustomer, "line 3: customer 'a' already on line 1"),
    (b"a,18446744073709551615\nb,1\n", errors.TotalOverflow, "exceeds 2**64-1"),
    (b"a,18446744073709551616\n", errors.TotalOverflow, "line 1"),
    (b"a,1,2\nb\n", errors.MalformedLine, "line 1"),
    (b"a,1\n\n", errors.MalformedLine, "line 2"),
    (b"a b,1\n", errors.CustomerIdInvalid, "line 1"),
    (b'"a",1\n', errors.CustomerIdInvalid, "line 1"),
    (b"\xff\xfe,1\n", errors.CustomerIdInvalid, "line 1"),
    (b"x" * 65 + b",1\n", errors.CustomerIdInvalid, "line 1"),
])
def test_bad_input_is_a_typed_error_naming_it(data: bytes, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words.replace("*", r"\*").replace("+", r"\+").replace("(", r"\(")):
        parse_balances(data)


def test_good_input_with_crlf_and_no_header() -> None:
    parsed = parse_balances(b"a,1\r\nkyz-\xd0\xb1,18446744073709551614\r\n")
    assert parsed.ids == [b"a", "kyz-б".encode()]
    assert parsed.balances == [1, 2**64 - 2]
    assert parsed.total_units == 2**64 - 1


def test_oversized_file_and_too_many_customers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "b.csv"
    path.write_bytes(b"a,1\nb,2\nc,3\n")
    monkeypatch.setattr(csvin, "FILE_BYTES_MAX", 8)
    with pytest.raises(errors.BalancesTooLarge, match="bytes"):
        read_balances(path)
    monkeypatch.setattr(csvin, "FILE_BYTES_MAX", 2**30)
    monkeypatch.setattr(csvin, "LEAVES_MAX", 2)
    with pytest.raises(errors.BalancesTooLarge, match="3 customers"):
        read_balances(path)


_ID_BYTES = st.binary(min_size=0, max_size=6).map(lambda raw: raw.replace(b"\n", b"").replace(b",", b""))


@settings(max_examples=300, deadline=None)
@given(st.lists(_ID_BYTES, min_size=1, max_size=6, unique=True))
def test_ids_are_refused_exactly_when_one_breaks_the_rule(ids: list[bytes]) -> None:
    # The parser checks ids over the whole file at once; the rule, per id, is written here again.
    def valid(customer: bytes) -> bool:
        try:
            customer.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return 0 < len(customer) <= 64 and not any(b <= 0x20 or b in b'",\x7f' for b in customer)

    data = b"".join(customer + b",%d\n" % balance for balance, customer in enumerate(ids))
    if all(map(valid, ids)):
        assert parse_balances(data).ids == ids
    else:
        with pytest.raises(errors.CustomerIdInvalid):
            parse_balances(data)
