"""The travel rule's data: IVMS101 (interVASP Messaging Standard, 2020) as pydantic
models, with its field names (camelCase, as exchanged) and the constraints that matter
to a payout: a natural person has a legal name (`LEGL`), a legal person a legal name,
an address has a country and either address lines or a street with a building, codes
come from IVMS101's lists, countries are ISO 3166 alpha-2.

FATF Recommendation 16 requires this data from USD/EUR 1,000; the threshold is the
service's setting (`TRAVEL_RULE_THRESHOLD_USD_CENTS_DEFAULT`). `parse` turns any payload
that does not validate into `TravelRuleInvalid` naming the first bad field by its path
("originator.originatorPersons.0.naturalPerson.name.nameIdentifier").
"""

from __future__ import annotations

import json
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from digisom.remittance.errors import TravelRuleInvalid

TRAVEL_RULE_THRESHOLD_USD_CENTS_DEFAULT: Final = 1_000_00  # FATF R.16: USD 1,000
# A payload is a few kilobytes; these bound what a partner can make us parse and store.
PAYLOAD_CHARS_MAX: Final = 32_768
PERSONS_MAX: Final = 8
NAMES_MAX: Final = 8
ADDRESSES_MAX: Final = 4
ACCOUNTS_MAX: Final = 4

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=35)]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
IsoDate = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]

NaturalNameType = Literal["ALIA", "BIRT", "MAID", "LEGL", "MISC"]
LegalNameType = Literal["LEGL", "SHRT", "TRAD"]
AddressType = Literal["HOME", "BIZZ", "GEOG"]
NationalIdType = Literal["ARNU", "CCPT", "RAID", "DRLC", "FIIN", "TXID", "SOCS", "IDCD", "LEIX", "MISC"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class NaturalPersonNameId(_Model):
    """One name of a natural person: family name first (`primaryIdentifier`)."""

    primaryIdentifier: Text
    secondaryIdentifier: Text | None = None
    nameIdentifierType: NaturalNameType


class NaturalPersonName(_Model):
    """A natural person's names; one of them is the legal name (IVMS101 C6)."""

    nameIdentifier: list[NaturalPersonNameId] = Field(min_length=1, max_length=NAMES_MAX)
    localNameIdentifier: list[NaturalPersonNameId] = Field(default_factory=list, max_length=NAMES_MAX)

    @model_validator(mode="after")
    def _has_legal_name(self) -> NaturalPersonName:
        if not any(n.nameIdentifierType == "LEGL" for n in self.nameIdentifier):
            raise ValueError("a natural person needs a name of type LEGL")
        return self


class LegalPersonNameId(_Model):
    """One name of a legal person."""

    legalPersonName: Text
    legalPersonNameIdentifierType: LegalNameType


class LegalPersonName(_Model):
    """A legal person's names; one of them is the legal name."""

    nameIdentifier: list[LegalPersonNameId] = Field(min_length=1, max_length=NAMES_MAX)

    @model_validator(mode="after")
    def _has_legal_name(self) -> LegalPersonName:
        if not any(n.legalPersonNameIdentifierType == "LEGL" for n in self.nameIdentifier):
            raise ValueError("a legal person needs a name of type LEGL")
        return self


class Address(_Model):
    """A geographic address: a country, and address lines or a street and building (C8)."""

    addressType: AddressType
    streetName: Text | None = None
    buildingNumber: ShortText | None = None
    buildingName: Text | None = None
    postCode: ShortText | None = None
    townName: Text
    countrySubDivision: Text | None = None
    addressLine: list[Text] = Field(default_factory=list, max_length=7)
    country: Country

    @model_validator(mode="after")
    def _locatable(self) -> Address:
        if not self.addressLine and not (self.streetName and (self.buildingNumber or self.buildingName)):
            raise ValueError("an address needs addressLine, or streetName with buildingNumber or buildingName")
        return self


class NationalIdentification(_Model):
    """An identity document or register number."""

    nationalIdentifier: ShortText
    nationalIdentifierType: NationalIdType
    countryOfIssue: Country | None = None
    registrationAuthority: Annotated[str, StringConstraints(pattern=r"^RA\d{6}$")] | None = None


class DateAndPlaceOfBirth(_Model):
    """When and where a natural person was born."""

    dateOfBirth: IsoDate
    placeOfBirth: Text


class NaturalPerson(_Model):
    """A natural person."""

    name: NaturalPersonName
    geographicAddress: list[Address] = Field(default_factory=list, max_length=ADDRESSES_MAX)
    nationalIdentification: NationalIdentification | None = None
    customerIdentification: Text | None = None
    dateAndPlaceOfBirth: DateAndPlaceOfBirth | None = None
    countryOfResidence: Country | None = None


class LegalPerson(_Model):
    """A legal person (a company, a VASP, a money-transfer operator)."""

    name: LegalPersonName
    geographicAddress: list[Address] = Field(default_factory=list, max_length=ADDRESSES_MAX)
    customerNumber: Text | None = None
    nationalIdentification: NationalIdentification | None = None
    countryOfRegistration: Country | None = None


class Person(_Model):
    """Exactly one of a natural and a legal person."""

    naturalPerson: NaturalPerson | None = None
    legalPerson: LegalPerson | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Person:
        if (self.naturalPerson is None) == (self.legalPerson is None):
            raise ValueError("give exactly one of naturalPerson and legalPerson")
        return self


class Originator(_Model):
    """Who sends: the persons and their accounts at the originating VASP."""

    originatorPersons: list[Person] = Field(min_length=1, max_length=PERSONS_MAX)
    accountNumber: list[Text] = Field(default_factory=list, max_length=ACCOUNTS_MAX)


class Beneficiary(_Model):
    """Who receives: the persons and their accounts (here the digital som wallet)."""

    beneficiaryPersons: list[Person] = Field(min_length=1, max_length=PERSONS_MAX)
    accountNumber: list[Text] = Field(default_factory=list, max_length=ACCOUNTS_MAX)


class OriginatingVasp(_Model):
    """The partner that sends."""

    originatingVASP: Person


class BeneficiaryVasp(_Model):
    """The institution that pays out (the bank that onboarded the partner)."""

    beneficiaryVASP: Person


class IdentityPayload(_Model):
    """The IVMS101 identity payload of one transfer."""

    originator: Originator
    beneficiary: Beneficiary
    originatingVASP: OriginatingVasp
    beneficiaryVASP: BeneficiaryVasp | None = None


def parse(payload: object) -> IdentityPayload:
    """`payload` (decoded JSON) as an IVMS101 payload, or `TravelRuleInvalid` naming the
    first field that does not validate."""
    if isinstance(payload, dict) and len(json.dumps(payload, ensure_ascii=False)) > PAYLOAD_CHARS_MAX:
        raise TravelRuleInvalid(f"the IVMS101 payload is over {PAYLOAD_CHARS_MAX} characters", field="")
    try:
        return IdentityPayload.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise TravelRuleInvalid(f"IVMS101 field {field or '(payload)'}: {first['msg']}", field=field) from exc


def canonical(payload: IdentityPayload) -> str:
    """The payload as stored: compact JSON with sorted keys, unset fields left out."""
    return json.dumps(payload.model_dump(mode="json", exclude_none=True), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)


def legal_name(person: Person) -> str:
    """The person's legal name as one line (given names first for a natural person)."""
    if person.naturalPerson is not None:
        name = next(n for n in person.naturalPerson.name.nameIdentifier if n.nameIdentifierType == "LEGL")
        return " ".join(p for p in (name.secondaryIdentifier, name.primaryIdentifier) if p)
    legal = person.legalPerson
    names = legal.name.nameIdentifier if legal is not None else []  # `Person` validated exactly one
    return next(n.legalPersonName for n in names if n.legalPersonNameIdentifierType == "LEGL")
