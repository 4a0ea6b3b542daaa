"""The commands about open tickets now: the overdue and at-risk lists and each owner's
backlog, measured at one clock (now for fresh data, else the data's)."""

from __future__ import annotations

from sla.cli.filter_options import filters_from
from sla.cli.output import print_rows
from sla.service import answers, database

CLOCK_BASES = {"now": "now: the data is a live export imported within a day",
               "import": "the latest import", "data": "the latest date in the data"}


def cmd_at_risk(args) -> int:
    """The overdue and at-risk lists, as the Dashboard shows them."""
    result = answers.at_risk(database.connect(), filters_from(args))
    if args.json:
        print(answers.to_json(result))
        return 0
    counts = result["counts"]
    if result["as_of"]:
        print(f"as of {result['as_of']:%Y-%m-%d %H:%M} ({CLOCK_BASES[result['clock']]}): "
              f"{counts['overdue']:,} overdue, {counts['at_risk']:,} at risk, "
              f"{counts['paused']:,} paused")
    print_rows(result["tickets"], ["state", "sr_number", "priority", "team", "agent",
                                    "status", "worked_hours", "target_hours", "hours_left"])
    return 0


def cmd_backlog(args) -> int:
    """Each owner's open tickets by age, overdue and at risk, as Agent Performance shows them."""
    result = answers.backlog(database.connect(), filters_from(args))
    if args.json:
        print(answers.to_json(result))
        return 0
    if result["as_of"]:
        total = result["total"]
        print(f"as of {result['as_of']:%Y-%m-%d %H:%M} ({CLOCK_BASES[result['clock']]}): "
              f"{total['open']:,} open, {total['overdue']:,} overdue, "
              f"{total['at_risk']:,} at risk")
    print_rows(result["agents"], list(answers.BACKLOG_KEYS))
    return 0
