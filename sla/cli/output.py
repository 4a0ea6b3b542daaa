"""What every command shares: printing rows, the one line a failure prints, the log of
details."""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import traceback
from pathlib import Path

import pandas as pd

from sla.core import config
from sla.service import answers

EXIT_FAILED = 2
PROG = "./sla.sh"
CLI_USER = os.environ.get("USER", "cli")  # recorded with changes made from the command line


def print_rows(rows: list[dict], columns: list[str]) -> None:
    if not rows:
        print("no tickets match")
        return
    frame = pd.DataFrame(rows)[columns]
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.1f}"))


def output(args, rows: list[dict], columns: list[str]) -> None:
    if args.json:
        print(answers.to_json(rows))
    else:
        print_rows(rows, columns)


def print_import_report(report, verb: str = "imported") -> None:
    """An import's report as the command line prints it (``import``, ``watch``)."""
    print(f"{verb} {report.file_name}: {report.rows_read:,} rows read, {report.tickets:,} tickets "
          f"({report.folded:,} rows folded into later rows of the same SR)")
    if report.detected_as:
        print(f"  Detected: {report.detected_as}")
    if report.import_id:
        print(f"  import id {report.import_id} (undo it with {PROG} import undo {report.import_id})")
    print(f"  inserted {report.inserted:,}, updated {report.updated:,}, "
          f"unchanged {report.unchanged:,}, rejected {report.rejected:,}")
    print(f"  not parsed: {report.durations_not_parsed:,} durations, {report.dates_not_parsed:,} "
          f"dates; SLA values not recognised: {report.sla_not_recognised:,}")
    print(f"  teams: {sum(report.teams_other.values()):,} tickets in Other, "
          f"{report.teams_unassigned:,} Unassigned")
    for row in report.rejected_rows[:10]:
        print(f"  rejected row {row['row']}: {row['reason']}")
    for note in report.notes:
        print(f"  note: {note}")


MAX_MESSAGE = 300


def fail(message: str, code: int = EXIT_FAILED) -> int:
    """The user's one line: the first line of ``message``, never longer than a line should be."""
    line = " ".join(message.split()) or "failed"
    if len(line) > MAX_MESSAGE:
        line = line[: MAX_MESSAGE - 1] + "…"
    print(f"error: {line}", file=sys.stderr)
    return code


LOG_FILE = "sla.log"


def log_detail(exc: BaseException) -> Path:
    """Append the exception with its traceback to the log in the data folder (or the
    temporary folder when that one is unusable); the log's path."""
    for folder in (config.data_dir(), Path(tempfile.gettempdir())):
        path = folder / LOG_FILE
        try:
            with path.open("a", encoding="utf-8") as handle:
                handle.write(f"--- {dt.datetime.now():%Y-%m-%d %H:%M:%S} {PROG} "
                             f"{' '.join(sys.argv[1:])}\n")
                traceback.print_exception(exc, file=handle)
            return path
        except OSError:
            continue
    return Path(LOG_FILE)
