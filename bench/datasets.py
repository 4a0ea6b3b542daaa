"""The data sets the benchmarks use, built once into ``bench/.cache`` and reused.

    .venv/bin/python bench/datasets.py                      # UCI seed export + the standard set
    .venv/bin/python bench/datasets.py --list               # only list what is cached
    .venv/bin/python bench/datasets.py --rows 2000 --fmt csv

Two kinds of file, both in the old system's export shape (``sla.demo.SEED_COLUMNS``):

* ``uci_seed_export()``: the real UCI incident event log recast as the old system's Excel
  export (see its docstring for every choice made);
* ``generated_export(n, fmt)``: ``n`` tickets from ``sla.demo.generate_export`` as .xlsx or .csv.

Workbooks are written with XlsxWriter in constant-memory mode (rows streamed to disk, several
times faster than openpyxl on large sheets), under two title rows like ``demo.to_xlsx_bytes``
and a header row; durations are text cells such as ``129:45`` and dates are date cells, as the
old system wrote them. Every file is written under a temporary name and renamed when complete,
with a ``<file>.build.json`` beside it recording its rows and build time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import xlsxwriter
from common import CACHE, UCI_ARCHIVE, Timer

from sla.core.fields import DEFAULT_SETTINGS
from sla.service import demo

SHEET_NAME = "SR Report"
TITLE_ROWS = 2  # rows above the header in every workbook written here
DATE_FORMAT = "yyyy-mm-dd hh:mm"
CHUNK_ROWS = 100_000  # generated tickets made and written at a time
DEFAULT_SEED = 7
STANDARD_SET = [(100_000, "xlsx"), (100_000, "csv"), (1_000_000, "csv")]

UCI_OPENED_BEFORE = pd.Timestamp("2016-05-01")  # incidents opened 29 Feb - 30 Apr 2016
UCI_DATE_FORMAT = "%d/%m/%Y %H:%M"
UCI_MISSING = "?"


# ---------------------------------------------------------------- the UCI seed export

def uci_seed_export(rebuild: bool = False) -> Path | None:
    """The UCI incident event log as a seed-shaped .xlsx; None (with a message) when absent.

    Source: ``../shared/data/uci498_incident_event_log.zip``, one row per update of an
    incident; the last row of a ``number`` in file order is its final state.

    Subset: the 17,136 incidents opened before 1 May 2016 (29 Feb - 30 Apr 2016, the log's
    first two months, which hold 69 % of its 24,918 incidents). Every incident in the log ends
    ``Closed``, so "resolved or closed" would keep all 24,918.

    Columns (``?`` becomes an empty cell):

    * SR Number <- number; Created <- opened_at; Status <- final incident_state;
      Resolved Date <- resolved_at; Resolved By <- resolved_by; Updated Team <-
      assignment_group; Assigned SR Category and Area <- category; Sub Area <- subcategory;
      Problem Area <- u_symptom; Raised For <- caller_id; Assigned <- assigned_to;
      Updated <- the final row's sys_updated_at; Priority <- priority (e.g. ``3 - Moderate``).
    * Resolution Time (hh:mm) <- resolved_at - opened_at as text ``H:MM`` (hours may pass 24);
      empty when resolved_at is missing (1,230 of the subset). Total Time Taken (hrs) <- the
      same in hours, rounded to 2 decimals.
    * Response Time (hh:mm) <- sys_updated_at of the incident's first modification
      (the first row in file order with sys_mod_count > 0, i.e. the first update after the
      record was created) minus opened_at; empty when that difference is negative (clock skew
      between the fields) or there is no such row.
    * Resolution SLA Status <- made_sla: ``true`` -> ``Met``, ``false`` -> ``Breached``.
    * Response SLA Status: the log has no response flag, so it is derived from the response
      time against the default response target of the incident's priority
      (``sla.fields.DEFAULT_SETTINGS["sla_targets"]``, ``1 - Critical`` -> P1 ...), the rule the
      app itself applies when a file carries no status; empty when there is no response time.
    * Sub Status, Updated Resolved By Team, If Breached - Response/Resolution (hrs) and Life
      Cycle Target (hrs) are left empty: the log says nothing about them.
    """
    path = CACHE / "uci_seed_export.xlsx"
    if not UCI_ARCHIVE.exists():
        print(f"uci_seed_export: {UCI_ARCHIVE} is absent; skipped", file=sys.stderr)
        return None
    if path.exists() and not rebuild:
        return path

    def build(target: Path) -> int:
        frame = uci_seed_frame(UCI_ARCHIVE)
        title = ["SR Report",
                 f"UCI incident event log (dataset 498, CC BY 4.0): {len(frame):,} incidents "
                 f"opened before {UCI_OPENED_BEFORE:%d %b %Y}"]
        write_xlsx([frame], target, title)
        return len(frame)

    return _build_cached(path, build, source=UCI_ARCHIVE.name)


def uci_seed_frame(archive: Path) -> pd.DataFrame:
    """The subset described in ``uci_seed_export``, in ``demo.SEED_COLUMNS`` plus Priority."""
    events = _read_uci_events(archive)
    final = events.drop_duplicates("number", keep="last").set_index("number")
    opened = _uci_dates(final["opened_at"])
    final = final[opened < UCI_OPENED_BEFORE]
    opened = opened[final.index]
    resolved = _uci_dates(final["resolved_at"])
    first_update = _uci_first_update(events).reindex(final.index)

    resolution_minutes = _minutes(resolved - opened)
    response_minutes = _minutes(first_update - opened)
    targets = pd.to_numeric(final["priority"].map(_response_target))
    response_met = response_minutes / 60 <= targets

    frame = pd.DataFrame(index=final.index, columns=demo.SEED_COLUMNS + ["Priority"], dtype=object)
    frame["SR Number"] = final.index
    frame["Created"] = opened
    frame["Raised For"] = _uci_text(final["caller_id"])
    frame["Area"] = _uci_text(final["category"])
    frame["Sub Area"] = _uci_text(final["subcategory"])
    frame["Problem Area"] = _uci_text(final["u_symptom"])
    frame["Status"] = _uci_text(final["incident_state"])
    frame["Assigned"] = _uci_text(final["assigned_to"])
    frame["Updated"] = _uci_dates(final["sys_updated_at"])
    frame["Assigned SR Category"] = _uci_text(final["category"])
    frame["Resolved Date"] = resolved
    frame["Resolved By"] = _uci_text(final["resolved_by"])
    frame["Response SLA Status"] = response_met.map({True: "Met", False: "Breached"}).where(
        response_minutes.notna() & targets.notna())
    frame["Resolution SLA Status"] = final["made_sla"].map({"true": "Met", "false": "Breached"})
    frame["Updated Team"] = _uci_text(final["assignment_group"])
    frame["Response Time (hh:mm)"] = response_minutes.map(_hh_mm)
    frame["Resolution Time (hh:mm)"] = resolution_minutes.map(_hh_mm)
    frame["Total Time Taken (hrs)"] = (resolution_minutes / 60).round(2)
    frame["Priority"] = _uci_text(final["priority"])
    return frame.reset_index(drop=True)


def _read_uci_events(archive: Path) -> pd.DataFrame:
    with zipfile.ZipFile(archive) as zipped:
        member = next(n for n in zipped.namelist() if n.endswith(".csv") and "MACOSX" not in n)
        with zipped.open(member) as handle:
            return pd.read_csv(handle, dtype=str, keep_default_na=False)


def _uci_first_update(events: pd.DataFrame) -> pd.Series:
    """Per number, sys_updated_at of its first row with sys_mod_count > 0 (file order)."""
    modified = events[pd.to_numeric(events["sys_mod_count"], errors="coerce") > 0]
    first = modified.drop_duplicates("number", keep="first").set_index("number")
    return _uci_dates(first["sys_updated_at"])


def _uci_dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.where(values != UCI_MISSING), format=UCI_DATE_FORMAT)


def _uci_text(values: pd.Series) -> pd.Series:
    return values.where(values != UCI_MISSING)


def _minutes(delta: pd.Series) -> pd.Series:
    """Whole minutes of a timedelta series; missing where absent or negative."""
    minutes = (delta.dt.total_seconds() / 60).round()
    return minutes.where(minutes >= 0)


def _hh_mm(minutes: float) -> str | None:
    if pd.isna(minutes):
        return None
    whole = int(minutes)
    return f"{whole // 60}:{whole % 60:02d}"


def _response_target(priority: str) -> float | None:
    """The default response target in hours for a UCI priority such as ``3 - Moderate``."""
    key = f"P{priority.strip()[:1]}"
    return DEFAULT_SETTINGS["sla_targets"].get(key, {}).get("response")


# ---------------------------------------------------------------- generated exports

def generated_export(n: int, fmt: str = "xlsx", seed: int = DEFAULT_SEED,
                     rebuild: bool = False) -> Path:
    """``n`` generated tickets (``demo.generate_export(..., with_priority=True)``) as .xlsx or .csv.

    Up to ``CHUNK_ROWS`` tickets come from one ``generate_export`` call; larger sets are made
    in chunks of ``CHUNK_ROWS`` with seeds ``seed``, ``seed + 1``, ... and renumbered so every
    SR number is distinct (``SR100000`` upwards). Each chunk spans the same six months up to
    the build day, so created dates are sorted within a chunk only. The .csv has the header on
    its first line (no title rows); the .xlsx has two title rows above the header.

    Sizes: 100,000 rows are about 11 MB as .xlsx and 22.5 MB as .csv; 1,000,000 rows as .csv
    are about 225 MB, over ``sla.read``'s default 200 MiB limit, so pass ``max_bytes`` to
    ``read_table`` (or set ``SLA_MAX_UPLOAD_MB``) to read it.
    """
    if fmt not in ("xlsx", "csv"):
        raise ValueError(f"fmt must be 'xlsx' or 'csv', not {fmt!r}")
    path = CACHE / f"generated_{n}_seed{seed}.{fmt}"
    if path.exists() and not rebuild:
        return path

    def build(target: Path) -> int:
        chunks = generated_chunks(n, seed)
        if fmt == "csv":
            write_csv(chunks, target)
        else:
            title = ["SR Report", f"Generated export: {n:,} tickets, seed {seed}"]
            write_xlsx(chunks, target, title)
        return n

    return _build_cached(path, build, source=f"sla.demo.generate_export, seed {seed}")



# The generated CSV sets the benches over one data set's size take (``--sets``).
GENERATED = {"100k": lambda: generated_export(100_000, "csv"),
             "1m": lambda: generated_export(1_000_000, "csv")}

def generated_chunks(n: int, seed: int = DEFAULT_SEED) -> Iterator[pd.DataFrame]:
    """``n`` generated tickets in frames of at most ``CHUNK_ROWS`` rows, SR numbers distinct."""
    for index, start in enumerate(range(0, n, CHUNK_ROWS)):
        size = min(CHUNK_ROWS, n - start)
        frame = demo.generate_export(size, seed=seed + index, with_priority=True)
        frame["SR Number"] = [f"SR{100000 + start + i}" for i in range(size)]
        yield frame


# ---------------------------------------------------------------- writing files

def write_xlsx(frames, path: Path, title_rows: list[str]) -> None:
    """Frames (same columns) as one sheet under ``title_rows``, streamed with XlsxWriter.

    Missing values become empty cells, text stays text (no number, formula or URL guessing),
    dates become date cells.
    """
    options = {"constant_memory": True, "default_date_format": DATE_FORMAT,
               "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False}
    workbook = xlsxwriter.Workbook(str(path), options)
    try:
        sheet = workbook.add_worksheet(SHEET_NAME)
        for row, text in enumerate(title_rows):
            sheet.write_string(row, 0, text)
        row = len(title_rows)
        for index, frame in enumerate(frames):
            if index == 0:
                sheet.write_row(row, 0, [str(c) for c in frame.columns])
                row += 1
            cells = frame.astype(object).where(frame.notna(), None)
            for values in cells.itertuples(index=False, name=None):
                sheet.write_row(row, 0, values)
                row += 1
    finally:
        workbook.close()


def write_csv(frames, path: Path) -> None:
    """Frames (same columns) as one CSV with a single header line."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        for index, frame in enumerate(frames):
            frame.to_csv(handle, index=False, header=index == 0)


# ---------------------------------------------------------------- the cache

def _build_cached(path: Path, build, source: str) -> Path:
    """Run ``build(temporary path) -> rows``, then move the file into place with its record."""
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.stem}.{os.getpid()}.partial{path.suffix}")
    print(f"building {path.name} ...", file=sys.stderr, flush=True)
    try:
        with Timer() as timer:
            rows = build(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    record = {"file": path.name, "rows": rows, "bytes": path.stat().st_size,
              "build_seconds": round(timer.seconds, 2), "source": source,
              "built_at": dt.datetime.now().isoformat(timespec="seconds")}
    _record_path(path).write_text(json.dumps(record, indent=2) + "\n")
    print(f"built {path.name}: {rows:,} rows, {record['bytes'] / 1e6:.1f} MB "
          f"in {timer.seconds:.1f} s", file=sys.stderr, flush=True)
    return path


def _record_path(path: Path) -> Path:
    return path.with_name(path.name + ".build.json")


def cached_files() -> list[dict]:
    """What ``bench/.cache`` holds: one record per data file (rows and build time when known)."""
    if not CACHE.exists():
        return []
    records = []
    for path in sorted(CACHE.glob("*")):
        if path.name.startswith(".") or path.name.endswith(".build.json") or not path.is_file():
            continue
        record_file = _record_path(path)
        record = json.loads(record_file.read_text()) if record_file.exists() else {}
        record.update(file=path.name, bytes=path.stat().st_size)
        records.append(record)
    return records


def print_cache() -> None:
    print(f"\n{CACHE}\n")
    print("| file | rows | size | build time | built at |")
    print("| --- | ---: | ---: | ---: | --- |")
    for record in cached_files():
        rows = f"{record['rows']:,}" if "rows" in record else "?"
        seconds = f"{record['build_seconds']:.1f} s" if "build_seconds" in record else "?"
        print(f"| {record['file']} | {rows} | {record['bytes'] / 1e6:,.1f} MB | {seconds} | "
              f"{record.get('built_at', '?')} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="only list the cache")
    parser.add_argument("--rows", type=int, help="build one generated export of this many rows")
    parser.add_argument("--fmt", choices=["xlsx", "csv"], default="xlsx")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--rebuild", action="store_true", help="rebuild even when cached")
    args = parser.parse_args(argv)
    if not args.list:
        if args.rows:
            generated_export(args.rows, args.fmt, args.seed, rebuild=args.rebuild)
        else:
            uci_seed_export(rebuild=args.rebuild)
            for n, fmt in STANDARD_SET:
                generated_export(n, fmt, args.seed, rebuild=args.rebuild)
    print_cache()


if __name__ == "__main__":
    main()
