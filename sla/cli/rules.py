"""The commands for the rules behind the numbers: ``settings show|set`` and
``calendar add|assign|list|remove`` (docs/metrics.md, "Rules" and "The SLA clock")."""

from __future__ import annotations

from pathlib import Path

from sla.cli.output import CLI_USER
from sla.core import rule_form, rule_text
from sla.service import answers, database, queries, rules_admin


def add_rule_commands(commands) -> None:
    """The rules in force, and the business-hours calendars (docs/metrics.md, "Rules")."""
    p = commands.add_parser("settings", help="show or set the rules behind the numbers")
    rule_commands = p.add_subparsers(dest="settings_command", required=True)
    q = rule_commands.add_parser("show", help="the rules in force")
    q.add_argument("--json", action="store_true")
    q = rule_commands.add_parser("set", help="set one rule; stored tickets follow at once",
                                 description=rule_text.__doc__.split("\n")[0])
    q.add_argument("rule", help=f"one of: {', '.join(rule_text.SETTABLE)}")
    q.add_argument("values", nargs="*", help="the rule's values (a list rule takes several)")

    p = commands.add_parser("calendar", help="business-hours calendars the SLA clock counts on")
    calendar_commands = p.add_subparsers(dest="calendar_command", required=True)
    q = calendar_commands.add_parser("add", help="add a calendar (or replace one of that name)")
    q.add_argument("name")
    q.add_argument("--hours", action="append", default=[], required=True,
                   help='working days and windows, e.g. "Mon-Fri 08:00-12:00 13:00-17:00"; '
                        "repeat for other days")
    q.add_argument("--holiday", action="append", default=[], metavar="YYYY-MM-DD")
    q.add_argument("--holidays", action="append", default=[], type=Path, metavar="FILE",
                   help="holidays from an iCalendar (.ics) or CSV file")
    q.add_argument("--timezone", default="UTC", help="IANA time zone, e.g. Europe/Madrid "
                   "(the file's times are read in it)")
    q = calendar_commands.add_parser("assign", help="make teams use a calendar")
    q.add_argument("name")
    q.add_argument("--team", action="append", default=[],
                   help="a team (repeat for several); none: every team")
    q = calendar_commands.add_parser("list", help="the calendars and which teams use them")
    q.add_argument("--json", action="store_true")
    q = calendar_commands.add_parser("remove", help="remove a calendar no team uses")
    q.add_argument("name")


def cmd_settings(args) -> int:
    db = database.connect()
    if args.settings_command == "set":
        before = queries.settings(db)
        moved = rules_admin.set_rule(db, args.rule, args.values, CLI_USER)
        print_moved(moved, before, queries.settings(db))
        return 0
    rules = queries.settings(db)
    if args.json:
        print(answers.to_json(rules))
    else:
        for name, text in rule_text.rule_lines(rules):
            print(f"{name}\t{text}")
    return 0


def cmd_calendar(args) -> int:
    db = database.connect()
    before = queries.settings(db)
    if args.calendar_command == "add":
        calendar = {"name": args.name, "timezone": args.timezone, "hours": args.hours,
                    "holidays": args.holiday}
        files = [(path.read_bytes(), path.name) for path in args.holidays]
        moved, replaced = rules_admin.add_calendar(db, calendar, files, CLI_USER)
        print(f"{'replaced' if replaced else 'added'} calendar {args.name}")
        print_moved(moved, before, queries.settings(db))
    elif args.calendar_command == "assign":
        moved = rules_admin.assign_calendar(db, args.name, args.team, CLI_USER)
        print_moved(moved, before, queries.settings(db))
    elif args.calendar_command == "remove":
        rules_admin.remove_calendar(db, args.name, CLI_USER)
        print(f"removed calendar {args.name}")
    else:
        rows = answers.calendars(db)
        if args.json:
            print(answers.to_json(rows))
        for row in [] if args.json else rows:
            print(f"{row['name']}\t{row['timezone']}\t{'; '.join(row['hours'])}\t"
                  f"{len(row['holidays'])} holidays\tused by: {', '.join(row['teams']) or '-'}")
    return 0


def print_moved(moved: dict, before: dict, after: dict) -> None:
    """What a rule change moved in the stored tickets, in plain words, and why no outcome
    moved when the files' verdicts decide them."""
    if not moved:
        print("saved; no ticket changed class or outcome")
    for name, counts in moved.items():
        print(f"{name}: " + ", ".join(f"{change} ({count:,})" for change, count in counts.items()))
    note = rule_form.file_decides_note(before, after, moved)
    if note:
        print(note)
