"""Saved views on the filter bar through AppTest against the real test server: save the filters
in force, share them (admins), open a view (its filters set, the URL follows), remove one after
a confirmation, and one line for what cannot be done."""

from __future__ import annotations

from sla.core import display
from sla.service import views
from sla.storage import views as stored
from tests.test_pages import app_db, hand_app, no_exception, page  # noqa: F401 (fixtures)

NAME = "L1 <b>done</b> *now*"  # rendered as written, never as HTML or Markdown


def dashboard(username: str = "alice"):
    app = page("dashboard.py", username)
    app.run()
    no_exception(app)
    return app


def click(app, label: str):
    next(b for b in app.button if b.label == label).click().run()
    no_exception(app)
    return app


def save_as(app, name: str, shared: bool = False):
    """Fill the "Save as a view" form and submit it."""
    next(t for t in app.text_input if t.label == "Name").input(name)
    if shared:
        next(c for c in app.checkbox if c.label == "Share with everyone").check()
    return click(app, "Save view")


def test_an_admin_saves_a_shared_view_that_a_viewer_opens(hand_app):
    app = dashboard()
    app.multiselect(key="team").set_value(["L1"]).run()
    app.selectbox(key="status").set_value("resolved").run()
    save_as(app, NAME, shared=True)
    assert [s.value for s in app.success] == [f"Saved the view ‘{display.literal(NAME)}’."]
    assert [(v["name"], v["shared"], v["filters"]) for v in views.all_views(hand_app)] == [
        (NAME, True, {"team": ["L1"], "status": ["resolved"]})]

    viewer = dashboard("victor")
    assert next(c for c in viewer.checkbox if c.label == "Share with everyone").disabled
    assert viewer.multiselect(key="team").value == []
    viewer.selectbox(key="view_pick").set_value(NAME).run()
    no_exception(viewer)
    assert viewer.multiselect(key="team").value == ["L1"]
    assert viewer.selectbox(key="status").value == "resolved"
    assert [s.value for s in viewer.success] == [
        display.literal(f"Opened the view ‘{NAME}’.", limit=None)]
    assert viewer.query_params["team"] == "L1"  # the link now opens this view
    assert any(c.value.startswith("Filtered: team L1") for c in viewer.caption)


def test_a_viewer_saves_only_their_own_view(hand_app):
    app = dashboard("victor")
    app.multiselect(key="agent").set_value(["Ann"]).run()
    save_as(app, "Ann")
    assert [(v["name"], v["owner"]) for v in views.all_views(hand_app)] == [("Ann", "victor")]
    assert views.views_for(hand_app, "alice") == []


def test_a_nameless_view_is_one_line_and_saves_nothing(hand_app):
    app = save_as(dashboard(), "   ")
    assert [e.value for e in app.error] == [display.literal("Give the view a name.")]
    assert views.all_views(hand_app) == []


def test_a_view_naming_an_agent_no_longer_held_opens_with_the_rest_and_says_so(hand_app):
    stored.save(hand_app, "Old", "alice", {"team": ["L1"], "agent": ["Zed"]}, by="alice")
    app = dashboard()
    app.selectbox(key="view_pick").set_value("Old").run()
    no_exception(app)
    assert app.multiselect(key="team").value == ["L1"]
    assert app.multiselect(key="agent").value == []
    assert [w.value for w in app.warning] == [display.literal(
        "Opened the view ‘Old’. No longer applied: agent must be one of Ann, Bob, Cat (those "
        "held), not 'Zed'.", limit=None)]


def test_a_view_is_removed_only_once_confirmed(hand_app):
    stored.save(hand_app, "Mine", "alice", {"team": ["L2"]}, by="alice")
    app = dashboard()
    app.selectbox(key="view_remove").set_value("o:Mine").run()
    click(app, "Remove view")
    assert [v["name"] for v in views.all_views(hand_app)] == ["Mine"], "removed unconfirmed"
    click(app, "Remove")
    assert views.all_views(hand_app) == []
    assert [s.value for s in app.success] == ["Removed the view ‘Mine’."]
