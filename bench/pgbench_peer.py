"""pgbench TPC-B on the bench's own PostgreSQL: the peer every PostgreSQL figure is a
ratio to (these machines differ by up to 2x from day to day, the ratio much less).

Used by bench/ledger.py and bench/disburse.py: 8 clients, 2 threads, on a database of
its own on the same server, with the server's (durable) settings.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Final

from digisom.devtools.postgres_server import TemporaryPostgres

# The full runs' peer: scale 10, 30 s (bench/ledger.py since round 1).
FULL_SECONDS: Final = 30
FULL_SCALE: Final = 10


def pgbench_tps(server: TemporaryPostgres, seconds: int = FULL_SECONDS, scale: int = FULL_SCALE) -> float:
    """TPC-B as pgbench runs it, in transactions per second."""
    pgbench = str(Path(server.bin_dir) / "pgbench") if (Path(server.bin_dir) / "pgbench").exists() else "pgbench"
    url = server.create_database("pgbench")
    subprocess.run([pgbench, "-i", "-q", "-s", str(scale), url], check=True, capture_output=True)
    out = subprocess.run([pgbench, "-c", "8", "-j", "2", "-T", str(seconds), url],
                         check=True, capture_output=True, text=True).stdout
    match = re.search(r"tps = ([0-9.]+)", out)
    if match is None:
        raise RuntimeError(f"no tps in pgbench output:\n{out}")
    return float(match.group(1))
