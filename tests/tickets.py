"""All of a table's tickets at once, for tests and benchmarks (an import streams them in
chunks through ``normalise.iter_tickets``)."""

from __future__ import annotations

from sla.ingest.normalise import ImportReport, iter_tickets
from sla.ingest.table import RawTable


def parse_tickets(table: RawTable, settings: dict,
                  file_name: str = "") -> tuple[list[dict], ImportReport]:
    """Canonical tickets (file values + derived fields + ``extra``) and the import report."""
    report, chunks = iter_tickets(table, settings, file_name)
    tickets = [ticket for chunk in chunks for ticket in chunk]
    return tickets, report
