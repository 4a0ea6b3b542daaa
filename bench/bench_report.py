"""The Monday report workbook: what it costs at 100k and 1M tickets (a script, not a test).

    .venv/bin/python bench/bench_report.py                 # 100k and 1m
    .venv/bin/python bench/bench_report.py --sets 100k

Each generated .csv set is imported with ``./sla.sh import`` into an empty database, then
``./sla.sh report FILE.xlsx`` writes the whole desk's report (a process started, the
snapshot loaded, every figure of the view, the overdue and at-risk tickets written) and
``--team L1`` one team's. Wall time and peak memory of each command.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import datasets
from bench_clock import cli
from common import bench_main


def bench_set(uri: str, label: str, path) -> list[tuple[str, str]]:
    print(f"{label}: {path.name} ({path.stat().st_size / 1e6:.0f} MB)", flush=True)
    database = f"bench_report_{label}"
    imported, imported_mb, _ = cli(uri, database, "import", str(path))
    print(f"  import: {imported:.1f} s, peak {imported_mb:,.0f} MB", flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, filters in (("the whole desk", ()), ("team L1", ("--team", "L1"))):
            target = Path(folder) / "report.xlsx"
            seconds, peak, _ = cli(uri, database, "report", str(target), *filters)
            size = target.stat().st_size / 1024
            print(f"  report, {name}: {seconds:.1f} s, peak {peak:,.0f} MB, {size:,.0f} KB",
                  flush=True)
            rows.append((f"{label}: report workbook, {name} (CLI)",
                         f"{seconds:.1f} s, peak {peak:,.0f} MB, {size:,.0f} KB"))
    return rows


if __name__ == "__main__":
    sys.exit(bench_main(__doc__.splitlines()[0], datasets.GENERATED, bench_set))
