"""Builds the labelled screening set in data/labelled_pairs.jsonl (synthetic names only).

Each line: {"category", "match", "list_name", "schema", "query"}. True matches: the other
script, word order, a typo, Kyrgyz name forms, legal forms; look-alike non-matches: a
namesake with another given name, another surname, another father, an organisation
sharing a word. The file is committed; this script rebuilt it once and is kept to show
how (`python -m tests.compliance.labelled_set`). Thresholds were not tuned on it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

from digisom.devtools.synthetic_sanctions import (
    GIVEN_FEMALE,
    GIVEN_MALE,
    ORG_FORMS_LATIN,
    latin,
    organisation,
    person,
    surname,
    typo,
)

PATH = Path(__file__).parent / "data" / "labelled_pairs.jsonl"
PER_CATEGORY = 45

Pair = tuple[str, str, str, bool]  # list name, schema, query, match


def _other(rng: random.Random, options: tuple[str, ...], not_this: str) -> str:
    return rng.choice([option for option in options if option != not_this])


def _script(rng: random.Random) -> Pair:
    family, given, father, _ = person(rng)
    with_father = rng.random() < 0.3
    return f"{family} {given} {father}", "Person", latin(rng, f"{given} {father} {family}" if with_father
                                                         else f"{given} {family}"), True


def _script_back(rng: random.Random) -> Pair:
    family, given, _, _ = person(rng)
    return latin(rng, f"{given} {family}"), "Person", f"{family} {given}", True


def _order(rng: random.Random) -> Pair:
    family, given, father, _ = person(rng)
    return f"{given} {father} {family}", "Person", latin(rng, f"{family} {given} {father}"), True


def _typo(rng: random.Random) -> Pair:
    family, given, father, _ = person(rng)
    return f"{family} {given} {father}", "Person", typo(rng, latin(rng, f"{given} {family}")), True


def _kyrgyz_form(rng: random.Random) -> Pair:
    female = rng.random() < 0.4
    given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
    father = rng.choice(GIVEN_MALE)
    marker_cyrillic, marker_latin = ("кызы", "kyzy") if female else ("уулу", "uulu")
    listed = f"{given} {father} {marker_cyrillic}"
    father_latin = latin(rng, father)
    query = rng.choice((f"{latin(rng, given)} {father_latin}{marker_latin}",
                        f"{father_latin} {marker_latin} {latin(rng, given)}",
                        f"{latin(rng, given)} {father_latin}-{marker_latin}"))
    return listed, "Person", query, True


def _legal_form(rng: random.Random) -> Pair:
    form, name = organisation(rng)
    query = f"{latin(rng, name)} {rng.choice(ORG_FORMS_LATIN)}"
    return f"{form} «{name}»", "Organization", query if rng.random() < 0.7 else typo(rng, query), True


def _namesake(rng: random.Random) -> Pair:
    family, given, father, female = person(rng)
    other = _other(rng, GIVEN_FEMALE if female else GIVEN_MALE, given)
    return f"{family} {given} {father}", "Person", latin(rng, f"{other} {family}"), False


def _other_surname(rng: random.Random) -> Pair:
    family, given, father, female = person(rng)
    other = surname(rng, female)
    while other == family:
        other = surname(rng, female)
    return f"{family} {given} {father}", "Person", latin(rng, f"{given} {other}"), False


def _other_father(rng: random.Random) -> Pair:
    given = rng.choice(GIVEN_MALE)
    father = rng.choice(GIVEN_MALE)
    other = _other(rng, GIVEN_MALE, father)
    return f"{given} {father} уулу", "Person", latin(rng, f"{given} {other} uulu"), False


def _org_shares_a_word(rng: random.Random) -> Pair:
    form, name = organisation(rng)
    words = name.split()
    _, other_name = organisation(rng)
    replaced = [*words[:-1], other_name.split()[0]] if len(words) > 1 else [words[0], other_name.split()[0]]
    if replaced == words:
        replaced.append("Сервис")
    query = f"{latin(rng, ' '.join(replaced))} {rng.choice(ORG_FORMS_LATIN)}"
    return f"{form} «{name}»", "Organization", query, False


def _other_gender(rng: random.Random) -> Pair:
    family, given, father, female = person(rng)
    # The counterpart of the other sex, with a given name of that sex: a relative, not the person.
    stem = family[:-1] if female else family
    counterpart = stem if female else family + "а"
    other = rng.choice(GIVEN_MALE if female else GIVEN_FEMALE)
    return f"{family} {given} {father}", "Person", latin(rng, f"{other} {counterpart}"), False


def _unrelated(rng: random.Random) -> Pair:
    family, given, father, _ = person(rng)
    other_family, other_given, _, _ = person(rng)
    return f"{family} {given} {father}", "Person", latin(rng, f"{other_given} {other_family}"), False


CATEGORIES: dict[str, Callable[[random.Random], Pair]] = {
    "script": _script, "script-back": _script_back, "word-order": _order, "typo": _typo,
    "kyrgyz-form": _kyrgyz_form, "legal-form": _legal_form, "namesake": _namesake,
    "other-surname": _other_surname, "other-father": _other_father, "org-shares-a-word": _org_shares_a_word,
    "other-gender-relative": _other_gender, "unrelated": _unrelated,
}  # fmt: skip


def build(seed: int = 2026) -> list[dict[str, object]]:
    """The labelled pairs, the same for the same seed."""
    rng = random.Random(seed)
    pairs = []
    for category, make in CATEGORIES.items():
        for _ in range(PER_CATEGORY):
            listed, schema, query, match = make(rng)
            pairs.append({"category": category, "match": match, "list_name": listed, "schema": schema,
                          "query": query})
    return pairs


if __name__ == "__main__":
    PATH.parent.mkdir(exist_ok=True)
    PATH.write_text("".join(json.dumps(pair, ensure_ascii=False) + "\n" for pair in build()), encoding="utf-8")
