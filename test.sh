#!/usr/bin/env bash
# Set up everything the tests need on a fresh machine, then run them all (extra arguments go
# to pytest, e.g. ./test.sh -k metrics). Uses ./.venv; installs Debian's chromium, nginx and
# docker-compose when missing and this user may run apt-get.
set -euo pipefail
cd "$(dirname "$0")"

[ -x .venv/bin/python ] || "${PYTHON:-python3}" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt

missing=()
[ -x /usr/bin/chromium ] || command -v chromium >/dev/null || missing+=(chromium)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v docker-compose >/dev/null || missing+=(docker-compose)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo -n"
  if command -v apt-get >/dev/null && { [ -z "$sudo" ] || sudo -n true 2>/dev/null; }; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  else
    echo "note: ${missing[*]} missing and apt-get unavailable; the tests needing them skip" >&2
  fi
fi

exec .venv/bin/python -m pytest "$@"
