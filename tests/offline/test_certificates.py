"""Certificate chains (central bank -> commercial bank -> device) and revocation lists."""

from __future__ import annotations

import pytest

from digisom.offline.certificates import (
    Role,
    TrustStore,
    decode_certificate,
    decode_revocation_list,
    issue_certificate,
    issue_revocation_list,
    verify_issued_by,
)
from digisom.offline.errors import OfflineError, Reason
from tests.offline.world import DAY_S, NOW_S, World, signer


@pytest.fixture
def world() -> World:
    return World()


def reason_of(excinfo: pytest.ExceptionInfo[OfflineError]) -> Reason:
    return excinfo.value.reason


def test_valid_chain_verifies(world: World) -> None:
    cert = world.device_certificate(signer("pensioner"))
    world.trust().verify_device(cert, NOW_S)
    assert cert.key_id == decode_certificate(cert.encoded).key_id
    assert cert.role is Role.DEVICE
    assert len(cert.encoded) <= 160


def test_certificate_round_trips(world: World) -> None:
    cert = world.device_certificate(signer("merchant"))
    assert decode_certificate(cert.encoded) == cert


@pytest.mark.parametrize(
    ("not_before_s", "not_after_s", "reason"),
    [
        (NOW_S - 10 * DAY_S, NOW_S - DAY_S, Reason.CERTIFICATE_EXPIRED),
        (NOW_S - 10 * DAY_S, NOW_S, Reason.CERTIFICATE_EXPIRED),  # not_after_s is exclusive
        (NOW_S + DAY_S, NOW_S + 10 * DAY_S, Reason.CERTIFICATE_NOT_YET_VALID),
    ],
)
def test_validity_window(world: World, not_before_s: int, not_after_s: int, reason: Reason) -> None:
    cert = world.device_certificate(signer("shop"), not_before_s=not_before_s, not_after_s=not_after_s)
    with pytest.raises(OfflineError) as excinfo:
        world.trust().verify_device(cert, NOW_S)
    assert reason_of(excinfo) is reason


def test_expired_bank_breaks_the_chain(world: World) -> None:
    cert = world.device_certificate(signer("shop"), not_after_s=NOW_S + 20 * 365 * DAY_S)
    with pytest.raises(OfflineError) as excinfo:
        world.trust().check_current(cert, NOW_S + 6 * 365 * DAY_S)
    assert reason_of(excinfo) is Reason.CERTIFICATE_EXPIRED


def test_device_signed_by_unknown_bank(world: World) -> None:
    rogue_bank = signer("rogue_bank")
    cert = issue_certificate(rogue_bank, Role.DEVICE, signer("shop").public_key, NOW_S - DAY_S, NOW_S + DAY_S, 1, 1)
    with pytest.raises(OfflineError) as excinfo:
        world.trust().verify_device(cert, NOW_S)
    assert reason_of(excinfo) is Reason.UNKNOWN_ISSUER


def test_wrong_issuer(world: World) -> None:
    cert = world.device_certificate(signer("shop"))
    with pytest.raises(OfflineError) as excinfo:
        verify_issued_by(cert, world.root, NOW_S)
    assert reason_of(excinfo) is Reason.WRONG_ISSUER


def test_bank_may_not_issue_a_bank(world: World) -> None:
    sub_bank = issue_certificate(
        world.commercial_bank, Role.COMMERCIAL_BANK, signer("sub_bank").public_key, NOW_S - DAY_S, NOW_S + DAY_S
    )
    with pytest.raises(OfflineError) as excinfo:
        verify_issued_by(sub_bank, world.bank, NOW_S)
    assert reason_of(excinfo) is Reason.WRONG_ROLE


def test_device_may_not_issue_a_device(world: World) -> None:
    merchant = world.device_certificate(signer("merchant"))
    forged = issue_certificate(signer("merchant"), Role.DEVICE, signer("shop").public_key, NOW_S, NOW_S + DAY_S, 1, 1)
    with pytest.raises(OfflineError) as excinfo:
        verify_issued_by(forged, merchant, NOW_S)
    assert reason_of(excinfo) is Reason.WRONG_ROLE


def test_forged_signature(world: World) -> None:
    cert = world.device_certificate(signer("shop"))
    forged = bytearray(cert.encoded)
    forged[-1] ^= 0x01
    with pytest.raises(OfflineError) as excinfo:
        world.trust().verify_device(decode_certificate(bytes(forged)), NOW_S)
    assert reason_of(excinfo) is Reason.BAD_SIGNATURE


def test_untrusted_root_is_refused(world: World) -> None:
    with pytest.raises(OfflineError) as excinfo:
        TrustStore.create(world.bank, world.revocations, NOW_S)
    assert reason_of(excinfo) is Reason.UNTRUSTED_ROOT


def test_revoked_device(world: World) -> None:
    cert = world.device_certificate(signer("pensioner"))
    trust = world.trust()
    crl = world.revoke([cert.key_id])
    trust = trust.with_sync([world.bank], crl, NOW_S)
    with pytest.raises(OfflineError) as excinfo:
        trust.verify_device(cert, NOW_S)
    assert reason_of(excinfo) is Reason.REVOKED


def test_revoked_bank_revokes_its_devices(world: World) -> None:
    cert = world.device_certificate(signer("pensioner"))
    trust = world.trust().with_sync([world.bank], world.revoke([world.bank.key_id]), NOW_S)
    with pytest.raises(OfflineError) as excinfo:
        trust.check_current(cert, NOW_S)
    assert reason_of(excinfo) is Reason.REVOKED


def test_old_revocation_list_cannot_unrevoke(world: World) -> None:
    old = world.revocations
    newer = world.revoke([b"\x01" * 8])
    trust = world.trust().with_sync([world.bank], newer, NOW_S)
    with pytest.raises(OfflineError) as excinfo:
        trust.with_sync([world.bank], old, NOW_S)
    assert reason_of(excinfo) is Reason.STALE_REVOCATION_LIST
    assert trust.with_sync([world.bank], newer, NOW_S).revocations == newer  # same list again is fine


def test_revocation_list_signed_by_a_bank_is_refused(world: World) -> None:
    forged = issue_revocation_list(world.commercial_bank, 99, NOW_S, [])
    with pytest.raises(OfflineError) as excinfo:
        world.trust().with_sync([world.bank], forged, NOW_S)
    assert reason_of(excinfo) is Reason.WRONG_ISSUER


def test_revocation_list_round_trips_sorted(world: World) -> None:
    crl = issue_revocation_list(world.central_bank, 3, NOW_S, [b"\x09" * 8, b"\x01" * 8, b"\x09" * 8])
    again = decode_revocation_list(crl.encoded)
    assert again == crl
    assert again.revokes(b"\x01" * 8)
    assert not again.revokes(b"\x02" * 8)
    assert len(again.revoked_key_ids) == 2


def test_device_limits_are_required(world: World) -> None:
    with pytest.raises(OfflineError) as excinfo:
        issue_certificate(world.commercial_bank, Role.DEVICE, signer("shop").public_key, NOW_S, NOW_S + 1, 0, 0)
    assert reason_of(excinfo) is Reason.MALFORMED
