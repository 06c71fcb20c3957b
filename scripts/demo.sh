#!/usr/bin/env bash
# Sets up the bot (idempotent) and plays the bundled demo offline: SQLite, the local Telegram
# stand-in and the bundled sample district. Extra arguments go to `gridsec demo` (e.g. --json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/gridsec demo "$@"
