"""The audit record of each import (``uploads``): what it read and wrote, and the read model
snapshot it left, kept for the newest imports so that two imports can be compared."""

from __future__ import annotations

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import DESCENDING
from pymongo.database import Database

from sla.ingest.normalise import ImportReport

NEWEST_FIRST = [("at", DESCENDING), ("_id", DESCENDING)]  # ids break ties within a second
KEEP_IMPORT_SNAPSHOTS = 8  # imports whose snapshot is kept for comparisons


def recent_uploads(db: Database, limit: int = 50) -> list[dict]:
    return list(db.uploads.find({}, {"problems": 0, "rejected_rows": 0})
                .sort(NEWEST_FIRST).limit(limit))


def last_done_import(db: Database) -> dict | None:
    return db.uploads.find_one({"status": "done"}, sort=NEWEST_FIRST)


def report_counts(report: ImportReport) -> dict:
    record = report.as_dict()
    record["teams_other"] = [{"team_raw": k, "tickets": v} for k, v in report.teams_other.items()]
    return record


def upload_record(upload_id, report: ImportReport, user: str, sha256: str, at,
                  status: str) -> dict:
    return {**report_counts(report), "_id": upload_id, "user": user, "at": at,
            "sha256": sha256, "status": status}


def comparable_imports(db: Database, limit: int = KEEP_IMPORT_SNAPSHOTS) -> list[dict]:
    """The newest imports whose snapshot is still kept, newest first."""
    found = db.uploads.find({"status": "done", "snapshot": {"$ne": None}},
                            {"file_name": 1, "at": 1, "finished_at": 1, "snapshot": 1,
                             "version_after": 1, "user": 1}).sort([("at", -1), ("_id", -1)])
    return list(found.limit(limit))


def import_exists(db: Database, upload_id: str) -> bool | None:
    """Whether an import with this id was ever recorded; None when it is not an import id."""
    try:
        return bool(db.uploads.count_documents({"_id": ObjectId(upload_id)}, limit=1))
    except (InvalidId, TypeError):
        return None
