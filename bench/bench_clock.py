"""The SLA clock's cost: imports, a rule change and the Dashboard with a business calendar
and a paused status, against the 24x7 clock of before (a script, not a test).

    .venv/bin/python bench/bench_clock.py                 # 100k and 1m
    .venv/bin/python bench/bench_clock.py --sets 100k

For each generated .csv set, on one embedded store:

* 24x7: ``./sla.sh import`` into an empty database with the default rules (wall time and
  peak memory of the child, from ``/usr/bin/time``);
* clocked: the same file into another empty database where ``CALENDAR`` is every team's
  calendar, "Pending Customer" is paused and the outcomes of files without a preset are
  computed from our targets, so every ticket's working time is measured;
* a calendar change: ``./sla.sh calendar add`` replacing that calendar's hours, which derives
  every stored ticket again;
* the Dashboard: every figure for a filter not seen before (summary, teams, trend,
  priorities, the overdue and at-risk lists) over the clocked read model in memory.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import datasets
from bench_designs import NEW_FILTER, dashboard_figures
from common import ROOT, Timer, print_figures, run_sets

from sla.storage import connection, versions
from sla.storage.settings import get_settings

CALENDAR = ["Office", "--hours", "Mon-Fri 08:00-12:00 13:00-18:00", "--timezone",
            "Europe/Madrid", "--holiday", "2026-01-01", "--holiday", "2026-04-03",
            "--holiday", "2026-05-01", "--holiday", "2026-12-25"]
LONGER_DAYS = ["Office", "--hours", "Mon-Fri 07:00-19:00", "--timezone", "Europe/Madrid",
               "--holiday", "2026-01-01"]
CLOCK_RULES = [("calendar", "add", *CALENDAR), ("calendar", "assign", "Office"),
               ("settings", "set", "paused_statuses", "Pending Customer"),
               ("settings", "set", "computed_outcomes", "other")]


def cli(uri: str, database: str, *args: str) -> tuple[float, float, str]:
    """``python -m sla ARGS`` against ``database``: wall seconds, peak MB, standard output."""
    env = {**os.environ, "MONGO_URI": uri, "SLA_DB": database, "PYTHONPATH": str(ROOT),
           "SLA_MAX_UPLOAD_MB": "1024"}
    process = subprocess.run(["/usr/bin/time", "-f", "%e %M", sys.executable, "-m", "sla",
                              *args], env=env, cwd=ROOT, capture_output=True, text=True,
                             timeout=3600)
    if process.returncode:
        raise SystemExit(f"sla {' '.join(args)} failed: {process.stderr.strip()[-500:]}")
    seconds, kilobytes = process.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kilobytes) / 1024, process.stdout


def bench_set(uri: str, label: str, path) -> list[tuple[str, str]]:
    print(f"{label}: {path.name} ({path.stat().st_size / 1e6:.0f} MB)", flush=True)
    plain, plain_mb, _ = cli(uri, f"bench_plain_{label}", "import", str(path))
    print(f"  24x7 import: {plain:.1f} s, peak {plain_mb:,.0f} MB", flush=True)
    clocked_db = f"bench_clock_{label}"
    for args in CLOCK_RULES:
        cli(uri, clocked_db, *args)
    clocked, clocked_mb, _ = cli(uri, clocked_db, "import", str(path))
    print(f"  clocked import: {clocked:.1f} s ({clocked / plain:.2f}x), peak "
          f"{clocked_mb:,.0f} MB", flush=True)
    change, change_mb, moved = cli(uri, clocked_db, "calendar", "add", *LONGER_DAYS)
    print(f"  calendar change: {change:.1f} s, peak {change_mb:,.0f} MB; "
          f"{moved.strip().splitlines()[-1][:160]}", flush=True)
    db = connection.connect(uri, clocked_db)
    snapshot, settings = versions.snapshot(db), get_settings(db)
    at = snapshot.frame["created"].max().to_pydatetime() + dt.timedelta(hours=1)
    with Timer() as figures:
        dashboard_figures(snapshot, NEW_FILTER, settings, at)
    with Timer() as unfiltered:
        dashboard_figures(snapshot, type(NEW_FILTER)(), settings, at)
    print(f"  dashboard, new filter: {figures.seconds * 1000:.0f} ms; no filter "
          f"{unfiltered.seconds * 1000:.0f} ms", flush=True)
    return [(f"{label}: 24x7 import (CLI)", f"{plain:.1f} s, peak {plain_mb:,.0f} MB"),
            (f"{label}: clocked import (CLI)", f"{clocked:.1f} s = {clocked / plain:.2f}x, "
                                               f"peak {clocked_mb:,.0f} MB"),
            (f"{label}: calendar change, every ticket derived again (CLI)",
             f"{change:.1f} s, peak {change_mb:,.0f} MB"),
            (f"{label}: every Dashboard figure, new filter / no filter",
             f"{figures.seconds * 1000:.0f} ms / {unfiltered.seconds * 1000:.0f} ms")]


def main() -> int:
    print_figures(run_sets(__doc__.splitlines()[0], datasets.GENERATED, bench_set))
    return 0


if __name__ == "__main__":
    sys.exit(main())
