"""Every decoder, fuzzed: only its typed errors, never a crash or a hang (issue 20).

2,000 inputs per decoder here; `pytest -m slow tests/fuzz` runs 100,000 each
(docs/fuzzing.md). The inputs start from tests/fuzz/corpus/<decoder>/.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import strategies as st

from tests.fuzz import structured
from tests.fuzz.harness import SLOW_INPUT_S, Stats, examples, feed, fuzz, timed
from tests.fuzz.mutate import inputs
from tests.fuzz.targets import Target, all_targets

ROOT = Path(__file__).parents[2]
TARGETS = {target.name: target for target in all_targets()}


def _json_only(seeds: list[bytes]) -> list[bytes]:
    return [seed for seed in seeds if seed.lstrip()[:1] in (b"{", b"[")]


# Structure-aware inputs where byte mutations rarely get past the syntax.
STRUCTURED: dict[str, Callable[[list[bytes]], st.SearchStrategy[bytes]]] = {
    "csv_upload": structured.csv_rows,
    "offline_payment": structured.cbor_envelopes,
    "offline_sync": structured.cbor_envelopes,
    "ledger_jsonl": structured.json_lines,
    "jwt": lambda seeds: structured.signed_tokens(),
    "ivms101": structured.json_documents,
    "ftm": structured.json_lines,
    "vasp_reports": lambda seeds: structured.json_documents(_json_only(seeds)) | structured.csv_rows(
        [s for s in seeds if s not in _json_only(seeds)]),
    "por": lambda seeds: structured.csv_rows([s for s in seeds if not s.endswith(b"\x00") and b"," in s]),
    "registry_export": structured.json_documents,
    "usdkg": structured.csv_rows,
    "rates": lambda seeds: structured.json_documents(_json_only(seeds)) | structured.csv_rows(
        [s for s in seeds if s not in _json_only(seeds)]),
}


def strategy_for(target: Target) -> st.SearchStrategy[bytes]:
    seeds = target.seeds()
    extra = STRUCTURED.get(target.name)
    return inputs(seeds, target.tokens, extra(seeds) if extra else None)


def _run(name: str, slow: bool) -> None:
    target = TARGETS[name]
    count = examples(slow)
    stats = fuzz(target, strategy_for(target), count)
    print(stats.line(name))
    assert stats.inputs >= count
    # A shared core can stall any input for a second: an input counts as slow only if it
    # is slow again, alone, on each of three more tries.
    hangs = [data for data in stats.slow_inputs if min(timed(target, data) for _ in range(3)) > SLOW_INPUT_S]
    assert not hangs, f"{len(hangs)} inputs over {SLOW_INPUT_S} s, e.g. {hangs[0][:200]!r}"


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_every_corpus_input_is_answered_with_a_value_or_a_typed_error(name: str) -> None:
    """The seeds, and the crashes found before (`regress-*`), each run once."""
    target = TARGETS[name]
    stats = Stats()
    for seed in target.seeds():
        feed(target, seed, stats)
    assert stats.inputs == len(target.seeds()) > 0
    assert stats.accepted > 0  # at least one seed is valid: the fuzzer starts deep in the decoder


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_a_decoder_answers_fuzzed_input_with_a_value_or_a_typed_error(name: str) -> None:
    _run(name, slow=False)


def _atheris(name: str, runs: int) -> None:
    """The coverage-guided run (libFuzzer) in its own process: it exits when done or on a crash."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.atheris_main", name, f"-runs={runs}", "-print_final_stats=1"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    tail = done.stderr[-3000:]
    assert done.returncode == 0, f"atheris found a crash or a hang in {name}:\n{tail}"
    executed = re.search(r"stat::number_of_executed_units:\s*(\d+)", done.stderr)
    print(f"fuzz {name}: atheris, {executed.group(1) if executed else '?'} inputs in "
          f"{time.perf_counter() - started:.1f} s")
    assert executed is not None and int(executed.group(1)) >= runs


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_a_decoder_survives_the_long_run(name: str) -> None:
    """Coverage-guided with atheris where it is installed; hypothesis's mutations otherwise."""
    if importlib.util.find_spec("atheris") is not None and not os.environ.get("DIGISOM_FUZZ_HYPOTHESIS"):
        _atheris(name, examples(slow=True))
    else:
        _run(name, slow=True)
