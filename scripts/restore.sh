#!/usr/bin/env bash
# Restore an archive written by scripts/backup.sh into the SLA Tracker
# database. A .zip archive (the app's own format) is restored by
# `python -m sla restore`, which replaces all the app's data whole or not at
# all; a mongodump archive (.archive.gz) needs mongorestore, which drops and
# replaces the collections the archive holds.
#
# Usage: scripts/restore.sh [--yes] ARCHIVE
#
#   --yes, -y   do not ask for confirmation
#
# Environment:
#   MONGO_URI   connection string of the target database (required for
#               mongorestore; without it a .zip goes into the app's own store)
#
# With docker compose (archives in $BACKUP_DIR on the host = /backups inside):
#   docker compose exec mongo bash /scripts/restore.sh /backups/sla-tracker-20250101T020000Z.archive.gz
#   docker compose restart app     # drop the app's in-memory caches
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p;}' "$0"
}

assume_yes=0
archive=""
while (($#)); do
    case "$1" in
        -y|--yes) assume_yes=1 ;;
        -h|--help) usage; exit 0 ;;
        -*) echo "restore.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
        *)
            if [[ -n "$archive" ]]; then
                echo "restore.sh: only one ARCHIVE may be given" >&2; exit 2
            fi
            archive="$1"
            ;;
    esac
    shift
done

if [[ -z "$archive" ]]; then
    usage >&2
    exit 2
fi
if [[ ! -f "$archive" ]]; then
    echo "restore.sh: no such file: $archive" >&2
    exit 2
fi
app_archive=0
[[ "$archive" == *.zip ]] && app_archive=1
if (( ! app_archive )); then
    if [[ -z "${MONGO_URI:-}" ]]; then
        echo "restore.sh: MONGO_URI is not set" >&2
        exit 2
    fi
    command -v mongorestore >/dev/null || { echo "restore.sh: mongorestore not found on PATH" >&2; exit 2; }
fi

if (( ! assume_yes )); then
    # Show the target without its password.
    target="$(printf '%s' "${MONGO_URI:-the app store}" | sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#')"
    if [[ ! -t 0 ]]; then
        echo "restore.sh: refusing to overwrite $target without a terminal; pass --yes" >&2
        exit 2
    fi
    read -r -p "Replace the data in $target with $archive? Type 'yes' to continue: " answer
    if [[ "$answer" != "yes" ]]; then
        echo "restore.sh: aborted" >&2
        exit 1
    fi
fi

if (( app_archive )); then
    here="$(cd "$(dirname "$0")" && pwd)"
    sh "$here/../sla.sh" restore "$archive"
    echo "restore.sh: restored $archive; every app process reloads its figures by itself"
    exit 0
fi
mongorestore --uri="$MONGO_URI" --archive="$archive" --gzip --drop
echo "restore.sh: restored $archive. Restart the app so it drops cached results: docker compose restart app"
