"""Raw table -> canonical tickets (contract sections 2-6), in chunks, and the import report.

Two steps, kept apart on purpose:

* reading what the file says (text, durations, dates, raw SLA words; ``values``) never
  depends on settings, so the stored "file values" stay the same when rules change;
* ``derive`` applies the settings (status list, team rules, priority words, SLA targets) and
  can be re-run over stored tickets when an admin changes a rule.

An event-log export's rows of one ticket fold into one ticket with a team timeline
(``events``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import pandas as pd

from sla.core import fields
from sla.core.teams import team_of
from sla.ingest import presets
from sla.ingest.events import event_timelines
from sla.ingest.stored_values import content_hash, escape_key, plain
from sla.ingest.table import RawTable
from sla.ingest.values import (
    BadValue,
    clean_sr_number,
    clean_text,
    date_order,
    parse_date_column,
    parse_duration,
    remaining_hours,
    remaining_outcome,
    sla_word,
    without_thousands,
)
from sla.ingest.worktime import derive_work, judged

MAX_LISTED_PROBLEMS = 1000  # rows listed per problem kind in a report; counts stay exact
REMAINING = "remaining"  # an SLA column holding the time left against the tool's goal


@dataclass
class ImportReport:
    """What an import found and did (contract section 6)."""

    file_name: str = ""
    rows_read: int = 0
    tickets: int = 0
    folded: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejected_rows: list[dict] = field(default_factory=list)
    durations_not_parsed: int = 0
    dates_not_parsed: int = 0
    sla_not_recognised: int = 0
    problems: list[dict] = field(default_factory=list)
    teams_other: dict[str, int] = field(default_factory=dict)
    teams_unassigned: int = 0
    date_order: dict[str, str] = field(default_factory=dict)
    mapping: dict[str, str] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    detected_as: str = ""  # the native export the headers are, e.g. "Zendesk ticket export"
    import_id: str = ""  # the import's id once written (``./sla.sh import undo ID``)
    edits_kept: int = 0  # tickets whose edit in the app stayed over another file value

    def as_dict(self) -> dict:
        return asdict(self)

    def note_problem(self, kind: str, row: int, column: str, value: object) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        if len(self.problems) < MAX_LISTED_PROBLEMS:
            self.problems.append({"kind": kind, "row": row, "column": column,
                                  "value": plain(value)})

    def reject(self, row: int, reason: str) -> None:
        self.rejected += 1
        if len(self.rejected_rows) < MAX_LISTED_PROBLEMS:
            self.rejected_rows.append({"row": row, "reason": reason})


# ---------------------------------------------------------------- derived classes

def status_class(status: str | None, resolved_statuses: list[str]) -> str:
    if status and status.strip().lower() in {s.lower() for s in resolved_statuses}:
        return "resolved"
    return "pending"


def priority_of(raw: str | None, words: dict[str, str] | None = None) -> str | None:
    """P1..P5 by the contract's forms and words, and a preset's ``words`` (lower case) first."""
    if raw is None:
        return None
    text = raw.strip()
    lower = text.lower()
    match = re.fullmatch(r"p?([1-5])", lower) or re.match(r"([1-5])\s*-", lower)
    if match:
        return f"P{match.group(1)}"
    if words and lower in words:
        return words[lower]
    return fields.PRIORITY_WORDS.get(lower, text)


def sla_from_hours(hours: float | None, priority: str | None, targets: dict, kind: str) -> str | None:
    return judged(hours, targets.get(priority or "", {}).get(kind))


def derive(ticket: dict, settings: dict) -> dict:
    """The settings-dependent fields of a ticket, from its file values.

    A ticket read through a preset also takes that tool's priority words and resolved statuses
    (added to the rule's), and its remaining-time SLA cells are judged here.
    """
    preset = presets.by_key(ticket.get("preset"))
    words = preset.priority_words if preset else None
    resolved = settings["resolved_statuses"]
    if preset and preset.resolved_words:
        resolved = [*resolved, *preset.resolved_words]
    priority = priority_of(ticket.get("priority_raw"), words)
    derived = {
        "status_class": status_class(ticket.get("status"), resolved),
        "team": team_of(ticket.get("team_raw"), settings["team_rules"]),
        "priority": priority,
    }
    for kind in ("response", "resolution"):
        if ticket.get(f"{kind}_sla_in_file") == REMAINING:
            derived[f"{kind}_sla"] = remaining_outcome(ticket.get(f"{kind}_sla_raw"),
                                                       derived["status_class"])
        elif ticket.get(f"{kind}_sla_in_file"):
            derived[f"{kind}_sla"] = sla_word(ticket.get(f"{kind}_sla_raw"))
        else:
            derived[f"{kind}_sla"] = sla_from_hours(ticket.get(f"{kind}_hours"), priority,
                                                    settings["sla_targets"], kind)
    return derived


def derive_all(tickets: list[dict], settings: dict) -> list[dict]:
    """Set every settings-dependent field of ``tickets`` (their timelines attached): the
    classes of ``derive``, then the SLA clock's (``worktime.derive_work``); returns them."""
    for ticket in tickets:
        ticket.update(derive(ticket, settings))
    derive_work(tickets, settings)
    return tickets


# ---------------------------------------------------------------- tickets

CHUNK_ROWS = 20_000  # tickets built, compared and written at a time


def iter_tickets(table: RawTable, settings: dict, file_name: str = "",
                 chunk_rows: int = CHUNK_ROWS) -> tuple[ImportReport, Iterator[list[dict]]]:
    """The import report and the tickets in chunks of ``chunk_rows``.

    What needs the whole file is decided first: which rows fold into a later row of the same
    SR, and each date column's day/month order. The report's counts of rows, tickets and
    folded rows are then final; the problem counts grow as the chunks are consumed.
    """
    report = ImportReport(file_name=file_name, rows_read=len(table.frame),
                          mapping=dict(table.mapping), unmapped=list(table.unmapped),
                          notes=list(table.notes))
    if table.preset is not None:
        report.detected_as = table.preset.name
        report.notes.extend(id_notes(table))
    frame = table.frame
    rows = pd.Series(table.row_numbers, index=frame.index)
    sr = frame[table.mapping["sr_number"]].map(clean_sr_number).astype(object)
    for index in sr.index[sr.isna()]:
        report.reject(int(rows[index]), "no SR number")
    keep = sr.notna() & ~sr.duplicated(keep="last")
    report.folded = int((sr.notna() & ~keep).sum())
    timelines = event_timelines(table, sr) if report.folded else {}
    if not keep.all():  # a copy of the table only when rows go (a big file rarely folds)
        frame, rows, sr = frame[keep], rows[keep], sr[keep]
    report.tickets = len(frame)
    orders = _date_orders(table, frame, report)

    def chunks() -> Iterator[list[dict]]:
        other: Counter = Counter()
        for start in range(0, len(frame), chunk_rows):
            part = slice(start, start + chunk_rows)
            tickets = _build_tickets(table, frame.iloc[part], rows.iloc[part],
                                     sr.iloc[part].to_numpy(), settings, orders, report)
            for ticket in tickets:
                if ticket["sr_number"] in timelines:
                    ticket["timeline"] = timelines[ticket["sr_number"]]
            derive_all(tickets, settings)
            other.update(t["team_raw"] for t in tickets if t["team"] == "Other")
            report.teams_other = dict(other.most_common())
            report.teams_unassigned += sum(1 for t in tickets if t["team"] == "Unassigned")
            yield tickets

    return report, chunks()


SYS_ID = re.compile(r"[0-9a-f]{32}")


def id_notes(table: RawTable) -> list[str]:
    """A note for each preset column that holds record ids (ServiceNow's sys_ids in its REST
    form) instead of names: they are kept as they are, since the file has nothing better."""
    notes = []
    for name in table.preset.display_columns:
        header = table.mapping.get(name)
        if header is None:
            continue
        values = table.frame[header].dropna().astype(str).str.strip()
        if len(values) and values.str.fullmatch(SYS_ID).all():
            notes.append(f"{header} holds record ids (sys_id), not names; they are kept as "
                         f"they are (export with sysparm_display_value=true or all to get the names)")
    return notes


def _date_orders(table: RawTable, frame: pd.DataFrame, report: ImportReport) -> dict[str, str]:
    """Each mapped date column's order (section 4), decided over the whole column."""
    orders = {}
    for name in fields.DATE_FIELDS:
        header = table.mapping.get(name)
        if header is None:
            continue
        orders[name] = date_order(frame[header])
        report.date_order[name] = orders[name]
        if orders[name].startswith("undetermined"):
            report.notes.append(f"{header}: no value tells day from month; read day-first")
    return orders


def _build_tickets(table: RawTable, frame: pd.DataFrame, rows: pd.Series, srs, settings: dict,
                   orders: dict[str, str], report: ImportReport) -> list[dict]:
    columns = _parse_columns(table, frame, rows, report, orders)
    sla_in_file = {name: sla_read_as(table, name) for name in fields.SLA_FIELDS}
    extra_headers = [(h, escape_key(h)) for h in table.unmapped]
    extra_values = {h: frame[h].to_numpy() for h in table.unmapped}
    hours_from_dates = "resolution_hours" not in table.mapping
    tickets = []
    for position, sr_number in enumerate(srs):
        ticket = {"sr_number": sr_number}
        for name, values in columns.items():
            ticket[name] = values[position]
        for name, how in sla_in_file.items():
            ticket[f"{name}_in_file"] = how
        if table.preset is not None:
            ticket["preset"] = table.preset.key
        ticket["extra"] = {key: plain(extra_values[h][position]) for h, key in extra_headers}
        if hours_from_dates:
            ticket["resolution_hours_from"] = "dates"
        ticket["content_hash"] = content_hash(ticket)
        tickets.append(ticket)
    return tickets


def sla_read_as(table: RawTable, name: str) -> bool | str:
    """How the file carries an SLA field: False (not at all), True (met/breached words) or
    REMAINING (a preset's cells of time left against the tool's goal)."""
    if name not in table.mapping:
        return False
    if table.preset is not None and table.preset.is_remaining(table.mapping[name]):
        return REMAINING
    return True


def _parse_columns(table: RawTable, frame: pd.DataFrame, rows: pd.Series,
                   report: ImportReport, orders: dict[str, str]) -> dict[str, list]:
    """Each canonical field as a list aligned with ``frame`` (None where empty)."""
    mapping = table.mapping
    size = len(frame)
    columns: dict[str, list] = {}
    for name, target in (("status", "status"), ("priority", "priority_raw"),
                         ("category", "category"), ("resolved_by", "resolved_by"),
                         ("owner", "owner"), ("team_raw", "team_raw")):
        columns[target] = _texts(frame, mapping.get(name))
    if table.preset is not None and table.preset.status_codes:
        codes = table.preset.status_codes
        columns["status"] = [codes.get(value, value) for value in columns["status"]]
    for name in fields.DATE_FIELDS:
        if name not in mapping:
            columns[name] = [None] * size
            continue
        formats = table.preset.date_formats if table.preset is not None else ()
        parsed, _, bad = parse_date_column(frame[mapping[name]], orders[name], formats)
        for index in bad.index[bad]:
            report.note_problem("dates_not_parsed", int(rows[index]), mapping[name],
                                frame.at[index, mapping[name]])
        columns[name] = [None if pd.isna(v) else v.to_pydatetime() for v in parsed]
    _fill_from_closed(table, frame, columns, orders)
    for name in fields.DURATION_FIELDS:
        columns[name] = _duration_column(table, frame, rows, report, name)
    if "resolution_hours" not in mapping:
        columns["resolution_hours"] = _hours_between(columns, rows, report)
    for name in fields.SLA_FIELDS:
        raw = _texts(frame, mapping.get(name))
        columns[f"{name}_raw"] = raw
        if name in mapping:
            readable = _remaining_readable if sla_read_as(table, name) == REMAINING else sla_word
            for value, row in zip(raw, rows):
                if value is not None and readable(value) is None:
                    report.note_problem("sla_not_recognised", int(row), mapping[name], value)
    return columns


def closed_header(table: RawTable) -> str | None:
    """The closed-date column, when the file has one besides its resolved-date column."""
    wanted = {fields.header_key(h) for h in fields.CLOSED_HEADERS}
    if fields.header_key(table.mapping.get("resolved_at", "")) in wanted:
        return None
    return next((h for h in table.unmapped if fields.header_key(h) in wanted), None)


def _fill_from_closed(table: RawTable, frame: pd.DataFrame, columns: dict,
                      orders: dict[str, str]) -> None:
    """Resolved dates left empty take the ticket's closed date (its column stays kept)."""
    header = closed_header(table)
    if header is None or "resolved_at" not in table.mapping:
        return
    formats = table.preset.date_formats if table.preset is not None else ()
    closed, _, _ = parse_date_column(frame[header], date_order(frame[header]), formats)
    columns["resolved_at"] = [
        value if value is not None or pd.isna(other) else other.to_pydatetime()
        for value, other in zip(columns["resolved_at"], closed)]


def _remaining_readable(value: str) -> float | None:
    """The hours of a remaining-time cell, None when it cannot be read (for the report)."""
    try:
        return remaining_hours(value)
    except BadValue:
        return None


def _texts(frame: pd.DataFrame, header: str | None) -> list:
    if header is None:
        return [None] * len(frame)
    return [clean_text(v) for v in frame[header].to_numpy()]


def _duration_column(table, frame, rows, report, name) -> list:
    header = table.mapping.get(name)
    if header is None:
        return [None] * len(frame)
    unit = table.unit_of(name)
    tidy = without_thousands if table.preset and table.preset.unit_of(header) else None
    values = []
    for value, row in zip(frame[header].to_numpy(), rows):
        try:
            values.append(parse_duration(tidy(value) if tidy else value, unit))
        except BadValue:
            report.note_problem("durations_not_parsed", int(row), header, value)
            values.append(None)
    return values


def _hours_between(columns: dict, rows: pd.Series, report: ImportReport) -> list:
    """resolution_hours = resolved_at - created in calendar hours, when the file has no column."""
    values = []
    for created, resolved, row in zip(columns["created"], columns["resolved_at"], rows):
        if created is None or resolved is None:
            values.append(None)
            continue
        hours = (resolved - created).total_seconds() / 3600
        if hours < 0:
            report.note_problem("durations_not_parsed", int(row), "resolved_at - created",
                                f"{hours:.2f}")
            values.append(None)
        else:
            values.append(hours)
    return values
