"""How closely two names agree: a score in thousandths, from their tokens (`names`).

The tokens of both names are aligned one to one, best pairs first (word order does not
count). A pair's similarity is rapidfuzz's normalised Indel similarity of the two keys
(1.0 for equal keys; one typo in an 8-letter word is about 0.94), and pairs below
`PAIR_SIMILARITY_MIN` stay unaligned. The score is the length-weighted mean similarity
over every aligned token and every unaligned token that is not optional (an unaligned
token scores 0, so a missing surname costs its whole weight; a patronymic present on one
side only costs nothing, but two that differ count like any other word):

    score = sum(sim(q, c) * (len q + len c) for aligned pairs)
            / (sum(len q + len c for aligned pairs) + sum(len t for unaligned required t))
"""

from __future__ import annotations

from typing import Final

from rapidfuzz.distance import Indel

from digisom.compliance.model import SCORE_MAX_MILLI
from digisom.compliance.names import Token

# Two words that share less than this are not the same word misspelt.
PAIR_SIMILARITY_MIN: Final = 0.6


def score_tokens(query: tuple[Token, ...], candidate: tuple[Token, ...]) -> int:
    """The score of `candidate` against `query`, 0..1000 thousandths."""
    if not query or not candidate:
        return 0
    pairs = sorted(
        (
            (Indel.normalized_similarity(q.key, c.key), qi, ci)
            for qi, q in enumerate(query)
            for ci, c in enumerate(candidate)
        ),
        reverse=True,
    )
    used_q: set[int] = set()
    used_c: set[int] = set()
    matched = 0.0
    weight = 0
    for similarity, qi, ci in pairs:
        if similarity < PAIR_SIMILARITY_MIN:
            break
        if qi in used_q or ci in used_c:
            continue
        used_q.add(qi)
        used_c.add(ci)
        pair_weight = len(query[qi].key) + len(candidate[ci].key)
        matched += similarity * pair_weight
        weight += pair_weight
    left = [[token for index, token in enumerate(tokens) if index not in used]
            for tokens, used in ((query, used_q), (candidate, used_c))]
    # Patronymics on both sides that do not agree say "another person": they count then.
    both_have_optional = all(any(token.optional for token in tokens) for tokens in left)
    weight += sum(len(token.key) for tokens in left for token in tokens if both_have_optional or not token.optional)
    if weight == 0:
        return 0
    # The one place a float exists: rounded here to the integer thousandths every rule compares.
    return min(SCORE_MAX_MILLI, round(matched * SCORE_MAX_MILLI / weight))
