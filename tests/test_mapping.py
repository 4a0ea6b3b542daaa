"""Column mappings chosen by hand: the layout fingerprint, an override applied by the one
import pipeline, the mapping remembered per header layout (and used by the CLI), invalid
mappings refused, and the same-file shortcut not taken when the mapping changed."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from sla.ingest import table
from sla.service import importing
from sla.storage import mappings
from tests.handset import HAND_CSV
from tests.test_cli import database, sla

# The hand set with its team column under a name no synonym matches: detected, every ticket
# is Unassigned; read through {"team_raw": "Squad"}, the teams are the hand-checked ones.
SQUAD_CSV = HAND_CSV.replace(",Team,", ",Squad,", 1)
SQUAD = {"team_raw": "Squad"}
HAND_TEAMS = {"L1": 5, "L2": 2, "Business": 1, "Other": 1, "Unassigned": 1}


def teams(db) -> dict[str, int]:
    return dict(Counter(t["team"] for t in db.tickets.find({}, {"team": 1})))


def with_squad(table_or_headers) -> dict[str, str]:
    """The detected mapping of the squad file plus the team column."""
    return {**table.map_headers(table_or_headers), **SQUAD}


SQUAD_HEADERS = SQUAD_CSV.splitlines()[0].split(",")


# ---------------------------------------------------------------- the layout fingerprint

def test_fingerprint_ignores_case_and_spacing_of_headers():
    headers = ["SR Number", "Created", "Response Time (hrs)"]
    assert table.layout_fingerprint(headers) == table.layout_fingerprint(
        ["sr  number", " CREATED ", "response_time (hrs)"])


def test_fingerprint_differs_by_order_and_by_names():
    headers = ["SR Number", "Created", "Team"]
    assert table.layout_fingerprint(headers) != table.layout_fingerprint(
        ["Created", "SR Number", "Team"])
    assert table.layout_fingerprint(headers) != table.layout_fingerprint(
        ["SR Number", "Created", "Group"])
    assert table.layout_fingerprint(headers) != table.layout_fingerprint(headers[:2])


# ---------------------------------------------------------------- an override

def test_detected_mapping_misses_the_squad_column(db):
    report = importing.import_file(db, SQUAD_CSV.encode(), "squad.csv")
    assert "team_raw" not in report.mapping
    assert teams(db) == {"Unassigned": 10}


def test_an_override_feeds_the_team_from_the_chosen_column(db):
    report = importing.import_file(db, SQUAD_CSV.encode(), "squad.csv", user="alice",
                               mapping=with_squad(SQUAD_HEADERS))
    assert report.mapping["team_raw"] == "Squad" and "Squad" not in report.unmapped
    assert teams(db) == HAND_TEAMS
    assert db.tickets.find_one({"_id": "T7"})["team_raw"] == "Weird Group"
    assert "Squad" not in db.tickets.find_one({"_id": "T1"})["extra"]


def test_a_dry_run_with_an_override_writes_nothing(db):
    report = importing.import_file(db, SQUAD_CSV.encode(), "squad.csv", dry_run=True,
                               mapping=with_squad(SQUAD_HEADERS))
    assert report.teams_unassigned == 1 and report.inserted == 10
    assert db.tickets.count_documents({}) == 0 and db.mappings.count_documents({}) == 0


# ---------------------------------------------------------------- remembered per layout

def test_the_saved_mapping_is_used_by_a_later_cli_import_of_the_same_layout(db, cli_env, tmp_path):
    importing.import_file(db, SQUAD_CSV.encode(), "squad.csv", user="alice",
                      mapping=with_squad(SQUAD_HEADERS))
    saved = mappings.saved_mapping(db, SQUAD_HEADERS)
    assert saved["mapping"]["team_raw"] == "Squad" and saved["user"] == "alice"
    assert abs(saved["at"] - dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)) \
        < dt.timedelta(minutes=5)
    # A later export: the same layout spelt in other cases, one ticket moved to another team.
    later = (SQUAD_CSV.replace("SR Number,", "SR NUMBER,", 1).replace(",Squad,", ",squad,", 1)
             .replace("T7,2026-03-12 23:30,Resolved,P3,Weird Group",
                      "T7,2026-03-12 23:30,Resolved,P3,L2 Apps"))
    path = tmp_path / "later.csv"
    path.write_text(later)
    result = sla(cli_env, "import", path)
    assert "inserted 0, updated 1, unchanged 9" in result.stdout, result.stdout
    tickets = database(cli_env).tickets
    assert tickets.find_one({"_id": "T7"})["team"] == "L2"
    assert dict(Counter(t["team"] for t in tickets.find({}, {"team": 1}))) == \
        {"L1": 5, "L2": 3, "Business": 1, "Unassigned": 1}
    assert db.uploads.find_one({"user": "cli"})["mapping"]["team_raw"] == "squad"


def test_a_file_of_another_layout_does_not_get_the_saved_mapping(db):
    importing.import_file(db, SQUAD_CSV.encode(), "squad.csv", mapping=with_squad(SQUAD_HEADERS))
    other = SQUAD_CSV.replace("Priority,", "Urgency,", 1)
    report = importing.import_file(db, other.encode(), "other.csv", dry_run=True)
    assert "team_raw" not in report.mapping


def test_importing_with_the_detected_mapping_forgets_the_saved_one(db):
    importing.import_file(db, SQUAD_CSV.encode(), "squad.csv", mapping=with_squad(SQUAD_HEADERS))
    assert db.mappings.count_documents({}) == 1
    importing.import_file(db, SQUAD_CSV.encode(), "squad.csv", mapping=table.map_headers(SQUAD_HEADERS))
    assert db.mappings.count_documents({}) == 0
    assert teams(db) == {"Unassigned": 10}


def test_an_import_without_a_mapping_leaves_the_saved_one_alone(db):
    importing.import_file(db, SQUAD_CSV.encode(), "squad.csv", user="alice",
                      mapping=with_squad(SQUAD_HEADERS))
    importing.import_file(db, SQUAD_CSV.replace("Ann", "Anne").encode(), "again.csv", user="bob")
    assert mappings.saved_mapping(db, SQUAD_HEADERS)["user"] == "alice"
    assert teams(db) == HAND_TEAMS


# ---------------------------------------------------------------- invalid mappings

@pytest.mark.parametrize("mapping, words", [
    ({"status": "Status", "team_raw": "Squad"}, "SR number"),
    ({"sr_number": "SR Number", "status": "Status", "priority": "Status"}, "both Status and Priority"),
    ({"sr_number": "SR Number", "status": "Colour"}, "not in this file"),
])
def test_an_invalid_mapping_is_refused_in_one_line_and_stores_nothing(db, mapping, words):
    with pytest.raises(table.MappingError) as refused:
        importing.import_file(db, SQUAD_CSV.encode(), "squad.csv", mapping=mapping)
    message = str(refused.value)
    assert words in message and "\n" not in message and message.count(". ") == 0
    assert message.endswith(".")
    for name in ("tickets", "uploads", "mappings", "ticket_history"):
        assert db[name].count_documents({}) == 0, name


def test_an_invalid_mapping_is_refused_after_an_import_of_the_same_file(db):
    """The same-file shortcut does not let an invalid mapping through."""
    importing.import_file(db, SQUAD_CSV.encode(), "squad.csv")
    with pytest.raises(table.MappingError):
        importing.import_file(db, SQUAD_CSV.encode(), "squad.csv", mapping={"status": "Status"})
    assert db.uploads.count_documents({}) == 1


# ---------------------------------------------------------------- the same-file shortcut

SAME_FILE = "the same file as the import of"


def test_the_same_file_with_another_mapping_is_read_again(db):
    first = importing.import_file(db, SQUAD_CSV.encode(), "squad.csv")
    assert not any(SAME_FILE in note for note in first.notes)
    second = importing.import_file(db, SQUAD_CSV.encode(), "squad.csv",
                               mapping=with_squad(SQUAD_HEADERS))
    assert not any(SAME_FILE in note for note in second.notes)
    assert second.updated == 10 and teams(db) == HAND_TEAMS
    third = importing.import_file(db, SQUAD_CSV.encode(), "squad.csv",
                              mapping=with_squad(SQUAD_HEADERS))
    assert any(SAME_FILE in note for note in third.notes)  # same mapping: the shortcut
    fourth = importing.import_file(db, SQUAD_CSV.encode(), "squad.csv")  # the saved mapping
    assert any(SAME_FILE in note for note in fourth.notes)
    assert teams(db) == HAND_TEAMS
