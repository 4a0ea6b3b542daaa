"""Import and metric timings on a fresh embedded store (a script, not a test).

    .venv/bin/python bench/bench_import.py [--rows N] [--skip-uci]

(a) the UCI incident event log (../shared/data, skipped when absent): read, normalise and
    store timed separately, their total, and a re-import of the same file;
(b) a generated seed-shaped export of N rows (default 100,000) as .xlsx and .csv: reading with
    python-calamine (sla.read) against pandas + openpyxl, then a full import and a re-import;
(c) metrics (cube, summary, teams, agents, trend) on each loaded data set.

Everything runs against a SecantusDB server started in a temporary folder, which is stopped
and removed at the end; nothing touches ./data or MONGO_URI.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import shutil
import sys
import tempfile
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from sla import config, demo, embedded, metrics, normalise, read, store  # noqa: E402

UCI_ARCHIVE = ROOT.parent / "shared" / "data" / "uci498_incident_event_log.zip"
rows_out: list[tuple[str, str, float, str]] = []


@contextmanager
def timed(section: str, step: str, note: str = ""):
    """Time the block with perf_counter and record it as a row of the result table."""
    start = time.perf_counter()
    yield
    seconds = time.perf_counter() - start
    rows_out.append((section, step, seconds, note))
    print(f"  {section:<10} {step:<34} {seconds:9.2f} s  {note}", flush=True)


def staged_import(db, data: bytes, name: str, section: str) -> None:
    """Import ``data`` in its three stages, each timed, then the same file again."""
    settings = store.get_settings(db)
    with timed(section, "read (sla.read)"):
        table = read.read_table(data, name, max_bytes=config.max_upload_bytes())
    with timed(section, "normalise"):
        tickets, report = normalise.parse_tickets(table, settings, file_name=name)
    with timed(section, "store (first import)", f"{len(tickets):,} tickets"):
        store.import_tickets(db, tickets, report, user="bench")
    first = [r for r in rows_out if r[0] == section][-3:]
    rows_out.append((section, "total first import", sum(r[2] for r in first),
                     f"{report.rows_read:,} rows read"))
    print(f"  {section:<10} {'total first import':<34} {rows_out[-1][2]:9.2f} s", flush=True)
    with timed(section, "re-import (same file, import_file)"):
        again = store.import_file(db, data, name, user="bench")
    rows_out[-1] = (*rows_out[-1][:3], f"unchanged {again.unchanged:,}, updated {again.updated:,}")


def metric_timings(db, section: str) -> None:
    settings = store.get_settings(db)
    with timed(section, "metrics.cube"):
        cells = metrics.cube(db)
    rows_out[-1] = (*rows_out[-1][:3], f"{len(cells):,} cells")
    with timed(section, "metrics.summary"):
        metrics.summary(db, metrics.Filters(), settings)
    with timed(section, "metrics.teams"):
        metrics.teams(db)
    with timed(section, "metrics.agents"):
        metrics.agents(db, metrics.Filters(), settings)
    with timed(section, "metrics.trend"):
        metrics.trend(db)
    with timed(section, "metrics.medians (overall)"):
        metrics.medians(db)
    with timed(section, "page: 4 views sharing one cube"):
        cells = metrics.cube(db)
        metrics.summary(db, metrics.Filters(), settings, cells=cells)
        metrics.teams(db, cells=cells)
        metrics.agents(db, metrics.Filters(), settings, cells=cells)
        metrics.trend(db, cells=cells)


def bench_uci(client_uri: str, work: Path) -> None:
    print(f"(a) UCI incident event log ({UCI_ARCHIVE.name})", flush=True)
    with zipfile.ZipFile(UCI_ARCHIVE) as zipped:
        member = next(n for n in zipped.namelist() if n.endswith(".csv") and "MACOSX" not in n)
        data = zipped.read(member)
    db = store.connect(client_uri, "bench_uci")
    staged_import(db, data, Path(member).name, "uci")
    metric_timings(db, "uci")


def bench_generated(client_uri: str, work: Path, n: int) -> None:
    print(f"(b) generated seed-shaped export, {n:,} rows", flush=True)
    with timed("generated", "generate_export", "not part of an import"):
        frame = demo.generate_export(n, with_priority=True)
    with timed("generated", "write .xlsx (openpyxl)", "not part of an import"):
        xlsx = demo.to_xlsx_bytes(frame)
    csv_bytes = frame.to_csv(index=False).encode()
    (work / "generated.xlsx").write_bytes(xlsx)
    (work / "generated.csv").write_bytes(csv_bytes)
    rows_out[-1] = (*rows_out[-1][:3], f"{len(xlsx) / 1e6:.1f} MB xlsx, "
                    f"{len(csv_bytes) / 1e6:.1f} MB csv")

    with timed("generated", "read .xlsx, python-calamine"):
        table = read.read_table(xlsx, "generated.xlsx", max_bytes=config.max_upload_bytes())
    assert len(table.frame) == n
    with timed("generated", "read .xlsx, pandas + openpyxl"):
        other = pd.read_excel(io.BytesIO(xlsx), engine="openpyxl")
    assert len(other) == n
    with timed("generated", "read .csv (sla.read)"):
        read.read_table(csv_bytes, "generated.csv", max_bytes=config.max_upload_bytes())

    db = store.connect(client_uri, "bench_generated")
    with timed("generated", "full import .xlsx (import_file)"):
        report = store.import_file(db, xlsx, "generated.xlsx", user="bench")
    rows_out[-1] = (*rows_out[-1][:3], f"inserted {report.inserted:,}")
    with timed("generated", "re-import .xlsx (import_file)"):
        report = store.import_file(db, xlsx, "generated.xlsx", user="bench")
    rows_out[-1] = (*rows_out[-1][:3], f"unchanged {report.unchanged:,}")

    db_csv = store.connect(client_uri, "bench_generated_csv")
    print("  the same rows as .csv, staged:", flush=True)
    staged_import(db_csv, csv_bytes, "generated.csv", "gen-csv")
    metric_timings(db, "generated")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the generated export")
    parser.add_argument("--skip-uci", action="store_true", help="skip the UCI event log")
    args = parser.parse_args()

    print(f"python {platform.python_version()}, pandas {pd.__version__}, "
          f"{os.cpu_count()} CPUs, {platform.platform()}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="sla-bench-"))
    try:
        start = time.perf_counter()
        uri = embedded.ensure_server(work / "data")
        print(f"embedded SecantusDB on {work / 'data'} started in "
              f"{time.perf_counter() - start:.2f} s", flush=True)
        if args.skip_uci:
            print("(a) UCI skipped (--skip-uci)")
        elif not UCI_ARCHIVE.exists():
            print(f"(a) UCI skipped: {UCI_ARCHIVE} is absent")
        else:
            bench_uci(uri, work)
        bench_generated(uri, work, args.rows)
    finally:
        embedded.stop_server(work / "data")
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"{'section':<10} {'step':<36} {'seconds':>9}  note")
    print(f"{'-' * 10} {'-' * 36} {'-' * 9}  {'-' * 30}")
    for section, step, seconds, note in rows_out:
        print(f"{section:<10} {step:<36} {seconds:9.2f}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
