#!/usr/bin/env bash
# Set up and run the app on http://localhost:8501, its JSON API under /api/v1/ on the same port
# (app.py; embedded database under ./data unless MONGO_URI is set). Extra arguments go to
# `streamlit run`, e.g. ./run.sh --server.port 8600
set -euo pipefail
cd "$(dirname "$0")"
[ -x .venv/bin/python ] || "${PYTHON:-python3}" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
exec .venv/bin/streamlit run app.py "$@"
