"""Every page through Streamlit's AppTest, against the real test server.

Covers the login gate (form, wrong password, lockout, first admin), the role gate, the
filters and the URL, an upload through the file uploader, a CSV download's bytes, the
tickets page, settings, and the friendly message when the database is down.

AppTest runs a file of ``pages/`` on its own after a first run (unlike ``streamlit run``,
which always goes through Home.py's router), so pages are tested as their own scripts with
a logged-in session, the router with single runs of Home.py, and the login form through a
script that calls the real ``ui.auth.login_page``.
"""

from __future__ import annotations

import datetime
import io

import openpyxl
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from sla.analytics import export
from sla.core.filters import Filters
from sla.service import accounts, demo, edits, importing
from sla.storage import connection, uploads, users, versions
from sla.storage.settings import get_settings
from tests.conftest import ROOT
from tests.handset import HAND_CSV, hand_bytes
from ui import auth

PASSWORD = "correct-horse-1"
TIMEOUT = 120


@pytest.fixture
def app_db(server_uri, db_name, tmp_path, monkeypatch):
    """The environment the app runs in (test server, fresh database), with empty caches."""
    monkeypatch.setenv("MONGO_URI", server_uri)
    monkeypatch.setenv("SLA_DB", db_name)
    monkeypatch.setenv("SLA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SLA_COOKIE_KEY", "test-cookie-key-0123456789abcdefghijklmnop")
    st.cache_data.clear()
    st.cache_resource.clear()
    database = connection.connect(server_uri, db_name)
    yield database
    st.cache_data.clear()
    st.cache_resource.clear()
    database.client.drop_database(db_name)


@pytest.fixture
def hand_app(app_db):
    """The hand-checked tickets loaded, an admin 'alice' and a viewer 'victor'."""
    importing.import_file(app_db, hand_bytes(), "hand.csv", user="alice")
    users.add_user(app_db, "alice", PASSWORD, "admin")
    users.add_user(app_db, "victor", PASSWORD, "viewer")
    return app_db


def new_app() -> AppTest:
    return AppTest.from_file(str(ROOT / "Home.py"), default_timeout=TIMEOUT)


def login_script() -> None:
    from ui import auth

    auth.login_page()


def login_app() -> AppTest:
    return AppTest.from_function(login_script, default_timeout=TIMEOUT)


def submit_login(app: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    if not app.text_input:
        app.run()
    app.text_input[0].input(username)
    app.text_input[1].input(password)
    app.button[0].click().run()
    return app


def as_user(username: str, app: AppTest) -> AppTest:
    """The session state a successful login leaves behind, with a session started in the
    database (the user must exist)."""
    database = connection.connect()
    try:
        app.session_state[auth.SESSION_ID] = users.start_session(database, username)
    finally:
        database.client.close()
    app.session_state["authentication_status"] = True
    app.session_state["username"] = username
    return app


def page(name: str, username: str = "alice") -> AppTest:
    """A page of pages/ as its own script, in a session logged in as ``username``."""
    return as_user(username, AppTest.from_file(str(ROOT / "pages" / name),
                                               default_timeout=TIMEOUT))


def metric_values(app: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in app.metric}


def no_exception(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]


# ---------------------------------------------------------------- login and roles

def test_router_shows_only_the_login_form_before_login(hand_app):
    app = new_app()
    app.run()
    no_exception(app)
    assert [t.label for t in app.text_input] == ["User name", "Password"]
    assert not app.metric and not app.get("dataframe")


@pytest.mark.parametrize("name", ["home.py", "dashboard.py", "agents.py", "teams.py",
                                  "handoffs.py", "people.py", "tickets.py", "upload.py",
                                  "settings.py"])
def test_no_page_shows_data_without_a_login(hand_app, name):
    app = AppTest.from_file(str(ROOT / "pages" / name), default_timeout=TIMEOUT)
    app.run()
    no_exception(app)
    assert [e.value for e in app.error] == ["Please log in."]
    assert not app.metric and not app.get("dataframe") and not app.get("file_uploader")


def attempts(db, username: str) -> int:
    """Login attempts counted for ``username`` (AppTest has one client address)."""
    counted = db.login_attempts.find_one({"username": username})
    return counted["attempts"] if counted else 0


def test_wrong_password_then_right_one(hand_app):
    app = submit_login(login_app(), "alice", "wrong-password")
    assert [e.value for e in app.error] == [users.LOGIN_REFUSED]
    assert attempts(hand_app, "alice") == 1
    submit_login(app, "alice")
    no_exception(app)
    assert app.session_state["authentication_status"] is True
    assert app.session_state["username"] == "alice"
    assert attempts(hand_app, "alice") == 0


def test_five_failed_logins_refuse_the_right_password_from_that_address(hand_app):
    app = login_app()
    for _ in range(accounts.ATTEMPTS_PER_USER):
        submit_login(app, "victor", "nope-nope-nope")
    assert list(accounts.refused_addresses(hand_app)) == ["victor"]
    submit_login(app, "victor")  # the right password is refused from here
    assert not app.session_state["authentication_status"]
    assert [e.value for e in app.error] == [users.LOGIN_REFUSED]
    accounts.unlock_user(hand_app, "victor")
    submit_login(app, "victor")
    assert app.session_state["authentication_status"] is True


def test_unknown_user_gets_the_same_answer(hand_app):
    app = submit_login(login_app(), "nobody", PASSWORD)
    no_exception(app)
    assert [e.value for e in app.error] == [users.LOGIN_REFUSED]
    assert [t.label for t in app.text_input] == ["User name", "Password"]


def test_a_login_starts_a_session_in_the_database(hand_app):
    app = submit_login(login_app(), "victor")
    session_id = app.session_state[auth.SESSION_ID]
    assert users.session_is_valid(users.get_user(hand_app, "victor"), session_id)


def gate_script() -> None:
    """Home.py's login gate without its router (which AppTest leaves after a first run)."""
    import streamlit as st

    from ui import auth

    user = auth.current_user()
    if user is None:
        auth.login_page()
        return
    st.write(f"Signed in as {user['username']}")
    auth.logout_button()


def logged_in_gate(username: str) -> AppTest:
    """The gate in a logged-in session, after its first run."""
    app = as_user(username, AppTest.from_function(gate_script, default_timeout=TIMEOUT))
    app.run()
    no_exception(app)
    assert signed_in(app) == username
    return app


def signed_in(app: AppTest) -> str | None:
    shown = [m.value for m in app.markdown if m.value.startswith("Signed in as ")]
    return shown[0].removeprefix("Signed in as ") if shown else None


def shows_the_login_form(app: AppTest) -> bool:
    return ([t.label for t in app.text_input] == ["User name", "Password"]
            and signed_in(app) is None and not app.session_state["authentication_status"])


@pytest.mark.parametrize("change", [
    lambda db: users.set_password(db, "victor", "another-password-1"),
    lambda db: users.remove_user(db, "victor"),
], ids=["password changed", "user removed"])
def test_an_open_session_falls_back_to_the_login_form(hand_app, change):
    app = logged_in_gate("victor")
    change(hand_app)
    app.run()
    no_exception(app)
    assert shows_the_login_form(app)
    assert not app.error


def test_failed_logins_elsewhere_leave_an_open_session_alone(hand_app):
    """Finding 2: an anonymous client failing on purpose does not log the user out."""
    app = logged_in_gate("victor")
    for _ in range(3 * accounts.ATTEMPTS_PER_USER):
        accounts.check_login(hand_app, "victor", "nope-nope-nope", "203.0.113.7")
    app.run()
    no_exception(app)
    assert signed_in(app) == "victor"


def test_log_out_ends_the_session_in_the_database(hand_app):
    app = logged_in_gate("victor")
    session_id = app.session_state[auth.SESSION_ID]
    other = logged_in_gate("victor")  # the same user in another browser
    app.sidebar.button[0].click().run()
    no_exception(app)
    assert shows_the_login_form(app)
    assert not users.session_is_valid(users.get_user(hand_app, "victor"), session_id)
    other.run()
    assert signed_in(other) == "victor"  # logging out ends that session only


def test_router_shows_the_login_form_for_a_revoked_session(hand_app):
    app = as_user("victor", new_app())
    users.set_password(hand_app, "victor", "another-password-1")
    app.run()
    no_exception(app)
    assert [t.label for t in app.text_input] == ["User name", "Password"]
    assert not app.metric and not app.error


def test_first_admin_form_exists_only_without_users(app_db):
    app = login_app()
    app.run()
    no_exception(app)
    assert any("no user yet" in i.value for i in app.info)
    app.text_input[0].input("Boss")
    app.text_input[1].input(PASSWORD)
    app.text_input[2].input(PASSWORD)
    app.button[0].click().run()
    assert users.get_user(app_db, "boss")["role"] == "admin"
    assert [s.value for s in app.success] == [
        "Admin boss created: log in below with the same name and password."]
    assert [t.label for t in app.text_input] == ["User name", "Password"]  # the login, at once
    app = login_app()
    app.run()
    assert [t.label for t in app.text_input] == ["User name", "Password"]


def test_no_first_admin_form_on_a_store_that_had_users(app_db):
    """Users removed behind the app's back (or a restore without them) do not hand the app to
    the next anonymous visitor: the first-admin form is for a store that never had a user."""
    users.add_user(app_db, "boss", PASSWORD, "admin")
    app_db.users.delete_many({})
    app = login_app()
    app.run()
    no_exception(app)
    assert not any("no user yet" in i.value for i in app.info)
    assert [e.value for e in app.error] == [
        "No user is left, so nobody can log in; an admin on the server adds one with "
        "`./sla.sh user add NAME --role admin`."]
    assert not app.text_input


def test_router_offers_admin_pages_to_admins_only(hand_app):
    admin = as_user("alice", new_app())
    admin.run()
    no_exception(admin)
    viewer = as_user("victor", new_app())
    viewer.run()
    no_exception(viewer)
    assert metric_values(viewer)["Tickets held"] == "10"  # Home ran for the viewer
    admin_links = {p.label for p in admin.get("page_link")}
    viewer_links = {p.label for p in viewer.get("page_link")}
    assert {"Upload", "Settings"} <= admin_links
    assert not {"Upload", "Settings"} & viewer_links


def test_viewer_cannot_use_admin_pages(hand_app):
    for name in ("upload.py", "settings.py"):
        app = page(name, "victor")
        app.run()
        assert "This page is for admins only." in [e.value for e in app.error]
        assert not app.get("file_uploader") and not app.button


# ---------------------------------------------------------------- figures and filters

def test_dashboard_shows_the_contract_figures(hand_app):
    app = page("dashboard.py")
    app.run()
    no_exception(app)
    values = metric_values(app)
    assert values["Total tickets"] == "10"
    assert (values["Resolved"], values["Pending"], values["Breaches"]) == ("7", "3", "4")
    assert values["Response SLA met"] == "77.8 %"
    assert values["Resolution SLA met"] == "57.1 %"
    assert values["Median resolution time"] == "10.0 h"
    assert values["Average resolution time"] == "22.3 h"  # 156 h over 7 resolved
    assert values["Median response time"] == "1.0 h"
    assert values["Average response time"] == "1.6 h"  # 14.7 h over 9 tickets
    assert any(e.label == "How is this calculated?" for e in app.expander)
    texts = [c.value for c in app.caption]
    assert "7 met · 2 breached" in texts and "4 met · 3 breached" in texts
    assert (values["Overdue"], values["At risk"]) == ("2", "0")
    assert any(text.startswith("Data as of 18 Mar 2026 00:00 (the latest date in the data), "
                               "not now") for text in texts), texts
    assert [t.label for t in app.tabs][-2:] == ["Overdue (2)", "At risk (0)"]
    overdue = next(d.value for d in app.dataframe if "left" in d.value.columns)
    assert list(overdue["link"]) == ["tickets?sr=T3", "tickets?sr=T6"]  # most overdue first
    assert "No ticket close to its target." in texts


def test_empty_store_and_empty_filters_say_different_things(app_db):
    users.add_user(app_db, "alice", PASSWORD, "admin")
    app = page("dashboard.py")
    app.run()
    no_exception(app)
    assert [i.value for i in app.info][0].startswith("No tickets yet: an admin imports")
    assert not app.metric
    importing.import_file(app_db, hand_bytes(), "hand.csv", user="alice")
    app.multiselect(key="team").set_value(["Business"])
    app.selectbox(key="status").set_value("pending").run()
    assert [i.value for i in app.info][0].startswith("No tickets match these filters")


def test_filters_come_from_the_url_and_go_back_into_it(hand_app):
    app = page("dashboard.py")
    app.query_params["team"] = ["L1"]
    app.run()
    no_exception(app)
    assert metric_values(app)["Total tickets"] == "5"
    app.multiselect(key="team").set_value(["L2"]).run()
    assert metric_values(app)["Total tickets"] == "2"
    assert "Filtered: team L2" in [c.value for c in app.caption]
    app.selectbox(key="status").set_value("pending").run()
    assert metric_values(app)["Total tickets"] == "1"


def test_default_date_range_is_all_the_data_held(hand_app):
    app = page("dashboard.py")
    app.run()
    dates = {d.key: d.value for d in app.date_input}
    assert dates == {"from": None, "to": None}  # no bound, whatever the data held
    assert metric_values(app)["Total tickets"] == "10"
    assert any("2026-03-02 – 2026-03-18" in c.value for c in app.sidebar.caption)
    newer = hand_bytes().decode().replace("T1,2026-03-02", "T1,2026-06-30").encode()
    importing.import_file(hand_app, newer, "newer.csv")
    app.run()  # an open page sees the wider range at its next run
    assert metric_values(app)["Total tickets"] == "10"
    assert any("2026-03-03 – 2026-06-30" in c.value for c in app.sidebar.caption)
    app.date_input(key="from").set_value(datetime.date(2026, 3, 9)).run()
    assert metric_values(app)["Total tickets"] == "8"  # T4..T10 and T1, now in June


@pytest.mark.parametrize("name", ["agents.py", "teams.py", "handoffs.py", "tickets.py",
                                  "upload.py", "settings.py"])  # home.py: see the router tests
def test_every_page_renders_for_an_admin(hand_app, name):
    app = page(name)
    app.run()
    no_exception(app)
    assert app.title and not app.error


def test_team_page_lists_raw_names_of_other_and_unassigned(hand_app):
    app = page("teams.py")
    app.run()
    assert any("fell into Other or Unassigned" in w.value for w in app.warning)
    labels = [e.label for e in app.expander]
    assert "Other: 1 team name in the file, 1 ticket" in labels


def test_handoffs_page_shows_hours_held_per_team(hand_app):
    app = page("handoffs.py")
    app.run()
    no_exception(app)
    values = metric_values(app)
    # Nine of the ten hand-checked tickets are placed in time (T6 is pending with no hours,
    # but has a created date; the resolved ones have resolution hours): all ten.
    assert values["Tickets placed in time"] == "10"
    assert values["Handed off at least once"] == "0"
    assert any("No ticket changed team" in c.value for c in app.caption)
    app.segmented_control(key="level").set_value("raw").run()
    no_exception(app)
    assert list(app.dataframe[-1].value.columns[:2]) == ["team_raw", "team"]


def test_agents_page_ranks_by_score_or_fairly(hand_app):
    app = page("agents.py")
    app.run()
    no_exception(app)
    app.segmented_control(key="rank").set_value("fair").run()
    no_exception(app)
    assert "Resolution SLA vs expected" in [h.value for h in app.subheader]
    board = app.dataframe[0].value
    assert list(board.columns[:3]) == ["rank", "agent", "fair_score"]
    assert any(e.label == "How is this calculated?" for e in app.expander)


def test_a_date_preset_sets_the_dates_and_the_cards_compare_with_the_period_before(hand_app):
    app = page("dashboard.py")
    app.run()
    app.get("button_group")[0].set_value("7d").run()  # the "Created" pills: last 7 days
    no_exception(app)
    assert (app.query_params["from"], app.query_params["to"]) == ("2026-03-12", "2026-03-18")
    cards = {m.label: (m.value, m.delta) for m in app.metric}
    # 12-18 Mar: T7, T8, T9, T10; the 7 days before (5-11 Mar): T4, T5, T6
    assert cards["Total tickets"] == ("4", "+1 vs 5 Mar – 11 Mar 2026")
    # breaches: T7 (resolution) now; T4 (response) and T5 (resolution) before
    assert cards["Breaches"] == ("1", "-1 vs 5 Mar – 11 Mar 2026")


def test_the_ranking_is_a_short_code_in_the_url(hand_app):
    app = page("agents.py")
    app.query_params["rank"] = "score"
    app.run()
    no_exception(app)
    assert app.segmented_control(key="rank").value == "score"
    app.segmented_control(key="rank").set_value("fair").run()
    assert "rank" not in app.query_params  # the default leaves the URL clean
    app.segmented_control(key="rank").set_value("score").run()
    assert app.query_params["rank"] == "score"
    odd = page("agents.py")
    odd.query_params["rank"] = "Fairly (against their mix)"
    odd.run()
    assert [w.value for w in odd.warning] == [
        "Not applied from the link: rank must be one of fair, score, not "
        "‘Fairly \\(against their mix\\)’."]


def test_dashboard_says_what_moved_since_the_previous_import(hand_app):
    app = page("dashboard.py")
    app.run()
    assert not any("since the import of" in m.value for m in app.markdown)  # one import only
    importing.import_file(hand_app, HAND_CSV.replace("T3,2026-03-04 11:00,Open,P3,L2 Apps,Bob,1,,Met,",
                                                 "T3,2026-03-04 11:00,Resolved,P3,L2 Apps,Bob,1,"
                                                 "30,Met,Breached").encode(), "week2.csv")
    app.run()
    no_exception(app)
    headline = next(m.value for m in app.markdown if "since the import of" in m.value)
    # 4 met of 7 before; 4 of 8 after: -7.1 points, all from T3 (pending -> breached).
    assert headline.startswith("**Resolution SLA -7.1 pts** since the import of")
    assert "from 1 P3 ticket in L2 that went pending→breached" in headline
    assert "(hand\\.csv), up to that of " in headline and "(week2\\.csv):" in headline
    limited_app = page("dashboard.py")
    limited_app.query_params["to"] = "2026-03-31"
    limited_app.run()
    limited = next(m.value for m in limited_app.markdown if "since the import of" in m.value)
    assert "** (tickets created first – 2026-03-31 only) since the import of" in limited


# ---------------------------------------------------------------- downloads

@pytest.fixture
def captured_downloads(monkeypatch):
    """Every st.download_button's label and bytes, in order."""
    seen: list[tuple[str, bytes]] = []
    real = st.download_button

    def recording(label, data, *args, **kwargs):
        seen.append((label, data() if callable(data) else data))  # as a click would make it
        return real(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", recording)
    return seen


def test_ticket_download_is_exactly_the_filtered_rows(hand_app, captured_downloads):
    app = page("tickets.py")
    app.query_params["team"] = ["L1"]
    app.query_params["status"] = "resolved"
    app.run()
    no_exception(app)
    data = dict(captured_downloads)["Download these tickets (CSV)"]
    expected = export.to_csv_bytes(export.tickets_frame(
        versions.snapshot(hand_app), Filters(teams=("L1",), status_class="resolved")))
    assert data.decode() == expected.decode()
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert sorted(frame["SR number"]) == ["T1", "T2", "T8", "T9"]


def test_home_says_when_the_data_was_refreshed_and_warns_when_it_is_old(hand_app,
                                                                         monkeypatch):
    app = as_user("alice", new_app())  # Home through the router (its page links need it)
    app.run()
    no_exception(app)
    assert any(c.value.startswith("Data last refreshed") for c in app.caption)
    assert not app.warning
    hand_app.uploads.update_many({}, {"$set": {
        "finished_at": datetime.datetime(2026, 1, 1), "at": datetime.datetime(2026, 1, 1)}})
    monkeypatch.setenv("SLA_STALE_AFTER_HOURS", "24")
    app.run()
    (warning,) = [w.value for w in app.warning]
    assert warning.startswith("Data last refreshed ") and "by the import that finished 01 Jan " \
        "2026 00:00 UTC. That is longer than 24.0 h: import the latest export" in warning


def test_every_filtered_page_offers_the_views_report(hand_app, captured_downloads):
    app = page("dashboard.py")
    app.query_params["team"] = ["L1"]
    app.run()
    no_exception(app)
    book = openpyxl.load_workbook(io.BytesIO(dict(captured_downloads)[
        "Report of this view (Excel)"]))
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row}
    assert (summary["View"], summary["Tickets"]) == ("team L1", 5)  # T1, T2, T8, T9, T10


def test_tickets_search_and_full_record(hand_app):
    app = page("tickets.py", "victor")
    app.run()
    app.text_input(key="q").input("bob").run()
    assert any("2 tickets match" in c.value for c in app.caption)
    app.text_input(key="sr").input("T4").run()
    no_exception(app)
    assert any(s.value == "Ticket T4" for s in app.subheader)
    assert not [e for e in app.expander if e.label == "Edit or delete (admin)"]


def field(app: AppTest, label: str):
    return next(box for box in app.text_input if box.label == label)


def test_an_edit_shows_at_once_in_the_pages_words_and_a_contradiction_is_refused(hand_app):
    app = page("tickets.py")
    app.run()
    app.text_input(key="sr").input("T6").run()
    field(app, "Team in the file").input("L2 Apps")
    app.button[[b.label for b in app.button].index("Save changes")].click().run()
    no_exception(app)
    assert [s.value for s in app.success] == [
        "Saved: Team in the file, Team. A later import keeps these values unless told to take "
        "the file's."]
    record = app.dataframe[1].value
    shown = dict(zip(record["field"], record["value"]))
    assert (shown["Team in the file"], shown["Team"]) == ("L2 Apps", "L2")
    history = app.dataframe[-1].value
    assert set(history["kind"]) == {"Edit"} and "team_raw" not in set(history["field"])
    assert any("kept over later files: Team in the file." in c.value for c in app.caption)

    field(app, "Resolved at").input("2026-03-12 10:00")
    field(app, "Status").input("Open")
    app.button[[b.label for b in app.button].index("Save changes")].click().run()
    assert [e.value for e in app.error] == [
        r"Not saved: status \'Open\' is an open status but the ticket has a resolved date\; "
        "clear Resolved at to reopen it."]
    assert hand_app.tickets.find_one({"_id": "T6"})["status"] == "In Progress"


# ---------------------------------------------------------------- upload

def test_upload_through_the_file_uploader(app_db):
    users.add_user(app_db, "alice", PASSWORD, "admin")
    frame = demo.generate_export(120, seed=5, with_priority=False)
    data = demo.to_xlsx_bytes(frame, ["SR Report"])
    app = page("upload.py")
    app.run()
    app.get("file_uploader")[0].upload("SR_Report.xlsx", data).run()
    no_exception(app)
    assert metric_values(app)["New"] == "120"
    assert app_db.tickets.count_documents({}) == 0  # the dry run wrote nothing
    next(b for b in app.button if b.label == "Import").click().run()
    no_exception(app)
    assert app_db.tickets.count_documents({}) == 120
    assert any("Imported." in s.value for s in app.success)
    (upload,) = uploads.recent_uploads(app_db)
    assert upload["user"] == "alice" and upload["inserted"] == 120


def test_a_bad_upload_is_one_line_and_changes_nothing(hand_app):
    app = page("upload.py")
    app.run()
    app.get("file_uploader")[0].upload("broken.csv", b"Monthly report\nnothing else\n").run()
    no_exception(app)
    (error,) = [e.value for e in app.error]
    assert error.startswith("This file cannot be imported:") and "\n" not in error
    assert hand_app.tickets.count_documents({}) == 10


# ---------------------------------------------------------------- settings

def test_settings_save_rederives(hand_app):
    app = page("settings.py")
    app.run()
    no_exception(app)
    area = next(t for t in app.text_area)
    area.input(area.value + "\nPending")
    next(b for b in app.button if b.label == "Save and re-derive tickets").click().run()
    no_exception(app)
    assert any("pending → resolved (1)" in s.value for s in app.success), [s.value for s in app.success]
    assert hand_app.tickets.find_one({"_id": "T10"})["status_class"] == "resolved"


# ---------------------------------------------------------------- database down

def test_database_down_is_one_friendly_line(monkeypatch, tmp_path):
    monkeypatch.setenv("MONGO_URI", "mongodb://127.0.0.1:1/?directConnection=true&serverSelectionTimeoutMS=300")
    monkeypatch.setenv("SLA_DATA_DIR", str(tmp_path))
    st.cache_resource.clear()
    app = new_app()
    app.run()
    no_exception(app)
    (error,) = app.error
    assert error.value.startswith("The database is unreachable right now")
    st.cache_resource.clear()


# ---------------------------------------------------------------- hostile values and stale rules

HOSTILE_AGENT = '**x** [link](http://evil.example) =HYPERLINK("http://x","y") \u202eevil'


def test_values_from_the_file_are_shown_as_text_not_markdown(app_db):
    """An agent name and a file name full of Markdown, a link and a bidi override show as
    literal text: escaped where Streamlit renders Markdown, shortened when long."""
    users.add_user(app_db, "alice", PASSWORD, "admin")
    quoted = '"' + HOSTILE_AGENT.replace('"', '""') + '"'
    text = HAND_CSV.replace(",Ann,", f",{quoted},").replace(",Bob,", ",{},".format("B" * 5000))
    importing.import_file(app_db, text.encode(), "[report](http://evil.example).csv", user="alice")
    app = page("agents.py")
    app.query_params["who"] = HOSTILE_AGENT
    app.run()
    no_exception(app)
    (heading,) = [h.value for h in app.subheader if "x" in h.value and "link" in h.value]
    assert heading.replace("\u2060", "").startswith("\\*\\*x\\*\\* \\[link\\]\\(http\\:")
    assert "http\u2060\\:" in heading  # no autolink either (issue 19)
    assert "\u202e" not in heading
    home = as_user("alice", new_app())  # the Home page, through the router
    home.run()
    no_exception(home)
    assert any("\\[report\\]\\(http\\:" in c.value.replace("\u2060", "") for c in home.caption)
    long_name = page("agents.py")
    long_name.run()
    long_name.selectbox(key="who").set_value("B" * 5000).run()
    assert any(len(h.value) <= 80 and h.value.endswith("…") for h in long_name.subheader), \
        [h.value[:100] for h in long_name.subheader]
    assert any(e.label == "Show the full value" for e in long_name.expander)


def test_an_import_after_a_settings_change_follows_the_new_rules(app_db):
    """The dry run was made under the old rules; Import re-derives under the rules in force."""
    users.add_user(app_db, "alice", PASSWORD, "admin")
    app = page("upload.py")
    app.run()
    app.get("file_uploader")[0].upload("hand.csv", hand_bytes()).run()
    settings = get_settings(app_db)
    settings["team_rules"].append({"team": "L2", "words": ["weird group"], "exact": []})
    edits.save_settings(app_db, settings)
    next(b for b in app.button if b.label == "Import").click().run()
    no_exception(app)
    assert app_db.tickets.find_one({"_id": "T7"})["team"] == "L2"
