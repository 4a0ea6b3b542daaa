"""Storing imports in a real server: counts, history, agents, audit, settings, failures."""

from __future__ import annotations

import datetime as dt

import pytest
from pymongo.errors import AutoReconnect

from sla.analytics import metrics
from sla.ingest.table import ReadError
from sla.service import edits, importing
from sla.storage import connection, uploads, versions
from sla.storage import tickets as ticket_store
from sla.storage.settings import get_settings
from sla.storage.tickets import get_ticket, ticket_history
from tests.handset import HAND_CSV, hand_bytes


def snapshot(db) -> dict:
    """Everything an import may change, to compare before and after."""
    return {name: sorted(map(str, db[name].find({}, {"_id": 0}).sort("sr_number", 1)))
            for name in ("tickets", "ticket_history", "uploads", "agents")} | {
        "version": versions.data_version(db)}


def test_first_import_inserts_every_ticket(db):
    report = importing.import_file(db, hand_bytes(), "hand.csv", user="alice")
    assert (report.inserted, report.updated, report.unchanged) == (10, 0, 0)
    assert db.tickets.count_documents({}) == 10
    ticket = db.tickets.find_one({"_id": "T1"})
    assert ticket["sr_number"] == "T1" and ticket["team"] == "L1" and ticket["team_raw"] == "L1 Desk"
    assert versions.data_version(db) > 0


def test_reimport_reports_unchanged_and_leaves_the_data_version(db):
    importing.import_file(db, hand_bytes(), "hand.csv")
    version = versions.data_version(db)
    report = importing.import_file(db, hand_bytes(), "hand-again.csv")
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 10)
    assert versions.data_version(db) == version
    assert db.tickets.count_documents({}) == 10


def test_changed_rows_update_and_leave_history(db):
    importing.import_file(db, hand_bytes(), "week1.csv")
    version = versions.data_version(db)
    changed = HAND_CSV.replace("T3,2026-03-04 11:00,Open,P3,L2 Apps,Bob,1,,Met,",
                               "T3,2026-03-04 11:00,Resolved,P3,L2 Apps,Bob,1,20,Met,Met")
    changed += "T11,2026-03-18 09:00,Open,P3,L1 Desk,,,,,\n"
    report = importing.import_file(db, changed.encode(), "week2.csv", user="bob")
    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 9)
    assert versions.data_version(db) > version
    ticket = db.tickets.find_one({"_id": "T3"})
    assert ticket["status_class"] == "resolved" and ticket["resolution_hours"] == 20
    (entry,) = ticket_history(db, "T3")
    assert entry["user"] == "bob" and entry["kind"] == "import"
    assert entry["changes"]["status"] == {"old": "Open", "new": "Resolved"}
    assert entry["changes"]["status_class"] == {"old": "pending", "new": "resolved"}
    assert entry["changes"]["resolution_hours"] == {"old": None, "new": 20.0}


def test_folded_rows_within_one_file(db):
    text = HAND_CSV + "T1,2026-03-02 09:00,Closed,P1,L1 Desk,Ann,0.25,3,Met,Met\n"
    report = importing.import_file(db, text.encode(), "dup.csv")
    assert report.folded == 1 and report.inserted == 10
    assert db.tickets.find_one({"_id": "T1"})["status"] == "Closed"


def test_upload_audit_record(db):
    report = importing.import_file(db, hand_bytes(HAND_CSV + ",,Total,,,,,,,\n"), "hand.csv", user="alice")
    (upload,) = uploads.recent_uploads(db)
    assert upload["user"] == "alice" and upload["file_name"] == "hand.csv"
    assert upload["status"] == "done" and len(upload["sha256"]) == 64
    assert (upload["inserted"], upload["rejected"], upload["rows_read"]) == (10, 1, 11)
    full = db.uploads.find_one({"_id": upload["_id"]})
    assert full["rejected_rows"] == [{"row": 12, "reason": "no SR number"}]
    assert report.rejected == 1


def test_agents_collection(db):
    importing.import_file(db, hand_bytes(), "hand.csv")
    ann = db.agents.find_one({"_id": "Ann"})
    assert sorted(ann["teams"]) == ["L1", "Other"]
    assert ann["first_seen"] <= ann["last_seen"]
    assert db.agents.count_documents({}) == 3


@pytest.mark.parametrize("name, data", [
    ("nosr.csv", b"Status,Priority\nOpen,P1\n"),
    ("broken.xlsx", b"PK\x03\x04garbage"),
    ("notes.txt", b"SR\nX\n"),
])
def test_a_file_that_fails_changes_nothing(db, name, data):
    importing.import_file(db, hand_bytes(), "hand.csv")
    before = snapshot(db)
    with pytest.raises(ReadError):
        importing.import_file(db, data, name)
    assert snapshot(db) == before


def test_dry_run_writes_nothing(db):
    before = snapshot(db)
    report = importing.import_file(db, hand_bytes(), "hand.csv", dry_run=True)
    assert report.inserted == 10
    assert snapshot(db) == before


def test_an_interrupted_import_is_completed_by_running_it_again(db, monkeypatch):
    """The database goes away after the first batch; a second run completes the import."""
    monkeypatch.setattr(ticket_store, "BATCH", 3)
    real_insert_many = type(db.tickets).insert_many
    calls = {"n": 0}

    def failing_insert_many(collection, docs, *args, **kwargs):
        if collection.name == "tickets":
            calls["n"] += 1
            if calls["n"] == 2:
                raise AutoReconnect("connection closed")
        return real_insert_many(collection, docs, *args, **kwargs)

    monkeypatch.setattr(type(db.tickets), "insert_many", failing_insert_many)
    with pytest.raises(connection.StoreError, match="run it again") as caught:
        importing.import_file(db, hand_bytes(), "hand.csv")
    assert isinstance(caught.value.__cause__, AutoReconnect)
    assert db.tickets.count_documents({}) == 3
    assert db.uploads.find_one({"file_name": "hand.csv"})["status"] == "failed"
    monkeypatch.setattr(type(db.tickets), "insert_many", real_insert_many)
    report = importing.import_file(db, hand_bytes(), "hand.csv")
    assert (report.inserted, report.unchanged) == (7, 3)
    assert db.tickets.count_documents({}) == 10
    assert metrics.summary(versions.snapshot(db))["total_tickets"] == 10


def test_settings_default_to_the_contract_and_changes_rederive(db):
    importing.import_file(db, hand_bytes(), "hand.csv")
    settings = get_settings(db)
    assert settings["sla_targets"]["P1"] == {"response": 0.5, "resolution": 4.0}
    version = versions.data_version(db)
    settings["team_rules"].append({"team": "L2", "words": ["weird group"], "exact": []})
    settings["resolved_statuses"].append("Pending")
    moved = edits.save_settings(db, settings, user="admin")
    assert moved["team"] == {"Other → L2": 1}
    assert moved["status_class"] == {"pending → resolved": 1}
    assert db.tickets.find_one({"_id": "T7"})["team"] == "L2"
    assert versions.data_version(db) > version
    assert get_settings(db)["team_rules"][-1]["words"] == ["weird group"]
    report = importing.import_file(db, hand_bytes(), "hand.csv")
    assert report.unchanged == 10  # stored tickets already follow the new rules


def test_edit_and_delete_are_recorded(db):
    importing.import_file(db, hand_bytes(), "hand.csv")
    changes = edits.edit_ticket(db, "T6", {"team_raw": "L2 Apps", "resolved_by": "Bob"}, "admin")
    assert changes["team"] == {"old": "Unassigned", "new": "L2"}
    assert db.tickets.find_one({"_id": "T6"})["team"] == "L2"
    assert edits.delete_ticket(db, "T6", "admin")
    assert get_ticket(db, "T6") is None
    kinds = [h["kind"] for h in ticket_history(db, "T6")]
    assert sorted(kinds) == ["delete", "edit"]
    assert not edits.delete_ticket(db, "T6", "admin")


def test_an_edit_stays_when_the_same_file_is_imported_again(db):
    importing.import_file(db, hand_bytes(), "hand.csv")
    edits.edit_ticket(db, "T3", {"status": "Resolved",
                                 "resolved_at": dt.datetime(2026, 3, 5, 9, 0)}, "admin")
    edits.edit_ticket(db, "T6", {"team_raw": "L2 Apps"}, "admin")
    dry = importing.import_file(db, hand_bytes(), "hand.csv", dry_run=True)
    assert (dry.updated, dry.unchanged, dry.edits_kept) == (0, 10, 2)
    report = importing.import_file(db, hand_bytes(), "hand.csv")
    assert (report.updated, report.edits_kept) == (0, 2)
    assert report.notes[-1].startswith(
        "kept your edit on 2 tickets (the file says T3 Status 'Open', kept 'Resolved'; T6 ")
    assert report.notes[-1].endswith("(--accept-file-values)")
    kept = get_ticket(db, "T3")
    assert (kept["status"], kept["status_class"]) == ("Resolved", "resolved")
    assert get_ticket(db, "T6")["team"] == "L2"
    assert [h["kind"] for h in ticket_history(db, "T3")] == ["edit"]


def test_the_files_values_can_replace_the_edits(db):
    importing.import_file(db, hand_bytes(), "hand.csv")
    edits.edit_ticket(db, "T6", {"team_raw": "L2 Apps"}, "admin")
    report = importing.import_file(db, hand_bytes(), "hand.csv", accept_file_values=True)
    assert (report.updated, report.edits_kept) == (1, 0)
    ticket = get_ticket(db, "T6")
    assert (ticket["team"], ticket.get("overrides")) == ("Unassigned", None)
    again = importing.import_file(db, hand_bytes(HAND_CSV.replace(",P4,,,", ",P4,L1 Desk,,")),
                                  "hand.csv")
    assert (again.edits_kept, get_ticket(db, "T6")["team"]) == (0, "L1")


def test_an_open_status_with_a_resolved_date_is_refused(db):
    importing.import_file(db, hand_bytes(), "hand.csv")
    edits.edit_ticket(db, "T1", {"resolved_at": dt.datetime(2026, 3, 2, 12, 0)}, "admin")
    with pytest.raises(edits.EditError) as refused:
        edits.edit_ticket(db, "T1", {"status": "Open"}, "admin")
    assert str(refused.value) == ("status 'Open' is an open status but the ticket has a "
                                  "resolved date; clear Resolved at to reopen it")
    edits.edit_ticket(db, "T1", {"status": "Open", "resolved_at": None}, "admin")
    assert get_ticket(db, "T1")["status_class"] == "pending"
    with pytest.raises(edits.EditError):
        edits.cleaned({"resolved_at": "yesterday"})


def test_indexes_are_only_those_a_query_uses(db):
    """Views read the read model, so tickets keep only _id (the SR number): each index
    would slow every import."""
    db.create_collection("tickets")
    connection._indexed.clear()
    connection.ensure_indexes(db)
    assert {i["name"] for i in db.tickets.list_indexes()} == {"_id_"}
    history = {i["name"] for i in db.ticket_history.list_indexes()}
    assert {"sr_number_1_at_-1", "upload_id_1"} <= history
    unique = next(i for i in db.users.list_indexes() if i["name"] == "username_1")
    assert unique.get("unique")


def test_unreachable_server_is_one_line():
    with pytest.raises(connection.StoreError, match="unreachable") as caught:
        connection.connect("mongodb://127.0.0.1:1/?directConnection=true", "x", timeout_ms=300)
    assert "\n" not in str(caught.value)


def test_describe_uri_hides_the_password():
    assert connection.describe_uri("mongodb://app:s3cret@db:27017/x?authSource=x") == \
        "mongodb://app:***@db:27017/x"


def test_a_dead_imports_late_history_write_is_dropped_by_the_import_that_recovered(
        db, monkeypatch):
    """A process killed after sending its history write, which the server applies only after
    the next import's recovery looked: that import drops the entry once it has written."""
    importing.import_file(db, hand_bytes(), "week1.csv")
    dead = db.uploads.insert_one({"status": "running", "file_name": "week2.csv"}).inserted_id
    recover = importing.recover_interrupted_imports

    def recover_then_late_write(database):
        recovered = recover(database)
        database.ticket_history.insert_one({
            "sr_number": "T3", "upload_id": dead, "kind": "import", ticket_store.PENDING: True,
            "changes": {"status": {"old": "Open", "new": "Resolved"}}})
        return recovered

    monkeypatch.setattr(importing, "recover_interrupted_imports", recover_then_late_write)
    week2 = hand_bytes(HAND_CSV.replace("T3,2026-03-04 11:00,Open,",
                                        "T3,2026-03-04 11:00,Resolved,"))
    importing.import_file(db, week2, "week2.csv")
    assert db.uploads.find_one({"_id": dead})["status"] == "interrupted"
    entries = list(db.ticket_history.find({"sr_number": "T3"}))
    assert len(entries) == 1 and entries[0]["upload_id"] != dead


def test_team_moves_cut_off_wait_for_the_clock_of_the_import_that_completes_them(
        db, monkeypatch):
    """An update handing every ticket to Business Ops loses the store after its first batch:
    the points it placed are never before the last finished import's clock, and the re-run
    moves them to its file's clock, where a clean import places them."""
    importing.import_file(db, hand_bytes(), "week1.csv")
    monkeypatch.setattr(ticket_store, "BATCH", 3)
    real_bulk_write = type(db.tickets).bulk_write
    calls = {"n": 0}

    def failing_bulk_write(collection, requests, *args, **kwargs):
        if collection.name == "tickets":
            calls["n"] += 1
            if calls["n"] == 2:
                raise AutoReconnect("connection closed")
        return real_bulk_write(collection, requests, *args, **kwargs)

    lines = HAND_CSV.splitlines()
    moved = [lines[0]] + [",".join(cells[:4] + ["Business Ops"] + cells[5:])
                          for cells in (line.split(",") for line in lines[1:])]
    week2 = hand_bytes("\n".join(moved) + "\n")
    monkeypatch.setattr(type(db.tickets), "bulk_write", failing_bulk_write)
    with pytest.raises(connection.StoreError):
        importing.import_file(db, week2, "week2.csv")
    monkeypatch.setattr(type(db.tickets), "bulk_write", real_bulk_write)
    week1_clock = uploads.last_done_import(db)["clock"]
    importing.recover_interrupted_imports(db)
    cut_off = list(db.tickets.find({"timeline": {"$elemMatch": {"team_raw": "Business Ops",
                                                                "exact": False}}}))
    assert len(cut_off) == 3
    assert all(point["at"] >= week1_clock for ticket in cut_off
               for point in ticket["timeline"] if not point["exact"])

    importing.import_file(db, week2, "week2.csv")
    week2_clock = uploads.last_done_import(db)["clock"]
    placed = [(ticket["_id"], ticket["timeline"][-1]) for ticket in db.tickets.find(
        {"timeline.1": {"$exists": True}})]
    assert len(placed) == 9  # every ticket but T5, already with Business Ops
    assert {(point["team_raw"], point["at"]) for _, point in placed} == {
        ("Business Ops", week2_clock)}
    assert db.uploads.find_one({"status": "interrupted"})["carried_to"] == \
        uploads.last_done_import(db)["_id"]
    timeline = versions.snapshot(db).timeline
    assert (timeline.groupby("sr_number")["at"].max() == week2_clock).sum() == 9
