#!/usr/bin/env bash
# Sets up everything the tests need (idempotent) and runs the whole suite on SQLite and PostgreSQL.
# PostgreSQL must answer at $GRIDSEC_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export NO_PROXY=127.0.0.1,localhost
exec .venv/bin/python -m pytest "$@"
