"""Screening quality on the labelled synthetic set (data/labelled_pairs.jsonl, 540 pairs).

A pair counts as flagged when its decision is `hit` or `review`. Measured when the set
was built, at the thresholds of `screening` (hit 920, review 800), which were set before:
precision 0.954, recall 0.989; hits alone: precision 1.000, recall 0.933. The floors below
sit a little under those figures, to catch a regression; they were not tuned to pass.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from digisom.compliance.model import Decision, Entity, SanctionsList, SubjectSchema
from digisom.compliance.names import name_tokens
from digisom.compliance.scoring import score_tokens
from digisom.compliance.screening import REVIEW_MIN_MILLI, Screener, decide
from digisom.devtools.synthetic_sanctions import entities

PAIRS = [json.loads(line) for line in (Path(__file__).parent / "data" / "labelled_pairs.jsonl").open(encoding="utf-8")]
PRECISION_MIN = 0.94
RECALL_MIN = 0.97
HIT_PRECISION_MIN = 0.99
HIT_RECALL_MIN = 0.90
INDEX_RECALL_MIN = 0.95


def test_the_set_is_large_and_mixed() -> None:
    assert len(PAIRS) >= 500
    assert sum(pair["match"] for pair in PAIRS) >= 200
    assert sum(not pair["match"] for pair in PAIRS) >= 200


def test_precision_and_recall_at_the_thresholds() -> None:
    decisions = [(pair["match"], decide(score_tokens(name_tokens(pair["query"]), name_tokens(pair["list_name"]))))
                 for pair in PAIRS]
    flagged_true = sum(match and decision is not Decision.CLEAR for match, decision in decisions)
    flagged = sum(decision is not Decision.CLEAR for _, decision in decisions)
    hits_true = sum(match and decision is Decision.HIT for match, decision in decisions)
    hits = sum(decision is Decision.HIT for _, decision in decisions)
    positives = sum(match for match, _ in decisions)
    figures = {"precision": flagged_true / flagged, "recall": flagged_true / positives,
               "hit_precision": hits_true / hits, "hit_recall": hits_true / positives}
    print(json.dumps(figures))
    assert figures["precision"] >= PRECISION_MIN, figures
    assert figures["recall"] >= RECALL_MIN, figures
    assert figures["hit_precision"] >= HIT_PRECISION_MIN, figures
    assert figures["hit_recall"] >= HIT_RECALL_MIN, figures


def test_the_index_finds_what_pairwise_scoring_flags_among_20000_other_entities() -> None:
    """The candidate step loses little: of the true pairs flagged by their score alone,
    the share also found through the index, with the same score, in a list of 20,000
    others. Measured: 258 of 267 (0.966); the 9 lost have a misspelt word two edits away
    and share only a common given name with hundreds of listed names (docs/compliance.md)."""
    listed = [Entity(f"pair-{number}", pair["schema"], (pair["list_name"],))
              for number, pair in enumerate(PAIRS) if pair["match"]]
    noise = [entity for entity in entities(20_000, seed=99) if entity.names]
    screener = Screener([SanctionsList("labelled", "0" * 64, date(2026, 12, 7), tuple(listed + noise))])
    missed = []
    flagged = 0
    for number, pair in enumerate(PAIRS):
        if not pair["match"]:
            continue
        score = score_tokens(name_tokens(pair["query"]), name_tokens(pair["list_name"]))
        if score < REVIEW_MIN_MILLI:
            continue
        flagged += 1
        found = {match.entity_id: match.score_milli for match in screener.screen_name(
            pair["query"], SubjectSchema(pair["schema"])).matches}
        if found.get(f"pair-{number}") != score:
            missed.append((pair["query"], pair["list_name"], score, found))
    print(json.dumps({"index_flagged": flagged - len(missed), "pairwise_flagged": flagged}))
    assert (flagged - len(missed)) / flagged >= INDEX_RECALL_MIN, missed
