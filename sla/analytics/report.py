"""The Monday report: one view's figures as an Excel workbook (``.xlsx``).

Sheets: Summary (what the view is, in words, and its headline figures), Teams, Agents,
Trend, Overdue and At risk. Dates are Excel dates and numbers are numbers (formatted, never
text), so the manager can sort and chart them. Every text cell goes through
``export.neutralise``, as in the CSV downloads: a value from a file never runs as a formula.
Written with openpyxl's write-only workbook (rows streamed, not held as cell objects).
"""

from __future__ import annotations

import datetime as dt
import io
import math

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from sla.analytics.export import neutralise
from sla.analytics.risk import LIST_LIMIT
from sla.core.filters import Filters

DATE_FORMAT = "yyyy-mm-dd hh:mm"
DAY_FORMAT = "yyyy-mm-dd"
PCT_FORMAT = "0.0"
HOURS_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"
GROUP_COLUMNS = [  # (key, header, number format)
    ("total_tickets", "Tickets", COUNT_FORMAT), ("resolved", "Resolved", COUNT_FORMAT),
    ("pending", "Pending", COUNT_FORMAT),
    ("response_sla_pct", "Response SLA met %", PCT_FORMAT),
    ("resolution_sla_pct", "Resolution SLA met %", PCT_FORMAT),
    ("response_breached", "Response breaches", COUNT_FORMAT),
    ("resolution_breached", "Resolution breaches", COUNT_FORMAT),
    ("avg_response_hours", "Average response (h)", HOURS_FORMAT),
    ("avg_resolution_hours", "Average resolution (h)", HOURS_FORMAT)]
TREND_COLUMNS = [("start", "Period starting", DAY_FORMAT), ("tickets", "Tickets created",
                                                            COUNT_FORMAT),
                 ("response_sla_pct", "Response SLA met %", PCT_FORMAT),
                 ("resolution_sla_pct", "Resolution SLA met %", PCT_FORMAT)]
RISK_COLUMNS = [("sr_number", "SR number", None), ("priority", "Priority", None),
                ("team", "Team", None), ("agent", "Owner", None), ("status", "Status", None),
                ("created", "Created", DATE_FORMAT),
                ("worked_hours", "Working hours used", HOURS_FORMAT),
                ("target_hours", "Resolution target (h)", HOURS_FORMAT),
                ("hours_left", "Working hours left", HOURS_FORMAT)]
SUMMARY_FIGURES = [("total_tickets", "Tickets", COUNT_FORMAT),
                   ("resolved", "Resolved", COUNT_FORMAT), ("pending", "Pending", COUNT_FORMAT),
                   ("breaches", "Breaches (tickets)", COUNT_FORMAT),
                   ("response_sla_pct", "Response SLA met %", PCT_FORMAT),
                   ("resolution_sla_pct", "Resolution SLA met %", PCT_FORMAT),
                   ("median_response_hours", "Median response (h)", HOURS_FORMAT),
                   ("median_resolution_hours", "Median resolution (h)", HOURS_FORMAT)]


def filters_in_words(filters: Filters) -> str:
    """What the view keeps, as plain text (the workbook is not Markdown)."""
    return "; ".join(filters.in_words()) or "all tickets"


def workbook_bytes(filters: Filters, summary: dict, teams: list[dict], agents: list[dict],
                   trend: list[dict], risk: dict, made_at: dt.datetime) -> bytes:
    """The workbook of one view. ``risk`` as ``queries.at_risk`` answers (its ``as_of`` and
    ``tickets`` with a ``state`` each)."""
    book = Workbook(write_only=True)
    _summary_sheet(book, filters, summary, risk, made_at)
    _table_sheet(book, "Teams", teams, [("team", "Team", None), *GROUP_COLUMNS])
    _table_sheet(book, "Agents", agents, [("agent", "Agent", None), *GROUP_COLUMNS,
                                          ("score", "Score", PCT_FORMAT)])
    _table_sheet(book, "Trend", trend, TREND_COLUMNS)
    for state, title in (("overdue", "Overdue"), ("at risk", "At risk")):
        _table_sheet(book, title, [t for t in risk["tickets"] if t["state"] == state],
                     RISK_COLUMNS)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _summary_sheet(book: Workbook, filters: Filters, summary: dict, risk: dict,
                   made_at: dt.datetime) -> None:
    sheet = book.create_sheet("Summary")
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 60
    sheet.append([_bold(sheet, "SLA Tracker report")])
    sheet.append(["View", neutralise(filters_in_words(filters))])
    sheet.append(["Made at (UTC)", _cell(sheet, made_at, DATE_FORMAT)])
    if risk.get("as_of") is not None:
        sheet.append(["Open tickets measured at", _cell(sheet, _plain_time(risk["as_of"]),
                                                         DATE_FORMAT)])
    sheet.append([])
    for key, label, number_format in SUMMARY_FIGURES:
        sheet.append([label, _cell(sheet, summary.get(key), number_format)])
    for key, label in (("overdue", "Overdue (open, past target)"),
                       ("at_risk", "At risk (open, close to target)")):
        sheet.append([label, _cell(sheet, risk["counts"].get(key, 0), COUNT_FORMAT)])
    sheet.append([])
    sheet.append([f"The Overdue and At risk sheets list at most {LIST_LIMIT:,} tickets each, "
                  "least time left first; the counts above are exact."])


def _table_sheet(book: Workbook, title: str, rows: list[dict], columns: list[tuple]) -> None:
    sheet = book.create_sheet(title)
    for position, (_, header, _format) in enumerate(columns):
        sheet.column_dimensions[get_column_letter(position + 1)].width = max(12, len(header) + 2)
    sheet.append([_bold(sheet, header) for _, header, _ in columns])
    for row in rows:
        sheet.append([_cell(sheet, row.get(key), number_format)
                      for key, _, number_format in columns])


def _cell(sheet, value: object, number_format: str | None) -> object:
    """A value as its Excel type: a number or a date with its format, text neutralised,
    nothing for a missing one."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return neutralise(value)
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        value = _plain_time(value)
    cell = WriteOnlyCell(sheet, value=value)
    if number_format:
        cell.number_format = number_format
    return cell


def _plain_time(value: dt.datetime) -> dt.datetime:
    """Excel has no time zones: a time is written as UTC without one."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


def _bold(sheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=neutralise(text))
    cell.font = Font(bold=True)
    return cell

