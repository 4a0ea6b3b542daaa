"""``./sla.sh server``: the embedded database server (status, start, stop; hold and release
for ./run.sh, which stops the server it started when its app ends)."""

from __future__ import annotations

from sla.cli.output import fail
from sla.service import database


def add_commands(commands) -> None:
    p = commands.add_parser("server", help="the embedded database server")
    p.add_argument("action", choices=("status", "start", "stop", "hold", "release"),
                   help="hold/release: ./run.sh holds the server while its app runs, and the "
                   "server it started stops when the last such app ends")
    p.add_argument("--pid", type=int, help="hold/release: the app process (./run.sh's own)")


def cmd_server(args) -> int:
    if not database.embedded_in_use():
        print("MONGO_URI is set: the embedded server is not used")
        return 0
    if args.action in ("hold", "release") and args.pid is None:
        return fail(f"server {args.action} needs --pid (the app process)")
    if args.action == "start":
        uri, folder = database.start_server()
        print(f"embedded server at {uri} on {folder}")
    elif args.action == "stop":
        stopped, _ = database.stop_server()
        print("stopped" if stopped else "no embedded server was running")
    elif args.action == "hold":
        uri, folder = database.hold_server(args.pid)
        print(f"embedded server at {uri} on {folder}")
    elif args.action == "release":
        stopped, folder = database.release_server(args.pid)
        if stopped:
            print(f"stopped the embedded server on {folder} (no app uses it any more)")
    else:
        port, folder = database.server_port()
        print(f"running on port {port} ({folder})" if port else f"not running ({folder})")
    return 0
