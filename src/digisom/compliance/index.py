"""The screening index: every name of every loaded list, found in about a millisecond.

A query cannot be scored against 100,000 entities one by one, so it is done in two steps:

1. Candidates. Each distinct token key of the lists is a vocabulary word with its
   postings (the names holding it). A query word reaches the vocabulary words within a
   typo or two through a deletion index (each word indexed under itself and under every
   form with one letter deleted; SymSpell's idea): equal keys, one substitution, one
   insertion or deletion, or one swap of neighbours all share a form. Names are ranked
   by the summed rarity (idf) of the query words they hold; the best `CANDIDATES_MAX`
   of the wanted schema go on.
2. Scores. Each candidate's tokens are aligned with the query's (`scoring`).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from digisom.compliance.addresses import normalize_address
from digisom.compliance.model import NAMED_SCHEMAS, Entity, Match, SanctionsList, SubjectSchema
from digisom.compliance.names import Token, name_tokens
from digisom.compliance.scoring import score_tokens

# Names fully scored per query: enough that a misspelt rare word still ranks its name in.
CANDIDATES_MAX: Final = 40
# A query word reaching more names than this only weighs the candidates other words found.
POOL_WORD_NAMES_MAX: Final = 1000
# Words this short are indexed only as themselves: one deletion would make them match everything.
DELETION_KEY_CHARS_MIN: Final = 4


def _deletions(key: str) -> set[str]:
    forms = {key}
    if len(key) >= DELETION_KEY_CHARS_MIN:
        forms.update(key[:at] + key[at + 1 :] for at in range(len(key)))
    return forms


@dataclass(frozen=True, slots=True)
class _Name:
    entity: int  # index into ScreeningIndex.entities
    text: str
    tokens: tuple[Token, ...]


class ScreeningIndex:
    """An immutable index over the entities of one or more loaded lists."""

    def __init__(self, lists: Sequence[SanctionsList]) -> None:
        self.lists = tuple(lists)
        self.entities: list[tuple[Entity, str]] = []  # (entity, its list's version)
        self._names: list[_Name] = []
        self._vocabulary: dict[str, int] = {}
        self._postings: list[list[int]] = []
        self._deletion_forms: dict[str, list[int]] = {}
        self.addresses: dict[str, list[int]] = {}
        for listed in self.lists:
            for entity in listed.entities:
                self._add(entity, listed.version)
        for word, word_id in self._vocabulary.items():
            for form in _deletions(word):
                self._deletion_forms.setdefault(form, []).append(word_id)
        self._idf = [math.log(1 + len(self._names) / len(names)) for names in self._postings]

    def _add(self, entity: Entity, version: str) -> None:
        entity_index = len(self.entities)
        self.entities.append((entity, version))
        for address in entity.addresses:
            self.addresses.setdefault(normalize_address(address), []).append(entity_index)
        if entity.schema not in NAMED_SCHEMAS:
            return
        for text in dict.fromkeys(entity.names):
            tokens = name_tokens(text)
            if not tokens:
                continue
            name_id = len(self._names)
            self._names.append(_Name(entity_index, text, tokens))
            for key in {token.key for token in tokens}:
                word_id = self._vocabulary.setdefault(key, len(self._postings))
                if word_id == len(self._postings):
                    self._postings.append([])
                self._postings[word_id].append(name_id)

    @property
    def versions(self) -> tuple[str, ...]:
        """The versions of the lists indexed, in load order."""
        return tuple(listed.version for listed in self.lists)

    def _similar_words(self, key: str) -> set[int]:
        found: set[int] = set()
        for form in _deletions(key):
            found.update(self._deletion_forms.get(form, ()))
        return found

    def _candidates(self, tokens: tuple[Token, ...], schema: SubjectSchema) -> list[int]:
        reaches: list[tuple[float, set[int]]] = []
        for key in {token.key for token in tokens}:
            reached: set[int] = set()
            best_idf = 0.0
            for word_id in self._similar_words(key):
                reached.update(self._postings[word_id])
                best_idf = max(best_idf, self._idf[word_id])
            if reached:
                reaches.append((best_idf, reached))
        if not reaches:
            return []
        # The pool is what the rarer words reach: a listed name holding every query word
        # is in the pool of each, so the smallest alone would do; common words
        # ("Ivanov", "Bank") only add weight.
        reaches.sort(key=lambda reach: len(reach[1]))
        pool = set(reaches[0][1])
        for _, reached in reaches[1:]:
            if len(reached) <= POOL_WORD_NAMES_MAX:
                pool.update(reached)
        weights = {name_id: sum(idf for idf, reached in reaches if name_id in reached) for name_id in pool}
        shortlist = heapq.nlargest(8 * CANDIDATES_MAX, weights, key=weights.__getitem__)
        chosen = self._admitted(shortlist, schema)
        if len(chosen) < CANDIDATES_MAX < len(weights) and len(shortlist) < len(weights):
            # Most queries find their schema's names among the best few; a full sort only when not.
            chosen = self._admitted(sorted(weights, key=weights.__getitem__, reverse=True), schema)
        return chosen

    def _admitted(self, ranked: Iterable[int], schema: SubjectSchema) -> list[int]:
        chosen: list[int] = []
        for name_id in ranked:
            if schema.admits(self.entities[self._names[name_id].entity][0].schema):
                chosen.append(name_id)
                if len(chosen) == CANDIDATES_MAX:
                    break
        return chosen

    def match_name(self, name: str, schema: SubjectSchema, floor_milli: int) -> list[Match]:
        """Entities with a name scoring at least `floor_milli` against `name`, best first
        (one match per entity: its best name)."""
        tokens = name_tokens(name)
        if not tokens:
            return []
        best: dict[int, tuple[int, str]] = {}
        for name_id in self._candidates(tokens, schema):
            listed_name = self._names[name_id]
            score = score_tokens(tokens, listed_name.tokens)
            if score >= floor_milli and score > best.get(listed_name.entity, (-1, ""))[0]:
                best[listed_name.entity] = (score, listed_name.text)
        return _ranked(self._match(entity_index, score, text) for entity_index, (score, text) in best.items())

    def match_address(self, address: str) -> list[Match]:
        """Entities listing exactly this address (by its `normalize_address` key)."""
        key = normalize_address(address)
        return _ranked(self._match(entity_index, 1000, key) for entity_index in self.addresses.get(key, ()))

    def _match(self, entity_index: int, score_milli: int, matched: str) -> Match:
        entity, version = self.entities[entity_index]
        return Match(entity.entity_id, entity.caption, score_milli, version, matched)


def _ranked(matches: Iterable[Match]) -> list[Match]:
    return sorted(matches, key=lambda match: (-match.score_milli, match.entity_id))
