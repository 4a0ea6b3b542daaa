"""Imports, ours against the old way, on one fresh store per run (a script, not a test).

    .venv/bin/python bench/bench_import.py                     # seed, 100k and 1m
    .venv/bin/python bench/bench_import.py --sets seed 100k    # a choice of sets
    .venv/bin/python bench/bench_import.py --no-old-100k       # skip the old way at 100k (slow)

Sets (built once and cached in bench/.cache by bench/datasets.py):

* seed: the UCI incident log as the old system's seed-shaped .xlsx (title rows, hh:mm text);
* 100k: 100,000 generated tickets as .xlsx;
* 1m: 1,000,000 generated tickets as .csv, imported by ``python -m sla import --progress`` in
  a child process, so that its peak memory is measured alone.

Ours is ``importing.import_file`` (the pipeline the CLI and the app use); the old way is
``oldway.old_import`` (pandas + openpyxl, one ``insert_one`` per row) into the same server.
A re-import of the unchanged file is timed twice: as the next import (recognised by its hash)
and after another change to the store (every row read and compared).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time

import datasets
import oldway
from common import ROOT, Timer, machine_line, print_table, temporary_store

from sla.service import importing
from sla.storage import connection, versions

TARGETS = {"import": "ours ≥ 10× faster (seed)", "100k": "≤ 25 s",
           "reimport": "≤ 10 % of the first import", "1m": "completes with progress, "
           "peak memory ≤ 1.5 GB"}


def fresh(uri: str, name: str):
    client_db = connection.connect(uri, name)
    client_db.client.drop_database(name)
    connection._indexed.clear()
    return connection.connect(uri, name)


def ours_with_reimports(db, path) -> tuple[float, float, float, int]:
    """First import, re-import of the same file, re-import after another change; tickets."""
    with Timer() as first:
        report = importing.import_file(db, path)
    with Timer() as again:
        importing.import_file(db, path)
    versions.publish(db)  # another change happened: the next import compares every row
    with Timer() as compared:
        unchanged = importing.import_file(db, path)
    assert unchanged.unchanged == report.tickets, "a re-import changed tickets"
    return first.seconds, again.seconds, compared.seconds, report.tickets


def bench_file(uri: str, label: str, path, run_old: bool) -> list[tuple]:
    print(f"{label}: {path.name} ({path.stat().st_size / 1e6:.1f} MB)", flush=True)
    first, again, compared, tickets = ours_with_reimports(fresh(uri, f"bench_ours_{label}"), path)
    print(f"  ours: {tickets:,} tickets, first {first:.2f} s, same file again {again:.3f} s, "
          f"after another change {compared:.2f} s", flush=True)
    old = None
    if run_old:
        with Timer() as timer:
            rows = oldway.old_import(fresh(uri, f"bench_old_{label}"), path)
        old = timer.seconds
        print(f"  old way: {rows:,} rows in {old:.2f} s", flush=True)
    return [(f"{label}: first import ({tickets:,} tickets)", first, old,
             TARGETS["import"] if label == "seed" else TARGETS["100k"]),
            (f"{label}: re-import, same file next ({again / first:.1%} of first)", again, old,
             TARGETS["reimport"]),
            (f"{label}: re-import after another change ({compared / first:.1%} of first)",
             compared, old, TARGETS["reimport"])]


def bench_million(uri: str, path) -> list[tuple]:
    """``python -m sla import --progress`` in a child: wall time and peak memory."""
    print(f"1m: {path.name} ({path.stat().st_size / 1e6:.0f} MB) through the CLI", flush=True)
    fresh(uri, "bench_1m")
    env = {**os.environ, "MONGO_URI": uri, "SLA_DB": "bench_1m", "PYTHONPATH": str(ROOT),
           "SLA_MAX_UPLOAD_MB": "1024"}  # the file is 225 MB, over the default limit
    start = time.perf_counter()
    process = subprocess.run([sys.executable, "-m", "sla", "import", str(path), "--progress"],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - start
    if process.returncode:
        raise SystemExit(f"the 1m import failed: {process.stderr.strip()[-500:]}")
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    steps = [line for line in process.stderr.splitlines() if re.match(r"\s*\d+%", line)]
    print("\n".join(f"  {line}" for line in steps), flush=True)
    print(f"  {process.stdout.splitlines()[0]}", flush=True)
    return [(f"1m: CSV import via the CLI ({len(steps)} progress lines, peak "
             f"{peak_mb:,.0f} MB)", seconds, None, TARGETS["1m"])]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", choices=("seed", "100k", "1m"),
                        default=["seed", "100k", "1m"])
    parser.add_argument("--no-old-100k", action="store_true",
                        help="skip the old way's import at 100k (about a minute and a half)")
    parser.add_argument("--uri", help="a MongoDB server to use instead of a fresh embedded one")
    args = parser.parse_args()
    print(machine_line(), flush=True)
    rows = []
    with temporary_store(args.uri) as uri:
        if "seed" in args.sets:
            seed = datasets.uci_seed_export()
            if seed is not None:
                rows += bench_file(uri, "seed", seed, run_old=True)
        if "100k" in args.sets:
            rows += bench_file(uri, "100k", datasets.generated_export(100_000, "xlsx"),
                               run_old=not args.no_old_100k)
        if "1m" in args.sets:
            rows += bench_million(uri, datasets.generated_export(1_000_000, "csv"))
    print_table("Imports (embedded store unless --uri)", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
