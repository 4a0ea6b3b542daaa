"""Undoing an import: what it costs at 100k and 1M tickets (a script, not a test).

    .venv/bin/python bench/bench_undo.py                 # 100k and 1m
    .venv/bin/python bench/bench_undo.py --sets 100k

Each generated .csv set is imported with ``./sla.sh import`` into an empty database. A
second export of the same tickets, with a tenth of them moved on (their status changed) and
1% new tickets, is imported next; then ``./sla.sh import undo ID`` takes it back: the new
tickets removed, the changed ones put back from their history, and the read model rebuilt
from the tickets. The figures after the undo are checked against those before the second
import.
"""

from __future__ import annotations

import json
import sys

import datasets
import numpy as np
import pandas as pd
from bench_clock import cli
from common import bench_main

from sla.analytics import metrics
from sla.storage import connection, versions

MOVED_SHARE = 10  # one ticket in ten moves on in the second export
NEW_SHARE = 100  # and one in a hundred is new


def second_export(path):
    """The set's second export (cached): a tenth of its tickets moved on, 1% new ones."""
    target = path.with_name(f"undo_{path.name}")
    if target.exists():
        return target
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    moved = np.arange(len(frame)) % MOVED_SHARE == 0
    frame.loc[moved, "Status"] = np.where(frame.loc[moved, "Status"] == "Closed", "Open",
                                          "Closed")
    extra = frame.iloc[: len(frame) // NEW_SHARE].copy()
    extra["SR Number"] = "NEW-" + extra["SR Number"]
    pd.concat([frame, extra], ignore_index=True).to_csv(target, index=False)
    return target


def figures(uri: str, database: str) -> dict:
    return metrics.summary(versions.snapshot(connection.connect(uri, database)))


def bench_set(uri: str, label: str, path) -> list[tuple[str, str]]:
    print(f"{label}: {path.name} ({path.stat().st_size / 1e6:.0f} MB)", flush=True)
    database = f"bench_undo_{label}"
    first, first_mb, _ = cli(uri, database, "import", str(path))
    print(f"  first import: {first:.1f} s, peak {first_mb:,.0f} MB", flush=True)
    before = figures(uri, database)
    second, second_mb, said = cli(uri, database, "import", str(second_export(path)), "--json")
    report = json.loads(said)
    print(f"  second import: {second:.1f} s, peak {second_mb:,.0f} MB; inserted "
          f"{report['inserted']:,}, updated {report['updated']:,}", flush=True)
    undone, undone_mb, said = cli(uri, database, "import", "undo", report["import_id"])
    print(f"  undo: {undone:.1f} s, peak {undone_mb:,.0f} MB; {said.strip()}", flush=True)
    same = figures(uri, database) == before
    print(f"  figures after the undo equal those before the second import: {same}", flush=True)
    if not same:
        raise SystemExit("the undo did not give back the figures of before")
    return [(f"{label}: second import ({report['updated']:,} changed, {report['inserted']:,} "
             "new) (CLI)", f"{second:.1f} s, peak {second_mb:,.0f} MB"),
            (f"{label}: its undo, figures as before (CLI)",
             f"{undone:.1f} s, peak {undone_mb:,.0f} MB")]


if __name__ == "__main__":
    sys.exit(bench_main(__doc__.splitlines()[0], datasets.GENERATED, bench_set))
