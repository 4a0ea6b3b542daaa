#!/bin/sh
# The SLA Tracker's command line from any folder: ./sla.sh --help lists the commands, e.g.
#   ./sla.sh demo        ./sla.sh import export.xlsx        ./sla.sh user add NAME --role admin
# It runs `python -m sla` with the project's own Python: ./.venv (made and filled on first
# use, like run.sh), or the system's Python where the requirements are installed already
# (the Docker image). The store is the project's, whatever the working folder.
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
python="$here/.venv/bin/python"
if [ ! -x "$python" ]; then
  system="${PYTHON:-python3}"
  if "$system" -c "import streamlit, pymongo, pandas" 2>/dev/null; then
    python="$system"
  else
    "$system" -m venv "$here/.venv"
    "$python" -m pip install -q --disable-pip-version-check -r "$here/requirements.txt" >&2
  fi
fi
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" exec "$python" -m sla "$@"
