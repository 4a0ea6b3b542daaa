#!/usr/bin/env bash
# Check that SLA Tracker is up and correctly configured. Runs every check and
# exits non-zero if any failed, so it can feed cron mail, a monitoring agent
# or a CI step.
#
# Usage: scripts/healthcheck.sh [--compose] [--url URL]
#
#   --url URL    health endpoint to probe
#                (default: $SLA_HEALTH_URL or http://127.0.0.1:8501/_stcore/health)
#   --compose    run `python -m sla check` inside the running "app" service
#                (docker compose exec) instead of with the local python
#
# Checks:
#   1. GET URL answers 200 "ok" (curl)
#   2. https://$SERVER_NAME/_stcore/health too, when SERVER_NAME is set in
#      the environment (through nginx and its certificate)
#   3. python -m sla check: database reachable and authenticated, indexes
#      present, an admin user exists, cookie key set
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p;}' "$0"
}

url="${SLA_HEALTH_URL:-http://127.0.0.1:8501/_stcore/health}"
use_compose=0
while (($#)); do
    case "$1" in
        --url) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; url="$2"; shift ;;
        --compose) use_compose=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "healthcheck.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

command -v curl >/dev/null || { echo "healthcheck.sh: curl not found" >&2; exit 2; }

probe() {
    local body
    if ! body="$(curl -fsS --max-time 10 "$1")"; then
        echo "FAIL  $1 unreachable or not 200" >&2
        return 1
    fi
    if [[ "$body" != "ok" ]]; then
        echo "FAIL  $1 answered '$body'" >&2
        return 1
    fi
    echo "ok    $1"
}

status=0
probe "$url" || status=1
if [[ -n "${SERVER_NAME:-}" ]]; then
    probe "https://$SERVER_NAME/_stcore/health" || status=1
fi

# From the repository root: docker compose finds docker-compose.yml and
# .env there, and `python -m sla` finds the package.
cd "$(dirname "$0")/.."
if (( use_compose )); then
    if docker compose version >/dev/null 2>&1; then
        check=(docker compose exec -T app python -m sla check)
    else
        check=(docker-compose exec -T app python -m sla check)  # legacy v1
    fi
else
    check=("${PYTHON:-python3}" -m sla check)
fi
if "${check[@]}"; then
    echo "ok    ${check[*]}"
else
    echo "FAIL  ${check[*]}" >&2
    status=1
fi

exit "$status"
