"""The travel rule's data: IVMS101 (interVASP Messaging Standard, 2020) as pydantic
models, with its field names (camelCase, as exchanged) and the constraints that matter
to a payout: a natural person has a legal name (`LEGL`), a legal person a legal name,
an address has a country and either address lines or a street with a building, codes
come from IVMS101's lists, countries are ISO 3166 alpha-2.

FATF Recommendation 16 requires this data from USD/EUR 1,000; the threshold is each
service's setting (`TRAVEL_RULE_THRESHOLD_USD_CENTS_DEFAULT`). `parse` turns any payload
that does not validate into `Ivms101Invalid` (or the caller's subclass of it) naming the
first bad field by its path ("originator.originatorPersons.0.naturalPerson.name.nameIdentifier").

Shared vocabulary: the remittance domain (inline in a send) and the travel-rule exchange
(`digisom.travelrule`) both take these payloads, so the models live below both.
"""

from __future__ import annotations

import json
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from digisom.kernel.canonical_json import canonical_json
from digisom.kernel.errors import Invalid

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


class Ivms101Invalid(Invalid):
    """An IVMS101 payload that does not validate; `field` names the first bad field."""

    slug = "ivms101-invalid"
    title = "The IVMS101 data is not valid"

    def __init__(self, detail: str, field: str) -> None:
        super().__init__(detail, field=field)
        self.field = field


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, alias_generator=to_camel)


class NaturalPersonNameId(_Model):
    """One name of a natural person: family name first (`primaryIdentifier`)."""

    primary_identifier: Text
    secondary_identifier: Text | None = None
    name_identifier_type: NaturalNameType


class NaturalPersonName(_Model):
    """A natural person's names; one of them is the legal name (IVMS101 C6)."""

    name_identifier: list[NaturalPersonNameId] = Field(min_length=1, max_length=NAMES_MAX)
    local_name_identifier: list[NaturalPersonNameId] = Field(default_factory=list, max_length=NAMES_MAX)

    @model_validator(mode="after")
    def _has_legal_name(self) -> NaturalPersonName:
        if not any(n.name_identifier_type == "LEGL" for n in self.name_identifier):
            raise ValueError("a natural person needs a name of type LEGL")
        return self


class LegalPersonNameId(_Model):
    """One name of a legal person."""

    legal_person_name: Text
    legal_person_name_identifier_type: LegalNameType


class LegalPersonName(_Model):
    """A legal person's names; one of them is the legal name."""

    name_identifier: list[LegalPersonNameId] = Field(min_length=1, max_length=NAMES_MAX)

    @model_validator(mode="after")
    def _has_legal_name(self) -> LegalPersonName:
        if not any(n.legal_person_name_identifier_type == "LEGL" for n in self.name_identifier):
            raise ValueError("a legal person needs a name of type LEGL")
        return self


class Address(_Model):
    """A geographic address: a country, and address lines or a street and building (C8)."""

    address_type: AddressType
    street_name: Text | None = None
    building_number: ShortText | None = None
    building_name: Text | None = None
    post_code: ShortText | None = None
    town_name: Text
    country_sub_division: Text | None = None
    address_line: list[Text] = Field(default_factory=list, max_length=7)
    country: Country

    @model_validator(mode="after")
    def _locatable(self) -> Address:
        if not self.address_line and not (self.street_name and (self.building_number or self.building_name)):
            raise ValueError("an address needs addressLine, or streetName with buildingNumber or buildingName")
        return self


class NationalIdentification(_Model):
    """An identity document or register number."""

    national_identifier: ShortText
    national_identifier_type: NationalIdType
    country_of_issue: Country | None = None
    registration_authority: Annotated[str, StringConstraints(pattern=r"^RA\d{6}$")] | None = None


class DateAndPlaceOfBirth(_Model):
    """When and where a natural person was born."""

    date_of_birth: IsoDate
    place_of_birth: Text


class NaturalPerson(_Model):
    """A natural person."""

    name: NaturalPersonName
    geographic_address: list[Address] = Field(default_factory=list, max_length=ADDRESSES_MAX)
    national_identification: NationalIdentification | None = None
    customer_identification: Text | None = None
    date_and_place_of_birth: DateAndPlaceOfBirth | None = None
    country_of_residence: Country | None = None


class LegalPerson(_Model):
    """A legal person (a company, a VASP, a money-transfer operator)."""

    name: LegalPersonName
    geographic_address: list[Address] = Field(default_factory=list, max_length=ADDRESSES_MAX)
    customer_number: Text | None = None
    national_identification: NationalIdentification | None = None
    country_of_registration: Country | None = None


class Person(_Model):
    """Exactly one of a natural and a legal person."""

    natural_person: NaturalPerson | None = None
    legal_person: LegalPerson | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Person:
        if (self.natural_person is None) == (self.legal_person is None):
            raise ValueError("give exactly one of naturalPerson and legalPerson")
        return self


class Originator(_Model):
    """Who sends: the persons and their accounts at the originating VASP."""

    originator_persons: list[Person] = Field(min_length=1, max_length=PERSONS_MAX)
    account_number: list[Text] = Field(default_factory=list, max_length=ACCOUNTS_MAX)


class Beneficiary(_Model):
    """Who receives: the persons and their accounts (here the digital som wallet)."""

    beneficiary_persons: list[Person] = Field(min_length=1, max_length=PERSONS_MAX)
    account_number: list[Text] = Field(default_factory=list, max_length=ACCOUNTS_MAX)


class OriginatingVasp(_Model):
    """The partner that sends."""

    originating_vasp: Person = Field(alias="originatingVASP")


class BeneficiaryVasp(_Model):
    """The institution that pays out (the bank that onboarded the partner)."""

    beneficiary_vasp: Person = Field(alias="beneficiaryVASP")


class IdentityPayload(_Model):
    """The IVMS101 identity payload of one transfer."""

    originator: Originator
    beneficiary: Beneficiary
    originating_vasp: OriginatingVasp = Field(alias="originatingVASP")
    beneficiary_vasp: BeneficiaryVasp | None = Field(default=None, alias="beneficiaryVASP")


def parse(payload: object, invalid: type[Ivms101Invalid] = Ivms101Invalid) -> IdentityPayload:
    """`payload` (decoded JSON) as an IVMS101 payload, or `invalid` (a domain's own problem
    type) naming the first field that does not validate."""
    if isinstance(payload, dict) and len(json.dumps(payload, ensure_ascii=False)) > PAYLOAD_CHARS_MAX:
        raise invalid(f"the IVMS101 payload is over {PAYLOAD_CHARS_MAX} characters", field="")
    try:
        return IdentityPayload.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise invalid(f"IVMS101 field {field or '(payload)'}: {first['msg']}", field=field) from exc


def canonical(payload: IdentityPayload) -> str:
    """The payload as stored: compact JSON with sorted keys, unset fields left out."""
    data = payload.model_dump(mode="json", exclude_none=True, by_alias=True)
    return canonical_json(data)


def legal_name(person: Person) -> str:
    """The person's legal name as one line (given names first for a natural person)."""
    if person.natural_person is not None:
        name = next(n for n in person.natural_person.name.name_identifier if n.name_identifier_type == "LEGL")
        return " ".join(p for p in (name.secondary_identifier, name.primary_identifier) if p)
    legal = person.legal_person
    names = legal.name.name_identifier if legal is not None else []  # `Person` validated exactly one
    return next(n.legal_person_name for n in names if n.legal_person_name_identifier_type == "LEGL")
