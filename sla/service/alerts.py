"""Subscriptions and the scheduler's pass: who is told what, and telling them.

Kinds: **at-risk** (open tickets that pass their resolution target within a working time the
subscriber chose, on each team's calendar), **breached** (tickets newly past it), **digest**
(the view's figures on a schedule) and **after-import** (what each new import changed in the
view). Each goes to an e-mail address, a team's lead (``team:NAME``), a person of the
directory (``person:NAME``) or a webhook. A pass (``run_pass``) holds the lease, queues what is
due, then hands the queued messages over, retrying a failed one after a back-off; a ticket is
never reported twice by one subscription for the same reason (``storage.subscriptions``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from pymongo.database import Database

from sla.core import display, filters, schedules
from sla.service import answers, channels, queries, reports, views
from sla.service.alert_compose import PassContext, compose_due, view_filters
from sla.storage import clock, deliveries, subscriptions, uploads

KINDS = ("at-risk", "breached", "digest", "after-import")
BACKOFF = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30),
           dt.timedelta(hours=2))  # after the last, a delivery has failed for good
LEASE = dt.timedelta(minutes=5)
DEFAULT_WITHIN = "4h"
MAX_OWN = 20  # subscriptions one user may make for themselves
EMAIL = re.compile(r"[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[A-Za-z]{2,}")
RECIPIENT = re.compile(r"(team|person):(.+)")


class AlertError(ValueError):
    """A subscription that cannot be made, found or served; one sentence."""


@dataclass(frozen=True)
class Request:
    """What a user asks for: ``to`` an address, team:NAME or person:NAME (or ``webhook``)."""

    kind: str
    to: str | None = None
    webhook: str | None = None
    view: str | None = None
    owner: str | None = None
    within: str | None = None
    every: str | None = None
    zone: str = "UTC"
    attach: bool = False  # a digest by e-mail: the view's report workbook attached


def add_subscription(db: Database, asked: Request, by: str,
                     now: dt.datetime | None = None) -> dict:
    """Check and store a subscription; the stored one. AlertError, naming what is wrong."""
    now = now or clock.now()
    if asked.kind not in KINDS:
        raise AlertError(f"The kind must be one of {', '.join(KINDS)}, not "
                         f"{schedules.shown(asked.kind)}.")
    values = {"kind": asked.kind, **_target(db, asked), "view": asked.view,
              "owner": asked.owner, **_timing(db, asked, now), **_attachment(asked)}
    if asked.view:
        try:
            views.open_view(db, asked.view, asked.owner, shared_only=asked.owner is None)
        except views.ViewError as exc:
            raise AlertError(str(exc)) from None
    made = subscriptions.add(db, values, by)
    if asked.kind == "breached":  # what is overdue already is not news: the first message
        chosen, _ = view_filters(db, made)  # names only tickets breached after this
        overdue = queries.alert_lists(db, chosen, 0.0)["overdue"]
        subscriptions.claim_new(db, made["_id"], "breached", overdue["sr_number"].tolist())
    return _listed(made)


def _target(db: Database, asked: Request) -> dict:
    if bool(asked.to) == bool(asked.webhook):
        raise AlertError("Give one place to send to: an e-mail address (or team:NAME, "
                         "person:NAME) or a webhook URL.")
    if asked.webhook:
        if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", asked.webhook):
            raise AlertError(f"The webhook {schedules.shown(asked.webhook)} is not an http:// "
                             "or https:// address.")
        return {"email": None, "webhook": asked.webhook}
    to = asked.to.strip()
    if not (EMAIL.fullmatch(to) or RECIPIENT.fullmatch(to)):
        raise AlertError(f"The address {schedules.shown(to)} is not an e-mail address, "
                         "team:NAME or person:NAME.")
    resolve_recipient(db, to)
    return {"email": to, "webhook": None}


def add_own_subscription(db: Database, asked: Request, user: dict,
                         now: dt.datetime | None = None) -> dict:
    """A user's own subscription (the Alerts page, any role): to an e-mail address, about the
    whole desk, a shared view or one of the user's own views; at most MAX_OWN of them."""
    if asked.webhook or RECIPIENT.fullmatch((asked.to or "").strip()):
        raise AlertError("Your own alerts go to an e-mail address; an admin subscribes a "
                         "team's lead, a person or a webhook (Settings, Alerts).")
    if len(subscriptions.every(db, made_by=user["username"])) >= MAX_OWN:
        raise AlertError(f"You have {MAX_OWN} subscriptions, the most one person may have; "
                         "end one first.")
    return add_subscription(db, dataclasses.replace(asked, owner=user["username"]),
                            by=user["username"], now=now)


def _attachment(asked: Request) -> dict:
    if not asked.attach:
        return {}
    if asked.kind != "digest" or asked.webhook:
        raise AlertError("Only a digest sent by e-mail can attach the report workbook; a "
                         "webhook message links to the view instead.")
    return {"attach_report": True}


def _timing(db: Database, asked: Request, now: dt.datetime) -> dict:
    try:
        zone = schedules.check_zone(asked.zone or "UTC")
        if asked.kind == "at-risk":
            return {"within_hours": schedules.parse_within(asked.within or DEFAULT_WITHIN)}
        if asked.kind == "digest":
            plan = schedules.parse_schedule(asked.every or "", zone)
            return {"schedule": plan.words(), "zone": zone, "next_due": plan.next_after(now)}
    except schedules.ScheduleError as exc:
        raise AlertError(str(exc)) from None
    if asked.kind == "after-import":
        newest = uploads.last_done_import(db)
        return {"last_import": str(newest["_id"]) if newest else None,
                "last_import_at": newest["at"] if newest else None}
    return {}


def resolve_recipient(db: Database, to: str) -> str:
    """The e-mail address ``to`` stands for: itself, a team's lead's, or a person's."""
    found = RECIPIENT.fullmatch(to)
    if not found:
        return to
    what, name = found.group(1), found.group(2).strip()
    if what == "team":
        teams = queries.settings(db)["teams"]
        address = next((t.get("email") for t in teams if t.get("name") == name), None)
    else:
        person = answers.person(db, name)
        address = person.get("email") if person else None
    if not address:
        raise AlertError(f"The {what} {schedules.shown(name)} has no e-mail address "
                         f"({'Settings, Teams' if what == 'team' else 'the People page'}).")
    return address


def list_subscriptions(db: Database, made_by: str | None = None) -> list[dict]:
    """Every subscription, or those ``made_by`` that user (their own, on the Alerts page)."""
    return [_listed(document) for document in subscriptions.every(db, made_by)]


def _find(db: Database, subscription_id: str, made_by: str | None) -> dict:
    """The subscription (``made_by``: only if that user made it); AlertError when there is
    none."""
    subscription_id = (subscription_id or "").strip()
    found = subscriptions.one(db, subscription_id)
    if found is None or (made_by is not None and found.get("created_by") != made_by):
        raise AlertError(f"There is no subscription {schedules.shown(subscription_id)}"
                         + (" of yours." if made_by else "; `alerts list` shows them."))
    return found


def _listed(document: dict) -> dict:
    return {"id": document["_id"], "kind": document["kind"],
            "to": document.get("email") or channels.masked(document.get("webhook") or ""),
            "view": document.get("view"), "owner": document.get("owner"),
            "within_hours": document.get("within_hours"),
            "every": document.get("schedule"), "zone": document.get("zone"),
            "next_due": document.get("next_due"), "attach": bool(document.get("attach_report")),
            "created_by": document.get("created_by"),
            "created_at": document.get("created_at"), "problem": document.get("problem")}


def remove_subscription(db: Database, subscription_id: str,
                        made_by: str | None = None) -> None:
    """End a subscription (``made_by``: only one that user made): its messages not sent yet
    are not sent."""
    found = _find(db, subscription_id, made_by)
    if not subscriptions.remove(db, found["_id"]):
        raise AlertError(f"There is no subscription {schedules.shown(found['_id'])}; "
                         "`alerts list` shows them.")
    deliveries.cancel_waiting(db, found["_id"], clock.now())


def run_pass(db: Database, now: dt.datetime | None = None, owner: str | None = None,
             send: Callable[[str, str, dict], None] = channels.send) -> dict:
    """One pass: queue what is due, hand over what is queued. {"ran": False} when another
    scheduler holds the lease; else the counts of what was queued, sent, retried, failed."""
    now = now or clock.now()
    owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    if not _hold_lease(db, owner):
        return {"ran": False}
    try:
        queued, shared = 0, PassContext(db, now)
        for subscription in subscriptions.every(db):
            if not _hold_lease(db, owner):  # held too long and taken: the other pass goes on
                return {"ran": True, "queued": queued, "sent": 0, "retrying": 0, "failed": 0}
            queued += queue_due(db, subscription, now, shared)
        return {"ran": True, "queued": queued, **deliver_due(db, now, send, owner)}
    finally:
        deliveries.drop_lease(db, owner)


def _hold_lease(db: Database, owner: str) -> bool:
    """Take or renew the lease for LEASE from now (the real clock: a pass's ``now`` may be
    injected)."""
    return deliveries.take_lease(db, owner, clock.now(), LEASE)


def queue_due(db: Database, subscription: dict, now: dt.datetime,
              shared: PassContext | None = None) -> int:
    """Queue the subscription's message when one is due; 1 when queued. A failure to make it
    is recorded, never raised."""
    try:
        message = compose_due(db, subscription, now, False, shared)
    except (views.ViewError, AlertError, ValueError) as exc:
        problem = display.clean(str(exc), 300)
        if problem != subscription.get("problem"):  # said once, not at every pass
            deliveries.record_failure(db, subscription, problem, now)
            subscriptions.update(db, subscription["_id"], {"problem": problem})
        return 0
    if subscription.get("problem"):
        subscriptions.update(db, subscription["_id"], {"problem": None})
    if message is None:
        return 0
    deliveries.queue(db, subscription, message, now)
    return 1


def deliver_due(db: Database, now: dt.datetime,
                send: Callable[[str, str, dict], None] = channels.send,
                owner: str | None = None) -> dict:
    """Hand over every delivery due at ``now`` (renewing ``owner``'s lease between them);
    the counts by outcome."""
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    while (owner is None or _hold_lease(db, owner)) and \
            (delivery := deliveries.claim_due(db, now)) is not None:
        counts[deliver(db, delivery, now, send)] += 1
    return counts


def deliver(db: Database, delivery: dict, now: dt.datetime,
            send: Callable[[str, str, dict], None]) -> str:
    """Hand one claimed delivery over; "sent", "retrying" (after a back-off) or "failed"."""
    try:
        send(delivery["channel"], resolve_recipient(db, delivery["to"])
             if delivery["channel"] == "email" else delivery["to"],
             with_attachments(db, delivery["message"]))
    except Exception as exc:  # noqa: BLE001 - whatever stopped it, this delivery is retried
        reason = str(exc) if isinstance(exc, (channels.DeliveryError, AlertError)) else \
            f"The message could not be handed over: {display.clean(str(exc), 200)}."
        tries = delivery["attempts"]
        again = now + BACKOFF[tries - 1] if tries <= len(BACKOFF) else None
        deliveries.mark_failed(db, delivery["_id"], reason, now, again)
        return "retrying" if again else "failed"
    deliveries.mark_sent(db, delivery["_id"], now)
    return "sent"


def with_attachments(db: Database, message: dict) -> dict:
    """The message with its report workbook made, when it asks for one. Made at hand-over
    rather than kept with the queued message: a workbook may be megabytes, and a retry then
    carries the figures of its own time."""
    wanted = message.get("attach")
    if not wanted:
        return message
    chosen = filters.parse(wanted["filters"], answers.known_values(db))
    return {**message, "attachments": [(wanted["name"], reports.report_workbook(db, chosen),
                                        reports.MEDIA_TYPE)]}


def send_test(db: Database, subscription_id: str, now: dt.datetime | None = None,
              send: Callable[[str, str, dict], None] = channels.send,
              made_by: str | None = None) -> dict:
    """Send the subscription's message now, as it would read (``alerts test``; ``made_by``:
    only one that user made)."""
    subscription = _find(db, subscription_id, made_by)
    now = now or clock.now()
    try:
        message = compose_due(db, subscription, now, test=True)
    except (views.ViewError, ValueError) as exc:
        raise AlertError(str(exc)) from None
    if message is None:
        raise AlertError("Nothing to send now: no ticket of the view is at risk or past its "
                         "target, or nothing was imported yet.")
    delivery = deliveries.claim_due(db, now, deliveries.queue(db, subscription, message, now))
    return {"sent": 0, "retrying": 0, "failed": 0, deliver(db, delivery, now, send): 1}


def recent_deliveries(db: Database, limit: int = 200) -> list[dict]:
    """The newest deliveries first: to whom (a webhook without its secret path), when, the
    status, each try's error."""
    return [{**record, "to": record["to"] if record["channel"] == "email"
             else channels.masked(record["to"])} for record in deliveries.recent(db, limit)]
