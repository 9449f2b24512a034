"""Installs what the suite's tests start, once, before pytest's workers run in parallel
(`scripts/test.sh`): two workers must not run `npm ci` or `apt-get` at the same time.

Each tool is prepared the way its tests would prepare it, and a tool that cannot be
prepared here is only reported: its tests then skip outside CI and fail in CI, as before.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from digisom.devtools.anvil import anvil_binary
from digisom.devtools.browser import axe_source, chromium_binary
from digisom.devtools.patroni_cluster import ensure_installed
from digisom.errors import DigisomError

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    steps: dict[str, Callable[[], object]] = {
        "anvil (npm ci)": anvil_binary,
        "chromium (apt-get in CI)": chromium_binary,
        "axe-core (npm registry, cached in .cache/)": lambda: axe_source(REPO / ".cache"),
        "patroni and etcd (apt-get as root)": ensure_installed,
    }
    for name, prepare in steps.items():
        try:
            prepare()
        except (DigisomError, OSError, subprocess.SubprocessError) as error:
            print(f"prepare: {name} not ready here: {error}")


if __name__ == "__main__":
    main()
