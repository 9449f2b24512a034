"""/v1/offline through the HTTP API: certificates by the wallet's bank, funding by the
holder, the public CA chain and revocation list, device-signed sync; role checks and
bad input answered with typed problem+json."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from digisom.api.runtime import Runtime, build
from digisom.offline.certificates import TrustStore, decode_certificate, decode_revocation_list
from digisom.offline.device import Device
from digisom.offline.keys import SoftwareSigner
from digisom.offline.sync_request import sign_sync_request
from digisom.offline.upload import Upload
from tests.api.world import World, kgs
from tests.offline.world import signer

PROBLEM = "application/problem+json"


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    built = build(data_dir=tmp_path / "data")
    yield built
    built.close()


@pytest.fixture
def world(runtime: Runtime) -> World:
    return World.create(runtime).setup()
TYPE = "https://digisom.kg/problems/"


def register(world: World, holder: str, who: str | None = "commercial_bank") -> Any:
    body = {"wallet_id": world.wallets[holder], "public_key": signer(holder).public_key.hex(),
            "per_payment_max_tyiyn": "500000", "cumulative_max_tyiyn": "2000000"}
    return world.post(who, "/v1/offline/devices", body)


def device(world: World, holder: str) -> Device:
    cert = world.ok(register(world, holder), 201)
    trust = world.ok(world.get(None, "/v1/offline/ca"))
    root = decode_certificate(base64.b64decode(trust["root"]["encoded"]))
    banks = [decode_certificate(base64.b64decode(b["encoded"])) for b in trust["banks"]]
    crl = decode_revocation_list(base64.b64decode(trust["revocation_list"]["encoded"]))
    now_s = int(cert["not_before_s"]) + 86_400
    store = TrustStore.create(root, crl, now_s).with_sync(banks, crl, now_s)
    return Device.provision(signer(holder), decode_certificate(base64.b64decode(cert["encoded"])), store, now_s)


def sync(world: World, holder: str, dev: Device, now_s: int, key_signer: SoftwareSigner | None = None) -> Any:
    request = sign_sync_request(key_signer or signer(holder), dev.upload(), now_s, dev.spent_tyiyn, False)
    return world.post(None, "/v1/offline/sync", {"request": base64.b64encode(request).decode()})


def offline_reserves(world: World) -> int:
    """What the devices' reserves hold, by the money auditor, which must find circulation
    (offline reserves included) equal to the issuance liability."""
    summary = world.ok(world.get("central_bank", "/v1/issuance/summary"))
    assert summary["balanced"] is True, summary
    assert summary["circulation_tyiyn"] == summary["issuance_liability_tyiyn"]
    return int(summary["holdings_tyiyn"]["offline_reserves"])


def test_fund_pay_and_sync_through_the_api(world: World, runtime: Runtime) -> None:
    world.ok(world.pay("treasury", "treasury", "pensioner", 10_000), 201)
    pensioner, merchant = device(world, "pensioner"), device(world, "merchant")
    fund = {"device_key_id": pensioner.device_id.hex(), **kgs(3_000)}
    funded = world.ok(world.post("pensioner", f"/v1/offline/wallets/{world.wallets['pensioner']}/fundings", fund))
    assert funded["funded_net_tyiyn"] == "300000"
    pensioner.fund(300_000)
    assert world.balance("pensioner") == 700_000
    assert offline_reserves(world) == 300_000  # in the pensioner's offline reserve, still in circulation

    now_s = pensioner.certificate.not_before_s + 86_400 + 60
    merchant.receive(pensioner.pay(merchant.device_id, 120_000, now_s), now_s, pensioner.certificate.encoded)
    synced = world.ok(sync(world, "merchant", merchant, now_s))
    assert synced["paid_tyiyn"] == "120000" and synced["findings"] == []
    assert world.balance("merchant") == 120_000
    again = world.ok(sync(world, "merchant", merchant, now_s))
    assert again["paid_tyiyn"] == "0"
    assert offline_reserves(world) == 180_000  # what is left in the reserve
    crl = world.ok(world.get(None, "/v1/offline/revocation-list"))
    assert crl["sequence"] == 1 and crl["revoked_key_ids"] == []


def test_roles_and_scope(world: World) -> None:
    # Only the wallet's own bank certifies its devices.
    wrong_bank = register(world, "pensioner", "second_bank")
    assert wrong_bank.status_code == 404 and wrong_bank.json()["type"] == TYPE + "not-found"  # as an unknown one
    assert register(world, "pensioner", "pensioner").status_code == 403
    assert register(world, "pensioner", None).status_code == 401
    pensioner = device(world, "pensioner")
    twice = register(world, "pensioner")
    assert twice.status_code == 409 and twice.json()["type"] == TYPE + "offline-duplicate-key-id"
    # A holder funds only their own wallet's device.
    body = {"device_key_id": pensioner.device_id.hex(), **kgs(10)}
    other = world.post("merchant", f"/v1/offline/wallets/{world.wallets['pensioner']}/fundings", body)
    assert other.status_code == 404 and other.headers["content-type"] == PROBLEM
    poor = world.post("pensioner", f"/v1/offline/wallets/{world.wallets['pensioner']}/fundings", body)
    assert poor.status_code == 409 and poor.json()["type"] == TYPE + "offline-insufficient-funds"


def test_bad_sync_requests_get_typed_problems(world: World) -> None:
    merchant = device(world, "merchant")
    now_s = merchant.certificate.not_before_s + 86_400
    forged = sync(world, "merchant", merchant, now_s, key_signer=signer("shop"))
    assert forged.status_code == 401 and forged.json()["type"] == TYPE + "offline-bad-signature"
    stranger = Upload(merchant.device_id[::-1], (), ())
    unknown = world.post(None, "/v1/offline/sync", {"request": base64.b64encode(
        sign_sync_request(signer("shop"), stranger, now_s, 0, False)).decode()})
    assert unknown.status_code == 404 and unknown.json()["type"] == TYPE + "offline-unknown-device"
    junk = world.post(None, "/v1/offline/sync", {"request": base64.b64encode(b"\x82\x41").decode()})
    assert junk.status_code == 422 and junk.json()["type"].startswith(TYPE + "offline-")
    oversized = world.client.post("/v1/offline/sync", content=b"x" * 20_000,
                                  headers={"Idempotency-Key": "big", "Content-Type": "application/json"})
    assert oversized.status_code == 413 and oversized.headers["content-type"] == PROBLEM
    too_long = world.post(None, "/v1/offline/sync", {"request": "A" * 16_000})
    assert too_long.status_code in (413, 422) and too_long.headers["content-type"] == PROBLEM


def test_a_lost_device_is_revoked_by_its_bank(world: World) -> None:
    pensioner = device(world, "pensioner")
    body = {"device_key_id": pensioner.device_id.hex(), "reason": "lost"}
    other = world.post("second_bank", "/v1/offline/revocations", body)
    assert other.status_code == 404 and other.json()["type"] == TYPE + "offline-unknown-device"  # as an unknown one
    assert world.post("pensioner", "/v1/offline/revocations", body).status_code == 403
    revoked = world.ok(world.post("commercial_bank", "/v1/offline/revocations", body))
    assert revoked["revoked_key_ids"] == [pensioner.device_id.hex()] and revoked["sequence"] == 2
    public = world.ok(world.get(None, "/v1/offline/revocation-list"))
    assert public == revoked
    world.ok(world.pay("treasury", "treasury", "pensioner", 100), 201)
    fund = {"device_key_id": pensioner.device_id.hex(), **kgs(10)}
    refused = world.post("pensioner", f"/v1/offline/wallets/{world.wallets['pensioner']}/fundings", fund)
    assert refused.status_code == 409 and refused.json()["type"] == TYPE + "offline-revoked"
