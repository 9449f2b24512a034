"""Issue 13, finding 5: NUL bytes (and other control characters) were stored and echoed
in names and references. Every free-text input field now refuses C0/C1 controls, the
line separators and the bidirectional overrides with a 422 naming the field, and
nothing is stored."""

from __future__ import annotations

import inspect
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from digisom.cbdc.http import schemas, schemas_benefits
from digisom.disbursement.http import schemas as schemas_disbursement
from digisom.interbank.http import routes as routes_interbank
from digisom.offline.http import schemas as schemas_offline
from tests.api.world import World, kgs

PROBLEMS = "https://digisom.kg/problems/"
# NUL, a C1 control, a line separator, a right-to-left override, an isolate.
BAD = ["Ali\x00ce", "Ali\x85ce", "Ali\u2028ce", "Ali\u202ece", "Ali\u2066ce\u2069"]


def _refused(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"] == PROBLEMS + "invalid-request"
    [error] = [e for e in body["errors"] if e["location"].endswith(field)]
    assert "not allowed in text" in error["message"]
    assert "\x00" not in response.text and "\u202e" not in response.text  # nothing echoed


@pytest.mark.parametrize("name", BAD)
def test_a_name_with_a_control_character_is_422_and_no_wallet_is_opened(world: World, name: str) -> None:
    before = world.ok(world.get("commercial_bank", "/v1/wallets"))["items"]
    body = {"holder_id": "mallory", "holder_kind": "individual", "tier": 0,
            "identity": {"full_name": name, "phone": "+996555000111", "pin": "4321"}}
    _refused(world.post("commercial_bank", "/v1/wallets", body), "identity.full_name")
    assert world.ok(world.get("commercial_bank", "/v1/wallets"))["items"] == before


@pytest.mark.parametrize("reference", BAD)
def test_a_reference_with_a_control_character_is_422_and_nothing_is_paid(world: World, reference: str) -> None:
    treasury = world.wallets["treasury"]
    balance, payments = world.balance("treasury"), world.ok(world.get("treasury", f"/v1/wallets/{treasury}/payments"))
    body = {"payer_wallet_id": treasury, "payee_wallet_id": world.wallets["merchant"], **kgs(1),
            "reference": reference}
    _refused(world.post("treasury", "/v1/payments", body), "reference")
    assert world.balance("treasury") == balance
    assert world.ok(world.get("treasury", f"/v1/wallets/{treasury}/payments")) == payments
    body["reference"] = "rent, March"
    world.ok(world.post("treasury", "/v1/payments", body), 201)  # the same payment with plain text goes through


def test_a_freeze_reason_with_a_nul_is_422_and_the_wallet_stays_active(world: World) -> None:
    pensioner = world.wallets["pensioner"]
    body = {"reason": "court\x00order", "legal_order_ref": "case-1"}
    _refused(world.post("central_bank", f"/v1/wallets/{pensioner}/freeze", body), "reason")
    assert world.ok(world.get("central_bank", f"/v1/wallets/{pensioner}"))["status"] == "active"
    assert world.ok(world.get("central_bank", f"/v1/wallets/{pensioner}/holds"))["items"] == []


def test_plain_text_keeps_kyrgyz_and_punctuation(world: World) -> None:
    body = {"holder_id": "aigul", "holder_kind": "individual", "tier": 0,
            "identity": {"full_name": "Айгүл Өмүрбекова-Ng, «Ысык-Көл»", "phone": "+996555000111", "pin": "4321"}}
    wallet = world.ok(world.post("commercial_bank", "/v1/wallets", body), 201)
    identity = world.ok(world.get("commercial_bank", f"/v1/wallets/{wallet['id']}/identity"))
    assert identity["full_name"] == body["identity"]["full_name"]


def _input_models() -> list[type[BaseModel]]:
    modules = (schemas, schemas_benefits, schemas_disbursement, schemas_offline, routes_interbank)
    return [cls for module in modules for name, cls in vars(module).items()
            if inspect.isclass(cls) and issubclass(cls, BaseModel) and cls.__module__ == module.__name__
            and name.endswith("In")]


# Not free text: an EMV QR payload, which the QR codec itself refuses with `invalid-qr`
# (and a reason) when it holds a control character; checked below.
CODEC_CHECKED = {"QrPaymentIn.payload", "QrDecodeIn.payload"}


def test_every_text_field_of_every_input_refuses_control_characters() -> None:
    # The independent check: a new free-text field without `PlainText` (or a pattern) fails here.
    checked = []
    for model in _input_models():
        for field, info in model.model_fields.items():
            if "str" not in str(info.annotation) or f"{model.__name__}.{field}" in CODEC_CHECKED:
                continue
            annotation = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
            adapter: TypeAdapter[Any] = TypeAdapter(annotation)
            value: Any = ["Ali\x00ce"] if str(info.annotation).startswith("list") else "Ali\x00ce"
            with pytest.raises(ValidationError):
                adapter.validate_python(value)
            checked.append(f"{model.__name__}.{field}")
    assert {"IdentityIn.full_name", "PaymentIn.reference", "PaymentRequestIn.message", "FreezeIn.reason",
            "FreezeIn.legal_order_ref", "ParticipantIn.name", "BenefitSchemeIn.name", "ProgrammeIn.name",
            "BankIn.name"} <= set(checked)


def test_a_qr_payload_with_a_control_character_is_refused_by_the_codec(world: World) -> None:
    payload = world.ok(world.post("merchant", "/v1/qr", {"wallet_id": world.wallets["merchant"]}), 201)["payload"]
    refused = world.post("pensioner", "/v1/qr/decode", {"payload": payload[:20] + "\x00" + payload[21:]})
    assert refused.status_code == 422 and refused.json()["type"] == PROBLEMS + "invalid-qr"
