"""Names and addresses to decisions; one-hop exposure."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digisom.compliance.addresses import normalize_address, one_hop_exposure
from digisom.compliance.errors import ScreeningInputInvalid
from digisom.compliance.ftm import load_ftm
from digisom.compliance.model import Decision, SubjectSchema
from digisom.compliance.ofac import load_ofac
from digisom.compliance.screening import RULE_ADDRESS, RULE_ONE_HOP, Screener, decide

LISTED_EVM = "0xAbCdef0123456789abcdef0123456789ABCDEF01"
LISTED_TRON = "TXyzTronBase58Address111111111111"


@pytest.fixture
def screener(ftm_file: Path, sdn_file: Path) -> Screener:
    return Screener([load_ftm(ftm_file), load_ofac(sdn_file)])


@pytest.mark.parametrize(("name", "schema", "expected_id"), [
    ("Zheenbekov Sooronbay", SubjectSchema.PERSON, "kg-person-1"),
    ("Sooronbai Sharipovich Jeenbekov", SubjectSchema.ANY, "kg-person-1"),
    ("Old Vektor Ltd", SubjectSchema.ORGANIZATION, "kg-company-1"),
    ("ООО Олд Вектор", SubjectSchema.ANY, "kg-company-1"),
    ("Алмазбек Кубанычбекович Токтогулов", SubjectSchema.PERSON, "ofac-9001"),
    ("Grinex Exchange", SubjectSchema.ORGANIZATION, "ofac-9002"),
])  # fmt: skip
def test_listed_names_in_other_scripts_and_forms_are_hits(screener: Screener, name: str, schema: SubjectSchema,
                                                          expected_id: str) -> None:
    result = screener.screen_name(name, schema)
    assert result.decision is Decision.HIT
    assert result.matches[0].entity_id == expected_id
    assert len(result.list_versions) == 2


def test_the_schema_filters(screener: Screener) -> None:
    assert screener.screen_name("Old Vector", SubjectSchema.PERSON).decision is Decision.CLEAR
    assert screener.screen_name("Zheenbekov Sooronbay", SubjectSchema.ORGANIZATION).decision is Decision.CLEAR


def test_weak_aliases_and_non_targets_do_not_match(screener: Screener) -> None:
    assert screener.screen_name("Soke").decision is Decision.CLEAR
    assert screener.screen_name("Ivanov Pyotr").decision is Decision.CLEAR


def test_a_namesake_is_not_a_hit(screener: Screener) -> None:
    assert screener.screen_name("Zheenbekov Nurlan").decision is Decision.CLEAR
    assert screener.screen_name("Aigul Clean").decision is Decision.CLEAR


def test_thresholds() -> None:
    assert [decide(score) for score in (1000, 920, 919, 800, 799, 0)] == [
        Decision.HIT, Decision.HIT, Decision.REVIEW, Decision.REVIEW, Decision.CLEAR, Decision.CLEAR]


def test_addresses_match_exactly_evm_in_any_case_tron_as_written(screener: Screener) -> None:
    for address in (LISTED_EVM, LISTED_EVM.lower(), LISTED_EVM.upper().replace("0X", "0x"),
                    "0x1111111111111111111111111111111111111111", LISTED_TRON, "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"):
        result = screener.screen_address(address)
        assert (result.decision, result.rule) == (Decision.HIT, RULE_ADDRESS), address
    assert screener.screen_address(LISTED_TRON.lower()).decision is Decision.CLEAR
    assert screener.screen_address("0x" + "2" * 40).decision is Decision.CLEAR


def test_one_hop_from_a_listed_address_is_review(screener: Screener) -> None:
    sender = "0x" + "5" * 40
    window = [(LISTED_EVM.lower(), sender.upper().replace("0X", "0x")), ("0x" + "6" * 40, "0x" + "7" * 40)]
    result = screener.screen_address(sender, window)
    assert (result.decision, result.rule) == (Decision.REVIEW, RULE_ONE_HOP)
    assert result.matches[0].entity_id == "wallet-1"
    assert screener.screen_address("0x" + "7" * 40, window).decision is Decision.CLEAR


def test_exposure_is_pure_and_names_its_sources() -> None:
    listed = {normalize_address(LISTED_EVM): object()}
    exposure = one_hop_exposure("0xA" + "0" * 39, [(LISTED_EVM, "0xa" + "0" * 39)], listed)
    assert exposure.decision is Decision.REVIEW
    assert exposure.listed_sources == (LISTED_EVM.lower(),)
    assert one_hop_exposure(LISTED_EVM, [], listed).decision is Decision.HIT
    # Two hops away is not one hop.
    two_hops = [(LISTED_EVM, "0x" + "1" * 40), ("0x" + "1" * 40, "0x" + "2" * 40)]
    assert one_hop_exposure("0x" + "2" * 40, two_hops, listed).decision is Decision.CLEAR


@given(st.text(alphabet="0123456789abcdefABCDEF", min_size=40, max_size=40))
def test_evm_keys_ignore_case_and_are_idempotent(hex_digits: str) -> None:
    address = "0x" + hex_digits
    assert normalize_address(address) == normalize_address(address.swapcase().replace("0X", "0x"))
    assert normalize_address(normalize_address(address)) == normalize_address(address)


@pytest.mark.parametrize("subject", ["", "   ", "x" * 501])
def test_empty_or_overlong_names_are_refused(screener: Screener, subject: str) -> None:
    with pytest.raises(ScreeningInputInvalid):
        screener.screen_name(subject)
