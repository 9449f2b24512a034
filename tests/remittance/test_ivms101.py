"""IVMS101: the payload a partner sends from the travel-rule threshold, validated with
the standard's field names; a malformed one is a typed error naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from digisom.remittance import ivms101
from digisom.remittance.errors import TravelRuleInvalid


def valid_payload() -> dict[str, Any]:
    """A migrant in Moscow sending to his mother in Naryn through a Moscow operator."""
    return {
        "originator": {
            "originatorPersons": [{"naturalPerson": {
                "name": {"nameIdentifier": [{"primaryIdentifier": "Asanov", "secondaryIdentifier": "Aibek",
                                             "nameIdentifierType": "LEGL"}]},
                "geographicAddress": [{"addressType": "HOME", "streetName": "Tverskaya", "buildingNumber": "7",
                                       "townName": "Moscow", "country": "RU"}],
                "nationalIdentification": {"nationalIdentifier": "AC1234567", "nationalIdentifierType": "CCPT",
                                           "countryOfIssue": "KG"},
                "dateAndPlaceOfBirth": {"dateOfBirth": "1994-03-02", "placeOfBirth": "Naryn"},
            }}],
            "accountNumber": ["ZK-40817810"],
        },
        "beneficiary": {
            "beneficiaryPersons": [{"naturalPerson": {"name": {"nameIdentifier": [
                {"primaryIdentifier": "Asanova", "secondaryIdentifier": "Gulnara", "nameIdentifierType": "LEGL"}]}}}],
            "accountNumber": ["wallet"],
        },
        "originatingVASP": {"originatingVASP": {"legalPerson": {
            "name": {"nameIdentifier": [{"legalPersonName": "Zolotaya Korona MTO",
                                         "legalPersonNameIdentifierType": "LEGL"}]},
            "countryOfRegistration": "RU"}}},
    }


def test_a_valid_payload_round_trips_with_the_standards_names() -> None:
    parsed = ivms101.parse(valid_payload())
    stored = ivms101.canonical(parsed)
    assert '"nameIdentifierType":"LEGL"' in stored and '"originatingVASP"' in stored
    assert ivms101.parse(__import__("json").loads(stored)) == parsed
    assert ivms101.legal_name(parsed.originator.originator_persons[0]) == "Aibek Asanov"
    assert ivms101.legal_name(parsed.originating_vasp.originating_vasp) == "Zolotaya Korona MTO"


@pytest.mark.parametrize(("path", "value", "field"), [
    (("originator", "originatorPersons", 0, "naturalPerson", "name", "nameIdentifier", 0, "nameIdentifierType"),
     "ALIA", "originator.originatorPersons.0.naturalPerson.name"),
    (("originator", "originatorPersons", 0, "naturalPerson", "geographicAddress", 0, "buildingNumber"), None,
     "originator.originatorPersons.0.naturalPerson.geographicAddress.0"),
    (("originator", "originatorPersons", 0, "naturalPerson", "nationalIdentification", "nationalIdentifierType"),
     "PASSPORT", "originator.originatorPersons.0.naturalPerson.nationalIdentification.nationalIdentifierType"),
    (("beneficiary", "beneficiaryPersons"), [], "beneficiary.beneficiaryPersons"),
    (("originatingVASP", "originatingVASP", "naturalPerson"), {"name": {"nameIdentifier": [
        {"primaryIdentifier": "X", "nameIdentifierType": "LEGL"}]}}, "originatingVASP.originatingVASP"),
    (("originator", "surprise"), 1, "originator.surprise"),
])
def test_a_malformed_payload_names_the_field(path: tuple[Any, ...], value: Any, field: str) -> None:
    payload = valid_payload()
    target: Any = payload
    for part in path[:-1]:
        target = target[part]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    with pytest.raises(TravelRuleInvalid) as refused:
        ivms101.parse(payload)
    assert refused.value.field == field


def test_a_payload_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(TravelRuleInvalid):
        ivms101.parse(["originator"])
