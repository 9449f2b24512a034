"""Names reduced to matching keys, the same way whichever script they were written in.

A name becomes a tuple of `Token`s:

1. Cyrillic (Russian and Kyrgyz letters) is transliterated to Latin by one table
   (`CYRILLIC_TO_LATIN`, close to the passport forms: ж zh, х kh, ц ts, ү u, ө o, ң ng);
   other Latin letters lose their diacritics (NFKD).
2. Each word is folded to a *key* that spellings of one sound share: zh/dzh/j -> j,
   kh/h -> h, ts/tz -> c, ks/x -> ks, shch -> sh, w -> v, ph -> f, y -> i, a j after a
   vowel and before a vowel or the end -> i ("Julija", "Sergej"); doubled letters
   collapse (Kyrgyz ээ/уу, "Jeenbekov"/"Jenbekov", "Dmitrii"/"Dmitriy"/"Dmitry").
3. Legal-form words (ОсОО, ООО, ОАО, LLC, JSC, Ltd...) are dropped; the Kyrgyz and
   Turkic markers "uulu", "kyzy", "ogly", "kyzy" are dropped, glued or not, keeping the
   father's name they follow; patronymics (-ovich, -evich, -ovna, -evna, -ichna) are
   kept but marked optional: a name with one matches the same name without it.

Word order is not part of the key: the matcher aligns tokens as a set.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

NAME_CHARS_MAX: Final = 500  # longer than any listed name; a longer subject is refused
TOKENS_MAX: Final = 16  # words of one name kept for matching; the rest are noise

CYRILLIC_TO_LATIN: Final = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
    # Kyrgyz (and Kazakh) letters
    "ү": "u", "ө": "o", "ң": "ng", "ә": "a", "ғ": "g", "қ": "k", "ұ": "u", "һ": "h", "і": "i",
    # Ukrainian and Belarusian ones that turn up in Russian-language lists
    "є": "ye", "ї": "yi", "ґ": "g", "ў": "u",
}  # fmt: skip

# Spellings of one sound, longest first: applied left to right on a transliterated word
# (after a Latin "c" that is not "ch", "ce", "ci" became "k": "Vector" is "Vektor").
_FOLDS: Final = (
    ("shch", "sh"), ("sch", "sh"), ("dzh", "j"), ("zh", "j"), ("kh", "h"), ("ts", "c"),
    ("tz", "c"), ("x", "ks"), ("ph", "f"), ("w", "v"), ("q", "k"), ("ck", "k"), ("y", "i"),
)  # fmt: skip
_HARD_C_RE: Final = re.compile(r"c(?![heiy])")
# A "j" between vowels or after one at a word's end is й ("Julija", "Sergej", "Maja"), not ж.
_J_AS_I_RE: Final = re.compile(r"(?<=[aeiouy])j(?=[aeiouy]|$)")
_FOLD_RE: Final = re.compile("|".join(re.escape(source) for source, _ in _FOLDS))
_FOLD_MAP: Final = dict(_FOLDS)
_DOUBLED_RE: Final = re.compile(r"(.)\1+")
_WORD_RE: Final = re.compile(r"[^\W_]+")
# Apostrophes stand for a soft or hard sign ("Il'yas" for Ильяс): part of the word, not a break.
_APOSTROPHES_RE: Final = re.compile("['\u2019\u02bc\u02b9`]")


def transliterate(text: str) -> str:
    """`text` in Latin letters without diacritics, lower case."""
    lowered = unicodedata.normalize("NFKC", text).casefold()
    latin = "".join(CYRILLIC_TO_LATIN.get(char, char) for char in lowered)
    decomposed = unicodedata.normalize("NFKD", latin)
    return _APOSTROPHES_RE.sub("", "".join(char for char in decomposed if not unicodedata.combining(char)))


def fold_word(word: str) -> str:
    """One transliterated word's key: spellings of one sound folded, doubled letters collapsed."""
    hard = _J_AS_I_RE.sub("i", _HARD_C_RE.sub("k", word))
    folded = _FOLD_RE.sub(lambda match: _FOLD_MAP[match.group(0)], hard)
    return _DOUBLED_RE.sub(r"\1", folded)


def _keys(text: str) -> tuple[str, ...]:
    return tuple(fold_word(word) for word in _WORD_RE.findall(transliterate(text)))


# Legal forms (Russian, Kyrgyz, English and a few others), as written; matched by key.
LEGAL_FORMS: Final = (
    "ОсОО ООО ОАО ЗАО ПАО АО НАО ИП ОО ГП АНО ТОВ LLC LC Ltd Limited JSC CJSC PJSC OJSC Inc "
    "Incorporated Corp Corporation Co Company PLC LP LLP GmbH AG SA BV NV FZE FZCO FZC DMCC Pte "
    "SARL SRL SpA Kft OU"
)
LEGAL_FORM_KEYS: Final = frozenset(_keys(LEGAL_FORMS))
# Legal forms spelled out in words.
LEGAL_FORM_PHRASES: Final = tuple(
    _keys(phrase)
    for phrase in (
        "Общество с ограниченной ответственностью",
        "Жоопкерчилиги чектелген коому",
        "Закрытое акционерное общество",
        "Открытое акционерное общество",
        "Публичное акционерное общество",
        "Акционерное общество",
        "Limited liability company",
        "Joint stock company",
    )
)
# "son of" / "daughter of" after a father's name: Kyrgyz, Kazakh, Azerbaijani spellings.
FATHER_MARKERS: Final = _keys("уулу улы кызы uulu uly kyzy kizi qizi ogly oglu ogli")
PATRONYMIC_ENDINGS: Final = _keys("ovich evich ovna evna ichna")


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a name as the matcher sees it; `optional` ones (patronymics) may be
    missing on the other side without cost."""

    key: str
    optional: bool


def _drop_phrases(keys: list[str]) -> list[str]:
    for phrase in LEGAL_FORM_PHRASES:
        size = len(phrase)
        at = 0
        while at + size <= len(keys):
            if tuple(keys[at : at + size]) == phrase:
                del keys[at : at + size]
            else:
                at += 1
    return keys


def _strip_marker(key: str) -> str | None:
    """A word without its glued father marker ("bakituulu" -> "bakit"); None if it is only a marker."""
    for marker in FATHER_MARKERS:
        if key == marker:
            return None
        if key.endswith(marker) and len(key) - len(marker) >= 3:
            return key[: -len(marker)]
    return key


def name_tokens(name: str) -> tuple[Token, ...]:
    """The matching tokens of `name` (any script, any word order, with or without legal form)."""
    keys = [fold_word(word) for word in _WORD_RE.findall(transliterate(name))]
    keys = _drop_phrases([key for key in keys if key])
    tokens: list[Token] = []
    for key in keys:
        if key in LEGAL_FORM_KEYS:
            continue
        stripped = _strip_marker(key)
        if not stripped:
            continue
        tokens.append(Token(stripped, optional=stripped.endswith(PATRONYMIC_ENDINGS)))
    if not tokens and keys:
        # A name made only of legal-form words ("АО"): keep its words rather than nothing.
        tokens = [Token(key, optional=False) for key in keys]
    return tuple(tokens[:TOKENS_MAX])
