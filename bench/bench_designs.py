"""Two read-model designs measured side by side on the same store (a script, not a test).

    .venv/bin/python bench/bench_designs.py [--sizes 100000 1000000] [--uri URI]

For each size, a generated export is imported with ``importing.import_file`` (which maintains
design A), then:

A. columnar snapshot (the design the app uses, ``sla.analytics.readmodel``): the Parquet bytes written
   to GridFS at import, their size, loading them into a process, the memory they take, and
   every Dashboard figure for a new filter computed with pandas (``sla.analytics.metrics``);
B. rollup collections kept with ``$merge`` (MongoDB's on-demand materialized views): one
   ``$group`` over the tickets by every dimension the views use (team, priority, agent,
   status class, both SLA outcomes, ISO week) merged into ``rollup_cube``, then the same
   figures answered from the rollup. Exact medians and the at-risk list cannot come from
   counts: they still need the tickets (timed as the pipelines over raw tickets), and a
   date filter that does not fall on a week boundary cannot be answered from weekly cells.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from common import Timer, machine_line, temporary_store

from sla.analytics import metrics, readmodel, risk
from sla.core.filters import Filters
from sla.service import importing
from sla.storage import connection, snapshots, versions
from sla.storage.settings import get_settings
from tests import pipelines

NEW_FILTER = Filters(teams=("L2",), priorities=("P3",))


def dashboard_figures(source, filters: Filters, settings: dict, now: dt.datetime) -> None:
    """What the Dashboard page computes for one filter."""
    metrics.summary(source, filters, settings)
    metrics.teams(source, filters)
    metrics.trend(source, filters)
    metrics.priorities(source, filters)
    risk.risk_lists(source, filters, settings, now)


def design_a(db, settings: dict, now: dt.datetime) -> dict:
    info = versions.version_info(db)
    files = db[f"{snapshots.BUCKET}.files"].find_one({"_id": info["snapshot"]})
    snapshots.CACHE.clear()
    with Timer() as load:
        snapshot = versions.snapshot(db)
    with Timer() as publish:
        versions.publish(db, snapshots.load_frame(db, info["snapshot"], readmodel.COLUMNS))
    with Timer() as figures:
        dashboard_figures(snapshot, NEW_FILTER, settings, now)
    with Timer() as unfiltered:
        dashboard_figures(snapshot, Filters(), settings, now)
    return {"bytes": files["length"], "load": load.seconds, "publish": publish.seconds,
            "memory": int(snapshot.frame.memory_usage(deep=True).sum()),
            "figures": figures.seconds, "figures_all": unfiltered.seconds}


def design_b(db, settings: dict, now: dt.datetime) -> dict:
    keys = dict(pipelines.CUBE_KEY)
    with Timer() as build:
        db.tickets.aggregate([
            {"$group": {"_id": keys, "tickets": {"$sum": 1},
                        "response_sum": {"$sum": "$response_hours"},
                        "response_n": pipelines._count_if_number("response_hours"),
                        "resolution_sum": {"$sum": "$resolution_hours"},
                        "resolution_n": pipelines._count_if_number("resolution_hours")}},
            {"$merge": {"into": "rollup_cube", "whenMatched": "replace"}}])
    cells = db.rollup_cube.estimated_document_count()
    query = {f"_id.{k}": {"$in": list(v)} for k, v in (("team", NEW_FILTER.teams),
                                                         ("priority", NEW_FILTER.priorities))}
    with Timer() as counts:
        rows = [{**row["_id"], **{k: row[k] for k in ("tickets", "response_sum", "response_n",
                                                        "resolution_sum", "resolution_n")}}
                for row in db.rollup_cube.find(query)]
        for by in (None, "team", "priority", "week", "agent"):
            pipelines.rollup(rows, by)
    with Timer() as exact:
        pipelines.medians(db, NEW_FILTER)
        pipelines.medians(db, NEW_FILTER, "team")
        pipelines.risk_lists(db, NEW_FILTER, settings, now)
    return {"build": build.seconds, "cells": cells, "counts": counts.seconds,
            "exact": exact.seconds}


def load(db, rows: int) -> float:
    from sla.service import demo

    frame = demo.generate_export(rows, seed=3, with_priority=True)
    data = frame.to_csv(index=False).encode()
    del frame
    with Timer() as timer:
        importing.import_file(db, data, f"generated-{rows}.csv", user="bench")
    return timer.seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--uri", help="a MongoDB server to use instead of a fresh embedded one")
    parser.add_argument("--b-up-to", type=int, default=100_000, metavar="N",
                        help="measure design B only up to N tickets (its $group and medians "
                             "scan the tickets on this store: minutes at 100k)")
    args = parser.parse_args()
    print(machine_line(), flush=True)
    results = []
    with temporary_store(args.uri) as uri:
        for size in args.sizes:
            db = connection.connect(uri, f"bench_designs_{size}")
            db.client.drop_database(db.name)
            connection._indexed.clear()
            db = connection.connect(uri, f"bench_designs_{size}")
            print(f"{size:,} tickets: importing…", flush=True)
            imported = load(db, size)
            settings, now = get_settings(db), dt.datetime(2026, 11, 1)
            a = design_a(db, settings, now)
            print(f"  A {a}", flush=True)
            b = design_b(db, settings, now) if size <= args.b_up_to else None
            print(f"  B {b}", flush=True)
            results.append((size, imported, a, b))
            db.client.drop_database(db.name)
    print("\n| tickets | design | built at import | stored | loaded per process | memory in "
          "process | Dashboard figures, new filter | all figures, no filter |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size, imported, a, b in results:
        print(f"| {size:,} | A snapshot | {a['publish']:.2f} s (write) | "
              f"{a['bytes'] / 1e6:.1f} MB | {a['load']:.2f} s | {a['memory'] / 1e6:.0f} MB | "
              f"{a['figures'] * 1000:.0f} ms | {a['figures_all'] * 1000:.0f} ms |")
        if b is not None:
            print(f"| {size:,} | B $merge rollup | {b['build']:.2f} s (full $group) | "
                  f"{b['cells']:,} cells | – | – | {b['counts'] * 1000:.0f} ms counts + "
                  f"{b['exact']:.2f} s medians and at-risk | – |")
        print(f"| {size:,} | (import itself) | {imported:.1f} s | | | | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
