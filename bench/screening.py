"""Sanctions screening speed: names screened per second against 100,000 synthetic list
entities, and the 99th-percentile latency of one name.

Queries are list names respelt (another Latin spelling, word order swapped, a typo) and
names not on the list, half each. The peer, measured in the same run on a sample, is
brute force: rapidfuzz's `process.extractOne` (token_sort_ratio, in C) over every name
of the list, transliterated once up front.

    .venv/bin/python bench/screening.py [--entities N] [--names N]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import date

from rapidfuzz import fuzz, process

from digisom.compliance.model import SanctionsList, SubjectSchema
from digisom.compliance.names import transliterate
from digisom.compliance.screening import Screener
from digisom.devtools.synthetic_sanctions import entities, latin, person, typo

PEER_SAMPLE = 20


def _queries(listed: SanctionsList, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    named = [entity for entity in listed.entities if entity.names]
    queries = []
    for number in range(count):
        if number % 2:
            family, given, _, _ = person(rng)
            queries.append(latin(rng, f"{given} {family}"))
        else:
            words = rng.choice(named).names[0].replace("«", "").replace("»", "").split()
            rng.shuffle(words)
            respelt = latin(rng, " ".join(words))
            queries.append(typo(rng, respelt) if rng.random() < 0.5 else respelt)
    return queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entities", type=int, default=100_000)
    parser.add_argument("--names", type=int, default=5_000)
    args = parser.parse_args()
    listed = SanctionsList("synthetic", "0" * 64, date(2026, 12, 7),
                           tuple(entities(args.entities)))
    started = time.perf_counter()
    screener = Screener([listed])
    index_s = time.perf_counter() - started
    queries = _queries(listed, args.names, seed=11)
    screener.screen_name("warm up", SubjectSchema.ANY)
    latencies_ms = []
    decisions: dict[str, int] = {}
    started = time.perf_counter()
    for query in queries:
        began = time.perf_counter()
        decision = screener.screen_name(query, SubjectSchema.ANY).decision.value
        latencies_ms.append((time.perf_counter() - began) * 1000)
        decisions[decision] = decisions.get(decision, 0) + 1
    elapsed_s = time.perf_counter() - started
    latencies_ms.sort()
    choices = [transliterate(name) for entity in listed.entities for name in entity.names]
    began = time.perf_counter()
    for query in queries[:PEER_SAMPLE]:
        process.extractOne(transliterate(query), choices, scorer=fuzz.token_sort_ratio)
    peer_per_s = PEER_SAMPLE / (time.perf_counter() - began)
    print(json.dumps({
        "entities": len(listed.entities),
        "names": len(queries),
        "names_per_s": round(len(queries) / elapsed_s, 1),
        "p50_ms": round(latencies_ms[len(latencies_ms) // 2], 3),
        "p99_ms": round(latencies_ms[int(len(latencies_ms) * 0.99)], 3),
        "index_build_s": round(index_s, 2),
        "decisions": decisions,
        "peer_bruteforce_rapidfuzz_names_per_s": round(peer_per_s, 1),
    }))


if __name__ == "__main__":
    main()
