"""The message a subscription has to send now, if any, made from the same figures as the pages
(``queries``), and what it moves on (the tickets it reported, the digest's next time, the
import it told about)."""

from __future__ import annotations

import datetime as dt
from functools import cached_property

import pandas as pd
from pymongo.database import Database

from sla.analytics import risk
from sla.analytics.changes import ChangesError
from sla.core import config, display, schedules
from sla.core.filters import Filters, Known
from sla.service import answers, messages, queries, views
from sla.storage import subscriptions, uploads

PAGES = {"at-risk": "dashboard", "breached": "dashboard", "digest": "dashboard",
         "after-import": "dashboard"}


class PassContext:
    """What every subscription of one pass shares, each read once: what a filter may name,
    the freshness note, the open tickets measured, and each view's share of them."""

    def __init__(self, db: Database, now: dt.datetime) -> None:
        self.db, self.now = db, now
        self._kept: dict[Filters, pd.DataFrame] = {}

    @cached_property
    def known(self) -> Known:
        return answers.known_values(self.db)

    @cached_property
    def notes(self) -> list[str]:
        return messages.stale_note(queries.last_refresh(self.db), self.now,
                                   config.number("SLA_STALE_AFTER_HOURS"))

    @cached_property
    def measured(self) -> pd.DataFrame | None:
        return queries.open_measured(self.db)

    def watching(self, chosen: Filters) -> pd.DataFrame:
        """The view's open tickets, measured and sorted once a pass (``risk.watched``)."""
        if chosen not in self._kept:
            self._kept[chosen] = risk.watched(self.measured, chosen)
        return self._kept[chosen]

    def lists(self, chosen: Filters, within_hours: float) -> dict[str, pd.DataFrame]:
        """The overdue and due-soon tickets of the view (``risk.alert_lists``)."""
        return risk.alert_lists(self.watching(chosen), within_hours)


def view_filters(db: Database, subscription: dict,
                 known: Known | None = None) -> tuple[Filters, list[str]]:
    """The filters of the subscription's view (the whole desk without one), and what of the
    view no longer applies."""
    if not subscription.get("view"):
        return Filters(), []
    owner = subscription.get("owner")
    opened = views.open_view(db, subscription["view"], owner, known, shared_only=owner is None)
    return opened.filters, [f"The view no longer applies: {problem}" for problem in
                            opened.left_out]


def compose_due(db: Database, subscription: dict, now: dt.datetime, test: bool,
                shared: PassContext | None = None) -> dict | None:
    """The message due now (None: nothing to say); ``test`` makes one whatever is due.
    ``shared``: the pass's context, when there is one."""
    shared = shared or PassContext(db, now)
    if not test and not _due(db, subscription, now):
        return None
    chosen, notes = view_filters(db, subscription, shared.known)
    notes += shared.notes
    where = subscription.get("view") or "the whole desk"
    link = messages.view_link(config.get("SLA_PUBLIC_URL"), PAGES[subscription["kind"]],
                              chosen.texts())
    make = {"at-risk": _at_risk, "breached": _breached, "digest": _digest,
            "after-import": _after_import}[subscription["kind"]]
    return make(db, subscription, chosen, shared, test, (where, link, notes))


def _tickets_message(db, subscription, frame, reason, test, title, lead,
                     context) -> dict | None:
    where, link, notes = context
    numbers = frame["sr_number"].tolist()
    fresh = numbers if test else subscriptions.claim_new(db, subscription["_id"], reason,
                                                         numbers)
    if not fresh:
        return None
    listed = risk.rows(frame[frame["sr_number"].isin(fresh)].head(messages.LISTED))
    base = config.get("SLA_PUBLIC_URL")
    facts = {"view": subscription.get("view"), "count": len(fresh), "tickets": [
        {key: row[key] for key in ("sr_number", "priority", "team", "agent", "status",
                                   "hours_left")} for row in listed]}
    return messages.compose(
        subscription["kind"], title(len(fresh), display.clean(where, 60)), lead(len(fresh)),
        messages.ticket_lines(listed, len(fresh)), link, facts, notes,
        [messages.ticket_link(base, row["sr_number"]) for row in listed])


def _at_risk(db, subscription, chosen, shared, test, context) -> dict | None:
    within = subscription["within_hours"]
    rows = shared.lists(chosen, within)["due_soon"]
    span = display.hours(within)
    return _tickets_message(
        db, subscription, rows, "at-risk", test,
        lambda n, where: f"{display.count(n, 'ticket')} will pass the target within {span} "
                         f"({where})",
        lambda n: f"{display.count(n, 'open ticket')} will pass the resolution target within "
                  f"{span} of working time, least time left first:", context)


def _breached(db, subscription, chosen, shared, test, context) -> dict | None:
    rows = shared.lists(chosen, 0.0)["overdue"]
    return _tickets_message(
        db, subscription, rows, "breached", test,
        lambda n, where: f"{display.count(n, 'ticket')} newly past the target ({where})",
        lambda n: f"{display.count(n, 'open ticket')} passed the resolution target since the "
                  "last message:", context)


def _due(db: Database, subscription: dict, now: dt.datetime) -> bool:
    """Whether the subscription may have something to say now (checked before its view is
    opened): a digest at its time, after-import after an import newer than the one told."""
    if subscription["kind"] == "digest":
        return now >= subscription["next_due"]
    if subscription["kind"] == "after-import":
        newest = uploads.last_done_import(db)
        told = (subscription.get("last_import_at"), subscription.get("last_import"))
        return newest is not None and (told[0] is None  # ids break a tie within a second
                                       or (newest["at"], str(newest["_id"])) > told)
    return True


def _digest(db, subscription, chosen, shared, test, context) -> dict | None:
    now = shared.now
    if not test:
        plan = schedules.parse_schedule(subscription["schedule"], subscription["zone"])
        if not subscriptions.update_if(db, subscription["_id"],
                                       {"next_due": subscription["next_due"]},
                                       {"next_due": plan.next_after(now)}):
            return None  # another pass sent it
    where, link, notes = context
    figures = queries.summary(db, chosen)
    states = shared.watching(chosen)["state"]
    risk_counts = {"overdue": int((states == risk.OVERDUE).sum()),
                   "at_risk": int((states == risk.AT_RISK).sum())}
    lines = [f"Tickets: {figures['total_tickets']:,} ({figures['resolved']:,} resolved, "
             f"{figures['pending']:,} pending)",
             f"Response SLA met: {messages.pct(figures['response_sla_pct'])}",
             f"Resolution SLA met: {messages.pct(figures['resolution_sla_pct'])}",
             f"Overdue: {risk_counts['overdue']:,} · at risk: {risk_counts['at_risk']:,}"]
    lines += _moved_lines(db, chosen)
    attach = ({"filters": chosen.texts(), "name": f"sla-report-{now:%Y-%m-%d}.xlsx"}
              if subscription.get("attach_report") else None)
    if attach:
        lines.append(f"Attached: {attach['name']}, the view's report workbook.")
    facts = {"view": subscription.get("view"), "summary": {
        key: figures[key] for key in ("total_tickets", "resolved", "pending",
                                      "response_sla_pct", "resolution_sla_pct")},
        "overdue": risk_counts["overdue"], "at_risk": risk_counts["at_risk"]}
    message = messages.compose("digest", f"Digest: {display.clean(where, 60)}",
                               f"The figures of {display.clean(where, 60)} as of "
                               f"{now:%Y-%m-%d %H:%M} UTC:", lines, link, facts, notes)
    return {**message, "attach": attach} if attach else message


def _moved_lines(db, chosen: Filters, from_import: str | None = None,
                 to_import: str | None = None) -> list[str]:
    try:
        moved = queries.changes(db, chosen, from_import, to_import)
    except ChangesError:
        return []
    return [f"Since {display.clean(moved['from']['file_name'], 60)}: "
            + "; ".join(f"{label} {moved[key]['change']:+.1f}{unit}" for key, label, unit in (
                ("resolution_sla_pct", "resolution SLA met", " pts"),
                ("response_sla_pct", "response SLA met", " pts"), ("pending", "pending", ""))
                        if moved[key]["change"] is not None)]


def _after_import(db, subscription, chosen, shared, test, context) -> dict | None:
    """What changed in the view from the import told last to the newest (several imports
    since the last pass are told together; an undone import, leaving an older one newest, is
    not news)."""
    newest = uploads.last_done_import(db)
    if newest is None:
        return None
    told = subscription.get("last_import")
    if not test and not subscriptions.update_if(
            db, subscription["_id"], {"last_import": told},
            {"last_import": str(newest["_id"]), "last_import_at": newest["at"]}):
        return None  # another pass told it
    where, link, notes = context
    lines = (_moved_lines(db, chosen, told, str(newest["_id"])) if told else []) \
        or _moved_lines(db, chosen) or ["The first import: nothing to compare with yet."]
    return messages.compose(
        "after-import", f"New data: {display.clean(newest.get('file_name'), 60)} "
                        f"({display.clean(where, 60)})",
        f"{display.clean(newest.get('file_name'), 60)} was imported; in "
        f"{display.clean(where, 60)}:", lines, link,
        {"view": subscription.get("view"), "import": str(newest["_id"])}, notes)
