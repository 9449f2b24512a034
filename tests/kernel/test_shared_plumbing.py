"""The plumbing every domain shares lives in the kernel once: the ledger number, the
ok sets, the clock, and id derivation, whose ids stay those of existing data."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from digisom.cbdc import accounts as cbdc_accounts
from digisom.cbdc import context as cbdc_context
from digisom.cbdc import ledger_port as cbdc_port
from digisom.disbursement import service as disbursement_service
from digisom.disbursement import taxes
from digisom.interbank import accounts as interbank_accounts
from digisom.interbank import context as interbank_context
from digisom.kernel import chart, clock, ids, results
from digisom.ledger.model import U128_MAX
from digisom.ledger.results import CreateTransferResult
from digisom.offline import accounts as offline_accounts
from digisom.offline import posting as offline_posting
from digisom.offline import service as offline_service
from digisom.stablecoin import accounts as stablecoin_accounts
from digisom.stablecoin import bridge

SRC = Path(__file__).resolve().parents[2] / "src" / "digisom"
# Written once, in the kernel; a domain that defines its own copy again fails here.
COPIES = {
    "LEDGER_KGS": re.compile(r"^LEDGER_KGS\s*(:|=)", re.M),
    "an ok set": re.compile(r"frozenset\(\{Create(Transfer|Account)Result\.ok, Create\w+Result\.exists"),
    "a UTC clock": re.compile(r"def utc_now(_iso)?\("),
    "the id clamp": re.compile(r"0 < value < U128_MAX"),
}
_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x1f"), max_size=40)


def test_no_domain_keeps_its_own_copy_of_the_shared_plumbing() -> None:
    for path in sorted(SRC.rglob("*.py")):
        if path.parent.name == "kernel":
            continue
        text = path.read_text()
        for what, pattern in COPIES.items():
            assert not pattern.search(text), f"{path.relative_to(SRC)} defines {what}; import it from digisom.kernel"


def test_every_domain_uses_the_kernels_objects() -> None:
    for module in (cbdc_accounts, interbank_accounts, offline_accounts, stablecoin_accounts, disbursement_service):
        assert module.LEDGER_KGS is chart.LEDGER_KGS
    assert cbdc_port._OK is results.TRANSFER_OK and cbdc_port._ACCOUNT_OK is results.ACCOUNT_OK
    assert offline_service._LEDGER_OK is results.TRANSFER_OK and offline_service._ACCOUNT_OK is results.ACCOUNT_OK
    assert offline_posting._ACCEPTED is results.TRANSFER_OK
    assert disbursement_service._PAID is results.TRANSFER_OK and taxes._OK is results.TRANSFER_OK
    assert bridge._POST_OK is results.POST_OK and bridge._VOID_OK is results.VOID_OK
    assert cbdc_context.utc_now is clock.utc_now
    assert interbank_context.utc_now is clock.utc_now and bridge.utc_now_iso is clock.utc_now_iso


def test_the_ok_sets() -> None:
    assert {CreateTransferResult.ok, CreateTransferResult.exists} == results.TRANSFER_OK
    assert CreateTransferResult.pending_transfer_already_posted in results.POST_OK - results.VOID_OK
    assert CreateTransferResult.pending_transfer_already_voided in results.VOID_OK - results.POST_OK


def test_stored_time_is_utc_with_microseconds_and_z() -> None:
    bishkek = timezone(timedelta(hours=6))
    assert clock.iso_utc(datetime(2026, 12, 7, 8, 55, 13, tzinfo=bishkek)) == "2026-12-07T02:55:13.000000Z"
    assert clock.utc_now().tzinfo is UTC


def _old_joined(person: bytes, parts: tuple[str, ...]) -> int:
    """The derivation the digital som and the RTGS used before the kernel (copied)."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16, person=person).digest()
    value = int.from_bytes(digest, "big")
    return value if 0 < value < U128_MAX else 1


def _old_framed(person: bytes, parts: tuple[bytes | str | int, ...]) -> int:
    """The derivation offline and the KGST bridge used before the kernel (copied)."""
    raws = [part if isinstance(part, bytes) else str(part).encode() for part in parts]
    framed = b"".join(len(raw).to_bytes(4, "big") + raw for raw in raws)
    value = int.from_bytes(hashlib.blake2b(framed, digest_size=16, person=person).digest(), "big")
    return value if 0 < value < U128_MAX else 1


@given(st.lists(_TEXT, min_size=1, max_size=5))
def test_the_joined_ids_of_existing_data_do_not_move(parts: list[str]) -> None:
    assert cbdc_accounts.derive_id(*parts) == _old_joined(b"digisom-cbdc-id", tuple(parts))
    assert interbank_accounts.derive_id(*parts) == _old_joined(b"digisom-rtgs-id", tuple(parts))


@given(st.lists(st.one_of(_TEXT, st.binary(max_size=40), st.integers(min_value=0, max_value=2**64)),
                min_size=1, max_size=5))
def test_the_framed_ids_of_existing_data_do_not_move(parts: list[bytes | str | int]) -> None:
    assert offline_accounts.derive_id(*parts) == _old_framed(b"digisom-offline", tuple(parts))
    text_parts = tuple(p for p in parts if not isinstance(p, bytes))
    assert stablecoin_accounts.derive_id(*text_parts) == _old_framed(b"digisom-kgst", text_parts)


def test_known_ids_stay_the_same() -> None:
    """Golden values, computed before the derivations moved into the kernel."""
    assert cbdc_accounts.derive_id("central", "ISSUANCE") == GOLDEN_CBDC
    assert interbank_accounts.derive_id("settlement", "KICB") == GOLDEN_RTGS
    assert offline_accounts.derive_id(b"\x01\x02", "funding", 7) == GOLDEN_OFFLINE
    assert stablecoin_accounts.derive_id("reserve", 56, "0xabc") == GOLDEN_KGST


def test_the_two_framings_differ_for_the_same_parts() -> None:
    for parts in (("a",), ("ab", "c"), ("", "")):
        assert ids.joined_id(b"p", parts) != ids.framed_id(b"p", parts)


def test_reserved_ids_become_one() -> None:
    assert ids.ledger_id(bytes(16)) == 1 and ids.ledger_id(b"\xff" * 16) == 1
    assert ids.ledger_id(b"\x00" * 15 + b"\x02") == 2


GOLDEN_CBDC = 0x0C13E6F159C20BBBB12E87CD6944EBC5
GOLDEN_RTGS = 0x1727F3D66BC838F5B0AD2F00B901A0ED
GOLDEN_OFFLINE = 0x710A0A27F07431AF95FC4EE1D6BD423D
GOLDEN_KGST = 0x4F4D0B1DAAF36A372EAF4C84B2684B64
