"""Subscriptions and the scheduler's pass (``sla.service.alerts``) against the test server, a
real SMTP server on localhost (aiosmtpd) and a real HTTP receiver on localhost: what is sent,
escaped, never repeated, retried with back-off, due on schedule (an injected clock), sent once
by two schedulers, and refused in one sentence."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import openpyxl
import pytest
from aiosmtpd.controller import Controller

from sla.core.filters import Filters
from sla.service import alerts, importing, reports, views
from sla.service.alerts import Request
from sla.storage import deliveries, subscriptions
from sla.storage import views as stored_views
from tests.conftest import ROOT
from tests.handset import HAND_CSV
from tests.test_cli import assert_one_error_line, sla

T0 = dt.datetime(2026, 12, 7, 6, 0)
HOSTILE = "<script>alert(1)</script> **Bob** =1+1"


class Mailbox:
    """aiosmtpd's handler: every message it is given, parsed."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append((envelope.rcpt_tos,
                              email.message_from_bytes(envelope.content,
                                                       policy=email.policy.default)))
        return "250 OK"


@pytest.fixture
def mailbox(monkeypatch):
    """A real SMTP server on localhost (no TLS, no login), named by the settings."""
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SLA_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SLA_SMTP_PORT", str(port))
    monkeypatch.setenv("SLA_SMTP_STARTTLS", "false")
    monkeypatch.setenv("SLA_PUBLIC_URL", "https://sla.example.com")
    yield box
    controller.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Receiver(ThreadingHTTPServer):
    """A real HTTP receiver on localhost: answers 500 to the first ``failures`` POSTs."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.bodies: list = []
        self.failures = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook/secret-part"


class _ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.server.failures > 0:
            self.server.failures -= 1
            self.send_response(500)
        else:
            self.server.bodies.append(json.loads(body))
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    """The webhook receiver, served on a thread for the test."""
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def desk(db):
    """The hand-checked tickets, Bob's name made hostile: T3 and T6 overdue, T10 due in 4 h
    (measured at the data's clock, 2026-03-18 00:00)."""
    importing.import_file(db, HAND_CSV.replace(",Bob,", f",{HOSTILE},").encode(), "hand.csv",
                          user="test")
    return db


def bodies_text(box: Mailbox) -> tuple[str, str]:
    (_, message), = box.messages
    return (message.get_body(("plain",)).get_content(),
            message.get_body(("html",)).get_content())


def test_tickets_breached_since_subscribing_are_mailed_once_with_every_value_escaped(
        desk, mailbox):
    alerts.add_subscription(desk, Request("breached", to="lead@example.com"), by="t", now=T0)
    assert alerts.run_pass(desk, now=T0)["queued"] == 0, "T3 and T6 were overdue already"
    importing.import_file(desk, (HAND_CSV + f"T11,2026-03-12 08:00,Open,P2,L2 Apps,{HOSTILE},"
                                            "1,,Met,\n").encode(), "later.csv", user="test")
    outcome = alerts.run_pass(desk, now=T0)
    assert outcome == {"ran": True, "queued": 1, "sent": 1, "retrying": 0, "failed": 0}
    (to, message), = mailbox.messages
    assert to == ["lead@example.com"]
    assert message["Subject"] == ("[SLA Tracker] 1 ticket newly past the target "
                                  "(the whole desk)")
    text, page = bodies_text(mailbox)
    assert "- T11 · P2 · L2 · <script>alert(1)</script> **Bob** =1+1 · Open · overdue by" in text
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="https://sla.example.com/tickets?sr=T11"' in page
    assert "Open the view: https://sla.example.com/dashboard" in text

    assert alerts.run_pass(desk, now=T0 + dt.timedelta(hours=1))["queued"] == 0
    assert len(mailbox.messages) == 1, "a ticket reported again for the same reason"


def test_at_risk_goes_to_a_webhook_as_json_and_is_retried_with_back_off(desk, receiver):
    receiver.failures = 2
    made = alerts.add_subscription(desk, Request("at-risk", webhook=receiver.url,
                                                 within="4h"), by="t", now=T0)
    assert alerts.run_pass(desk, now=T0)["retrying"] == 1
    assert alerts.run_pass(desk, now=T0 + dt.timedelta(seconds=30))["queued"] == 0
    assert alerts.run_pass(desk, now=T0 + dt.timedelta(seconds=30)).get("retrying") == 0
    assert alerts.run_pass(desk, now=T0 + dt.timedelta(minutes=1))["retrying"] == 1
    assert alerts.run_pass(desk, now=T0 + dt.timedelta(minutes=6))["sent"] == 1
    (payload,) = receiver.bodies
    assert payload["kind"] == "at-risk" and payload["schema"] == 1
    assert payload["text"].startswith("1 ticket will pass the target within 4.0 h")
    assert [t["sr_number"] for t in payload["facts"]["tickets"]] == ["T10"]
    (record,) = deliveries.recent(desk)
    assert (record["subscription"], record["status"], record["attempts"]) == (made["id"],
                                                                             "sent", 3)
    assert [e["error"] for e in record["errors"]] == [
        "The webhook http://127.0.0.1:%d/… answered 500." % receiver.server_address[1]] * 2


def test_a_delivery_that_keeps_failing_fails_for_good_and_others_are_still_served(
        desk, mailbox, monkeypatch):
    alerts.add_subscription(desk, Request("at-risk", to="a@example.com"), by="t", now=T0)
    working_port = os.environ["SLA_SMTP_PORT"]
    monkeypatch.setenv("SLA_SMTP_PORT", "9")  # nothing listens there
    at = T0
    for _ in range(len(alerts.BACKOFF) + 1):
        alerts.run_pass(desk, now=at)
        at += dt.timedelta(hours=3)
    (record,) = deliveries.recent(desk)
    assert record["status"] == "failed" and record["attempts"] == len(alerts.BACKOFF) + 1
    assert record["errors"][0]["error"].startswith("The mail server 127.0.0.1:9 did not take "
                                                   "the message to a@example.com:")
    stored_views.save(desk, "Gone soon", None, {"team": ["L2"]}, by="t")
    alerts.add_subscription(desk, Request("breached", to="b@example.com", view="Gone soon"),
                            by="t", now=at)
    stored_views.remove(desk, "Gone soon", None)
    monkeypatch.setenv("SLA_SMTP_PORT", working_port)
    alerts.add_subscription(desk, Request("digest", to="c@example.com", every="daily 06:00"),
                            by="t", now=at - dt.timedelta(days=1))
    outcome = alerts.run_pass(desk, now=at)
    assert outcome["sent"] == 1, outcome
    problems = [r for r in deliveries.recent(desk) if r["message"] is None]
    assert [p["errors"][0]["error"] for p in problems] == [
        "There is no saved view named ‘Gone soon’."]


def test_a_digest_is_due_on_its_schedule_in_the_subscribers_time_zone(desk, mailbox):
    made = alerts.add_subscription(desk, Request("digest", to="boss@example.com",
                                                 every="weekly mon 08:00", zone="Europe/Madrid"),
                                   by="t", now=T0)
    assert made["next_due"] == dt.datetime(2026, 12, 7, 7, 0)  # 08:00 in Madrid is 07:00 UTC
    assert alerts.run_pass(desk, now=dt.datetime(2026, 12, 7, 6, 59))["queued"] == 0
    assert alerts.run_pass(desk, now=dt.datetime(2026, 12, 7, 7, 0))["sent"] == 1
    assert subscriptions.one(desk, made["id"])["next_due"] == dt.datetime(2026, 12, 14, 7, 0)
    text, page = bodies_text(mailbox)
    assert "- Tickets: 10 (7 resolved, 3 pending)" in text
    assert "- Overdue: 2 · at risk: 0" in text
    assert alerts.run_pass(desk, now=dt.datetime(2026, 12, 8, 7, 0))["queued"] == 0


def test_an_e_mailed_digest_attaches_the_views_report_workbook(desk, mailbox):
    stored_views.save(desk, "L1 desk", None, {"team": ["L1"]}, by="t")
    made = alerts.add_subscription(desk, Request("digest", to="boss@example.com",
                                                 view="L1 desk", every="daily 06:00",
                                                 attach=True), by="t", now=T0)
    assert made["attach"] is True
    assert alerts.run_pass(desk, now=T0 + dt.timedelta(days=1))["sent"] == 1
    (_, message), = mailbox.messages
    (attached,) = list(message.iter_attachments())
    assert attached.get_filename() == "sla-report-2026-12-08.xlsx"
    assert attached.get_content_type() == reports.MEDIA_TYPE
    book = openpyxl.load_workbook(io.BytesIO(attached.get_content()))
    assert book.sheetnames[0] == "Summary"
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row}
    assert "L1" in summary["View"] and summary["Tickets"] == 5
    assert "Attached: sla-report-2026-12-08.xlsx, the view's report workbook." in \
        message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("asked", [
    Request("digest", webhook="http://127.0.0.1:9/hook", every="daily 06:00", attach=True),
    Request("at-risk", to="a@example.com", attach=True)])
def test_only_an_e_mailed_digest_may_attach_the_workbook(desk, asked):
    with pytest.raises(alerts.AlertError, match="Only a digest sent by e-mail can attach"):
        alerts.add_subscription(desk, asked, by="t", now=T0)
    assert alerts.list_subscriptions(desk) == []


def test_a_users_own_subscriptions_are_theirs_alone(desk, receiver):
    victor = {"username": "victor", "role": "viewer"}
    stored_views.save(desk, "Mine", "victor", {"team": ["L1"]}, by="victor")
    made = alerts.add_own_subscription(desk, Request("at-risk", to="v@example.com",
                                                     view="Mine"), victor, now=T0)
    assert (made["owner"], made["created_by"]) == ("victor", "victor")
    alerts.add_subscription(desk, Request("at-risk", webhook=receiver.url), by="alice", now=T0)
    assert [row["id"] for row in alerts.list_subscriptions(desk, made_by="victor")] == [
        made["id"]]
    for act in (alerts.remove_subscription, alerts.send_test):
        with pytest.raises(alerts.AlertError, match=f"no subscription '{made['id']}' of yours"):
            act(desk, made["id"], made_by="ann")
    with pytest.raises(alerts.AlertError, match="There is no saved view named"):
        alerts.add_own_subscription(desk, Request("at-risk", to="a@example.com", view="Mine"),
                                    {"username": "ann", "role": "viewer"}, now=T0)
    for _ in range(alerts.MAX_OWN - 1):
        alerts.add_own_subscription(desk, Request("breached", to="v@example.com"), victor,
                                    now=T0)
    with pytest.raises(alerts.AlertError, match="You have 20 subscriptions"):
        alerts.add_own_subscription(desk, Request("breached", to="v@example.com"), victor,
                                    now=T0)
    alerts.remove_subscription(desk, made["id"], made_by="victor")
    assert len(alerts.list_subscriptions(desk, made_by="victor")) == alerts.MAX_OWN - 1


def test_after_an_import_the_view_hears_what_it_changed(desk, receiver):
    stored_views.save(desk, "L1 <b>desk</b>", None, {"team": ["L1"]}, by="t")
    alerts.add_subscription(desk, Request("after-import", webhook=receiver.url,
                                          view="L1 <b>desk</b>"), by="t", now=T0)
    assert alerts.run_pass(desk, now=T0)["queued"] == 0, "told about an import made before"
    later = HAND_CSV.replace("T10,2026-03-18 00:00,Pending,P1,L1 Desk,,0.2,,Met,",
                             "T10,2026-03-18 00:00,Resolved,P1,L1 Desk,Ann,0.2,4,Met,Met")
    importing.import_file(desk, later.encode(), "later.csv", user="test")
    assert alerts.run_pass(desk, now=T0)["sent"] == 1
    (payload,) = receiver.bodies
    assert payload["title"] == "New data: later.csv (L1 <b>desk</b>)"
    assert "pending -1" in payload["text"]
    assert payload["link"].endswith("/dashboard?team=L1")
    assert alerts.run_pass(desk, now=T0)["queued"] == 0


def test_two_schedulers_at_once_send_each_message_once(desk, receiver):
    alerts.add_subscription(desk, Request("at-risk", webhook=receiver.url), by="t", now=T0)
    slow_sends = []

    def slow(channel, to, message):
        time.sleep(0.5)
        slow_sends.append(to)
        alerts.channels.send(channel, to, message)

    outcomes = []
    threads = [threading.Thread(target=lambda name=name: outcomes.append(
        alerts.run_pass(desk, now=T0, owner=name, send=slow))) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(receiver.bodies) == 1 and len(slow_sends) == 1
    assert sorted(o["ran"] for o in outcomes) in ([False, True], [True, True])
    assert deliveries.take_lease(desk, "c", T0, alerts.LEASE), "the lease was left held"


@pytest.mark.parametrize("asked, says", [
    (Request("sometimes", to="a@example.com"), "The kind must be one of"),
    (Request("breached"), "Give one place to send to"),
    (Request("breached", to="a@example.com", webhook="http://x"), "Give one place to send to"),
    (Request("breached", to="not-an-address"), "is not an e-mail address"),
    (Request("breached", webhook="ftp://example.com/x"), "is not an http:// or https://"),
    (Request("breached", to="team:L1"), "The team 'L1' has no e-mail address"),
    (Request("breached", to="person:Ann"), "The person 'Ann' has no e-mail address"),
    (Request("digest", to="a@example.com", every="hourly"), "is not \"daily HH:MM\""),
    (Request("digest", to="a@example.com", every="daily 08:00", zone="Mars/Base"),
     "The time zone 'Mars/Base' is not known"),
    (Request("at-risk", to="a@example.com", within="soon"), "is not a duration"),
    (Request("breached", to="a@example.com", view="Nope"), "There is no saved view named"),
])
def test_a_bad_subscription_is_one_sentence_and_stores_nothing(desk, asked, says):
    with pytest.raises(alerts.AlertError, match=says) as caught:
        alerts.add_subscription(desk, asked, by="t", now=T0)
    assert "\n" not in str(caught.value) and str(caught.value).endswith(".")
    assert alerts.list_subscriptions(desk) == []


def test_a_team_lead_is_a_recipient_and_a_test_message_goes_now(desk, mailbox):
    from sla.service import edits
    from sla.storage.settings import get_settings

    rules = get_settings(desk)
    rules["teams"] = [{"name": "L1", "lead": "Lee", "email": "lee@example.com"},
                      {"name": "L2"}, {"name": "Business"}]
    edits.save_settings(desk, rules)
    made = alerts.add_subscription(desk, Request("breached", to="team:L1"), by="t", now=T0)
    assert alerts.send_test(desk, made["id"], now=T0)["sent"] == 1
    assert mailbox.messages[0][0] == ["lee@example.com"]
    with pytest.raises(alerts.AlertError, match="no subscription 'zz'"):
        alerts.send_test(desk, "zz", now=T0)
    alerts.remove_subscription(desk, made["id"])
    assert alerts.list_subscriptions(desk) == []


def test_views_used_by_alerts_are_the_saved_ones(desk):
    views.save_view(desk, {"username": "alice", "role": "admin"}, "Mine", Filters(),
                    shared=False)
    made = alerts.add_subscription(desk, Request("breached", to="a@example.com", view="Mine",
                                                 owner="alice"), by="t", now=T0)
    assert (made["view"], made["owner"]) == ("Mine", "alice")



@pytest.fixture
def cli_desk(cli_env, tmp_path, mailbox):
    """A CLI environment on the hand-checked tickets (imported by the CLI), mailing to the
    test's SMTP server."""
    env = {**cli_env, **{name: os.environ[name] for name in (
        "SLA_SMTP_HOST", "SLA_SMTP_PORT", "SLA_SMTP_STARTTLS", "SLA_PUBLIC_URL")}}
    env.pop("SLA_DEBUG", None)
    path = tmp_path / "hand.csv"
    path.write_text(HAND_CSV)
    sla(env, "import", path)
    return env


def test_the_command_line_subscribes_sends_once_and_refuses_in_one_line(cli_desk, mailbox):
    said = sla(cli_desk, "alerts", "add", "--kind", "at-risk", "--email", "lead@example.com")
    sub_id = said.stdout.split()[1].rstrip(":")
    assert said.stdout.strip() == (f"subscription {sub_id}: at-risk within 4 h of the whole "
                                   "desk to lead@example.com")
    listed = json.loads(sla(cli_desk, "alerts", "list", "--json").stdout)
    assert [(row["id"], row["kind"], row["to"]) for row in listed] == [
        (sub_id, "at-risk", "lead@example.com")]
    assert sla(cli_desk, "alerts", "run").stdout.strip() == (
        "1 queued, 1 sent, 0 retrying, 0 failed")
    assert sla(cli_desk, "alerts", "run").stdout.strip() == (
        "0 queued, 0 sent, 0 retrying, 0 failed")
    assert len(mailbox.messages) == 1
    assert sla(cli_desk, "alerts", "test", sub_id).stdout.strip() == (
        "1 sent, 0 retrying, 0 failed")
    assert len(mailbox.messages) == 2
    for args in (["add", "--kind", "digest", "--email", "a@example.com", "--every",
                  "daily 25:00"], ["remove", "nope"], ["test", "nope"],
                 ["add", "--kind", "breached", "--webhook", "file:///etc/passwd"]):
        result = sla(cli_desk, "alerts", *args, ok=False)
        assert result.returncode == 2
        assert_one_error_line(result)
    sla(cli_desk, "alerts", "remove", sub_id)
    assert json.loads(sla(cli_desk, "alerts", "list", "--json").stdout) == []
    said = sla(cli_desk, "alerts", "add", "--kind", "digest", "--email", "a@example.com",
               "--every", "daily 08:00", "--attach")
    assert said.stdout.strip().endswith("digest daily 08:00 (UTC) of the whole desk to "
                                        "a@example.com with the report workbook")


def test_the_scheduler_loop_sends_and_stops_on_sigterm(cli_desk, mailbox):
    sla(cli_desk, "alerts", "add", "--kind", "at-risk", "--email", "lead@example.com")
    process = subprocess.Popen([sys.executable, "-m", "sla", "alerts", "serve", "--every",
                                "0.5"], cwd=ROOT, env=cli_desk, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not mailbox.messages and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.5)  # a few more passes: nothing new to say
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert len(mailbox.messages) == 1
    assert "1 queued, 1 sent, 0 retrying, 0 failed" in out and not err


def test_ending_a_subscription_cancels_what_it_has_not_sent(desk):
    made = alerts.add_subscription(desk, Request("at-risk", webhook="http://127.0.0.1:9/x"),
                                   by="t", now=T0)
    assert alerts.run_pass(desk, now=T0)["retrying"] == 1
    alerts.remove_subscription(desk, made["id"])
    (record,) = deliveries.recent(desk)
    assert record["status"] == "cancelled"
    assert alerts.run_pass(desk, now=T0 + dt.timedelta(hours=3)) == {
        "ran": True, "queued": 0, "sent": 0, "retrying": 0, "failed": 0}


def test_a_view_that_is_gone_is_said_once_not_at_every_pass(desk, receiver):
    stored_views.save(desk, "Soon gone", None, {"team": ["L2"]}, by="t")
    made = alerts.add_subscription(desk, Request("at-risk", webhook=receiver.url,
                                                 view="Soon gone"), by="t", now=T0)
    stored_views.save(desk, "Soon gone", "bob", {"team": ["L1"]}, by="bob")  # not shared
    stored_views.remove(desk, "Soon gone", None)
    for minutes in (0, 1, 2):
        alerts.run_pass(desk, now=T0 + dt.timedelta(minutes=minutes))
    problems = [r["errors"][0]["error"] for r in deliveries.recent(desk)]
    assert problems == ["There is no saved view named ‘Soon gone’."], "Bob's view was used"
    assert alerts.list_subscriptions(desk)[0]["problem"] == problems[0]
    assert receiver.bodies == [] and made["view"] == "Soon gone"


def test_a_test_message_is_handed_over_alone(desk, receiver):
    """"Send it now" sends its own message; the scheduler's waiting ones stay its own."""
    waiting = alerts.add_subscription(desk, Request("at-risk", webhook="http://127.0.0.1:9/x"),
                                      by="t", now=T0)
    alerts.run_pass(desk, now=T0)
    mine = alerts.add_subscription(desk, Request("at-risk", webhook=receiver.url), by="t",
                                   now=T0)
    assert alerts.send_test(desk, mine["id"], now=T0 + dt.timedelta(hours=3)) == {
        "sent": 1, "retrying": 0, "failed": 0}
    other = next(r for r in deliveries.recent(desk) if r["subscription"] == waiting["id"])
    assert (other["status"], other["attempts"]) == ("retrying", 1)
