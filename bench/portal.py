"""The public portal's weight and speed on a year of demo-like data (issue 19: the heaviest
page under 300 KB transferred, rendered server-side in under 200 ms).

Seeds twelve months of issuance, a year of daily KGST reserve reports, USDKG bars, and a
year of public spending (programmes x months x regions), then renders every page in every
language `--rounds` times in process (the whole ASGI stack: gate, routing, reads, Jinja2,
Babel) and prints one JSON line: `page_bytes_max` (the heaviest page with its stylesheet
and icon, uncompressed: what is transferred without gzip), `page_bytes_max_gzip` (the
same, as sent to a browser that accepts gzip) and `render_ms_p99` (over every page, its
compression included), beside the peer, the JSON `/v1/public/aggregate`, measured in the
same run.

    .venv/bin/python bench/portal.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests.portal.seed
from fastapi.testclient import TestClient
from tests.portal.seed import Clock, Sizes, publish_por_root, seed
from tests.portal.sent import sent

from digisom.api.runtime import build
from digisom.portal.i18n import LANGUAGES
from digisom.portal.routes import PAGES, STATIC_FILES

GZIP = {"Accept-Encoding": "gzip"}
YEAR = Sizes(months=12, kgst_reports=365, bars=2_000, programmes=5, payees_per_cell=40)


def _p99_ms(samples_s: list[float]) -> float:
    ordered = sorted(samples_s)
    return round(ordered[min(len(ordered) - 1, (len(ordered) * 99) // 100)] * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        clock = Clock()
        runtime = build(data_dir=Path(scratch) / "data", clock=clock)
        try:
            started = time.perf_counter()
            publish_por_root(seed(runtime, clock, YEAR))
            seed_s = time.perf_counter() - started
            client = TestClient(runtime.app)
            static_bytes = sum(len(client.get(f"/static/{name}").content) for name in STATIC_FILES)
            static_gzip_bytes = sum(len(sent(client, f"/static/{name}", GZIP).content) for name in STATIC_FILES)
            samples: dict[str, list[float]] = {}
            sizes: dict[str, int] = {}
            cold_ms = {}
            for path in PAGES:  # the first render of a page compiles its templates: timed apart
                t0 = time.perf_counter()
                client.get(path, params={"lang": "ky"})
                cold_ms[path] = round((time.perf_counter() - t0) * 1000, 1)
            for _ in range(args.rounds):
                for path in PAGES:
                    for lang in LANGUAGES:
                        t0 = time.perf_counter()
                        response = client.get(path, params={"lang": lang})
                        samples.setdefault(path, []).append(time.perf_counter() - t0)
                        assert response.status_code == 200, (path, lang, response.status_code)
                        sizes[path] = max(sizes.get(path, 0), len(response.content))
            gzip_sizes = {path: max(len(sent(client, f"{path}?lang={lang}", GZIP).content) for lang in LANGUAGES)
                          for path in PAGES}
            peer: list[float] = []
            for _ in range(args.rounds * len(LANGUAGES)):
                t0 = time.perf_counter()
                client.get("/v1/public/aggregate")
                peer.append(time.perf_counter() - t0)
        finally:
            runtime.close()
    every = [s for found in samples.values() for s in found]
    heaviest = max(sizes, key=lambda p: sizes[p])
    print(json.dumps({
        "page_bytes_max": sizes[heaviest] + static_bytes,
        "heaviest_page": heaviest,
        "page_bytes_max_gzip": max(gzip_sizes.values()) + static_gzip_bytes,
        "render_ms_p99": _p99_ms(every),
        "render_ms_p99_by_page": {path: _p99_ms(found) for path, found in samples.items()},
        "render_ms_max": round(max(every) * 1000, 2),
        "first_render_ms_by_page": cold_ms,
        "page_bytes_by_page": sizes,
        "static_bytes": static_bytes,
        "page_bytes_gzip_by_page": gzip_sizes,
        "peer_api_aggregate_ms_p99": _p99_ms(peer),
        "renders": len(every),
        "seed_s": round(seed_s, 1),
        "data": {"months": YEAR.months, "kgst_reports": YEAR.kgst_reports, "bars": YEAR.bars,
                 "spending_cells": YEAR.programmes * YEAR.months * 8, "payments":
                 YEAR.programmes * YEAR.months * (7 * YEAR.payees_per_cell + 2)},
    }))


if __name__ == "__main__":
    main()
