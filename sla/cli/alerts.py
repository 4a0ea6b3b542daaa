"""``alerts add|list|remove|run|serve|test``: subscriptions and their delivery from the
command line (``sla.service.alerts``); ``serve`` is the scheduler loop, ``run`` one pass."""

from __future__ import annotations

import signal
import sys
import time

from pymongo.errors import PyMongoError

from sla.cli.output import CLI_USER, log_detail
from sla.service import alerts, answers, database


def add_commands(commands) -> None:
    p = commands.add_parser("alerts", help="alert and digest subscriptions, and sending them")
    sub = p.add_subparsers(dest="alerts_command", required=True)
    q = sub.add_parser("add", help="subscribe an address or a webhook to a view's alerts")
    q.add_argument("--kind", required=True, choices=alerts.KINDS)
    target = q.add_mutually_exclusive_group(required=True)
    target.add_argument("--email", metavar="ADDR",
                        help="an e-mail address, team:NAME (its lead) or person:NAME")
    target.add_argument("--webhook", metavar="URL", help="JSON POSTed here (Slack, Teams …)")
    q.add_argument("--view", metavar="NAME", help="a saved view (default: the whole desk)")
    q.add_argument("--for", dest="owner", metavar="USER", help="the view is this user's own")
    q.add_argument("--within", metavar="TIME", help="at-risk: working time ahead, e.g. 4h "
                                                    f"(default {alerts.DEFAULT_WITHIN})")
    q.add_argument("--every", metavar="WHEN", help='digest: "daily 08:00" or "weekly mon 08:00"')
    q.add_argument("--tz", default="UTC", help="the schedule's time zone, e.g. Europe/Madrid")
    q.add_argument("--attach", action="store_true",
                   help="digest by e-mail: attach the view's report workbook (.xlsx)")
    q.add_argument("--user", default=CLI_USER, help="recorded as who subscribed")
    q = sub.add_parser("list", help="every subscription")
    q.add_argument("--json", action="store_true")
    q = sub.add_parser("remove", help="end a subscription")
    q.add_argument("id")
    q = sub.add_parser("test", help="send a subscription's message now")
    q.add_argument("id")
    q = sub.add_parser("run", help="one pass: send everything due, then exit (for cron)")
    q.add_argument("--json", action="store_true")
    q = sub.add_parser("serve", help="the scheduler: a pass every --every seconds")
    q.add_argument("--every", type=float, default=60.0, metavar="SECONDS")


def cmd_alerts(args) -> int:
    return {"add": _add, "list": _list, "remove": _remove, "test": _test, "run": _run,
            "serve": _serve}[args.alerts_command](args)


def _add(args) -> int:
    made = alerts.add_subscription(database.connect(), alerts.Request(
        args.kind, args.email, args.webhook, args.view, args.owner, args.within, args.every,
        args.tz, args.attach), by=args.user)
    print(f"subscription {made['id']}: {_words(made)}")
    return 0


def _words(row: dict) -> str:
    timing = (f" within {row['within_hours']:g} h" if row["within_hours"] else
              f" {row['every']} ({row['zone']})" if row["every"] else "")
    return (f"{row['kind']}{timing} of {row['view'] or 'the whole desk'} to {row['to']}"
            + (" with the report workbook" if row["attach"] else ""))


def _list(args) -> int:
    rows = alerts.list_subscriptions(database.connect())
    if args.json:
        print(answers.to_json(rows))
    elif not rows:
        print("no subscription yet: add one with `alerts add`")
    for row in [] if args.json else rows:
        print(f"{row['id']}  {_words(row)}")
    return 0


def _remove(args) -> int:
    alerts.remove_subscription(database.connect(), args.id)
    print(f"removed subscription {args.id.strip()}")
    return 0


def _test(args) -> int:
    counts = alerts.send_test(database.connect(), args.id)
    print(_counts(counts))
    return 0 if counts["sent"] else 1


def _counts(counts: dict) -> str:
    return ", ".join(f"{counts.get(key, 0):,} {key}" for key in ("queued", "sent", "retrying",
                                                                 "failed") if key in counts)


def _run(args) -> int:
    outcome = alerts.run_pass(database.connect())
    if args.json:
        print(answers.to_json(outcome))
    elif not outcome["ran"]:
        print("another scheduler is running a pass; nothing was sent")
    else:
        print(_counts(outcome))
    return 0


def _serve(args) -> int:
    """A pass every ``--every`` seconds until SIGTERM or Ctrl-C; a pass that fails (the store
    away) is said in one line and the next one tries again."""
    if args.every <= 0:
        raise alerts.AlertError("--every must be above 0.")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"sending alerts: a pass every {args.every:g} s (Ctrl-C stops)", flush=True)
    try:
        while True:
            try:
                outcome = alerts.run_pass(database.connect())
                if outcome["ran"] and any(outcome[k] for k in ("queued", "sent", "retrying",
                                                                "failed")):
                    print(_counts(outcome), flush=True)
            except (database.StoreError, PyMongoError) as exc:
                log_detail(exc)
                print(f"error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                      file=sys.stderr, flush=True)
            time.sleep(args.every)
    except KeyboardInterrupt:
        return 0
