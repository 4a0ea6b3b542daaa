"""Hand-offs, what moved and the fair ranking at 100k and 1M tickets (a script, not a test).

    .venv/bin/python bench/bench_insights.py              # 100k and 1m
    .venv/bin/python bench/bench_insights.py --sizes 100000

The read models are generated in memory (the shape an import publishes: categories, dates,
flags), with a third of the tickets handed off once or twice; each figure is then computed as
a page computes it from the snapshot it holds, for all tickets and for one team. "What moved"
compares two snapshots of which 5 % of the tickets differ (loading the two snapshot files from
the store adds about 0.3 s each at 1M; see docs/performance.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import pandas as pd
from common import machine_line

from sla.analytics import changes, handoffs, metrics
from sla.analytics.readmodel import Snapshot, typed
from sla.core import fields
from sla.core.filters import Filters

TEAMS = ["L1 Service Desk", "L2 Application Support", "Business Apps", "Vendor", None]
NOW = dt.datetime(2026, 11, 1)


def generated(n: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A read model frame of ``n`` tickets and its timeline (a third handed off)."""
    rng = np.random.default_rng(seed)
    created = NOW - pd.to_timedelta(rng.uniform(0, 365 * 24, n), unit="h")
    hours = rng.gamma(1.5, 20, n)
    resolved = rng.random(n) < 0.85
    frame = pd.DataFrame({
        "sr_number": [f"SR{i:07d}" for i in range(n)],
        "status": np.where(resolved, "Resolved", "Open"),
        "status_class": np.where(resolved, "resolved", "pending"),
        "priority": rng.choice(list(fields.PRIORITIES), n, p=[.05, .15, .4, .3, .1]),
        "category": rng.choice([f"Category {i}" for i in range(12)], n),
        "resolved_by": rng.choice([f"Agent {i}" for i in range(300)], n),
        "team_raw": rng.choice(TEAMS, n),
        "response_sla": rng.choice(["met", "breached", None], n, p=[.7, .2, .1]),
        "resolution_sla": np.where(resolved, rng.choice(["met", "breached"], n, p=[.75, .25]),
                                   None),
        "created": created, "resolved_at": np.where(resolved, created + pd.to_timedelta(
            hours, unit="h"), pd.NaT),
        "response_hours": rng.gamma(1.2, 2, n), "resolution_hours": np.where(resolved, hours,
                                                                               np.nan)})
    frame["team"] = [None] * n
    frame["content_hash"] = ""
    frame = typed(frame)
    from sla.ingest import normalise

    rules = fields.DEFAULT_SETTINGS["team_rules"]
    frame["team"] = frame["team_raw"].astype(object).map(
        lambda raw: normalise.team_of(None if pd.isna(raw) else raw, rules)).astype("category")
    moved = frame.sample(frac=1 / 3, random_state=seed)
    points = []
    for sr, start, raw in zip(moved["sr_number"], moved["created"], moved["team_raw"]):
        points.append((sr, start, TEAMS[0], True))
        points.append((sr, start + pd.Timedelta(hours=2), raw, True))
    timeline = pd.DataFrame(points, columns=["sr_number", "at", "team_raw", "exact"]).astype(
        {"sr_number": "string", "team_raw": "category"})
    return frame, timeline


def changed(frame: pd.DataFrame, share: float = 0.05, seed: int = 8) -> pd.DataFrame:
    """``frame`` with ``share`` of its pending tickets resolved and breached."""
    after = frame.copy()
    rows = after.sample(frac=share, random_state=seed).index
    after.loc[rows, "resolution_sla"] = "breached"
    after.loc[rows, "status_class"] = "resolved"
    return after


def timed(function, *args, repeat: int = 3, **kwargs) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args(argv)
    print(machine_line())
    print("\n| tickets | filter | agents with fair ranking | hand-offs | hand-offs (raw) "
          "| what moved |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    settings = fields.DEFAULT_SETTINGS
    for n in args.sizes:
        frame, timeline = generated(n)
        snapshot = Snapshot.of(1, frame, timeline)
        after = changed(frame)
        for label, filters in (("none", Filters()), ("team L2", Filters(teams=("L2",)))):
            cells = [timed(metrics.agents, snapshot, filters, settings),
                     timed(handoffs.handoffs, snapshot, filters, settings, NOW),
                     timed(handoffs.handoffs, snapshot, filters, settings, NOW, raw=True),
                     timed(changes.compare, frame, after, filters, repeat=1)]
            print(f"| {n:,} | {label} | " + " | ".join(f"{c * 1000:,.0f} ms" for c in cells)
                  + " |", flush=True)


if __name__ == "__main__":
    main()
