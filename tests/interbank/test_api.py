"""The RTGS through the HTTP API, on the digital som's reserve accounts: XML in, pacs.002
out; duplicates; malformed XML and XML attacks get RJCT, never a 5xx; scope of banks;
end of day and statements by role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digisom.api.runtime import Runtime, build
from digisom.http.services import filled
from digisom.interbank.http.routes import STATUS_HEADER
from digisom.interbank.http.slots import RTGS
from digisom.interbank.iso20022 import StatusReport, parse_inbound
from tests.api.world import AYIL, BAKAI, World
from tests.interbank.rtgs_world import BUSINESS_DAY, Clock, payment_xml
from tests.interbank.test_bad_input import BILLION_LAUGHS, XXE, XXE_PARAMETER_ENTITY

XML = {"content-type": "application/xml"}
RESERVES_AYIL = 800_000_00  # 1,000,000 som of reserves less 200,000 issued as digital som


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    built = build(data_dir=tmp_path / "data", rtgs_clock=Clock())
    yield built
    built.close()


@pytest.fixture
def world(runtime: Runtime) -> World:
    world = World.create(runtime).setup()
    for code, bic in ((AYIL, "AYILKG22"), (BAKAI, None)):
        world.ok(world.post("central_bank", "/v1/interbank/banks", {"bank_code": code, "name": code, "bic": bic}), 201)
    return world


def send(world: World, who: str, xml: bytes) -> tuple[int, StatusReport | None, str]:
    response = world.client.post("/v1/interbank/messages", content=xml, headers={**world.headers(who), **XML})
    if response.headers.get("content-type", "").startswith("application/xml"):
        body = parse_inbound(response.content).body
        assert isinstance(body, StatusReport)
        return response.status_code, body, response.headers[STATUS_HEADER]
    return response.status_code, None, response.text


def reserves(world: World, bank: str) -> int:
    rtgs = filled(world.runtime.app, RTGS).get()
    return int(rtgs.liquidity(bank)[0])


def test_a_payment_settles_on_the_reserve_accounts_and_a_duplicate_does_not(world: World) -> None:
    message = payment_xml(AYIL, BAKAI, 1_500_00, 1)
    status, report, header = send(world, "commercial_bank", message)
    assert (status, header) == (200, "ACSC") and report is not None and report.original_message_id == "MSG-AYIL-1"
    assert reserves(world, AYIL) == RESERVES_AYIL - 1_500_00
    for again in (message, payment_xml(AYIL, BAKAI, 1_500_00, 2, e2e="E2E-AYIL-1")):
        status, report, header = send(world, "commercial_bank", again)
        assert (status, header) == (200, "ACSC") and report is not None
        assert "duplicate" in (report.reason_detail or "")
    assert reserves(world, AYIL) == RESERVES_AYIL - 1_500_00, "settled once"


def test_a_bank_sends_for_itself_only(world: World) -> None:
    status, _, text = send(world, "commercial_bank", payment_xml(BAKAI, AYIL, 1_00, 3))
    assert status == 403 and "forbidden" in text
    assert send(world, "central_bank", payment_xml(AYIL, BAKAI, 1_00, 4))[0] == 403


@pytest.mark.parametrize("xml", [b"", b"not xml", b"<Document/>", BILLION_LAUGHS, XXE, XXE_PARAMETER_ENTITY,
                                 b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"/>'])
def test_malformed_xml_and_attacks_get_a_rejection(world: World, xml: bytes) -> None:
    status, report, header = send(world, "commercial_bank", xml)
    assert (status, header) == (200, "RJCT")
    assert report is not None and report.reason_code in {"FF01", "FF02"}
    assert reserves(world, AYIL) == RESERVES_AYIL


def test_not_xml_is_415_and_too_large_is_413(world: World) -> None:
    response = world.client.post("/v1/interbank/messages", json={}, headers=world.headers("commercial_bank"))
    assert response.status_code == 415
    response = world.client.post("/v1/interbank/messages", content=b"<a>" * 10_000,
                                 headers={**world.headers("commercial_bank"), **XML})
    assert response.status_code == 413


def test_end_of_day_and_statements_by_role(world: World) -> None:
    clock: Clock = filled(world.runtime.app, RTGS).get().ctx.clock
    send(world, "commercial_bank", payment_xml(AYIL, BAKAI, 2_000_00, 5))
    assert send(world, "second_bank", payment_xml(BAKAI, AYIL, 10**12, 6))[2] == "PDNG"
    assert world.post("commercial_bank", "/v1/interbank/end-of-day", {}).status_code == 403
    assert world.post("central_bank", "/v1/interbank/end-of-day", {}).status_code == 409, "before the cut-off"
    clock.at(17, 30)
    report = world.ok(world.post("central_bank", "/v1/interbank/end-of-day", {}), 201)
    assert report["rejected"] == 1
    day = BUSINESS_DAY.isoformat()
    own = world.ok(world.get("commercial_bank", f"/v1/interbank/statements/{day}"))
    assert [s["bank_code"] for s in own["items"]] == [AYIL]
    assert world.get("commercial_bank", f"/v1/interbank/statements/{day}", bank=BAKAI).status_code == 403
    xml = world.client.get(f"/v1/interbank/statements/{day}", params={"bank": BAKAI, "format": "xml"},
                           headers=world.headers("auditor"))
    assert xml.status_code == 200 and b"camt.053.001.08" in xml.content
    everyone = world.ok(world.get("central_bank", f"/v1/interbank/statements/{day}"))
    assert {s["bank_code"] for s in everyone["items"]} == {AYIL, BAKAI}
    rejected = world.ok(world.get("second_bank", "/v1/interbank/messages", type="pacs.002.001.10"))
    assert any("AM04" in m["xml"] for m in rejected["items"])
