"""The one query service (``sla.service.queries``): every view's figures from the snapshot
of the current data version, kept once per version and question, handed out as copies; and
the process's one database client."""

from __future__ import annotations

from sla.core.filters import Filters
from sla.service import database, edits, importing, queries
from tests.handset import hand_bytes


def test_an_answer_is_computed_once_per_version_and_handed_out_as_a_copy(db, monkeypatch):
    importing.import_file(db, hand_bytes(), "hand.csv")
    calls = []
    real = queries.metrics.summary
    monkeypatch.setattr(queries.metrics, "summary",
                        lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs))
    first = queries.summary(db, Filters(teams=("L1",)))
    first["total_tickets"] = -1
    again = queries.summary(db, Filters(teams=("L1",)))
    assert again["total_tickets"] == 5 and len(calls) == 1
    edits.delete_ticket(db, "T1", "admin")  # a new data version: asked again, computed again
    assert queries.summary(db, Filters(teams=("L1",)))["total_tickets"] == 4
    assert len(calls) == 2


def test_the_pages_and_the_api_share_one_client(server_uri, db_name, monkeypatch):
    monkeypatch.setenv("MONGO_URI", server_uri)
    monkeypatch.setenv("SLA_DB", db_name)
    database.forget_shared()
    try:
        one = database.shared()
        assert database.shared() is one
        monkeypatch.setenv("SLA_DB", db_name + "_other")  # another database in force: its own
        assert database.shared().name == db_name + "_other"
    finally:
        database.forget_shared()
