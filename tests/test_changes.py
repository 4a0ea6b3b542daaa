"""What moved between two imports (``sla.analytics.changes``): hand-worked decompositions that add up
exactly, causes from imports, edits and deletes, filters, and the imports' kept figures."""

from __future__ import annotations

import pytest

from sla.analytics.changes import ChangesError
from sla.core.filters import Filters
from sla.service import edits, importing, queries
from sla.storage import uploads

approx = pytest.approx
HEAD = "SR Number,Created,Status,Priority,Team,Resolution SLA\n"
# Before: resolution met T2 T4, breached T3 -> 66.67 %; T1 pending (no outcome).
WEEK1 = HEAD + """\
T1,2026-03-02 08:00,Open,P3,L2 Apps,
T2,2026-03-02 09:00,Resolved,P3,L2 Apps,Met
T3,2026-03-03 08:00,Resolved,P1,L1 Desk,Breached
T4,2026-03-03 09:00,Resolved,P1,L1 Desk,Met
"""
# After: T1 resolved and breached, T3 corrected to met, T5 new and met -> 4 of 5 = 80 %.
WEEK2 = HEAD + """\
T1,2026-03-02 08:00,Resolved,P3,L2 Apps,Breached
T2,2026-03-02 09:00,Resolved,P3,L2 Apps,Met
T3,2026-03-03 08:00,Resolved,P1,L1 Desk,Met
T4,2026-03-03 09:00,Resolved,P1,L1 Desk,Met
T5,2026-03-09 08:00,Resolved,P4,L1 Desk,Met
"""


def contributions(result: dict, name: str) -> dict:
    return {(c["cause"], c["team"], c["priority"]): (c["tickets"], c["points"])
            for c in result[name]["contributions"]}


def adds_up(result: dict) -> None:
    for name in ("resolution_sla_pct", "response_sla_pct", "pending"):
        figure = result[name]
        if figure["after"] is None:
            continue
        total = sum(c["points"] for c in figure["contributions"])
        assert total == approx(figure["after"] - (figure["before"] or 0), abs=1e-9)


@pytest.fixture
def two_weeks(db):
    """Two imports of the hand-worked weeks."""
    importing.import_file(db, WEEK1.encode(), "week1.csv")
    importing.import_file(db, WEEK2.encode(), "week2.csv")
    return db


def test_the_change_splits_into_causes_that_add_up(two_weeks):
    result = queries.changes(two_weeks)
    assert (result["from"]["file_name"], result["to"]["file_name"]) == ("week1.csv", "week2.csv")
    resolution = result["resolution_sla_pct"]
    assert resolution["before"] == approx(200 / 3)
    assert resolution["after"] == approx(80.0)
    # Each ticket: 100 x (change in met - 2/3 x change in outcome) / 5 tickets after.
    assert contributions(result, "resolution_sla_pct") == {
        ("breached→met", "L1", "P1"): (1, approx(20.0)),
        ("pending→breached", "L2", "P3"): (1, approx(-40 / 3)),
        ("new ticket", "L1", "P4"): (1, approx(20 / 3)),
    }
    assert result["pending"]["before"] == 1 and result["pending"]["after"] == 0
    assert contributions(result, "pending") == {("pending→resolved", "L2", "P3"): (1, -1.0)}
    assert result["response_sla_pct"]["after"] is None  # no response outcomes at all
    adds_up(result)


def test_edits_and_deletes_in_the_app_are_their_own_causes(db):
    importing.import_file(db, WEEK1.encode(), "week1.csv")
    edits.edit_ticket(db, "T2", {"resolution_sla_raw": "Breached"}, "alice")
    edits.delete_ticket(db, "T4", "alice")
    week2 = "\n".join(line for line in WEEK2.splitlines()
                      if not line.startswith(("T2,", "T4,"))) + "\n"
    importing.import_file(db, week2.encode(), "week2.csv")
    result = queries.changes(db)
    # After: T1 breached, T2 breached (edited), T3 met, T5 met -> 2 of 4 = 50 %.
    assert result["resolution_sla_pct"]["after"] == approx(50.0)
    found = contributions(result, "resolution_sla_pct")
    assert found[("edited in the app", "L2", "P3")] == (1, approx(100 * -1 / 4))
    assert found[("deleted in the app", "L1", "P1")] == (1, approx(100 * (-1 + 2 / 3) / 4))
    adds_up(result)


def test_filters_count_tickets_moving_in_and_out_of_the_selection(db):
    importing.import_file(db, WEEK1.encode(), "week1.csv")
    importing.import_file(db, WEEK2.replace("T2,2026-03-02 09:00,Resolved,P3,L2 Apps",
                                        "T2,2026-03-02 09:00,Resolved,P3,L1 Desk").encode(),
                      "week2.csv")
    result = queries.changes(db, filters=Filters(teams=("L1",)))
    # L1 before: T3 breached, T4 met (50 %); after: T2 T3 T4 T5 met (100 %).
    assert (result["resolution_sla_pct"]["before"], result["resolution_sla_pct"]["after"]) \
        == (approx(50.0), approx(100.0))
    found = contributions(result, "resolution_sla_pct")
    assert found[("moved into the selection", "L1", "P3")] == (1, approx(100 * 0.5 / 4))
    adds_up(result)


def test_imports_are_chosen_by_id_and_errors_are_one_line(two_weeks):
    kept = uploads.comparable_imports(two_weeks)
    newest, older = str(kept[0]["_id"]), str(kept[1]["_id"])
    backwards = queries.changes(two_weeks, from_import=newest, to_import=older)
    assert backwards["resolution_sla_pct"]["after"] == approx(200 / 3)
    adds_up(backwards)
    with pytest.raises(ChangesError, match="not an import id"):
        queries.changes(two_weeks, from_import="nope")
    with pytest.raises(ChangesError, match="there is no import"):
        queries.changes(two_weeks, from_import="0" * 24)


def test_one_import_has_nothing_to_compare(db):
    with pytest.raises(ChangesError, match="no import"):
        queries.changes(db)
    importing.import_file(db, WEEK1.encode(), "week1.csv")
    importing.import_file(db, WEEK1.encode(), "week1-again.csv")  # unchanged: nothing moved
    with pytest.raises(ChangesError, match="only one import"):
        queries.changes(db)


def test_the_snapshots_of_recent_imports_are_kept(db):
    for week in range(uploads.KEEP_IMPORT_SNAPSHOTS + 2):
        importing.import_file(db, (HEAD + f"W{week},2026-03-02 08:00,Open,P3,L1,\n").encode(),
                          f"week{week}.csv")
    kept = uploads.comparable_imports(db)
    assert len(kept) == uploads.KEEP_IMPORT_SNAPSHOTS
    oldest = db.uploads.find_one({"file_name": "week0.csv"})
    with pytest.raises(ChangesError, match="no longer kept"):
        queries.changes(db, from_import=str(oldest["_id"]))
    result = queries.changes(db, from_import=str(kept[-1]["_id"]))
    assert result["pending"]["change"] == uploads.KEEP_IMPORT_SNAPSHOTS - 1
