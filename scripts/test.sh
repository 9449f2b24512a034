#!/usr/bin/env bash
# The README's test command (`make test`) runs this: linters, types, layers, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
./scripts/ensure-postgres.sh
"$bin/ruff" check src tests bench
"$bin/mypy" src
"$bin/lint-imports"
"$bin/pytest" -q "$@"
