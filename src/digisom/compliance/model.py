"""The data of screening: list entities, loaded lists, matches and results.

Scores are integers in thousandths (`score_milli`, 0..1000): exact, comparable and
stored as they are, never a float in a decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final

SCORE_MAX_MILLI: Final = 1000


class Decision(StrEnum):
    """What a screening concludes: `hit` blocks, `review` queues for an officer, `clear` passes."""

    HIT = "hit"
    REVIEW = "review"
    CLEAR = "clear"


# FollowTheMoney schemas screened as people, as organisations, and as both (a legal
# entity may be either); crypto wallets are matched by address, not by name.
PERSON_SCHEMAS: Final = frozenset({"Person"})
ORGANIZATION_SCHEMAS: Final = frozenset({"Organization", "Company", "PublicBody"})
EITHER_SCHEMAS: Final = frozenset({"LegalEntity"})
WALLET_SCHEMAS: Final = frozenset({"CryptoWallet"})
NAMED_SCHEMAS: Final = PERSON_SCHEMAS | ORGANIZATION_SCHEMAS | EITHER_SCHEMAS


class SubjectSchema(StrEnum):
    """What a screened name is said to be; `ANY` matches every named entity."""

    PERSON = "Person"
    ORGANIZATION = "Organization"
    ANY = "Any"

    def admits(self, entity_schema: str) -> bool:
        """Whether a list entity of `entity_schema` may match a subject of this schema."""
        if self is SubjectSchema.PERSON:
            return entity_schema in PERSON_SCHEMAS or entity_schema in EITHER_SCHEMAS
        if self is SubjectSchema.ORGANIZATION:
            return entity_schema in ORGANIZATION_SCHEMAS or entity_schema in EITHER_SCHEMAS
        return entity_schema in NAMED_SCHEMAS


@dataclass(frozen=True, slots=True)
class Entity:
    """One listed party: its names (the first is the caption) and its wallet addresses,
    each address as written in the list (`addresses.normalize_address` keys them)."""

    entity_id: str
    schema: str
    names: tuple[str, ...]
    addresses: tuple[str, ...] = ()
    birth_dates: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()

    @property
    def caption(self) -> str:
        """The name shown for the entity."""
        return self.names[0] if self.names else (self.addresses[0] if self.addresses else self.entity_id)


@dataclass(frozen=True, slots=True)
class SanctionsList:
    """A whole loaded list: `version` is the SHA-256 (hex) of the file(s) it came from."""

    source: str
    version: str
    list_date: date
    entities: tuple[Entity, ...]


@dataclass(frozen=True, slots=True)
class Match:
    """One listed entity that resembles the subject, and how closely."""

    entity_id: str
    caption: str
    score_milli: int
    list_version: str
    matched_name: str

    def as_json(self) -> dict[str, object]:
        """The CLI's and the API's form: the score as a decimal string of thousandths."""
        return {"id": self.entity_id, "caption": self.caption, "score": _score_text(self.score_milli)}


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    """A decision, the rule that made it and the matches behind it (best first)."""

    decision: Decision
    rule: str
    score_milli: int
    matches: tuple[Match, ...]
    list_versions: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        """`{"decision", "matches": [{"id", "caption", "score"}]}`, as the CLI prints it."""
        return {"decision": self.decision.value, "matches": [match.as_json() for match in self.matches]}


def _score_text(score_milli: int) -> str:
    """0..1000 thousandths as "0.000".."1.000": exact, no float on the way."""
    return f"{score_milli // SCORE_MAX_MILLI}.{score_milli % SCORE_MAX_MILLI:03d}"
