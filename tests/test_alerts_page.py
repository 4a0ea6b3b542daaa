"""The Alerts page (a user's own subscriptions) and the Alerts and Deliveries tabs of Settings
through AppTest against the real test server: subscribe, a bad subscription refused in one
line, end one after a confirmation, and what a pass sent (or failed to send, and why) listed
with the values escaped."""

from __future__ import annotations

import datetime as dt

from sla.core import display
from sla.service import alerts
from sla.storage import views as stored_views
from tests.test_pages import app_db, hand_app, no_exception, page  # noqa: F401 (fixtures)
from tests.test_settings_page import click, settings_page

HOOK = "http://127.0.0.1:9/hook/secret"  # nothing listens there: every try fails
SHOWN = "http://127.0.0.1:9/…"  # lists never show a webhook's path


def fill(app, label: str, value: str):
    next(t for t in app.text_input if t.label == label).input(value)


def test_an_admin_subscribes_a_webhook_to_a_shared_view(hand_app):
    stored_views.save(hand_app, "L2 <b>desk</b>", None, {"team": ["L2"]}, by="alice")
    app = settings_page()
    next(s for s in app.selectbox if s.label == "Kind").set_value("breached")
    next(s for s in app.selectbox if s.label == "View").set_value("L2 <b>desk</b>")
    fill(app, "To", HOOK)
    click(app, "Subscribe")
    (made,) = alerts.list_subscriptions(hand_app)
    assert (made["kind"], made["to"], made["view"], made["created_by"]) == (
        "breached", SHOWN, "L2 <b>desk</b>", "alice")
    assert [s.value for s in app.success] == [
        f"Subscribed: {display.literal(SHOWN, 60)} gets newly breached tickets (id "
        f"{made['id']})."]
    table = next(d.value for d in app.dataframe if "Kind" in d.value.columns)
    assert table.to_dict("records") == [{"Id": made["id"], "Kind": "breached", "To": SHOWN,
                                         "View": "L2 <b>desk</b>", "When": "each pass",
                                         "Made by": "alice"}]


def test_a_digest_subscribed_with_the_workbook_says_so(hand_app):
    app = settings_page()
    next(s for s in app.selectbox if s.label == "Kind").set_value("digest")
    fill(app, "To", "ann@example.com")
    next(c for c in app.checkbox if c.label == "Digest: attach the report workbook").check()
    click(app, "Subscribe")
    (made,) = alerts.list_subscriptions(hand_app)
    assert (made["kind"], made["attach"]) == ("digest", True)
    table = next(d.value for d in app.dataframe if "Kind" in d.value.columns)
    assert table["When"].tolist() == ["weekly mon 08:00 (UTC), with the workbook"]


def test_a_bad_subscription_is_one_line_and_stores_nothing(hand_app):
    app = settings_page()
    next(s for s in app.selectbox if s.label == "Kind").set_value("digest")
    fill(app, "To", "ann@example.com")
    fill(app, "Digest: every", "hourly")
    click(app, "Subscribe")
    assert [e.value for e in app.error] == [display.literal(
        "The schedule 'hourly' is not \"daily HH:MM\" or \"weekly DAY HH:MM\" (DAY: mon to "
        "sun).", None)]
    assert alerts.list_subscriptions(hand_app) == []


def test_a_subscription_ends_only_once_confirmed(hand_app):
    alerts.add_subscription(hand_app, alerts.Request("breached", webhook=HOOK), by="alice")
    app = click(settings_page(), "End this subscription…")
    assert len(alerts.list_subscriptions(hand_app)) == 1, "ended before it was confirmed"
    click(app, "End it")
    assert alerts.list_subscriptions(hand_app) == []


def test_deliveries_list_what_failed_and_why(hand_app):
    alerts.add_subscription(hand_app, alerts.Request("at-risk", webhook=HOOK), by="alice")
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert alerts.run_pass(hand_app, now=now)["retrying"] == 1
    app = settings_page()
    table = next(d.value for d in app.dataframe if "Last error" in d.value.columns)
    (row,) = table.to_dict("records")
    assert (row["Kind"], row["To"], row["Status"], row["Tries"]) == ("at-risk", SHOWN,
                                                                    "retrying", 1)
    assert row["Last error"].startswith("The webhook http://127.0.0.1:9/… could not be reached")


def alerts_page(username: str):
    app = page("alerts.py", username)
    app.run()
    no_exception(app)
    return app


def test_a_viewer_subscribes_their_own_address_to_their_own_view(hand_app):
    stored_views.save(hand_app, "My L1", "victor", {"team": ["L1"]}, by="victor")
    alerts.add_subscription(hand_app, alerts.Request("breached", webhook=HOOK), by="alice")
    app = alerts_page("victor")
    assert app.caption[-1].value == "You have no subscription yet.", "another's listed"
    next(s for s in app.selectbox if s.label == "View").set_value("My L1")
    fill(app, "To", "victor@example.com")
    click(app, "Subscribe")
    (made,) = alerts.list_subscriptions(hand_app, made_by="victor")
    assert (made["kind"], made["to"], made["view"], made["owner"]) == (
        "at-risk", "victor@example.com", "My L1", "victor")
    table = next(d.value for d in app.dataframe if "Kind" in d.value.columns)
    assert table["Id"].tolist() == [made["id"]]
    click(click(app, "End this subscription…"), "End it")
    assert alerts.list_subscriptions(hand_app, made_by="victor") == []
    assert len(alerts.list_subscriptions(hand_app)) == 1, "alice's was ended"


def test_a_viewer_cannot_send_their_alerts_to_a_webhook_or_a_team(hand_app):
    app = alerts_page("victor")
    for target in (HOOK, "team:L1"):
        fill(app, "To", target)
        click(app, "Subscribe")
        assert [e.value for e in app.error] == [display.literal(
            "Your own alerts go to an e-mail address; an admin subscribes a team's lead, a "
            "person or a webhook (Settings, Alerts).", None)]
    assert alerts.list_subscriptions(hand_app) == []
