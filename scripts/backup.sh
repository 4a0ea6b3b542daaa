#!/usr/bin/env bash
# Dump the SLA Tracker database to a timestamped, gzipped mongodump archive
# and delete archives older than BACKUP_KEEP_DAYS days.
#
# Usage: scripts/backup.sh [-h]
#
# Environment:
#   MONGO_URI         connection string (required). With a database in the
#                     path (mongodb://user:pw@host/sla_tracker?authSource=...)
#                     only that database is dumped.
#   BACKUP_DIR        where archives go (default: ./backups)
#   BACKUP_KEEP_DAYS  delete sla-tracker-*.archive.gz older than this (default: 14;
#                     0 keeps everything)
#
# With docker compose, run it inside the mongo container, which has mongodump
# and MONGO_URI/BACKUP_DIR preset (BACKUP_DIR on the host = $BACKUP_DIR in .env):
#   docker compose exec -T mongo bash /scripts/backup.sh
# Elsewhere it needs mongodump (MongoDB Database Tools) on PATH.
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p;}' "$0"
}

case "${1:-}" in
    -h|--help) usage; exit 0 ;;
    "") ;;
    *) usage >&2; exit 2 ;;
esac

if [[ -z "${MONGO_URI:-}" ]]; then
    echo "backup.sh: MONGO_URI is not set" >&2
    usage >&2
    exit 2
fi
command -v mongodump >/dev/null || { echo "backup.sh: mongodump not found on PATH" >&2; exit 2; }

backup_dir="${BACKUP_DIR:-./backups}"
keep_days="${BACKUP_KEEP_DAYS:-14}"
if ! [[ "$keep_days" =~ ^[0-9]+$ ]]; then
    echo "backup.sh: BACKUP_KEEP_DAYS must be a whole number of days, got '$keep_days'" >&2
    exit 2
fi

mkdir -p "$backup_dir"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
archive="$backup_dir/sla-tracker-$stamp.archive.gz"
partial="$archive.partial"

# Write under a temporary name first so that a failed or interrupted dump is
# never mistaken for a good backup (nor counted by the clean-up below).
trap 'rm -f "$partial"' EXIT
mongodump --uri="$MONGO_URI" --archive="$partial" --gzip --quiet
mv "$partial" "$archive"
trap - EXIT
echo "backup.sh: wrote $archive ($(du -h "$archive" | cut -f1))"

if (( keep_days > 0 )); then
    # -mtime +N: modified more than N*24h ago.
    find "$backup_dir" -maxdepth 1 -type f -name 'sla-tracker-*.archive.gz' \
        -mtime "+$((keep_days - 1))" -print -delete |
        sed 's/^/backup.sh: deleted old backup /'
fi
