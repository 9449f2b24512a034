#!/usr/bin/env bash
# The test suite starts its own PostgreSQL from the server binaries (initdb, pg_ctl).
# Install them from Debian's packages when they are missing; needs root (as CI has).
set -euo pipefail
if command -v pg_ctl >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL server binaries are missing; install the 'postgresql' package (needs root)." >&2
    exit 1
fi
echo "Installing PostgreSQL server binaries (Debian package 'postgresql')..." >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
