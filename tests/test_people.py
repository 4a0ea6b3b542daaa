"""The agents directory, worked by hand: everyone seen as resolver or owner, merges that
figures follow, people who left out of the rankings, the roster CSV both ways, and bad input
refused in one line with nothing changed."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest

from sla.core.people import PeopleError, check_merge, parse_roster
from sla.service import answers, importing, people_admin, queries
from sla.storage import versions
from tests.test_backlog import OWNERS_CSV
from tests.test_cli import sla, sla_json

TEAMS = ["L1", "L2", "Business", "Other", "Unassigned"]


@pytest.fixture
def people_db(db):
    """The test database holding the eight tickets of ``test_backlog.OWNERS_CSV``: Ann owns
    A1-A4 (resolved A1 by Bob, A2 by nobody so hers), Cat owns A5 and A6, Dan resolved A7,
    A8 has nobody."""
    importing.import_file(db, OWNERS_CSV.encode(), "owners.csv")
    return db


def by_name(db) -> dict:
    return {row["name"]: row for row in answers.people(db)}


def stored(db) -> dict:
    """Everything a failed change must leave as it was."""
    return {"agents": sorted(map(str, db.agents.find({}, {"updated_at": 0}))),
            "version": versions.data_version(db)}


def assert_refused(db, message: str, change, *args) -> None:
    """``change(db, *args)`` is refused with ``message`` and leaves the store as it was."""
    before = stored(db)
    with pytest.raises(PeopleError, match=message):
        change(db, *args, user="admin")
    assert stored(db) == before


def test_everyone_seen_as_resolver_or_owner_with_counts_seen_and_main_team(people_db):
    people = by_name(people_db)
    assert sorted(people) == ["Ann", "Bob", "Cat", "Dan"]
    ann = people["Ann"]
    # credited: A2 (resolved, no resolver), A3 and A4 (open, hers); A1 went to Bob
    assert (ann["resolved"], ann["open"], ann["tickets"]) == (1, 2, 3)
    assert ann["first_seen"] == dt.datetime(2026, 3, 10, 8)  # owner of A1
    assert ann["team"] == ann["main_team"] == "L1" and ann["active"] is True
    assert (people["Bob"]["resolved"], people["Bob"]["open"]) == (1, 0)  # A1; A4 is Ann's
    assert (people["Cat"]["open"], people["Cat"]["main_team"]) == (2, "L2")
    assert [row["name"] for row in answers.people(people_db)][:2] == ["Ann", "Cat"]


def test_a_merge_moves_the_aliases_tickets_to_the_person_and_the_figures_follow(people_db):
    before = {row["agent"]: row["total_tickets"] for row in queries.agents(people_db)}
    moved = people_admin.merge(people_db, "Bob", "Ann", user="admin")
    assert moved == 1
    people = by_name(people_db)
    assert "Bob" not in people and people["Ann"]["aliases"] == ["Bob"]
    assert (people["Ann"]["resolved"], people["Ann"]["open"]) == (2, 2)
    after = {row["agent"]: row["total_tickets"] for row in queries.agents(people_db)}
    assert "Bob" not in after and after["Ann"] == before["Ann"] + before["Bob"]
    assert answers.person(people_db, "Bob")["name"] == "Ann"  # found by alias
    assert people_db.tickets.find_one({"_id": "A1"})["resolved_by"] == "Bob"  # history kept


def test_a_merge_holds_for_tickets_imported_afterwards(people_db):
    people_admin.merge(people_db, "Bob", "Ann", user="admin")
    later = OWNERS_CSV + "A9,2026-03-19 07:00,Resolved,P3,L1 Desk,,Bob,2,Met\n"
    importing.import_file(people_db, later.encode(), "later.csv")
    assert by_name(people_db)["Ann"]["resolved"] == 3


@pytest.mark.parametrize(("alias", "into", "message"), [
    ("Ann", "Ann", '"Ann" cannot be merged into themselves'),
    ("Zed", "Ann", '"Zed" is not in the directory'),
    ("Ann", "Zed", '"Zed" is not in the directory'),
])
def test_a_bad_merge_is_one_line_and_changes_nothing(people_db, alias, into, message):
    assert_refused(people_db, message, people_admin.merge, alias, into)


def test_merges_never_loop_or_chain(people_db):
    people_admin.merge(people_db, "Bob", "Ann", user="admin")
    before = stored(people_db)
    with pytest.raises(PeopleError, match='"Ann" and "Bob" are already one person'):
        people_admin.merge(people_db, "Ann", "Bob", user="admin")
    with pytest.raises(PeopleError, match='"Ann" has aliases of their own'):
        people_admin.merge(people_db, "Ann", "Cat", user="admin")
    with pytest.raises(PeopleError, match='"Bob" is already merged into "Ann"'):
        people_admin.merge(people_db, "Cat", "Bob", user="admin")
    with pytest.raises(PeopleError, match='"Bob" is already merged into "Ann"'):
        people_admin.merge(people_db, "Bob", "Cat", user="admin")
    assert stored(people_db) == before


def test_someone_who_left_drops_out_of_the_rankings_and_keeps_their_history(people_db):
    people_admin.set_person(people_db, "Cat", {"active": "left", "team": "L2",
                                               "email": "cat@example.com"}, user="admin")
    assert "Cat" not in {row["agent"] for row in queries.agents(people_db)}
    cat = by_name(people_db)["Cat"]
    assert (cat["active"], cat["open"], cat["email"]) == (False, 2, "cat@example.com")
    people_admin.set_person(people_db, "Cat", {"active": "active"}, user="admin")
    assert "Cat" in {row["agent"] for row in queries.agents(people_db)}


def test_a_team_set_by_an_admin_overrides_the_main_team(people_db):
    people_admin.set_person(people_db, "Ann", {"team": "Business"}, user="admin")
    ann = by_name(people_db)["Ann"]
    assert (ann["team"], ann["team_set"], ann["main_team"]) == ("Business", "Business", "L1")


@pytest.mark.parametrize(("name", "values", "message"), [
    ("Zed", {"email": "z@example.com"}, '"Zed" is not in the directory'),
    ("Ann", {"email": "not an address"}, '"not an address" is not an e-mail address'),
    ("Ann", {"team": "L9"}, '"L9" is not one of the teams'),
    ("Ann", {"active": "maybe"}, '"maybe" is not active or left'),
    ("Ann", {"salary": "1"}, '"salary" is not a profile field'),
])
def test_a_bad_profile_value_is_one_line_and_changes_nothing(people_db, name, values, message):
    assert_refused(people_db, message, people_admin.set_person, name, values)


def test_a_roster_sets_emails_teams_and_aliases_and_exports_them_back(people_db):
    roster = "name,email,team,aliases\nAnn,ann@example.com,L1,Bob\nEve,eve@example.com,L2,\n"
    assert people_admin.import_roster(people_db, roster, user="admin") == 2
    people = by_name(people_db)
    assert people["Ann"]["aliases"] == ["Bob"] and people["Ann"]["resolved"] == 2
    assert (people["Eve"]["tickets"], people["Eve"]["team"]) == (0, "L2")  # not seen yet
    exported = people_admin.roster_csv(people_db).decode("utf-8-sig")
    frame = pd.read_csv(io.StringIO(exported), keep_default_na=False)
    assert frame.columns.str.lower().tolist() == ["name", "email", "team", "aliases"]
    ann = frame[frame.iloc[:, 0] == "Ann"].iloc[0].tolist()
    assert ann == ["Ann", "ann@example.com", "L1", "Bob"]
    assert people_admin.import_roster(people_db, exported, user="admin") == 4  # round trip: Ann, Cat, Dan, Eve


def test_the_roster_export_neutralises_formulas(db):
    hostile = OWNERS_CSV.replace("Ann", "=1+2")
    importing.import_file(db, hostile.encode(), "hostile.csv")
    exported = people_admin.roster_csv(db).decode("utf-8-sig")
    assert "'=1+2" in exported and "\n=1+2" not in exported


@pytest.mark.parametrize(("roster", "message"), [
    ("email,team\nx@example.com,L1\n", "the roster has no name column"),
    ("name,email\nAnn,ann@example.com\nBob,bob at example\n",
     'row 3: "bob at example" is not an e-mail address'),
    ("name,email\nAnn,\nAnn,\n", 'row 3: "Ann" is already on row 2'),
    ("name,aliases\nAnn,Bob\nBob,\n", 'row 3: "Bob" is already on row 2'),
    ("name,team\nAnn,L9\n", 'row 2: "L9" is not one of the teams'),
    ("name,aliases\nAnn,Ann\n", 'row 2: "Ann" cannot be an alias of themselves'),
    ("name\n\n,\n", "row 2: a name cannot be empty"),
])
def test_a_bad_roster_names_its_row_and_changes_nothing(people_db, roster, message):
    assert_refused(people_db, message, people_admin.import_roster, roster)


def test_a_roster_cannot_make_a_person_with_aliases_an_alias(people_db):
    people_admin.merge(people_db, "Bob", "Ann", user="admin")
    before = stored(people_db)
    with pytest.raises(PeopleError, match='"Ann" has aliases of their own'):
        people_admin.import_roster(people_db, "name,aliases\nCat,Ann\n", user="admin")
    assert stored(people_db) == before


def test_merge_rules_without_a_store():
    check_merge("jsmith", "John Smith", {"jsmith", "John Smith"}, {})
    with pytest.raises(PeopleError, match="themselves"):
        check_merge("a", "a", {"a"}, {})
    assert parse_roster("\ufeffName,E-mail,Team,Aliases\nAnn,,,x; y\n", TEAMS) == [
        {"name": "Ann", "email": "", "team": "", "aliases": ["x", "y"]}]


def test_aliases_rename_the_people_columns_and_leave_empty_ones_alone():
    from sla.analytics.readmodel import PERSON_COLUMNS, with_aliases

    frame = pd.DataFrame({"resolved_by": pd.Categorical(["Bob", None, "Ann"]),
                          "owner": pd.Categorical([None, None, None]),
                          "agent": pd.Categorical(["Bob", "Cat", "Ann"])})
    renamed = with_aliases(frame, {"Bob": "Ann"})
    assert renamed["resolved_by"].tolist()[0] == "Ann" and pd.isna(renamed["resolved_by"][1])
    assert renamed["agent"].tolist() == ["Ann", "Cat", "Ann"]
    assert list(renamed["agent"].cat.categories) == ["Ann", "Cat"]
    assert renamed["owner"].isna().all() and set(PERSON_COLUMNS) == set(frame.columns)


def test_the_people_commands_list_show_set_merge_import_and_export(cli_env, tmp_path):
    owners = tmp_path / "owners.csv"
    owners.write_text(OWNERS_CSV)
    sla(cli_env, "import", owners)
    listed = sla_json(cli_env, "people", "list")
    assert [row["name"] for row in listed] == ["Ann", "Cat", "Bob", "Dan"]
    assert list(listed[0]) == answers.PEOPLE_KEYS
    assert "Ann" in sla(cli_env, "people", "list").stdout
    assert "1 ticket moved to Ann" in sla(cli_env, "people", "merge", "Bob", "Ann").stdout
    assert sla_json(cli_env, "people", "show", "Bob")["aliases"] == ["Bob"]
    sla(cli_env, "people", "set", "Cat", "--active", "left", "--email", "cat@example.com")
    assert "Cat" not in {row["agent"] for row in sla_json(cli_env, "agents")}
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email,team,aliases\nDan,dan@example.com,L2,\n")
    assert "1 people" in sla(cli_env, "people", "import", roster).stdout
    exported = sla(cli_env, "people", "export", "-").stdout
    assert "dan@example.com" in exported and "Bob" in exported


@pytest.mark.parametrize(("args", "message"), [
    (("people", "merge", "Ann", "Ann"), 'error: "Ann" cannot be merged into themselves'),
    (("people", "show", "Zed"), 'error: "Zed" is not in the directory'),
    (("people", "set", "Ann", "--email", "ann(at)example"),
     'error: "ann(at)example" is not an e-mail address'),
    (("people", "set", "Ann"), "error: nothing to set: give --display-name, --email, --team "
                               "or --active"),
])
def test_bad_people_commands_are_one_line_and_exit_2(cli_env, tmp_path, args, message):
    owners = tmp_path / "owners.csv"
    owners.write_text(OWNERS_CSV)
    sla(cli_env, "import", owners)
    before = sla(cli_env, "people", "list", "--json").stdout
    result = sla(cli_env, *args, ok=False)
    assert (result.returncode, result.stderr.strip()) == (2, message)
    assert sla(cli_env, "people", "list", "--json").stdout == before


def test_a_bad_roster_row_is_one_line_from_the_cli(cli_env, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("name,email\nAnn,ann@example.com\nBob,not-an-address\n")
    result = sla(cli_env, "people", "import", roster, ok=False)
    assert (result.returncode, result.stderr.strip()) == (
        2, 'error: row 3: "not-an-address" is not an e-mail address')


def test_a_roster_listing_an_alias_as_a_person_unmerges_them(people_db):
    people_admin.merge(people_db, "Bob", "Ann", user="admin")
    people_admin.import_roster(people_db, "name,email\nBob,bob@example.com\n", user="admin")
    people = by_name(people_db)
    assert people["Bob"]["resolved"] == 1 and people["Ann"]["aliases"] == []
    assert (people["Ann"]["resolved"], people["Ann"]["open"]) == (1, 2)
