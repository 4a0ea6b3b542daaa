"""The command line: import, metrics, export, users and the demo data.

``./sla.sh`` in the project folder is the one way the docs and the pages name it: it runs
``python -m sla`` with the project's own Python from any working folder. Every failure the
user can cause prints one line on standard error and exits non-zero; set SLA_DEBUG=1 to see
a traceback instead.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from pymongo.errors import PyMongoError

from sla.analytics import changes, export, metrics
from sla.cli import alerts, open_work, people, report, rules, server, undo, views, watch
from sla.cli.filter_options import add_filters, filters_from
from sla.cli.output import CLI_USER, PROG, fail, log_detail, output, print_import_report, print_rows
from sla.core import display, rule_text
from sla.core.config import ConfigError
from sla.core.params import ParamError
from sla.service import (
    accounts,
    answers,
    database,
    demo,
    health,
    importing,
    people_admin,
    queries,
    watcher,
)
from sla.service import views as service_views
from sla.service.alerts import AlertError

KEY_HELP = ("the key archives are signed with (default: this installation's SLA_COOKIE_KEY or "
            "its key file); give the other installation's to restore its backup")
EXPECTED_ERRORS = (importing.ReadError, database.StoreError, database.EmbeddedError,
                   accounts.UserError, accounts.TokenError, changes.ChangesError, ConfigError,
                   ParamError, rule_text.RuleError, people_admin.PeopleError,
                   service_views.ViewError, watcher.WatchError,
                   AlertError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("import", help="import an export (.xlsx, .xlsm, .xls, .csv)")
    p.add_argument("file", type=Path, help="the file; or `undo ID` to undo the import ID")
    p.add_argument("import_id", nargs="?", help=argparse.SUPPRESS)
    p.add_argument("--dry-run", action="store_true", help="report only, write nothing")
    p.add_argument("--json", action="store_true", help="print the import report as JSON")
    p.add_argument("--user", default=CLI_USER, help="recorded as importer")
    p.add_argument("--mapping", metavar="NAME",
                   help="read the file through the column mapping saved under NAME")
    p.add_argument("--key", metavar="COLUMN",
                   help="the column that identifies each ticket, when it is not recognised")
    p.add_argument("--accept-file-values", action="store_true",
                   help="the file's values replace edits made in the app (kept by default)")
    p.add_argument("--progress", action="store_true",
                   help="print progress on standard error (default when it is a terminal)")

    for name, text in (("summary", "headline figures"), ("teams", "per team"),
                       ("agents", "per agent, with score"), ("priorities", "per priority"),
                       ("trend", "per ISO week (Monday start) or calendar month"),
                       ("at-risk", "open tickets past or close to their resolution target, "
                                   "in working hours"),
                       ("backlog", "each owner's open tickets by age, overdue and at risk")):
        p = commands.add_parser(name, help=text)
        add_filters(p)
        p.add_argument("--json", action="store_true")
        if name == "trend":
            p.add_argument("--period", choices=metrics.PERIODS, default="week")

    p = commands.add_parser("handoffs", help="hours each team held the tickets, hand-offs, "
                            "breaches owned")
    add_filters(p)
    p.add_argument("--raw", action="store_true", help="per raw team name, not per team")
    p.add_argument("--working", action="store_true",
                   help="working hours of each ticket's calendar, not wall-clock hours")
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("changes", help="what moved the figures between two imports")
    add_filters(p, dates=False)  # --from and --to name the imports here
    p.add_argument("--from", dest="from_import", metavar="ID",
                   help="the earlier import (default: the one before the latest)")
    p.add_argument("--to", dest="to_import", metavar="ID", help="the later import (default: the latest)")
    p.add_argument("--json", action="store_true")

    p = commands.add_parser("export", help="the filtered tickets as CSV")
    add_filters(p)
    p.add_argument("file", type=Path)

    _add_admin_commands(commands)
    return parser


def _add_admin_commands(commands) -> None:
    """Users, tokens, the demo data, the embedded server, backups and the readiness check."""
    p = commands.add_parser("user", help="manage users")
    user_commands = p.add_subparsers(dest="user_command", required=True)
    q = user_commands.add_parser("add", help="add a user; password read from standard input")
    q.add_argument("name")
    q.add_argument("--role", choices=accounts.ROLES, required=True)
    user_commands.add_parser("list", help="list users")
    q = user_commands.add_parser("remove", help="remove a user")
    q.add_argument("name")
    q = user_commands.add_parser("passwd", help="set a password, read from standard input")
    q.add_argument("name")
    q = user_commands.add_parser("unlock", help="let a user log in again from addresses refused after failed logins")
    q.add_argument("name")

    p = commands.add_parser("token", help="personal API tokens (docs/api.md)")
    token_commands = p.add_subparsers(dest="token_command", required=True)
    q = token_commands.add_parser("add", help="make a token for a user; printed once")
    q.add_argument("name", help="the user the token acts as (with that user's role)")
    q.add_argument("--label", default="", help="what the token is for, shown in lists")
    q = token_commands.add_parser("list", help="list tokens (never the tokens themselves)")
    q.add_argument("--user", help="only this user's tokens")
    q = token_commands.add_parser("remove", help="revoke one token (by id) or all of a user's")
    q.add_argument("id_or_user")

    rules.add_rule_commands(commands)

    people.add_commands(commands)
    report.add_commands(commands)
    views.add_commands(commands)
    watch.add_commands(commands)
    alerts.add_commands(commands)
    p = commands.add_parser("demo", help="load a generated, realistic sample data set")
    p.add_argument("--tickets", type=int, default=3000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--remove", action="store_true", help="undo the newest demo import")
    p.add_argument("--user", default=CLI_USER, help="recorded as who removed it")

    server.add_commands(commands)

    p = commands.add_parser("backup", help="write every collection of the app to an archive "
                            "(through the driver: no mongodump needed)")
    p.add_argument("file", type=Path)
    p.add_argument("--key", help=KEY_HELP)
    p = commands.add_parser("restore", help="replace all the app's data with an archive written "
                            "by backup (whole or not at all)")
    p.add_argument("file", type=Path)
    p.add_argument("--key", help=KEY_HELP)

    p = commands.add_parser("check", help="is this installation ready? non-zero exit when not")
    p.add_argument("--json", action="store_true")


# ---------------------------------------------------------------- commands

class ProgressLine:
    """An import's progress on standard error: a line each time it moves on by a tenth."""

    def __init__(self) -> None:
        self.shown = -1

    def __call__(self, fraction: float, text: str) -> None:
        step = int(fraction * 10)
        if step > self.shown:
            self.shown = step
            print(f"{fraction:4.0%}  {text}", file=sys.stderr, flush=True)


def cmd_import(args) -> int:
    if args.import_id is not None or str(args.file) == "undo":
        return undo.undo(args)
    db = database.connect()
    progress = ProgressLine() if args.progress or sys.stderr.isatty() else None
    report = importing.import_file(db, args.file, args.file.name, user=args.user, dry_run=args.dry_run,
                               progress=progress, named=args.mapping,
                               accept_file_values=args.accept_file_values, key=args.key)
    if args.json:
        print(answers.to_json(report.as_dict()))
        return 0
    print_import_report(report, "would import" if args.dry_run else "imported")
    return 0


def cmd_summary(args) -> int:
    result = answers.summary(database.connect(), filters_from(args))
    if args.json:
        print(answers.to_json(result))
        return 0
    for key in answers.SUMMARY_KEYS[:-1]:
        value = result[key]
        print(f"{key:>24}: {round(value, 1) if isinstance(value, float) else value}")
    print("          top_performers:")
    print_rows(result["top_performers"], ["agent", "total_tickets", "response_sla_pct",
                                           "resolution_sla_pct", "score"])
    return 0


def cmd_teams(args) -> int:
    output(args, answers.teams(database.connect(), filters_from(args)), answers.TEAM_KEYS)
    return 0


def cmd_priorities(args) -> int:
    output(args, answers.priorities(database.connect(), filters_from(args)),
            answers.PRIORITY_KEYS)
    return 0


def cmd_agents(args) -> int:
    rows = answers.agents(database.connect(), filters_from(args))
    columns = ["agent", *[c for c in answers.GROUP_COLUMNS if c not in ("resolved", "pending")],
               "score", "expected_resolution_sla_pct", "resolution_vs_expected", "fair_rank"]
    if args.json:
        print(answers.to_json([{k: r[k] for k in answers.AGENT_KEYS} for r in rows]))
    else:
        print_rows(rows, columns)
    return 0


def cmd_trend(args) -> int:
    rows = answers.trend(database.connect(), filters_from(args), args.period)
    output(args, rows, answers.trend_keys(args.period))
    return 0


def cmd_handoffs(args) -> int:
    """Hours held per team, measured at the data's clock like the at-risk list."""
    result = answers.handoffs(database.connect(), filters_from(args), args.raw, args.working)
    if args.json:
        print(answers.to_json(result))
        return 0
    clock = result["as_of"]
    print(f"as of {clock:%Y-%m-%d %H:%M}, {result['hours']} hours: {result['tickets']:,} tickets, "
          f"{result['tickets_handed_off']:,} handed off"
          + (" (changes between uploads placed at the later upload)" if result["approximate"] else ""))
    print_rows(result["teams"], (["team_raw"] if args.raw else []) + [
        "team", "tickets", "hours_held", "median_hours_held", "handoffs_in", "handoffs_out",
        "breaches_owned"])
    if result["transfers"]:
        print()
        print_rows(result["transfers"], ["from", "to", "handoffs", "median_hours_before"])
    return 0


def cmd_changes(args) -> int:
    result = answers.changes(database.connect(), filters_from(args), args.from_import,
                             args.to_import)
    if args.json:
        print(answers.to_json(result))
        return 0
    print(f"from the import of {result['from']['file_name']} ({result['from']['at']:%Y-%m-%d %H:%M}, "
          f"{result['from']['id']}) to {result['to']['file_name']} "
          f"({result['to']['at']:%Y-%m-%d %H:%M}, {result['to']['id']})")
    for name in ("resolution_sla_pct", "response_sla_pct", "pending"):
        figure = result[name]
        print(f"{name}: {_figure(figure['before'])} -> {_figure(figure['after'])}")
        print_rows(figure["contributions"][:10], ["cause", "team", "priority", "tickets", "points"])
    return 0


def _figure(value) -> str:
    return "-" if value is None else f"{value:,.2f}"


def cmd_export(args) -> int:
    frame = queries.tickets_frame(database.connect(), filters_from(args))
    try:
        args.file.write_bytes(export.to_csv_bytes(frame))
    except OSError as exc:
        raise importing.ReadError(f"cannot write {args.file}: {exc.strerror or exc}") from None
    print(f"wrote {len(frame):,} tickets to {args.file}")
    return 0


def _read_password(prompt: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\r\n")


def cmd_user(args) -> int:
    db = database.connect()
    if args.user_command == "add":
        accounts.add_user(db, args.name, _read_password("password: "), args.role)
        print(f"added {args.role} {args.name}")
    elif args.user_command == "list":
        refused = accounts.refused_addresses(db)
        for user in accounts.list_users(db):
            addresses = refused.get(user["username"])
            blocked = f" (logins refused from {', '.join(addresses)})" if addresses else ""
            print(f"{user['username']}\t{user['role']}{blocked}")
    elif args.user_command == "remove":
        accounts.remove_user(db, args.name)
        print(f"removed {args.name}")
    elif args.user_command == "unlock":
        accounts.unlock_user(db, args.name)
        print(f"unlocked {args.name}")
    else:
        accounts.set_password(db, args.name, _read_password("new password: "))
        print(f"password of {args.name} changed")
    return 0


def cmd_token(args) -> int:
    db = database.connect()
    if args.token_command == "add":
        token, record = accounts.add_token(db, args.name, args.label,
                                         created_by=CLI_USER)
        print(token)
        print(f"token {record['id']} for {record['username']}: shown this once, keep it "
              f"secret; revoke it with `{PROG} token remove {record['id']}`", file=sys.stderr)
    elif args.token_command == "list":
        for item in accounts.list_tokens(db, args.user):
            state = f"revoked {item['revoked_at']:%Y-%m-%d %H:%M}" if item["revoked_at"] else (
                f"last used {item['last_used_at']:%Y-%m-%d %H:%M}" if item["last_used_at"]
                else "never used")
            print(f"{item['id']}\t{item['username']}\t{item['created_at']:%Y-%m-%d %H:%M}\t"
                  f"{state}\t{display.clean(item['name'])}")
    else:
        revoked = accounts.revoke_token(db, args.id_or_user, by=CLI_USER)
        print(f"revoked {', '.join(revoked)}")
    return 0


def cmd_demo(args) -> int:
    if args.remove:
        return undo.remove_demo(args)
    frame = demo.generate_export(args.tickets, seed=args.seed)
    report = importing.import_file(database.connect(), demo.to_xlsx_bytes(frame), demo.DEMO_FILE,
                               user=demo.DEMO_USER)
    print(f"demo data: inserted {report.inserted:,}, updated {report.updated:,}, "
          f"unchanged {report.unchanged:,}")
    return 0


def cmd_backup(args) -> int:
    result = database.back_up(args.file, args.key)
    print(f"backed up {result.collections} collections ({result.documents:,} documents) "
          f"to {result.path}")
    return 0


def cmd_restore(args) -> int:
    result = database.restore(args.file, args.key)
    print(f"restored {result.collections} collections ({result.documents:,} documents) "
          f"from {result.path}, written {result.created_at}")
    return 0


def cmd_check(args) -> int:
    results = health.run_checks()
    if args.json:
        print(answers.to_json(results))
    else:
        for item in results:
            print(f"{'ok ' if item['ok'] else 'FAIL'} {item['check']}: {item['detail']}")
    return 0 if all(item["ok"] for item in results) else 1


COMMANDS = {"import": cmd_import, "summary": cmd_summary, "teams": cmd_teams,
            "agents": cmd_agents, "priorities": cmd_priorities, "trend": cmd_trend,
            "at-risk": open_work.cmd_at_risk, "backlog": open_work.cmd_backlog,
            "handoffs": cmd_handoffs, "changes": cmd_changes, "export": cmd_export,
            "user": cmd_user, "token": cmd_token, "settings": rules.cmd_settings,
            "calendar": rules.cmd_calendar, "people": people.cmd_people, "report": report.cmd_report, "view": views.cmd_view,
            "watch": watch.cmd_watch, "alerts": alerts.cmd_alerts,
            "demo": cmd_demo,
            "server": server.cmd_server, "backup": cmd_backup, "restore": cmd_restore,
            "check": cmd_check}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except EXPECTED_ERRORS as exc:
        return fail(str(exc))
    except BrokenPipeError:  # output piped into `head` and the like
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except PyMongoError as exc:
        log_detail(exc)
        return fail("the database stopped answering in the middle of the command; run it again "
                    "(an interrupted import is completed by running it again)")
    except OSError as exc:
        log_detail(exc)
        return fail(f"{exc.filename or 'a file'}: {(exc.strerror or 'cannot be used').lower()}")
    except Exception as exc:  # one line, never a traceback, unless asked for
        if os.environ.get("SLA_DEBUG"):
            raise
        where = log_detail(exc)
        return fail(f"something unexpected went wrong; the details are in {where} "
                    "(or set SLA_DEBUG=1 to see them here)", code=1)
