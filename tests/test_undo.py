"""Undoing an import (``./sla.sh import undo ID``, ``demo --remove``) against the real store:
the tickets, their history and every figure are what they were before the import."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from bson import ObjectId

from sla.analytics import handoffs, metrics
from sla.core.filters import Filters
from sla.service import demo, edits
from sla.storage import connection, versions
from sla.storage.settings import get_settings
from tests.conftest import rounded
from tests.test_cli import sla

ROWS = 1500
AS_OF = dt.datetime(2030, 1, 1)


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict:
    """Week 1 (1,500 generated tickets); week 2: every status moved on, every third ticket
    handed to another team, and 300 new tickets; and week 1 under SR numbers of its own
    (``own``: none shared with the demo's)."""
    folder = tmp_path_factory.mktemp("undo-exports")
    frame = demo.generate_export(ROWS, seed=11, with_priority=True, end=dt.date(2026, 1, 1))
    frame.to_csv(folder / "week1.csv", index=False)
    moved = frame.assign(Status=frame["Status"].map(
        {"Open": "Assigned", "Assigned": "In Progress", "In Progress": "Resolved",
         "Resolved": "Closed", "Closed": "Closed"}).fillna("Open"))
    teams = sorted(frame["Updated Team"].unique())
    third = moved.index % 3 == 0
    moved.loc[third, "Updated Team"] = moved.loc[third, "Updated Team"].map(
        lambda team: teams[(teams.index(team) + 1) % len(teams)])
    extra = demo.generate_export(300, seed=12, with_priority=True, end=dt.date(2026, 1, 1))
    extra["SR Number"] = "NEW-" + extra["SR Number"].astype(str)
    pd.concat([moved, extra], ignore_index=True).to_csv(folder / "week2.csv", index=False)
    frame.assign(**{"SR Number": "W-" + frame["SR Number"].astype(str)}).to_csv(
        folder / "own.csv", index=False)
    return {"week1": folder / "week1.csv", "week2": folder / "week2.csv",
            "own": folder / "own.csv"}


def imported(env: dict, path) -> dict:
    """Import ``path`` with the CLI; its --json report (with the import's id)."""
    return json.loads(sla(env, "import", path, "--json").stdout)


def state(env: dict) -> dict:
    """Every stored ticket whole, the history but the undo's own entries, and the figures."""
    db = connection.connect(env["MONGO_URI"], env["SLA_DB"])
    snapshot = versions.snapshot(db)
    handed = handoffs.handoffs(snapshot, Filters(), get_settings(db), AS_OF)
    return {"tickets": {t["_id"]: t for t in db.tickets.find({})},
            "history": sorted((h["sr_number"], h["kind"], json.dumps(h["changes"], default=str,
                                                                      sort_keys=True))
                              for h in db.ticket_history.find({"kind": {"$ne": "undo"}})),
            "summary": rounded(metrics.summary(snapshot)),
            "teams": rounded(metrics.teams(snapshot)),
            "handoffs": rounded(handed["teams"])}


def test_an_import_undone_leaves_the_tickets_history_and_figures_as_before(cli_env, exports):
    imported(cli_env, exports["week1"])
    db = connection.connect(cli_env["MONGO_URI"], cli_env["SLA_DB"])
    edited = next(iter(db.tickets.find({"status_class": "pending"}, {"_id": 1})))["_id"]
    edits.edit_ticket(db, edited, {"category": "Edited by hand"}, "ann")
    before = state(cli_env)

    report = imported(cli_env, exports["week2"])
    second, changed = report["import_id"], report["updated"]
    after_import = state(cli_env)
    assert after_import["summary"]["total_tickets"] == ROWS + 300
    assert after_import["tickets"] != before["tickets"]

    result = sla(cli_env, "import", "undo", second, "--user", "bob")
    assert result.stdout.strip() == (f"undid the import {second} of week2.csv: removed 300 "
                                     f"tickets it added, put back {changed:,} it changed")
    assert state(cli_env) == before
    record = db.uploads.find_one({"_id": ObjectId(second)})
    assert (record["status"], record["undone_by"], record["undo"]) == (
        "undone", "bob", {"removed": 300, "restored": changed})
    shown = [h["kind"] for h in db.ticket_history.find({"sr_number": edited})]
    assert sorted(shown) == ["edit", "undo"]

    again = sla(cli_env, "import", "undo", second, ok=False)
    assert (again.returncode, again.stderr.strip()) == (
        2, f"error: the import {second} was undone already")


def test_a_later_import_must_be_undone_first(cli_env, exports):
    first = imported(cli_env, exports["week1"])["import_id"]
    report = imported(cli_env, exports["week2"])
    second = report["import_id"]
    refused = sla(cli_env, "import", "undo", first, ok=False)
    assert (refused.returncode, refused.stderr.strip()) == (
        2, f"error: {report['updated']:,} of its tickets were changed by a later import ({second}); "
           "undo that first")
    sla(cli_env, "import", "undo", second)
    sla(cli_env, "import", "undo", first)
    summary = json.loads(sla(cli_env, "summary", "--json").stdout)
    assert summary["total_tickets"] == 0


def test_an_edit_after_the_import_keeps_it(cli_env, exports):
    first = imported(cli_env, exports["week1"])["import_id"]
    db = connection.connect(cli_env["MONGO_URI"], cli_env["SLA_DB"])
    sr = next(iter(db.tickets.find({}, {"_id": 1})))["_id"]
    edits.edit_ticket(db, sr, {"category": "Edited by hand"}, "ann")
    refused = sla(cli_env, "import", "undo", first, ok=False)
    assert refused.stderr.strip() == ("error: 1 of its tickets were edited or deleted in the "
                                      "app after it, so it can no longer be undone")
    assert db.tickets.count_documents({}) == ROWS


@pytest.mark.parametrize(("args", "says"), [
    (["import", "undo", "nonsense"], "error: 'nonsense' is not an import id (24 hexadecimal "
                                     "characters, as the import history shows)"),
    (["import", "undo", "0123456789abcdef01234567"],
     "error: there is no import 0123456789abcdef01234567"),
    (["import", "week.csv", "extra"], "error: import takes one file, or `undo ID` with the id "
                                      "of the import to undo"),
    (["demo", "--remove"], "error: there is no demo data to remove"),
])
def test_what_cannot_be_undone_is_one_line(cli_env, args, says):
    result = sla(cli_env, *args, ok=False)
    assert (result.returncode, result.stderr.strip()) == (2, says)


def test_demo_remove_takes_the_demo_away_and_keeps_the_rest(cli_env, exports):
    imported(cli_env, exports["own"])
    sla(cli_env, "demo", "--tickets", "200")
    assert json.loads(sla(cli_env, "summary", "--json").stdout)["total_tickets"] > ROWS
    result = sla(cli_env, "demo", "--remove")
    assert "removed 200 tickets it added" in result.stdout
    assert json.loads(sla(cli_env, "summary", "--json").stdout)["total_tickets"] == ROWS
