"""Dashboard figures, ours against the old way's queries, on one store (a script, not a test).

    .venv/bin/python bench/bench_dashboard.py                  # seed, 100k and 1m
    .venv/bin/python bench/bench_dashboard.py --sets seed 100k

For each set the tickets are imported (ours) and loaded into the old layout, then timed:

* first Dashboard after an import: this process forgets its read model, then loads the
  snapshot from GridFS and computes every Dashboard figure (what the first page view after an
  import costs the server);
* a new filter: every Dashboard figure for a filter not seen before (read model in memory);
* the old way: ``oldway.old_dashboard`` with the same filter (one query per figure);
* the app process's memory for the snapshot (the frame itself) at that size.

Server time only: what a browser adds is measured by bench_browser.py, many sessions by
load.py.
"""

from __future__ import annotations

import datetime as dt
import sys

import datasets
import oldway
from bench_designs import dashboard_figures
from common import Timer, print_table, run_sets

from sla.core.filters import Filters
from sla.service import importing
from sla.storage import connection, snapshots, versions
from sla.storage.settings import get_settings

GENERATED_FILTERS = [  # (ours, the old way's) for the same selection of generated tickets
    (Filters(teams=("L2",)), {"team": ["L2 Application Support", "Level 2 - Infrastructure"]}),
    (Filters(priorities=("P3",), status_class="pending"), {"priority": ["P3"],
                                                           "status": "pending"}),
]
NEW_FILTERS = {  # the UCI log's teams are all "Group N" (Other): filter it by priority
    "seed": [(Filters(priorities=("P3",)), {"priority": ["3 - Moderate"]}),
             (Filters(priorities=("P2", "P3")), {"priority": ["2 - High", "3 - Moderate"]})],
    "100k": GENERATED_FILTERS,
    "1m": GENERATED_FILTERS[:1]}  # the old way's queries take minutes each at this size
SETS = {"seed": lambda: datasets.uci_seed_export(),
        "100k": lambda: datasets.generated_export(100_000, "csv"),
        "1m": lambda: datasets.generated_export(1_000_000, "csv")}
TARGETS = {"seed": "≤ 0.5× the old way", "100k": "≤ 300 ms", "1m": "≤ 1 s"}


def fresh(uri: str, name: str):
    database = connection.connect(uri, name)
    database.client.drop_database(name)
    connection._indexed.clear()
    return connection.connect(uri, name)


def bench_set(uri: str, label: str, path) -> list[tuple]:
    print(f"{label}: {path.name}", flush=True)
    ours = fresh(uri, f"bench_dash_{label}")
    with Timer() as imported:
        importing.import_file(ours, path)
    print(f"  imported in {imported.seconds:.1f} s", flush=True)
    old = fresh(uri, f"bench_dash_old_{label}")
    with Timer() as loaded:
        oldway.old_insert_bulk(old, oldway.old_documents(path))
        oldway.ensure_old_indexes(old)
    print(f"  old layout loaded (insert_many) in {loaded.seconds:.1f} s", flush=True)

    settings, now = get_settings(ours), dt.datetime(2026, 11, 1)
    snapshots.CACHE.clear()
    with Timer() as first:
        snapshot = versions.snapshot(ours)
        dashboard_figures(snapshot, Filters(), settings, now)
    memory = snapshot.frame.memory_usage(deep=True).sum() / 1e6
    rows = [(f"{label}: first Dashboard after an import (snapshot load + figures; "
             f"{len(snapshot):,} tickets, {memory:,.0f} MB in memory)", first.seconds, None,
             "≤ 1 s at 100k")]
    for ours_filter, old_filter in NEW_FILTERS[label]:
        with Timer() as mine:
            dashboard_figures(snapshot, ours_filter, settings, now)
        with Timer() as theirs:
            oldway.old_dashboard(old, old_filter)
        rows.append((f"{label}: all Dashboard figures, new filter {old_filter}", mine.seconds,
                     theirs.seconds, TARGETS[label]))
        print(f"  {old_filter}: ours {mine.seconds * 1000:.0f} ms, old way "
              f"{theirs.seconds * 1000:.0f} ms", flush=True)
    ours.client.drop_database(ours.name)
    old.client.drop_database(old.name)
    return rows


def main() -> int:
    rows = run_sets(__doc__.splitlines()[0], SETS, bench_set)
    print_table("Dashboard figures, server time (embedded store unless --uri)", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
