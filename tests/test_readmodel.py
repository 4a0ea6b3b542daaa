"""The read model: built at import, kept by every write, equal to the pipelines over raw tickets."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from sla.analytics import fairness, metrics, readmodel, risk
from sla.core import fields
from sla.core.filters import Filters
from sla.ingest import normalise, read
from sla.service import demo, edits, importing
from sla.storage import snapshots, uploads, versions, writelock
from sla.storage.settings import get_settings
from sla.storage.tickets import get_ticket
from tests import pipelines
from tests.handset import HAND_CSV, hand_bytes
from tests.tickets import parse_tickets

NOW = dt.datetime(2026, 11, 1)
LATE_DEMO = dt.datetime(2026, 10, 30, 20)  # with RISKY rules, both lists and pauses have tickets
RISKY = {"at_risk_hours": 8, "paused_statuses": [" Pending customer"]}
FILTERS = [
    Filters(),
    Filters(teams=("L2",)),
    Filters(priorities=("P3", "P4"), status_class="pending"),
    Filters(date_from=dt.date(2026, 8, 5), date_to=dt.date(2026, 9, 17)),
    Filters(agents=("Ivan Petrov", "Asha Verma")),
    Filters(search="desk"),
    Filters(teams=("Nobody",)),
]


@pytest.fixture
def demo_db(db):
    """The test database holding 400 generated tickets in the old system's columns."""
    frame = demo.generate_export(400, seed=11, end=dt.date(2026, 10, 31), with_priority=True)
    importing.import_file(db, demo.to_xlsx_bytes(frame), "demo.xlsx")
    return db


def same(ours, reference, path: str = "") -> None:
    """Equal all the way down, floats to 1e-9 (sums may add up in another order)."""
    if isinstance(reference, dict):
        assert isinstance(ours, dict) and set(ours) == set(reference), path
        for key in reference:
            same(ours[key], reference[key], f"{path}.{key}")
    elif isinstance(reference, list):
        assert isinstance(ours, list) and len(ours) == len(reference), path
        for index, (mine, theirs) in enumerate(zip(ours, reference)):
            same(mine, theirs, f"{path}[{index}]")
    elif isinstance(reference, float) and not isinstance(ours, bool):
        assert ours == pytest.approx(reference, rel=1e-9, abs=1e-9), path
    else:
        assert ours == reference, path


def without_fair_ranking(rows: list[dict]) -> list[dict]:
    """Agent rows without what ``sla.analytics.fairness`` adds (tested on its own in test_fairness.py)."""
    return [{k: v for k, v in row.items() if k not in fairness.KEYS} for row in rows]


def sorted_counts(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))


@pytest.mark.parametrize("filters", FILTERS)
def test_every_metric_equals_the_pipelines_over_raw_tickets(demo_db, filters):
    settings = get_settings(demo_db)
    same(metrics.summary(versions.snapshot(demo_db), filters, settings), pipelines.summary(demo_db, filters, settings))
    same(metrics.teams(versions.snapshot(demo_db), filters), pipelines.teams(demo_db, filters))
    same(without_fair_ranking(metrics.agents(versions.snapshot(demo_db), filters, settings)),
         pipelines.agents(demo_db, filters, settings))
    same(metrics.trend(versions.snapshot(demo_db), filters), pipelines.trend(demo_db, filters))
    same(metrics.priorities(versions.snapshot(demo_db), filters), pipelines.priorities(demo_db, filters))
    for at, rules in ((NOW, settings), (LATE_DEMO, {**settings, **RISKY})):
        same(risk.risk_lists(versions.snapshot(demo_db), filters, rules, at),
             pipelines.risk_lists(demo_db, filters, rules, at))
    same(sorted_counts(metrics.pending_by_status(versions.snapshot(demo_db), filters)),
         sorted_counts(pipelines.pending_by_status(demo_db, filters)))
    same(sorted_counts(metrics.raw_teams(versions.snapshot(demo_db), filters)),
         sorted_counts(pipelines.raw_teams(demo_db, filters)))


def test_span_and_names_equal_the_raw_tickets(demo_db):
    same(metrics.data_span(versions.snapshot(demo_db)), pipelines.data_span(demo_db))
    assert metrics.agent_names(versions.snapshot(demo_db)) == pipelines.agent_names(demo_db)
    assert metrics.priority_names(versions.snapshot(demo_db)) == sorted(demo_db.tickets.distinct("priority"))


def test_the_snapshot_is_the_tickets_collection(demo_db):
    info = versions.version_info(demo_db)
    stored = snapshots.load_frame(demo_db, info["snapshot"], readmodel.COLUMNS)
    scanned = snapshots.scan_tickets(demo_db)
    ordered = [frame.sort_values("sr_number").reset_index(drop=True)
               for frame in (stored, scanned)]
    pd.testing.assert_frame_equal(*ordered, check_categorical=False)


def test_each_write_publishes_one_version_with_its_snapshot(db):
    importing.import_file(db, hand_bytes(), "hand.csv")
    first = versions.version_info(db)
    assert first["value"] == 1 and first["snapshot"] is not None
    edits.edit_ticket(db, "T6", {"team_raw": "L2 Apps"}, "admin")
    assert metrics.summary(versions.snapshot(db))["pending_by_team"]["L2"] == 2
    edits.delete_ticket(db, "T1", "admin")
    assert metrics.summary(versions.snapshot(db))["total_tickets"] == 9
    settings = get_settings(db)
    settings["resolved_statuses"].append("Pending")
    edits.save_settings(db, settings)
    assert metrics.summary(versions.snapshot(db))["pending"] == 2  # T3 Open, T6 In Progress
    last = versions.version_info(db)
    assert last["value"] == 4 and last["snapshot"] != first["snapshot"]
    same(metrics.teams(versions.snapshot(db)), pipelines.teams(db))
    files = {f["_id"] for f in db[f"{snapshots.BUCKET}.files"].find({}, {"_id": 1})}
    kept = {last["snapshot"], last["timeline"], first["snapshot"]}  # the import's is kept too
    assert kept <= files and len(files) == snapshots.KEEP_SNAPSHOTS + 1  # the rest pruned


def test_a_process_loads_a_snapshot_once_per_version(db, monkeypatch):
    importing.import_file(db, hand_bytes(), "hand.csv")
    snapshots.CACHE.clear()
    loads = []
    real = snapshots.load_frame
    monkeypatch.setattr(snapshots, "load_frame", lambda *a, **k: loads.append(1) or real(*a, **k))
    for _ in range(3):
        metrics.summary(versions.snapshot(db))
        metrics.teams(versions.snapshot(db))
    assert len(loads) == 1


def test_a_store_without_a_snapshot_gets_one_at_first_view(db):
    """A store written by an earlier release: tickets, but no read model yet."""
    importing.import_file(db, hand_bytes(), "hand.csv")
    db.meta.update_one({"_id": "data_version"}, {"$unset": {"snapshot": 1}})
    snapshots.CACHE.clear()
    assert metrics.summary(versions.snapshot(db))["total_tickets"] == 10
    assert versions.version_info(db).get("snapshot") is not None


def test_a_second_writer_waits_then_is_refused_in_one_line(db):
    with writelock.write_lock(db, "the import of week1.xlsx"):
        with pytest.raises(writelock.Busy) as refused:
            with writelock.write_lock(db, "another import", wait_s=0.3):
                pass
    assert "the import of week1.xlsx" in str(refused.value) and "\n" not in str(refused.value)
    with writelock.write_lock(db, "now free", wait_s=0):
        pass


def test_an_expired_lock_is_taken_over(db):
    db.meta.insert_one({"_id": writelock.LOCK_ID, "what": "a dead import",
                        "expires": dt.datetime(2000, 1, 1)})
    with writelock.write_lock(db, "an import", wait_s=0):
        assert db.meta.find_one({"_id": writelock.LOCK_ID})["what"] == "an import"


def test_the_same_file_again_is_not_read(db, monkeypatch):
    importing.import_file(db, hand_bytes(), "hand.csv")
    version = versions.data_version(db)
    monkeypatch.setattr(read, "read_table", lambda *a, **k: pytest.fail("the file was read"))
    report = importing.import_file(db, hand_bytes(), "hand-again.csv")
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 10)
    assert versions.data_version(db) == version
    assert [u["file_name"] for u in uploads.recent_uploads(db)] == ["hand-again.csv", "hand.csv"]


def test_the_same_file_after_another_change_is_compared_again(db):
    importing.import_file(db, hand_bytes(), "hand.csv")
    edits.edit_ticket(db, "T3", {"status": "Resolved"}, "admin")
    report = importing.import_file(db, hand_bytes(), "hand.csv")  # read again, not skipped
    assert (report.inserted, report.updated, report.unchanged, report.edits_kept) == (
        0, 0, 10, 1)
    assert get_ticket(db, "T3")["status"] == "Resolved"  # the edit stays
    taken = importing.import_file(db, hand_bytes(), "hand.csv", accept_file_values=True)
    assert (taken.inserted, taken.updated, taken.unchanged) == (0, 1, 9)
    assert get_ticket(db, "T3")["status"] == "Open"


def test_an_import_cut_off_by_a_dead_process_is_recovered(db):
    """Tickets half written, the upload left "running", no snapshot published."""
    importing.import_file(db, hand_bytes(), "week1.csv")
    changed = HAND_CSV.replace("T3,2026-03-04 11:00,Open", "T3,2026-03-04 11:00,Resolved")
    db.tickets.update_one({"_id": "T3"}, {"$set": {"status": "Resolved"}})  # half written
    db.uploads.insert_one({"status": "running", "at": dt.datetime(2026, 3, 20),
                           "file_name": "week2.csv"})
    report = importing.import_file(db, changed.encode(), "week2.csv")
    assert uploads.recent_uploads(db)[0]["status"] == "done"
    assert db.uploads.count_documents({"status": "interrupted"}) == 1
    assert report.inserted == 0
    same(metrics.summary(versions.snapshot(db)), pipelines.summary(db))


def test_chunks_give_the_same_tickets_and_report_as_one_pass(seed_xlsx):
    table = read.read_table(seed_xlsx)
    settings = fields.DEFAULT_SETTINGS
    whole, report = parse_tickets(table, settings)
    chunked_report, chunks = normalise.iter_tickets(table, settings, chunk_rows=37)
    chunked = [t for chunk in chunks for t in chunk]
    assert chunked == whole
    assert chunked_report.as_dict() == report.as_dict()


def test_uci_figures_equal_the_pipelines(db, uci_csv):
    importing.import_file(db, uci_csv)
    settings = get_settings(db)
    same(metrics.summary(versions.snapshot(db), Filters(), settings), pipelines.summary(db, Filters(), settings))
    same(metrics.teams(versions.snapshot(db)), pipelines.teams(db))
