"""Saved views (``sla.service.views`` over ``sla.storage.views``) against the test server: saved
per user or shared (admins only, checked by the service), opened with what still applies, and
from the command line (``view list|save|remove``, ``--view NAME`` on every figure command)."""

from __future__ import annotations

import datetime as dt

import pytest
from pymongo.errors import DuplicateKeyError

from sla.core.filters import Filters
from sla.service import importing, views
from sla.storage import views as stored
from tests.handset import HAND_CSV, hand_bytes
from tests.test_cli import assert_one_error_line, database, sla, sla_json

ALICE = {"username": "alice", "role": "admin"}
VICTOR = {"username": "victor", "role": "viewer"}
L1_MARCH = Filters(date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 31), teams=("L1",))


@pytest.fixture
def hand_db(db):
    """The hand-checked tickets in a fresh database (teams L1, L2, Business, Other, Unassigned;
    agents Ann, Bob, Cat)."""
    importing.import_file(db, hand_bytes(), "hand.csv", user="test")
    return db


def test_a_view_saved_by_a_user_opens_for_them_with_its_filters(hand_db):
    assert views.save_view(hand_db, VICTOR, "  L1 in March ", L1_MARCH, shared=False)
    opened = views.open_view(hand_db, "L1 in March", "victor")
    assert (opened.name, opened.shared, opened.filters, opened.left_out) == (
        "L1 in March", False, L1_MARCH, ())
    assert [v["name"] for v in views.views_for(hand_db, "victor")] == ["L1 in March"]
    assert views.views_for(hand_db, "alice") == []
    with pytest.raises(views.ViewError, match="no saved view named ‘L1 in March’"):
        views.open_view(hand_db, "L1 in March", "alice")


def test_saving_again_under_the_same_name_replaces_the_filters(hand_db):
    assert views.save_view(hand_db, VICTOR, "Mine", L1_MARCH, shared=False)
    assert not views.save_view(hand_db, VICTOR, "Mine", Filters(agents=("Ann",)), shared=False)
    assert views.open_view(hand_db, "Mine", "victor").filters == Filters(agents=("Ann",))
    assert len(views.all_views(hand_db)) == 1


def test_only_an_admin_shares_a_view_and_everyone_sees_it(hand_db):
    with pytest.raises(views.ViewError, match="Only an admin can share"):
        views.save_view(hand_db, VICTOR, "Desk", L1_MARCH, shared=True)
    assert views.all_views(hand_db) == []
    views.save_view(hand_db, ALICE, "Desk", L1_MARCH, shared=True)
    views.save_view(hand_db, VICTOR, "Desk", Filters(teams=("L2",)), shared=False)
    listed = views.views_for(hand_db, "victor")
    assert [(v["name"], v["shared"]) for v in listed] == [("Desk", True), ("Desk", False)]
    assert views.open_view(hand_db, "Desk", "victor").filters == Filters(teams=("L2",))
    assert views.open_view(hand_db, "Desk", "alice").filters == L1_MARCH
    with pytest.raises(views.ViewError, match="Only an admin can remove a shared view"):
        views.remove_view(hand_db, VICTOR, "Desk", shared=True)
    views.remove_view(hand_db, VICTOR, "Desk", shared=False)
    views.remove_view(hand_db, ALICE, "Desk", shared=True)
    assert views.all_views(hand_db) == []


@pytest.mark.parametrize("name, says", [
    ("   ", "Give the view a name."),
    ("x" * 61, "at most 60 characters"),
    ("two\nlines", "control characters")])
def test_a_bad_name_is_one_sentence_and_saves_nothing(hand_db, name, says):
    with pytest.raises(views.ViewError, match=says):
        views.save_view(hand_db, VICTOR, name, L1_MARCH, shared=False)
    assert views.all_views(hand_db) == []


def test_a_view_naming_what_is_gone_opens_with_the_rest_and_says_what(hand_db):
    stored.save(hand_db, "Old", "victor", {"team": ["L1", "Gone"], "agent": ["Zed"],
                                           "status": ["pending"]}, by="victor")
    opened = views.open_view(hand_db, "Old", "victor")
    assert opened.filters == Filters(teams=("L1",), status_class="pending")
    assert [problem.param for problem in opened.left_out] == ["team", "agent"]
    assert "Gone" in str(opened.left_out[0]) and "Zed" in str(opened.left_out[1])


def test_a_name_is_unique_per_owner_in_the_store_itself(hand_db):
    stored.save(hand_db, "Same", None, {}, by="alice")
    with pytest.raises(DuplicateKeyError):
        hand_db[stored.COLLECTION].insert_one({"owner": None, "name": "Same", "texts": {}})


@pytest.fixture
def hand_cli(cli_env, tmp_path) -> dict:
    """A CLI environment whose database holds the hand-checked set, imported by the CLI."""
    path = tmp_path / "hand.csv"
    path.write_text(HAND_CSV)
    sla(cli_env, "import", path)
    return cli_env


def test_the_command_line_saves_lists_applies_and_removes_views(hand_cli):
    cli_env = hand_cli
    said = sla(cli_env, "view", "save", "L1 desk", "--team", "L1").stdout
    assert said.strip() == "saved the shared view 'L1 desk'"
    sla(cli_env, "view", "save", "Ann's", "--agent", "Ann", "--for", "victor")
    assert [(v["name"], v["shared"], v["owner"], v["filters"])
            for v in sla_json(cli_env, "view", "list")] == [
        ("L1 desk", True, None, {"team": ["L1"]}), ("Ann's", False, "victor", {"agent": ["Ann"]})]
    assert "L1 desk (shared): team=L1" in sla(cli_env, "view", "list").stdout
    whole_l1 = sla_json(cli_env, "summary", "--team", "L1")
    assert sla_json(cli_env, "summary", "--view", "L1 desk") == whole_l1
    assert sla_json(cli_env, "summary", "--view", "Ann's")["total_tickets"] == 5
    narrowed = sla_json(cli_env, "summary", "--view", "L1 desk", "--status", "pending")
    assert narrowed == sla_json(cli_env, "summary", "--team", "L1", "--status", "pending")
    sla(cli_env, "view", "remove", "Ann's", "--for", "victor")
    assert [v["name"] for v in sla_json(cli_env, "view", "list")] == ["L1 desk"]


def test_the_command_line_refuses_a_missing_view_in_one_line(hand_cli):
    cli_env = {k: v for k, v in hand_cli.items() if k != "SLA_DEBUG"}
    for args in (["summary", "--view", "Nope"], ["view", "remove", "Nope"],
                 ["view", "save", " ", "--team", "L1"]):
        result = sla(cli_env, *args, ok=False)
        assert result.returncode == 2
        line = assert_one_error_line(result)
        assert "view" in line and "Traceback" not in line
    assert list(database(cli_env)[stored.COLLECTION].find()) == []


def test_a_view_that_no_longer_fully_applies_is_refused_on_the_command_line(hand_cli):
    cli_env = {k: v for k, v in hand_cli.items() if k != "SLA_DEBUG"}
    stored.save(database(cli_env), "Old", None, {"agent": ["Ann", "Zed"]}, by="test")
    result = sla(cli_env, "summary", "--view", "Old", "--json", ok=False)
    assert result.returncode == 2
    line = assert_one_error_line(result)
    assert "The view ‘Old’ no longer applies as saved" in line and "'Zed'" in line
