#!/usr/bin/env bash
# Sets up everything the tests need (idempotent) and runs the whole suite on SQLite and PostgreSQL.
# PostgreSQL must answer at $GRIDSEC_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/setup_rasa.sh            # the NLU server's own venv (Rasa 3.6.21)
.venv/bin/gridsec nlu train           # cached by a hash of its inputs: a no-op when nothing changed
export NO_PROXY=127.0.0.1,localhost
exec .venv/bin/python -m pytest "$@"
