"""The agents directory: what 10,000 people and a merge cost (a script, not a test).

    .venv/bin/python bench/bench_people.py                 # 100k and 1m
    .venv/bin/python bench/bench_people.py --sets 100k

Each generated .csv set is rewritten so that its tickets name 10,000 people (owner and
resolver drawn by ticket number), then imported with ``./sla.sh import`` into an empty
database. Then:

* the directory in memory over the read model (everyone seen, credited tickets, main team),
  and ``./sla.sh people list --json`` (a process started, the snapshot loaded, 10,000 rows);
* a roster of the 10,000 people (e-mail each, and 1,000 aliases) imported with
  ``./sla.sh people import``;
* one merge with ``./sla.sh people merge``: a new read model where the alias's tickets are
  the person's, published as a new data version (no ticket document is written);
* every Dashboard figure for a new filter afterwards.
"""

from __future__ import annotations

import datetime as dt
import sys

import datasets
import numpy as np
import pandas as pd
from bench_clock import cli
from bench_designs import dashboard_figures
from common import Timer, bench_main

from sla.analytics import people
from sla.core.filters import Filters
from sla.storage import connection, versions
from sla.storage import people as people_store
from sla.storage.settings import get_settings

PEOPLE = 10_000
ALIASES = 1_000
NEW_FILTER = Filters(priorities=("P3",))


def with_people(path):
    """The set with its owner and resolver columns naming ``PEOPLE`` people (cached)."""
    target = path.with_name(f"people{PEOPLE}_{path.name}")
    if target.exists():
        return target
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    number = np.arange(len(frame))
    names = pd.Series([f"Person {i:05d}" for i in range(PEOPLE)])
    frame["Assigned"] = names.to_numpy()[number % PEOPLE]
    resolved = frame["Resolved By"] != ""
    frame.loc[resolved, "Resolved By"] = names.to_numpy()[(number * 7 + 3) % PEOPLE][resolved]
    frame.to_csv(target, index=False)
    return target


def roster(folder) -> str:
    path = folder / f"roster{PEOPLE}.csv"
    rows = [{"name": f"Person {i:05d}", "email": f"person{i}@example.com", "team": "",
             "aliases": f"p{i}" if i < ALIASES else ""} for i in range(PEOPLE)]
    pd.DataFrame(rows).to_csv(path, index=False)
    return str(path)


def bench_set(uri: str, label: str, path) -> list[tuple[str, str]]:
    path = with_people(path)
    print(f"{label}: {path.name} ({path.stat().st_size / 1e6:.0f} MB)", flush=True)
    database = f"bench_people_{label}"
    imported, imported_mb, _ = cli(uri, database, "import", str(path))
    print(f"  import: {imported:.1f} s, peak {imported_mb:,.0f} MB", flush=True)
    db = connection.connect(uri, database)
    snapshot = versions.snapshot(db)
    with Timer() as directory:
        rows = people.directory(snapshot.frame, people_store.profiles(db))
    listed, listed_mb, _ = cli(uri, database, "people", "list", "--json")
    print(f"  directory {directory.seconds * 1000:.0f} ms ({len(rows):,} people); "
          f"people list --json {listed:.1f} s, peak {listed_mb:,.0f} MB", flush=True)
    imported_roster, roster_mb, _ = cli(uri, database, "people", "import", roster(path.parent))
    print(f"  roster of {PEOPLE:,} ({ALIASES:,} aliases): {imported_roster:.1f} s, "
          f"peak {roster_mb:,.0f} MB", flush=True)
    merged, merged_mb, said = cli(uri, database, "people", "merge", "Person 09999",
                                  "Person 09998")
    print(f"  merge: {merged:.1f} s, peak {merged_mb:,.0f} MB; {said.strip()}", flush=True)
    snapshot, settings = versions.snapshot(db), get_settings(db)
    at = snapshot.frame["created"].max().to_pydatetime() + dt.timedelta(hours=1)
    with Timer() as figures:
        dashboard_figures(snapshot, NEW_FILTER, settings, at)
    print(f"  dashboard, new filter, after the merge: {figures.seconds * 1000:.0f} ms",
          flush=True)
    return [(f"{label}: import with {PEOPLE:,} people (CLI)",
             f"{imported:.1f} s, peak {imported_mb:,.0f} MB"),
            (f"{label}: the directory in memory / people list --json (CLI)",
             f"{directory.seconds * 1000:.0f} ms / {listed:.1f} s"),
            (f"{label}: roster of {PEOPLE:,} people, {ALIASES:,} aliases (CLI)",
             f"{imported_roster:.1f} s, peak {roster_mb:,.0f} MB"),
            (f"{label}: one merge, figures following (CLI)",
             f"{merged:.1f} s, peak {merged_mb:,.0f} MB"),
            (f"{label}: every Dashboard figure, new filter, after the merge",
             f"{figures.seconds * 1000:.0f} ms")]


if __name__ == "__main__":
    sys.exit(bench_main(__doc__.splitlines()[0], datasets.GENERATED, bench_set))
