"""The answers shared by the CLI and the API (``sla.service.answers``), and their per-version cache."""

from __future__ import annotations

import math

from sla.core.filters import Filters
from sla.service import answers, importing, queries
from tests.handset import hand_bytes


def test_answers_keep_exactly_the_cli_keys(db):
    importing.import_file(db, hand_bytes(), "hand.csv", user="test")
    assert list(answers.summary(db)) == answers.SUMMARY_KEYS
    assert [list(r) for r in answers.teams(db)] == [answers.TEAM_KEYS] * len(answers.teams(db))
    assert all(list(r) == answers.PRIORITY_KEYS for r in answers.priorities(db))
    assert all(list(r) == answers.AGENT_KEYS for r in answers.agents_json(db))
    assert all(list(r) == ["month", "start", *answers.TREND_FIGURES]
               for r in answers.trend(db, period="month"))
    assert list(answers.at_risk(db)) == ["as_of", "clock", "counts", "tickets"]


def test_ticket_pages_split_the_filtered_tickets(db):
    importing.import_file(db, hand_bytes(), "hand.csv", user="test")
    filters = Filters(teams=("L1",))
    pages = [answers.tickets(db, filters, page, 2) for page in (1, 2, 3, 4)]
    total = answers.summary(db, filters)["total_tickets"]
    assert {p["total"] for p in pages} == {total} and pages[0]["pages"] == math.ceil(total / 2)
    numbers = [t["sr_number"] for p in pages for t in p["tickets"]]
    assert len(numbers) == len(set(numbers)) == total
    assert all(list(t) == answers.TICKET_KEYS for p in pages for t in p["tickets"])


def test_the_cache_answers_once_per_version_and_forgets_older_versions(db):
    calls = []
    cache = queries.AnswerCache(entries=3)

    def compute(value):
        calls.append(value)
        return value

    assert cache.get(db, 1, "q", lambda: compute("a")) == "a"
    assert cache.get(db, 1, "q", lambda: compute("b")) == "a"
    assert cache.get(db, 2, "q", lambda: compute("c")) == "c"
    assert cache.get(db, 1, "q", lambda: compute("d")) == "d"  # version 1 was dropped
    for name in "wxyz":
        cache.get(db, 2, name, lambda: compute(name))
    assert cache.get(db, 2, "q", lambda: compute("e")) == "e"  # the oldest went first
    assert calls == ["a", "c", "d", *"wxyz", "e"]
