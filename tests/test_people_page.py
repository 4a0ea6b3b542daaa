"""The People page through AppTest against the real test server: viewers read the directory,
admins edit, merge and import a roster, and bad input is one line that changes nothing."""

from __future__ import annotations

from sla.core import display
from sla.service import answers, people_admin
from sla.storage import versions
from tests.test_pages import app_db, hand_app, no_exception, page  # noqa: F401 (fixtures)


def people_page(username: str = "alice"):
    app = page("people.py", username)
    app.run()
    no_exception(app)
    return app


def table_names(app) -> list[str]:
    return app.dataframe[0].value["name"].tolist()


def test_a_viewer_reads_the_directory_without_forms(hand_app):
    app = people_page("victor")
    assert sorted(table_names(app)) == ["Ann", "Bob", "Cat"]
    assert {m.label: m.value for m in app.metric}["People"] == "3"
    assert not app.tabs and not app.button


def test_an_admin_merges_two_names_and_the_table_follows(hand_app):
    app = people_page()
    app.selectbox(key="merge-alias").set_value("Bob")
    app.selectbox(key="merge-into").set_value("Ann")
    app.button[1].click().run()  # the merge form's button
    no_exception(app)
    assert "Bob is now Ann" in " ".join(s.value for s in app.success)
    assert sorted(table_names(app)) == ["Ann", "Cat"]
    assert answers.person(hand_app, "Bob")["name"] == "Ann"


def test_a_merge_into_themselves_is_one_line_and_changes_nothing(hand_app):
    version = versions.data_version(hand_app)
    app = people_page()
    app.selectbox(key="merge-alias").set_value("Ann")
    app.selectbox(key="merge-into").set_value("Ann")
    app.button[1].click().run()
    assert [e.value for e in app.error] == [
        display.literal('"Ann" cannot be merged into themselves', None)]
    assert versions.data_version(hand_app) == version


def test_an_admin_marks_someone_as_left(hand_app):
    app = people_page()
    app.selectbox(key="person-name").set_value("Cat")
    app.run()
    app.radio[0].set_value("left")
    app.button[0].click().run()  # the person form's button
    no_exception(app)
    assert answers.person(hand_app, "Cat")["active"] is False
    app.run()
    assert {m.label: m.value for m in app.metric}["Left"] == "1"


def test_agent_performance_compares_with_the_team_set_in_the_directory(hand_app):
    people_admin.set_person(hand_app, "Ann", {"team": "Business"}, user="alice")
    app = page("agents.py")
    app.run()
    app.selectbox(key="who").set_value("Ann").run()
    no_exception(app)
    shown = [m.value for m in app.markdown if m.value.startswith("**Compared with")]
    assert shown == ["**Compared with Business** (their team in the directory)"]
