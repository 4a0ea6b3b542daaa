"""``watch DIR``: import every new or changed export dropped in a folder, once each, in
arrival order (``sla.service.watcher``), until stopped; ``--once`` for one pass (cron)."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from pymongo.errors import PyMongoError

from sla.cli.output import CLI_USER, log_detail, print_import_report
from sla.service import database, watcher


def add_commands(commands) -> None:
    p = commands.add_parser("watch", help="import every new or changed export dropped in DIR")
    p.add_argument("folder", type=Path, metavar="DIR")
    p.add_argument("--every", type=float, default=10.0, metavar="SECONDS",
                   help="how often to look (default 10)")
    p.add_argument("--settle", type=float, default=watcher.SETTLE_S, metavar="SECONDS",
                   help="a file modified more recently is still being written: left for the "
                        f"next look (default {watcher.SETTLE_S:g})")
    p.add_argument("--once", action="store_true", help="one pass, then exit (for cron)")
    p.add_argument("--user", default=f"{CLI_USER} (watch)", help="recorded with each import")


def cmd_watch(args) -> int:
    """One pass with ``--once`` (exit 2 when the folder cannot be read); else passes every
    ``--every`` seconds until SIGTERM or Ctrl-C, saying once when the folder or the store
    goes away and once when it is back."""
    if args.every <= 0 or args.settle < 0:
        raise watcher.WatchError("--every must be above 0 and --settle 0 or more.")
    if args.once:
        _report(watcher.watch_pass(database.connect(), args.folder, args.user, args.settle))
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"watching {args.folder} every {args.every:g} s (Ctrl-C stops)", flush=True)
    trouble = None
    try:
        while True:
            trouble = _one_pass(args, trouble)
            time.sleep(args.every)
    except KeyboardInterrupt:
        return 0


def _one_pass(args, trouble: str | None) -> str | None:
    """A pass; the trouble it met (said when new), None when it went well."""
    try:
        _report(watcher.watch_pass(database.connect(), args.folder, args.user, args.settle,
                                   every_s=args.every))
    except (watcher.WatchError, database.StoreError, PyMongoError, OSError) as exc:
        said = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if said != trouble:
            log_detail(exc)
            print(f"error: {said} (looking again every {args.every:g} s)", file=sys.stderr,
                  flush=True)
        return said
    if trouble:
        print(f"{args.folder} can be read again", flush=True)
    return None


def _report(taken: list[watcher.Taken]) -> None:
    for item in taken:
        if item.report is not None:
            print_import_report(item.report)
        else:
            where = f" and is now in {watcher.FAILED}/" if item.moved else ""
            print(f"error: {item.name} was not imported{where}: {item.reason}", file=sys.stderr)
    sys.stdout.flush()
