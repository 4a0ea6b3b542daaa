"""The Settings page through AppTest: rules saved, refused or reset with a confirmation; the
users table readable and refreshed as soon as a user is added or removed."""

from __future__ import annotations

import re

from sla.core import display, rules
from sla.service import accounts, edits
from sla.storage.settings import get_settings
from tests.test_pages import app_db, hand_app, no_exception, page  # noqa: F401 (fixtures)

AT_RISK = rules.rule_named("at_risk_fraction").label
SAVE = "Save and re-derive tickets"


def number_input(app, label: str):
    return next(n for n in app.number_input if n.label == label)


def click(app, label: str):
    next(b for b in app.button if b.label == label).click().run()
    no_exception(app)
    return app


def settings_page():
    app = page("settings.py")
    app.run()
    no_exception(app)
    return app


def users_table(app):
    return next(d.value for d in app.dataframe if "User" in d.value.columns)


def test_saving_a_new_at_risk_fraction_stores_it_and_confirms(hand_app):
    app = settings_page()
    number_input(app, AT_RISK).set_value(0.5)
    click(app, SAVE)
    assert get_settings(hand_app)["at_risk_fraction"] == 0.5
    assert [s.value for s in app.success] == ["Saved. No ticket changed class."]
    assert number_input(app, AT_RISK).value == 0.5  # the form shows what is now in force
    app.run()  # the next interaction: the confirmation has been seen
    assert not app.success


def test_a_change_that_moves_tickets_says_what_moved(hand_app):
    app = settings_page()
    area = app.text_area[0]
    area.input(area.value + "\nPending")
    click(app, SAVE)
    (saved,) = [s.value for s in app.success]
    assert saved.startswith("Saved. What moved:") and "pending → resolved (1)" in saved


def test_an_invalid_fraction_is_refused_in_one_line_and_nothing_is_saved(hand_app):
    app = settings_page()
    number_input(app, AT_RISK).set_value(1.5)
    click(app, SAVE)
    assert [e.value for e in app.error] == [  # shown literally: rule texts can hold names
        display.literal(f"“{AT_RISK}” must be above 0 and at most 1 (0.8 means 80 %).", None)]
    assert not app.success
    assert hand_app.settings.find_one({"_id": "current"}) is None


def test_each_problem_is_one_line(hand_app):
    app = settings_page()
    app.text_area[0].input("")
    number_input(app, "Response weight").set_value(-1.0)
    click(app, SAVE)
    errors = [e.value for e in app.error]
    assert len(errors) == 2 and all("\n" not in e for e in errors), errors
    assert hand_app.settings.find_one({"_id": "current"}) is None


def test_reset_puts_every_rule_back_to_its_default(hand_app):
    changed = get_settings(hand_app)
    changed["at_risk_fraction"] = 0.3
    changed["score"]["volume_cap"] = 3
    edits.save_settings(hand_app, changed)
    app = settings_page()
    assert number_input(app, AT_RISK).value == 0.3
    click(app, "Reset every rule to its default…")
    assert get_settings(hand_app) == changed, "reset before it was confirmed"
    click(app, "Reset every rule")
    assert get_settings(hand_app) == rules.DEFAULT_SETTINGS
    assert number_input(app, AT_RISK).value == 0.8
    assert [s.value for s in app.success] == [
        "Every rule is back to its default. No ticket changed class."]


def test_the_users_table_has_readable_columns_and_no_none(hand_app):
    app = settings_page()
    table = users_table(app)
    assert list(table.columns) == ["User", "Role", "Last login", "Created",
                                   "Logins refused from"]
    values = [str(v) for v in table.to_numpy().ravel()]
    assert not {"None", "nan", "NaT"} & set(values), values
    for value in table["Created"]:
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", value), value
    assert set(table["Logins refused from"]) == {"–"}
    assert table.set_index("User").loc["alice", "Last login"] != "–"  # logged in by page()


def test_unlock_lets_a_refused_address_in_again(hand_app):
    for _ in range(accounts.ATTEMPTS_PER_USER):
        accounts.check_login(hand_app, "victor", "wrong password", "203.0.113.7")
    app = settings_page()
    assert users_table(app).set_index("User").loc["victor", "Logins refused from"] == \
        "203.0.113.7"
    by_label = {s.label: s for s in app.selectbox}
    by_label["User"].select("victor")
    next(c for c in app.checkbox if c.label.startswith("Unlock")).check()
    click(app, "Apply")
    assert users_table(app).set_index("User").loc["victor", "Logins refused from"] == "–"
    assert accounts.refused_addresses(hand_app) == {}


def test_adding_a_user_refreshes_the_table_at_once(hand_app):
    app = settings_page()
    by_label = {t.label: t for t in app.text_input}
    by_label["User name"].input("Bob")
    by_label["Password"].input("a-long-password")
    click(app, "Add user")
    assert list(users_table(app)["User"]) == ["alice", "bob", "victor"]
    assert [s.value for s in app.success] == ["Added viewer bob."]


def test_removing_a_user_refreshes_the_table_at_once(hand_app):
    app = settings_page()
    next(s for s in app.selectbox if s.label == "User to remove").set_value("victor")
    click(app, "Remove this user…")
    assert list(users_table(app)["User"]) == ["alice", "victor"], "removed before confirmed"
    click(app, "Remove the user")
    assert list(users_table(app)["User"]) == ["alice"]
    assert [s.value for s in app.success] == ["Removed victor."]


def test_a_refused_user_change_is_one_error_and_changes_nothing(hand_app):
    app = settings_page()
    next(s for s in app.selectbox if s.label == "User to remove").set_value("alice")
    click(app, "Remove this user…")
    click(app, "Remove the user")
    assert [e.value for e in app.error] == [
        "Nothing was changed: the last admin cannot be removed."]
    assert list(users_table(app)["User"]) == ["alice", "victor"]


def test_a_team_name_no_rule_maps_is_listed_and_mapped_in_one_step(hand_app):
    """Contract, Teams: the names in Other with their tickets; mapped exactly to a team."""
    app = settings_page()
    unmapped = next(d.value for d in app.dataframe if "team_raw" in d.value.columns)
    assert unmapped.to_dict("records") == [{"team_raw": "Weird Group", "tickets": 1}]
    next(m for m in app.multiselect if m.label == "Team names").select("Weird Group")
    next(s for s in app.selectbox if s.label == "Map them to").select("L2")
    click(app, "Map and re-derive tickets")
    (said,) = [s.value for s in app.success]
    assert said.startswith("1 team name mapped to L2.") and "Other → L2 (1)" in said
    assert get_settings(hand_app)["team_rules"][1]["exact"] == ["weird group"]
    assert not any("team_raw" in d.value.columns for d in app.dataframe)


def test_the_preview_of_unchanged_teams_moves_nothing_and_saves_nothing(hand_app):
    before = hand_app.settings.find_one()
    app = settings_page()
    click(app, "Preview what moves")
    assert "No ticket would change team. Nothing is saved yet." in [i.value for i in app.info]
    assert hand_app.settings.find_one() == before and not app.success
