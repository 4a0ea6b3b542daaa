"""``people list|show|set|merge|import|export``: the agents directory from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

from sla.cli.output import CLI_USER, print_rows
from sla.core import display
from sla.service import answers, database, people_admin

LIST_COLUMNS = ["name", "display_name", "team", "active", "resolved", "open", "first_seen",
                "last_seen", "aliases"]


def add_commands(commands) -> None:
    """The ``people`` command and its sub-commands."""
    p = commands.add_parser("people", help="the agents directory: everyone seen as resolver "
                                           "or owner")
    sub = p.add_subparsers(dest="people_command", required=True)
    q = sub.add_parser("list", help="everyone, most tickets first")
    q.add_argument("--json", action="store_true")
    q = sub.add_parser("show", help="one person, by name or alias")
    q.add_argument("name")
    q.add_argument("--json", action="store_true")
    q = sub.add_parser("set", help="set a person's display name, e-mail, team or active/left")
    q.add_argument("name")
    q.add_argument("--display-name")
    q.add_argument("--email")
    q.add_argument("--team", help="one of the desk's teams; empty: the data's")
    q.add_argument("--active", choices=["active", "left"])
    q.add_argument("--user", default=CLI_USER, help="recorded with the change")
    q = sub.add_parser("merge", help="make ALIAS the same person as NAME (figures follow)")
    q.add_argument("alias")
    q.add_argument("name")
    q.add_argument("--user", default=CLI_USER, help="recorded with the change")
    q = sub.add_parser("import", help="a roster CSV: name, email, team, aliases (';' between)")
    q.add_argument("file", type=Path)
    q.add_argument("--user", default=CLI_USER, help="recorded with the change")
    q = sub.add_parser("export", help="the directory as a roster CSV (- for standard output)")
    q.add_argument("file")


def cmd_people(args) -> int:
    return {"list": _list, "show": _show, "set": _set, "merge": _merge, "import": _import,
            "export": _export}[args.people_command](args)


def _list(args) -> int:
    rows = answers.people(database.connect())
    if args.json:
        print(answers.to_json(rows))
    elif rows:
        print_rows([{**r, "aliases": ", ".join(r["aliases"])} for r in rows], LIST_COLUMNS)
    else:
        print("nobody yet: import an export with resolvers or owners")
    return 0


def _show(args) -> int:
    row = answers.person(database.connect(), args.name)
    if row is None:
        raise people_admin.PeopleError(f'"{args.name}" is not in the directory')
    if args.json:
        print(answers.to_json(row))
    else:
        for key, value in row.items():
            shown = ", ".join(value) if isinstance(value, list) else value
            print(f"{key}: {'' if shown is None else shown}")
    return 0


def _set(args) -> int:
    values = {name: value for name, value in (
        ("display_name", args.display_name), ("email", args.email), ("team", args.team),
        ("active", args.active)) if value is not None}
    if not values:
        raise people_admin.PeopleError("nothing to set: give --display-name, --email, --team "
                                       "or --active")
    stored = people_admin.set_person(database.connect(), args.name, values, args.user)
    print(f"{args.name}: " + ", ".join(f"{k} {v!r}" for k, v in stored.items()))
    return 0


def _merge(args) -> int:
    moved = people_admin.merge(database.connect(), args.alias, args.name, args.user)
    print(f"{args.alias} is now {args.name}: {display.count(moved, 'ticket')} moved to "
          f"{args.name}")
    return 0


def _import(args) -> int:
    text = args.file.read_bytes().decode("utf-8-sig", errors="replace")
    count = people_admin.import_roster(database.connect(), text, args.user)
    print(f"roster imported: {count:,} people")
    return 0


def _export(args) -> int:
    data = people_admin.roster_csv(database.connect())
    if args.file == "-":
        sys.stdout.buffer.write(data)
    else:
        Path(args.file).write_bytes(data)
        print(f"wrote {args.file}")
    return 0
