#!/usr/bin/env bash
# Creates ./.venv-rasa with Rasa Open Source 3.6.21 (the NLU server). Its pins (SQLAlchemy 1.4,
# pydantic 1, APScheduler<3.10, TensorFlow 2.12) clash with the bot's, so it lives in its own venv
# and runs as a separate process. Rasa declares Python<3.11 but runs on 3.11, hence
# --no-deps --ignore-requires-python with a full pin set. Safe to run again (stamp file).
set -euo pipefail  # pipefail: a failing pip fails the script despite the grep
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
VENV=${GRIDSEC_RASA_VENV:-.venv-rasa}
REQ=nlu/rasa-requirements.txt
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.gridsec-rasa-installed"
if [ ! -f "$stamp" ] || [ "$REQ" -nt "$stamp" ]; then
  echo "installing Rasa into $VENV (a few minutes, ~2.8 GB)..." >&2
  # (grep drops pip's noise about this machine's local index locations; pip's exit status is kept)
  "$VENV/bin/pip" install --quiet --no-deps --ignore-requires-python -r "$REQ" 2>&1 \
    | { grep -v "is ignored: it is neither a file nor a directory" || true; }
  "$VENV/bin/python" -c "import rasa, jieba, sklearn, opencc; print('rasa', rasa.__version__)" >&2
  touch "$stamp"
fi
