#!/usr/bin/env bash
# Sets up the bot (idempotent) and plays the bundled demo offline: SQLite, the local Telegram
# stand-in and the bundled sample district, then serves the demo's command centre at the link it prints
# until Ctrl+C. Extra arguments go to `gridsec demo` (e.g. --json, --port N, --no-web).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/setup_rasa.sh            # the NLU server's own venv (Rasa 3.6.21); a few minutes the first time
.venv/bin/gridsec nlu train           # cached by a hash of its inputs
exec .venv/bin/gridsec demo "$@"
