#!/usr/bin/env bash
# Set up and run the app on http://localhost:8501, its JSON API under /api/v1/ on the same port
# (app.py; embedded database under ./data unless MONGO_URI is set). Extra arguments go to
# `streamlit run`, e.g. ./run.sh --server.port 8600
# Stop it with Ctrl-C (or SIGTERM): the embedded database server it started stops with it,
# unless another ./run.sh still uses it. By hand: ./sla.sh server stop
set -euo pipefail
cd "$(dirname "$0")"
[ -x .venv/bin/python ] || "${PYTHON:-python3}" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
.venv/bin/python -m sla server hold --pid $$ >/dev/null
trap '.venv/bin/python -m sla server release --pid $$' EXIT
.venv/bin/streamlit run app.py "$@" &
app=$!
trap 'kill -TERM "$app" 2>/dev/null || true' INT TERM
status=0
while kill -0 "$app" 2>/dev/null; do
  wait "$app" || status=$?
done
exit "$status"
