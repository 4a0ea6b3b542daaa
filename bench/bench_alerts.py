"""One scheduler pass over 500 subscriptions: what it costs at 100k and 1M tickets (a script,
not a test).

    .venv/bin/python bench/bench_alerts.py                 # 100k and 1m
    .venv/bin/python bench/bench_alerts.py --sets 100k

Each generated .csv set is imported with ``./sla.sh import`` into an empty database. Then
50 shared views are saved (each team, each priority, team × priority) and 500 subscriptions
made through ``sla.service.alerts`` over them and the whole desk: 150 at-risk (2 h to 2 days
ahead), 150 breached, 100 digests due now and 100 after-import, every one to a webhook on a
real HTTP receiver on localhost. ``./sla.sh alerts run`` is then timed twice: the first pass
(every digest and at-risk message made and sent), and the next one (nothing new: every
subscription still checked). Wall time and peak memory of each.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import datasets
from bench_clock import cli
from common import bench_main

SUBSCRIPTIONS = (("at-risk", 150), ("breached", 150), ("digest", 100), ("after-import", 100))
WITHIN = ("2h", "4h", "8h", "24h", "2d")


class _Accept(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def receiver() -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Accept)
    server.received = 0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def subscribe(uri: str, database: str, url: str) -> float:
    """The views and the 500 subscriptions; the seconds it took."""
    os.environ.update({"MONGO_URI": uri, "SLA_DB": database})
    from sla.core import filters
    from sla.service import alerts, views
    from sla.service import database as store

    db = store.connect()
    known = filters.Known()
    teams, priorities = ("L1", "L2", "Business", "Other", "Unassigned"), ("P1", "P2", "P3", "P4")
    chosen = ([{"team": [t]} for t in teams] + [{"priority": [p]} for p in priorities]
              + [{"team": [t], "priority": [p]} for t in teams for p in priorities])
    names = []
    for index, texts in enumerate(itertools.islice(itertools.cycle(chosen), 50)):
        name = f"view {index:02d}"
        views.keep_view(db, name, filters.parse(texts, known), None, "bench")
        names.append(name)
    started = time.perf_counter()
    past = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(days=2)
    count = itertools.count()
    for kind, how_many in SUBSCRIPTIONS:
        for _ in range(how_many):
            n = next(count)
            alerts.add_subscription(db, alerts.Request(
                kind, webhook=url, view=None if n % 10 == 0 else names[n % 50],
                within=WITHIN[n % len(WITHIN)], every="daily 00:00"), by="bench", now=past)
    return time.perf_counter() - started


def bench_set(uri: str, label: str, path) -> list[tuple[str, str]]:
    print(f"{label}: {path.name} ({path.stat().st_size / 1e6:.0f} MB)", flush=True)
    database = f"bench_alerts_{label}"
    imported, imported_mb, _ = cli(uri, database, "import", str(path))
    print(f"  import: {imported:.1f} s, peak {imported_mb:,.0f} MB", flush=True)
    server = receiver()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    made = subscribe(uri, database, url)
    print(f"  500 subscriptions made (breached ones take their baseline): {made:.1f} s",
          flush=True)
    rows = [(f"{label}: 500 subscriptions made", f"{made:.1f} s")]
    for name in ("first pass", "next pass"):
        seconds, peak, said = cli(uri, database, "alerts", "run")
        print(f"  alerts run, {name}: {seconds:.1f} s, peak {peak:,.0f} MB ({said.strip()}; "
              f"{server.received:,} received so far)", flush=True)
        rows.append((f"{label}: alerts run over 500 subscriptions, {name}",
                     f"{seconds:.1f} s, peak {peak:,.0f} MB ({said.strip()})"))
    server.shutdown()
    return rows


if __name__ == "__main__":
    sys.exit(bench_main(__doc__.splitlines()[0], datasets.GENERATED, bench_set))
