"""The desk's own teams and owners: what they cost on a generated export (a script, not a
test).

    .venv/bin/python bench/bench_owners.py                 # 100k and 1m
    .venv/bin/python bench/bench_owners.py --sets 100k

For each generated .csv set, imported with ``./sla.sh import`` into an empty database:

* Agent Performance for a filter not seen before: every agent's figures with the fair ranking,
  and the backlog per owner (open tickets by age, overdue and at risk);
* the preview of a team-rule change (tickets that would move between teams), not saved;
* a team-rule change saved with ``./sla.sh settings set teams`` and ``team_rules`` (three teams
  of the desk's own, one matched by a pattern), which derives every stored ticket again;
* every Dashboard figure for a new filter afterwards, on the desk's own teams.
"""

from __future__ import annotations

import datetime as dt
import sys

import datasets
from bench_clock import cli
from bench_designs import dashboard_figures
from common import Timer, bench_main

from sla.analytics import backlog, metrics, team_moves
from sla.core.filters import Filters
from sla.storage import connection, versions
from sla.storage.settings import get_settings

NEW_FILTER = Filters(priorities=("P3",))
DESK = ["Service Desk: Ann <ann@example.com>", "Applications", "Data", "L1", "L2", "Business"]
RULES = ["Service Desk: l1, level 1, service desk", "Applications: ~^(l2|level 2|apps?)\\b",
         "Data: data team, business, =bt"]


def bench_set(uri: str, label: str, path) -> list[tuple[str, str]]:
    print(f"{label}: {path.name} ({path.stat().st_size / 1e6:.0f} MB)", flush=True)
    database = f"bench_owners_{label}"
    imported, imported_mb, _ = cli(uri, database, "import", str(path))
    print(f"  import: {imported:.1f} s, peak {imported_mb:,.0f} MB", flush=True)
    db = connection.connect(uri, database)
    snapshot, settings = versions.snapshot(db), get_settings(db)
    at = snapshot.frame["created"].max().to_pydatetime() + dt.timedelta(hours=1)
    with Timer() as agents:
        rows = metrics.agents(snapshot, NEW_FILTER, settings)
    with Timer() as owners:
        owned = backlog.backlog(snapshot, NEW_FILTER, settings, at)
    with Timer() as preview:
        moves = team_moves.team_moves(snapshot, [{"team": "L2", "words": ["l2"], "exact": [],
                                                  "pattern": "^app"}])
    print(f"  agents {agents.seconds * 1000:.0f} ms ({len(rows):,} agents), backlog "
          f"{owners.seconds * 1000:.0f} ms ({owned['total']['open']:,} open), preview "
          f"{preview.seconds * 1000:.0f} ms ({sum(m['tickets'] for m in moves):,} moving)",
          flush=True)
    cli(uri, database, "settings", "set", "teams", *DESK)
    change, change_mb, moved = cli(uri, database, "settings", "set", "team_rules", *RULES)
    print(f"  team-rule change: {change:.1f} s, peak {change_mb:,.0f} MB; "
          f"{moved.strip().splitlines()[-1][:160]}", flush=True)
    snapshot, settings = versions.snapshot(db), get_settings(db)
    with Timer() as figures:
        dashboard_figures(snapshot, NEW_FILTER, settings, at)
    print(f"  dashboard, new filter, the desk's own teams: {figures.seconds * 1000:.0f} ms",
          flush=True)
    return [(f"{label}: import (CLI)", f"{imported:.1f} s, peak {imported_mb:,.0f} MB"),
            (f"{label}: Agent Performance, new filter: agents with fair ranking / backlog "
             "per owner", f"{agents.seconds * 1000:.0f} ms / {owners.seconds * 1000:.0f} ms"),
            (f"{label}: preview of a team-rule change", f"{preview.seconds * 1000:.0f} ms"),
            (f"{label}: team-rule change, every ticket derived again (CLI)",
             f"{change:.1f} s, peak {change_mb:,.0f} MB"),
            (f"{label}: every Dashboard figure, new filter, the desk's own teams",
             f"{figures.seconds * 1000:.0f} ms")]


if __name__ == "__main__":
    sys.exit(bench_main(__doc__.splitlines()[0], datasets.GENERATED, bench_set))
