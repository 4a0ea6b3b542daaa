"""The Monday report workbook, read back with openpyxl: its sheets, real Excel types, the
figures of the view, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from sla.analytics import metrics, report
from sla.core.filters import Filters
from sla.service import importing, reports
from sla.storage import versions
from tests.handset import HAND_CSV, hand_bytes

HOSTILE_AGENT = '=HYPERLINK("http://evil.example","x")'
HOSTILE_CELL = '"' + HOSTILE_AGENT.replace('"', '""') + '"'  # as a CSV cell


@pytest.fixture
def held(db):
    """The hand-checked tickets, with one resolver named like a formula."""
    importing.import_file(db, hand_bytes(HAND_CSV.replace(",Cat,", f",{HOSTILE_CELL},")),
                          "hand.csv")
    return db


def sheets(content: bytes) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def test_the_workbook_holds_the_views_figures_as_excel_types(held):
    content = reports.report_workbook(held, Filters(teams=("L1", "L2")))
    book = sheets(content)
    assert list(book) == ["Summary", "Teams", "Agents", "Trend", "Overdue", "At risk"]
    summary = {row[0]: row[1] for row in book["Summary"] if row and row[0]}
    expected = metrics.summary(versions.snapshot(held), Filters(teams=("L1", "L2")))
    assert summary["View"] == "team L1, L2"
    assert summary["Tickets"] == expected["total_tickets"]
    assert summary["Resolution SLA met %"] == pytest.approx(expected["resolution_sla_pct"])
    assert isinstance(summary["Made at (UTC)"], dt.datetime)
    teams = book["Teams"]
    assert teams[0][:3] == ("Team", "Tickets", "Resolved")
    assert [row[0] for row in teams[1:]] == ["L1", "L2"]
    assert all(isinstance(row[1], int) for row in teams[1:])
    trend = book["Trend"]
    assert isinstance(trend[1][0], dt.datetime) and isinstance(trend[1][1], int)


def test_no_cell_runs_as_a_formula(held):
    book = openpyxl.load_workbook(io.BytesIO(reports.report_workbook(held)))
    texts = [cell.value for sheet in book.worksheets for row in sheet.iter_rows()
             for cell in row if isinstance(cell.value, str)]
    assert "'" + HOSTILE_AGENT in texts
    assert not [text for text in texts if text.startswith(("=", "+", "-", "@"))]
    assert all(cell.data_type != "f" for sheet in book.worksheets for row in sheet.iter_rows()
               for cell in row)


def test_the_view_is_said_in_words():
    chosen = Filters(date_from=dt.date(2026, 3, 1), priorities=("P1",), status_class="pending",
                     search="vpn")
    assert report.filters_in_words(chosen) == ("created 2026-03-01 – last; priority P1; "
                                               "pending; search “vpn”")
    assert report.filters_in_words(Filters()) == "all tickets"
