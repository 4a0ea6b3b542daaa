"""What every bench script shares: a throw-away store, timing, and the comparison table.

A bench never touches ``./data`` or ``MONGO_URI`` unless told to: ``temporary_store()`` starts
a SecantusDB server in a temporary folder and removes it afterwards, or, with ``--uri``, uses
the given server under a database name of its own.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The generated 1M-ticket CSV (225 MB) is over the app's default upload limit of 200 MB.
os.environ.setdefault("SLA_MAX_UPLOAD_MB", "2048")
CACHE = ROOT / "bench" / ".cache"  # generated exports, git-ignored, reused between runs
SHARED_DATA = ROOT.parent / "shared" / "data"
UCI_ARCHIVE = SHARED_DATA / "uci498_incident_event_log.zip"


@contextmanager
def temporary_store(uri: str | None = None):
    """A MongoDB URI for the bench: ``uri`` when given, else a fresh embedded server."""
    if uri:
        yield uri
        return
    from sla.storage import embedded

    folder = Path(tempfile.mkdtemp(prefix="sla-bench-"))
    try:
        yield embedded.ensure_server(folder / "data")
    finally:
        embedded.stop_server(folder / "data")
        shutil.rmtree(folder, ignore_errors=True)


def run_sets(description: str, sets: dict, bench_set) -> list[tuple]:
    """The main of a bench over named data sets: ``--sets`` and ``--uri`` parsed, the machine
    printed, ``bench_set(uri, label, path)`` run on one store per set chosen; its rows.
    ``sets`` maps a label to a function giving the export's path, or None when it is absent."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sets", nargs="+", choices=tuple(sets), default=list(sets))
    parser.add_argument("--uri", help="a MongoDB server to use instead of a fresh embedded one")
    args = parser.parse_args()
    print(machine_line(), flush=True)
    rows = []
    with temporary_store(args.uri) as uri:
        for label in args.sets:
            path = sets[label]()
            if path is not None:
                rows += bench_set(uri, label, path)
    return rows


def bench_main(description: str, sets: dict, bench_set) -> int:
    """The whole main of a bench over named data sets: ``run_sets``, then its figures."""
    print_figures(run_sets(description, sets, bench_set))
    return 0


def print_figures(rows: list[tuple[str, str]]) -> None:
    """A Markdown table of (measure, figure) rows, figures already written out."""
    print("\n| measure | figure |\n| --- | ---: |")
    for measure, figure in rows:
        print(f"| {measure} | {figure} |")
    sys.stdout.flush()


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds``."""

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        return False


def machine_line() -> str:
    import pandas as pd

    return (f"python {platform.python_version()}, pandas {pd.__version__}, "
            f"{os.cpu_count()} CPUs, {platform.platform()}")


def ratio(old: float | None, ours: float | None) -> str:
    """How many times faster ours is (old / ours), as text."""
    if not old or not ours:
        return "–"
    return f"{old / ours:,.1f}×"


def print_table(title: str, rows: list[tuple]) -> None:
    """A Markdown table of (measure, ours, old way, target) rows; seconds as floats."""
    print(f"\n### {title}\n")
    print("| measure | ours | old way | ratio (old ÷ ours) | target |")
    print("| --- | ---: | ---: | ---: | --- |")
    for measure, ours, old, target in rows:
        print(f"| {measure} | {_fmt(ours)} | {_fmt(old)} | {ratio(old, ours)} | {target} |")
    sys.stdout.flush()


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return f"{value * 1000:,.0f} ms" if value < 1 else f"{value:,.2f} s"
