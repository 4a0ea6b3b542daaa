"""``view list|save|remove``: saved views from the command line (``--view NAME`` opens one
wherever filters are taken)."""

from __future__ import annotations

from sla.cli.filter_options import add_filters, filters_from
from sla.cli.output import CLI_USER
from sla.service import answers, database, views


def add_commands(commands) -> None:
    """The ``view`` command and its sub-commands."""
    p = commands.add_parser("view", help="saved views: filters kept under a name")
    sub = p.add_subparsers(dest="view_command", required=True)
    q = sub.add_parser("list", help="every view, shared ones first")
    q.add_argument("--json", action="store_true")
    q = sub.add_parser("save", help="keep the filters given as a view (shared, or --for USER)")
    q.add_argument("name")
    add_filters(q)
    q.add_argument("--for", dest="owner", metavar="USER",
                   help="a personal view of this user (default: shared with everyone)")
    q.add_argument("--user", default=CLI_USER, help="recorded as who saved it")
    q = sub.add_parser("remove", help="forget a view (shared, or --for USER)")
    q.add_argument("name")
    q.add_argument("--for", dest="owner", metavar="USER", help="a personal view of this user")


def cmd_view(args) -> int:
    return {"list": _list, "save": _save, "remove": _remove}[args.view_command](args)


def _list(args) -> int:
    rows = views.all_views(database.connect())
    if args.json:
        print(answers.to_json(rows))
        return 0
    if not rows:
        print("no saved view yet: save one on a page's filter bar or with `view save NAME`")
    for row in rows:
        whose = "shared" if row["shared"] else f"{row['owner']}'s"
        terms = "; ".join(f"{name}={','.join(values)}" for name, values in row["filters"].items())
        print(f"{row['name']} ({whose}): {terms or 'all tickets'}")
    return 0


def _save(args) -> int:
    is_new = views.keep_view(database.connect(), args.name, filters_from(args), args.owner,
                             args.user)
    whose = "shared view" if args.owner is None else f"view of {args.owner}"
    print(f"{'saved' if is_new else 'replaced the filters of'} the {whose} "
          f"{views.check_name(args.name)!r}")
    return 0


def _remove(args) -> int:
    views.remove_view(database.connect(), None, args.name, shared=args.owner is None,
                      owner=args.owner)
    print(f"removed the view {args.name.strip()!r}")
    return 0
