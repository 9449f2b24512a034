#!/usr/bin/env bash
# The README's test command (`make test`) runs this: linters, types, layers, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
./scripts/ensure-postgres.sh
"$bin/ruff" check src tests bench
"$bin/mypy" src
"$bin/lint-imports"
# Install what tests start (anvil, Chromium, axe-core, Patroni) once, before the two
# workers could race on npm or apt-get; then the tests, one worker per core, each test
# file on one worker (module fixtures build one world per file).
"$bin/python" -m tests.prepare
"$bin/pytest" -q -n 2 --dist loadfile "$@"
