"""Raw table -> canonical tickets (contract sections 2-6).

Two steps, kept apart on purpose:

* ``parse_tickets`` interprets what the file says (text, durations, dates, raw SLA words) and
  never depends on settings, so the stored "file values" stay the same when rules change;
* ``derive`` applies the settings (status list, team rules, priority words, SLA targets) and
  can be re-run over stored tickets when an admin changes a rule.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from collections.abc import Iterator
from functools import lru_cache

import pandas as pd

from sla import fields, presets
from sla.read import RawTable

MAX_LISTED_PROBLEMS = 1000  # rows listed per problem kind in a report; counts stay exact
EXCEL_EPOCH = dt.datetime(1899, 12, 30)


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

    def as_dict(self) -> dict:
        return asdict(self)

    def note_problem(self, kind: str, row: int, column: str, value: object) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        if len(self.problems) < MAX_LISTED_PROBLEMS:
            self.problems.append({"kind": kind, "row": row, "column": column,
                                  "value": _plain(value)})

    def reject(self, row: int, reason: str) -> None:
        self.rejected += 1
        if len(self.rejected_rows) < MAX_LISTED_PROBLEMS:
            self.rejected_rows.append({"row": row, "reason": reason})


# ---------------------------------------------------------------- text values

def clean_text(value: object) -> str | None:
    """Trimmed text, or None for the contract's empty words. Whole floats lose their ``.0``."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            value = int(value)
    elif isinstance(value, bool):
        value = str(value).lower()
    elif isinstance(value, (dt.datetime, dt.date, dt.time)):
        value = value.isoformat()
    text = " ".join(str(value).split())
    return None if text.lower() in fields.EMPTY_WORDS else text


def clean_sr_number(value: object) -> str | None:
    text = clean_text(value)
    if text is not None and re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    return text


# ---------------------------------------------------------------- durations

_CLOCK = re.compile(r"(?:(\d+)\s*days?,?\s+)?(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?")
_UNIT_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b")
_UNIT_TEXT = re.compile(r"(?:\d+(?:\.\d+)?\s*(?:days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b[\s,]*)+")
_UNIT_LETTER_HOURS = {"d": 24.0, "h": 1.0, "m": 1 / 60, "s": 1 / 3600}


class BadValue(ValueError):
    """A cell that cannot be read as its field's type."""


def parse_duration(value: object, unit: str | None = None) -> float | None:
    """Hours in a duration cell (section 3). None for empty; BadValue for junk, negatives, or a
    clock whose minutes or seconds go past 59 (the contract reads hh:mm)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        raise BadValue(value)
    if isinstance(value, dt.timedelta):
        hours = value.total_seconds() / 3600
    elif isinstance(value, dt.time):
        hours = value.hour + value.minute / 60 + (value.second + value.microsecond / 1e6) / 3600
    elif isinstance(value, dt.datetime):  # a duration of a day or more Excel shows as a date
        hours = _excel_serial(value) * 24
    elif isinstance(value, (int, float)):
        hours = _bare_number_hours(float(value), unit)
    else:
        text = " ".join(str(value).split()).lower()
        if text in fields.EMPTY_WORDS:
            return None
        hours = _duration_text_hours(text, unit)
    if hours < 0 or math.isnan(hours):
        raise BadValue(value)
    return hours


REMAINING = "remaining"  # an SLA column holding the time left against the tool's goal


def remaining_hours(value: object) -> float | None:
    """Signed hours in a cell of time left against a goal (Jira's ``2h 30m``, ``-1h 5m``):
    negative when the goal was missed. None for empty; BadValue for anything else."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = " ".join(str(value).split()).lower()
    if text in fields.EMPTY_WORDS:
        return None
    if re.fullmatch(r"[+-]?\d+(?:\.\d+)?", text):  # a bare number says nothing of its unit
        raise BadValue(value)
    return _duration_text_hours(text, None)


def remaining_outcome(raw: str | None, status_class_: str) -> str | None:
    """met / breached from the time left: breached once it is negative, met when a resolved
    ticket had time left; an open ticket with time left has no outcome yet (its clock runs)."""
    try:
        hours = remaining_hours(raw)
    except BadValue:
        return None
    if hours is None:
        return None
    if hours < 0:
        return "breached"
    return "met" if status_class_ == "resolved" else None


def _without_thousands(value: object) -> object:
    """``102,197`` as ``102197``: a tool's display of a whole number of seconds."""
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,3}(?:,\d{3})+\s*", value):
        return value.replace(",", "")
    return value


def _bare_number_hours(number: float, unit: str | None) -> float:
    if unit in fields.UNIT_HOURS:
        return number * fields.UNIT_HOURS[unit]
    return number * 24  # an Excel duration in days


@lru_cache(maxsize=65536)
def _duration_text_hours(text: str, unit: str | None) -> float:
    try:
        return _bare_number_hours(float(text), unit)
    except ValueError:
        pass
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-").strip()
    clock = _CLOCK.fullmatch(body)
    if clock:
        days, hours, minutes, seconds = clock.groups()
        if int(minutes) > 59 or float(seconds or 0) >= 60:  # "12:75" is no hh:mm duration
            raise BadValue(text)
        return sign * (int(days or 0) * 24 + int(hours) + int(minutes) / 60
                       + float(seconds or 0) / 3600)
    if _UNIT_TEXT.fullmatch(body):
        total = 0.0
        for number, word in _UNIT_PART.findall(body):
            total += float(number) * _UNIT_LETTER_HOURS[word[0]]
        return sign * total
    raise BadValue(text)


def _excel_serial(value: dt.datetime) -> float:
    """Days since Excel's epoch (serials below 60 sit before Excel's phantom 29 Feb 1900)."""
    epoch = dt.datetime(1899, 12, 31) if value < dt.datetime(1900, 3, 1) else EXCEL_EPOCH
    return (value - epoch).total_seconds() / 86400


# ---------------------------------------------------------------- dates

_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}(?:[ T].*)?$")
_NUMERIC_DATE = re.compile(
    r"^(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<y>\d{4}|\d{2})"
    r"(?:[ T,]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?\s*(?P<ampm>[aApP][mM])?)?$")


def date_order(values: pd.Series) -> str:
    """The column's day/month order (section 4), from its numeric dates like 3/4/2026."""
    texts = values[values.map(lambda v: isinstance(v, str))].str.strip()
    numeric = texts.str.extract(_NUMERIC_DATE)
    numeric = numeric[numeric["a"].notna()]
    if len(numeric):
        return _date_order(numeric)
    return "excel" if (values.notna() & ~values.map(lambda v: isinstance(v, str))).any() else "iso"


def parse_date_column(values: pd.Series, order: str | None = None,
                      formats: tuple[str, ...] = ()) -> tuple[pd.Series, str, pd.Series]:
    """Parse one date column. Returns (datetimes or NaT, the order used, a mask of bad cells).

    ``order`` is the column's order when ``values`` is a part of it (see ``date_order``);
    ``formats`` (a preset's, as for ``strptime``) are tried on text cells before the rest.
    """
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    is_text = values.map(lambda v: isinstance(v, str))
    texts = values[is_text].str.strip()
    blank = texts.str.lower().isin(fields.EMPTY_WORDS)
    texts = texts[~blank]
    for date_format in formats:
        exact = pd.to_datetime(texts, format=date_format, errors="coerce")
        hit = exact.notna()
        result[texts.index[hit]] = exact[hit]
        texts = texts[~hit]
    cells = values[values.notna() & ~is_text]
    order = order or ("excel" if len(cells) else "iso")
    if len(cells):
        result[cells.index] = pd.to_datetime(cells.map(_date_from_cell), errors="coerce")
    numeric = texts.str.extract(_NUMERIC_DATE)
    is_numeric = numeric["a"].notna()
    if is_numeric.any():
        if order in ("excel", "iso"):
            order = _date_order(numeric[is_numeric])
        result[numeric.index[is_numeric]] = _assemble(numeric[is_numeric], order)
    rest = texts[~is_numeric]
    is_iso = rest.str.match(_ISO)
    if is_iso.any():
        iso = pd.to_datetime(rest[is_iso], format="ISO8601", errors="coerce", utc=True)
        result[iso.index] = iso.dt.tz_convert(None)
    other = rest[~is_iso]
    if len(other):
        dayfirst = order != "month-first"
        result[other.index] = pd.to_datetime(other.map(lambda t: _parse_free_date(t, dayfirst)))
    bad = values.notna() & result.isna()
    bad[blank.index[blank]] = False
    return result, order, bad


def _date_from_cell(value: object):
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 20000 < value < 80000:
        return EXCEL_EPOCH + dt.timedelta(days=float(value))
    return pd.NaT


def _date_order(parts: pd.DataFrame) -> str:
    """Section 4: day-first when any first part > 12, month-first when any second part > 12."""
    first = parts["a"].astype(int)
    second = parts["b"].astype(int)
    if (first > 12).any():
        return "day-first"
    if (second > 12).any():
        return "month-first"
    return "undetermined (read day-first)"


def _assemble(parts: pd.DataFrame, order: str) -> pd.Series:
    day, month = (parts["b"], parts["a"]) if order == "month-first" else (parts["a"], parts["b"])
    year = parts["y"].astype(int)
    year = year.where(year >= 100, year + 2000)
    hour = _whole_numbers(parts["H"])
    ampm = parts["ampm"].fillna("").str.lower()
    hour = hour.where(~((ampm == "pm") & (hour < 12)), hour + 12)
    hour = hour.where(~((ampm == "am") & (hour == 12)), 0)
    frame = pd.DataFrame({"year": year, "month": month.astype(int), "day": day.astype(int),
                          "hour": hour, "minute": _whole_numbers(parts["M"]),
                          "second": _whole_numbers(parts["S"])})
    return pd.to_datetime(frame, errors="coerce").astype("datetime64[us]")


def _whole_numbers(texts: pd.Series) -> pd.Series:
    """Digits as integers, 0 where the part is absent."""
    return pd.to_numeric(texts).fillna(0).astype(int)


def _parse_free_date(text: str, dayfirst: bool):
    try:
        stamp = pd.to_datetime(text, dayfirst=dayfirst)
    except (ValueError, OverflowError, TypeError):
        return pd.NaT
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(None)
    return stamp


# ---------------------------------------------------------------- derived classes

def status_class(status: str | None, resolved_statuses: list[str]) -> str:
    if status and status.strip().lower() in {s.lower() for s in resolved_statuses}:
        return "resolved"
    return "pending"


def team_of(team_raw: str | None, rules: list[dict]) -> str:
    """Section 5: L1 / L2 / Business by the rules, Other otherwise, Unassigned when empty."""
    cleaned = " ".join(re.split(r"[^0-9a-z]+", (team_raw or "").lower())).strip()
    if not cleaned:
        return "Unassigned"
    padded = f" {cleaned} "
    for rule in rules:
        if cleaned in rule.get("exact", []) or any(f" {w} " in padded for w in rule.get("words", [])):
            return rule["team"]
    return "Other"


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


def sla_word(raw: str | None) -> str | None:
    """met / breached for the contract's words; None for empty or unrecognised values."""
    if raw is None:
        return None
    lower = raw.strip().lower()
    if lower in fields.SLA_MET_WORDS:
        return "met"
    if lower in fields.SLA_BREACHED_WORDS:
        return "breached"
    return None


def sla_from_hours(hours: float | None, priority: str | None, targets: dict, kind: str) -> str | None:
    target = targets.get(priority or "", {}).get(kind)
    if hours is None or target is None:
        return None
    return "met" if hours <= target else "breached"


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


# ---------------------------------------------------------------- tickets

CHUNK_ROWS = 20_000  # tickets built, compared and written at a time


def parse_tickets(table: RawTable, settings: dict, file_name: str = "") -> tuple[list[dict], ImportReport]:
    """Canonical tickets (file values + derived fields + ``extra``) and the import report."""
    report, chunks = iter_tickets(table, settings, file_name)
    tickets = [ticket for chunk in chunks for ticket in chunk]
    return tickets, report


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
            other.update(t["team_raw"] for t in tickets if t["team"] == "Other")
            report.teams_other = dict(other.most_common())
            report.teams_unassigned += sum(1 for t in tickets if t["team"] == "Unassigned")
            yield tickets

    return report, chunks()


def event_time_header(table: RawTable) -> str | None:
    """The column giving each row's time in an event-log export, if the file has one."""
    for synonym in fields.EVENT_TIME_HEADERS:
        wanted = fields.header_key(synonym)
        for header in table.headers:
            if fields.header_key(header) == wanted:
                return header
    return None


def event_timelines(table: RawTable, sr: pd.Series) -> dict[str, list[dict]]:
    """Each ticket's team timeline from an event-log export's rows: the times its raw team
    changed, oldest first, as [{"at", "team_raw", "exact": True}]; only tickets whose rows
    show more than one team (one team all along needs no timeline)."""
    team_header, time_header = table.mapping.get("team_raw"), event_time_header(table)
    if team_header is None or time_header is None:
        return {}
    at, _, _ = parse_date_column(table.frame[time_header], date_order(table.frame[time_header]))
    events = pd.DataFrame({"sr": sr, "at": at,
                           "team": [clean_text(v) for v in table.frame[team_header].to_numpy()]})
    events = events[events["sr"].notna() & events["at"].notna()]
    events = events.sort_values(["sr", "at"], kind="stable")
    team = events["team"].fillna("\0")
    starts = (events["sr"] != events["sr"].shift()) | (team != team.shift())
    events = events[starts.to_numpy()]
    several = events["sr"].duplicated(keep=False).to_numpy()
    timelines: dict[str, list[dict]] = {}
    for sr_number, at_value, team_raw in events[several].itertuples(index=False):
        timelines.setdefault(sr_number, []).append(
            {"at": at_value.to_pydatetime(), "team_raw": team_raw, "exact": True})
    return timelines


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
    tickets = []
    for position, sr_number in enumerate(srs):
        ticket = {"sr_number": sr_number}
        for name, values in columns.items():
            ticket[name] = values[position]
        for name, how in sla_in_file.items():
            ticket[f"{name}_in_file"] = how
        if table.preset is not None:
            ticket["preset"] = table.preset.key
        ticket["extra"] = {key: _plain(extra_values[h][position]) for h, key in extra_headers}
        ticket["content_hash"] = content_hash(ticket)
        ticket.update(derive(ticket, settings))
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
                         ("team_raw", "team_raw")):
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
    tidy = _without_thousands if table.preset and table.preset.unit_of(header) else None
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


# ---------------------------------------------------------------- storage-safe values

FILE_FIELDS = ("sr_number", "status", "priority_raw", "category", "created", "resolved_at",
               "resolved_by", "team_raw", "response_hours", "resolution_hours",
               "response_sla_raw", "resolution_sla_raw", "response_sla_in_file",
               "resolution_sla_in_file", "extra", "preset")


def content_hash(ticket: dict) -> str:
    """A hash of what the file says about a ticket: equal hashes mean an unchanged ticket.

    ``preset`` counts only when set, so tickets of files no preset reads keep their hashes."""
    payload = {k: ticket.get(k) for k in FILE_FIELDS}
    if payload["preset"] is None:
        del payload["preset"]
    text = json.dumps(payload, sort_keys=True, default=_json_default, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _json_default(value: object) -> str:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def escape_key(key: str) -> str:
    """A header as a MongoDB field name: '.' and a leading '$' become full-width look-alikes."""
    key = str(key).replace(".", "\uff0e")
    return "\uff04" + key[1:] if key.startswith("$") else key


def unescape_key(key: str) -> str:
    key = key.replace("\uff0e", ".")
    return "$" + key[1:] if key.startswith("\uff04") else key


def _plain(value: object) -> object:
    """A value MongoDB stores as is (no numpy scalars, NaN, or bare times)."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 3600
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, int) and abs(value) >= 2 ** 63:
        return str(value)
    return value
