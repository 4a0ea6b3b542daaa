"""The old way: how the system being replaced (React + FastAPI + MongoDB) imported and counted.

    .venv/bin/python bench/oldway.py --rows 2000          # a generated .xlsx, default 2,000 rows
    .venv/bin/python bench/oldway.py --rows 2000 --fmt csv
    .venv/bin/python bench/oldway.py --uci                # the UCI seed export (bench/datasets.py)

A reconstruction for comparison, written the way a plain FastAPI endpoint would do it, not
optimised:

* ``old_import`` reads the upload with pandas (openpyxl for Excel, skipping the export's two
  title rows) and inserts ONE document PER ROW with ``insert_one`` into ``tickets_old``.
  Keys are the export's column names in snake_case, ``H:MM`` durations become hours
  (``response_hours``, ``resolution_hours``) and dates become datetimes. The collection has
  the indexes such a system would have: ``sr_number`` (unique), ``created``, ``updated_team``
  and ``status``.
* ``old_dashboard`` computes the Dashboard's figures with one query per figure
  (``count_documents`` or an aggregation), each applying the page's filters as its own
  ``$match``.
* ``old_insert_bulk`` only gets many rows into the same layout quickly (``insert_many``), for a
  dashboard comparison at sizes where a per-row import would take hours; it is not how the
  old system imported.

``main`` imports an export into a temporary store (``common.temporary_store``) and times
``old_import`` and ``old_dashboard``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import datasets
import pandas as pd
from common import Timer, temporary_store
from pymongo import ASCENDING, MongoClient
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

COLLECTION = "tickets_old"
DB_NAME = "sla_bench_oldway"
EXCEL_TITLE_ROWS = 2  # the old export's title rows above the header
CSV_CHUNK_ROWS = 50_000
BULK_BATCH_ROWS = 10_000
RESOLVED_STATUSES = ["Resolved", "Closed"]
AT_RISK_SHARE = 0.8  # a pending ticket past this share of its life-cycle target is at risk
DURATION_KEYS = {"Response Time (hh:mm)": "response_hours",
                 "Resolution Time (hh:mm)": "resolution_hours"}
DATE_KEYS = {"created", "updated", "resolved_date"}
INDEXES = [("sr_number", True), ("created", False), ("updated_team", False), ("status", False)]


# ---------------------------------------------------------------- import

def old_import(db: Database, path: Path) -> int:
    """Read ``path`` with pandas and insert each row with its own ``insert_one``; rows inserted.

    A row whose SR number is already stored is skipped (the unique index refuses it).
    """
    ensure_old_indexes(db)
    collection = db[COLLECTION]
    inserted = 0
    for document in old_documents(path):
        try:
            collection.insert_one(document)
        except DuplicateKeyError:
            continue
        inserted += 1
    return inserted


def old_insert_bulk(db: Database, docs: Iterable[dict], batch_rows: int = BULK_BATCH_ROWS) -> int:
    """Load documents into the old layout with ``insert_many``; only to get large data in.

    The indexes are built after the load, which is faster than maintaining them per batch.
    """
    collection = db[COLLECTION]
    inserted = 0
    batch: list[dict] = []
    for document in docs:
        batch.append(document)
        if len(batch) >= batch_rows:
            inserted += len(collection.insert_many(batch, ordered=False).inserted_ids)
            batch = []
    if batch:
        inserted += len(collection.insert_many(batch, ordered=False).inserted_ids)
    ensure_old_indexes(db)
    return inserted


def ensure_old_indexes(db: Database) -> None:
    for key, unique in INDEXES:
        db[COLLECTION].create_index([(key, ASCENDING)], unique=unique)


def old_documents(path: Path) -> Iterator[dict]:
    """The old system's documents for every row of an export (.xlsx or .csv)."""
    for frame in _read_frames(Path(path)):
        for record in frame.to_dict("records"):
            yield old_document(record)


def _read_frames(path: Path) -> Iterator[pd.DataFrame]:
    if path.suffix.lower() == ".csv":
        yield from pd.read_csv(path, chunksize=CSV_CHUNK_ROWS)
    else:
        yield pd.read_excel(path, engine="openpyxl", skiprows=EXCEL_TITLE_ROWS)


def old_document(record: dict) -> dict:
    """One export row as the old system stored it."""
    document = {}
    for column, value in record.items():
        if column in DURATION_KEYS:
            document[DURATION_KEYS[column]] = hours_from_clock(value)
            continue
        key = snake_case(column)
        document[key] = _datetime(value) if key in DATE_KEYS else _plain(value)
    if document.get("sr_number") is not None:
        document["sr_number"] = str(document["sr_number"])
    return document


def snake_case(column: str) -> str:
    """``"Response SLA Status"`` -> ``"response_sla_status"``."""
    return re.sub(r"[^a-z0-9]+", "_", str(column).lower()).strip("_")


def hours_from_clock(value) -> float | None:
    """``"129:45"`` -> 129.75; a bare number is taken as hours; empty -> None."""
    value = _plain(value)
    if value is None:
        return None
    if isinstance(value, str):
        hours, _, minutes = value.strip().partition(":")
        return int(hours) + int(minutes or 0) / 60
    return float(value)


def _datetime(value) -> dt.datetime | None:
    value = _plain(value)
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def _plain(value):
    """None for pandas' missing values and empty text, the value otherwise."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


# ---------------------------------------------------------------- dashboard

def old_dashboard(db: Database, filters: dict | None = None) -> dict:
    """The old Dashboard's figures, one query per figure, each with the filters as ``$match``.

    ``filters``: optional ``team`` (list of raw team names), ``priority`` (list), ``date_from``
    and ``date_to`` (dates, on ``created``, both inclusive), ``status`` (``"pending"`` or
    ``"resolved"``). Resolved means a status in ``RESOLVED_STATUSES``; every other is pending.
    """
    tickets = db[COLLECTION]
    match = old_match(filters or {})
    resolved = {"status": {"$in": RESOLVED_STATUSES}}
    pending = {"status": {"$nin": RESOLVED_STATUSES}}

    def count(extra: dict | None = None) -> int:
        return tickets.count_documents(_both(match, extra))

    figures = {
        "total_tickets": count(),
        "resolved": count(resolved),
        "pending": count(pending),
        "response_met": count({"response_sla_status": "Met"}),
        "response_breached": count({"response_sla_status": "Breached"}),
        "resolution_met": count({"resolution_sla_status": "Met"}),
        "resolution_breached": count({"resolution_sla_status": "Breached"}),
    }
    figures["response_sla_pct"] = _pct(figures["response_met"], figures["response_breached"])
    figures["resolution_sla_pct"] = _pct(figures["resolution_met"], figures["resolution_breached"])
    figures["pending_by_team"] = _pending_by_team(tickets, _both(match, pending))
    figures["team_sla"] = _team_sla(tickets, match)
    figures["agents"] = _agents(tickets, match)
    figures["weekly_trend"] = _weekly_trend(tickets, match)
    figures.update(_at_risk(tickets, _both(match, pending)))
    figures.update(_averages(tickets, match))
    return figures


def old_match(filters: dict) -> dict:
    """The Dashboard's filters as one MongoDB query."""
    match: dict = {}
    if filters.get("team"):
        match["updated_team"] = {"$in": list(filters["team"])}
    if filters.get("priority"):
        match["priority"] = {"$in": list(filters["priority"])}
    created = {}
    if filters.get("date_from"):
        created["$gte"] = dt.datetime.combine(filters["date_from"], dt.time())
    if filters.get("date_to"):
        created["$lt"] = dt.datetime.combine(filters["date_to"] + dt.timedelta(days=1), dt.time())
    if created:
        match["created"] = created
    if filters.get("status") == "pending":
        match["status"] = {"$nin": RESOLVED_STATUSES}
    elif filters.get("status") == "resolved":
        match["status"] = {"$in": RESOLVED_STATUSES}
    return match


def _both(match: dict, extra: dict | None) -> dict:
    if not extra:
        return match
    if not match:
        return extra
    return {"$and": [match, extra]}


def _pct(met: int, breached: int) -> float | None:
    return round(100 * met / (met + breached), 2) if met + breached else None


def _when(condition: dict) -> dict:
    return {"$sum": {"$cond": [condition, 1, 0]}}


def _pending_by_team(tickets, match: dict) -> dict:
    rows = tickets.aggregate([
        {"$match": match},
        {"$group": {"_id": "$updated_team", "count": {"$sum": 1}}},
        {"$sort": {"count": -1}},
    ])
    return {row["_id"] or "": row["count"] for row in rows}


def _team_sla(tickets, match: dict) -> list[dict]:
    rows = tickets.aggregate([
        {"$match": match},
        {"$group": {
            "_id": "$updated_team",
            "total": {"$sum": 1},
            "resolved": _when({"$in": ["$status", RESOLVED_STATUSES]}),
            "response_met": _when({"$eq": ["$response_sla_status", "Met"]}),
            "response_breached": _when({"$eq": ["$response_sla_status", "Breached"]}),
            "resolution_met": _when({"$eq": ["$resolution_sla_status", "Met"]}),
            "resolution_breached": _when({"$eq": ["$resolution_sla_status", "Breached"]}),
        }},
        {"$sort": {"total": -1}},
    ])
    return [{"team": row.pop("_id") or "", **row} for row in rows]


def _agents(tickets, match: dict) -> list[dict]:
    rows = tickets.aggregate([
        {"$match": _both(match, {"resolved_by": {"$nin": [None, ""]}})},
        {"$group": {
            "_id": "$resolved_by",
            "tickets": {"$sum": 1},
            "response_met": _when({"$eq": ["$response_sla_status", "Met"]}),
            "resolution_met": _when({"$eq": ["$resolution_sla_status", "Met"]}),
            "avg_resolution_hours": {"$avg": "$resolution_hours"},
        }},
        {"$sort": {"tickets": -1}},
    ])
    return [{"agent": row.pop("_id"), **row} for row in rows]


def _weekly_trend(tickets, match: dict) -> list[dict]:
    rows = tickets.aggregate([
        {"$match": _both(match, {"created": {"$ne": None}})},
        {"$group": {
            "_id": {"year": {"$isoWeekYear": "$created"}, "week": {"$isoWeek": "$created"}},
            "created": {"$sum": 1},
            "resolved": _when({"$in": ["$status", RESOLVED_STATUSES]}),
        }},
        {"$sort": {"_id.year": 1, "_id.week": 1}},
    ])
    return [{"year": row["_id"]["year"], "week": row["_id"]["week"],
             "created": row["created"], "resolved": row["resolved"]} for row in rows]


def _at_risk(tickets, match: dict) -> dict:
    """Pending tickets past ``AT_RISK_SHARE`` of their life-cycle target, checked in Python."""
    now = dt.datetime.now()
    at_risk, overdue = [], 0
    fields = {"sr_number": 1, "created": 1, "updated_team": 1, "priority": 1,
              "life_cycle_target_hrs": 1}
    for ticket in tickets.find(match, fields):
        target = ticket.get("life_cycle_target_hrs")
        if not ticket.get("created") or not isinstance(target, (int, float)) or target <= 0:
            continue
        used = (now - ticket["created"]).total_seconds() / 3600 / target
        if used >= 1:
            overdue += 1
        elif used >= AT_RISK_SHARE:
            at_risk.append({"sr_number": ticket["sr_number"], "team": ticket.get("updated_team"),
                            "priority": ticket.get("priority"), "target_used": round(used, 2)})
    at_risk.sort(key=lambda t: t["target_used"], reverse=True)
    return {"at_risk": len(at_risk), "overdue": overdue, "at_risk_tickets": at_risk[:20]}


def _averages(tickets, match: dict) -> dict:
    rows = list(tickets.aggregate([
        {"$match": match},
        {"$group": {"_id": None, "avg_response_hours": {"$avg": "$response_hours"},
                    "avg_resolution_hours": {"$avg": "$resolution_hours"}}},
    ]))
    row = rows[0] if rows else {}
    return {"avg_response_hours": row.get("avg_response_hours"),
            "avg_resolution_hours": row.get("avg_resolution_hours")}


# ---------------------------------------------------------------- the script

def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000, help="generated tickets (default 2,000)")
    parser.add_argument("--fmt", choices=["xlsx", "csv"], default="xlsx")
    parser.add_argument("--uci", action="store_true", help="use the UCI seed export instead")
    parser.add_argument("--uri", help="a MongoDB server to use instead of a temporary one")
    args = parser.parse_args(argv)
    if args.uci:
        path = datasets.uci_seed_export()
    else:
        path = datasets.generated_export(args.rows, args.fmt)
    if path is None:
        return
    with temporary_store(args.uri) as uri:
        client = MongoClient(uri)
        try:
            client.drop_database(DB_NAME)
            run_and_print(client[DB_NAME], path)
        finally:
            client.drop_database(DB_NAME)
            client.close()


def run_and_print(db: Database, path: Path) -> None:
    print(f"old way on {path.name} ({path.stat().st_size / 1e6:.1f} MB)")
    with Timer() as timer:
        inserted = old_import(db, path)
    print(f"  old_import (read_excel/read_csv + insert_one per row): {timer.seconds:8.2f} s  "
          f"{inserted:,} rows, {inserted / timer.seconds:,.0f} rows/s")
    with Timer() as timer:
        figures = old_dashboard(db)
    print(f"  old_dashboard, no filter:                                {timer.seconds:8.2f} s  "
          f"{_summary_line(figures)}")
    filters = _sample_filters(figures)
    with Timer() as timer:
        filtered = old_dashboard(db, filters)
    print(f"  old_dashboard, {_describe(filters)}: {timer.seconds:.2f} s  "
          f"{_summary_line(filtered)}")


def _sample_filters(figures: dict) -> dict:
    """The biggest team and the last 30 days of its weeks: a typical narrowed view."""
    filters: dict = {"status": "resolved"}
    if figures["team_sla"]:
        filters["team"] = [figures["team_sla"][0]["team"]]
    if figures["weekly_trend"]:
        last = figures["weekly_trend"][-1]
        end = dt.date.fromisocalendar(last["year"], last["week"], 7)
        filters.update(date_from=end - dt.timedelta(days=30), date_to=end)
    return filters


def _describe(filters: dict) -> str:
    return ", ".join(f"{key}={value}" for key, value in filters.items())


def _summary_line(figures: dict) -> str:
    return (f"total {figures['total_tickets']:,}, resolved {figures['resolved']:,}, "
            f"pending {figures['pending']:,}, resolution SLA {figures['resolution_sla_pct']} %, "
            f"{len(figures['team_sla'])} teams, {len(figures['agents'])} agents, "
            f"{len(figures['weekly_trend'])} weeks, at risk {figures['at_risk']:,}, "
            f"overdue {figures['overdue']:,}")


if __name__ == "__main__":
    main()
