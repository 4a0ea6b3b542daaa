#!/usr/bin/env bash
# Back up the SLA Tracker database to a timestamped archive and delete archives
# older than BACKUP_KEEP_DAYS days. With mongodump on PATH and MONGO_URI set it
# writes a gzipped mongodump archive (sla-tracker-STAMP.archive.gz); otherwise
# it runs the app's own `python -m sla backup` (through sla.sh), which works on
# the embedded store and on any MongoDB (sla-tracker-STAMP.zip).
#
# Usage: scripts/backup.sh [-h]
#
# Environment:
#   MONGO_URI         connection string (required for mongodump; without it the
#                     app's own store is used). With a database in the
#                     path (mongodb://user:pw@host/sla_tracker?authSource=...)
#                     only that database is dumped.
#   BACKUP_DIR        where archives go (default: ./backups)
#   BACKUP_KEEP_DAYS  delete sla-tracker-* archives older than this (default: 14;
#                     0 keeps everything)
#
# With docker compose, run it inside the mongo container, which has mongodump
# and MONGO_URI/BACKUP_DIR preset (BACKUP_DIR on the host = $BACKUP_DIR in .env):
#   docker compose exec -T mongo bash /scripts/backup.sh
# Elsewhere, without the MongoDB Database Tools, the app writes the archive.
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p;}' "$0"
}

case "${1:-}" in
    -h|--help) usage; exit 0 ;;
    "") ;;
    *) usage >&2; exit 2 ;;
esac

here="$(cd "$(dirname "$0")" && pwd)"
use_mongodump=0
if command -v mongodump >/dev/null && [[ -n "${MONGO_URI:-}" ]]; then
    use_mongodump=1
fi

backup_dir="${BACKUP_DIR:-./backups}"
keep_days="${BACKUP_KEEP_DAYS:-14}"
if ! [[ "$keep_days" =~ ^[0-9]+$ ]]; then
    echo "backup.sh: BACKUP_KEEP_DAYS must be a whole number of days, got '$keep_days'" >&2
    exit 2
fi

mkdir -p "$backup_dir"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
if (( use_mongodump )); then
    archive="$backup_dir/sla-tracker-$stamp.archive.gz"
    partial="$archive.partial"
    # Write under a temporary name first so that a failed or interrupted dump is
    # never mistaken for a good backup (nor counted by the clean-up below).
    trap 'rm -f "$partial"' EXIT
    mongodump --uri="$MONGO_URI" --archive="$partial" --gzip --quiet
    mv "$partial" "$archive"
    trap - EXIT
    how="mongodump"
else
    # The app writes under a temporary name and renames when complete, too.
    archive="$backup_dir/sla-tracker-$stamp.zip"
    sh "$here/../sla.sh" backup "$archive" >/dev/null
    how="python -m sla backup"
fi
echo "backup.sh: wrote $archive ($(du -h "$archive" | cut -f1), $how)"

if (( keep_days > 0 )); then
    # -mtime +N: modified more than N*24h ago.
    find "$backup_dir" -maxdepth 1 -type f \
        \( -name 'sla-tracker-*.archive.gz' -o -name 'sla-tracker-*.zip' \) -mtime "+$((keep_days - 1))" -print -delete |
        sed 's/^/backup.sh: deleted old backup /'
fi
