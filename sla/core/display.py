"""Values from files and users, made safe to show: never Markdown, never HTML, never long.

Streamlit renders headings, captions, alerts, expander labels and help texts as Markdown, so
a value such as ``**x** [link](http://…)`` or ``=HYPERLINK(…)`` from an export would become
formatting or a live link. ``literal`` escapes every ASCII punctuation character, which
CommonMark then shows as itself (emoji short codes, colour directives, LaTeX and autolinks
all need punctuation). Bidirectional control characters (which can reorder what a reader
sees) and other control characters are removed, and long values are shortened.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

SHORT = 80  # characters shown in headings, labels and captions
ELLIPSIS = "…"
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def clean(value: object, limit: int | None = SHORT) -> str:
    """One line of plain text: no control or bidi characters, at most ``limit`` characters."""
    text = "" if value is None else str(value)
    text = " ".join("".join(ch for ch in text if ch.isspace() or _visible(ch)).split())
    if limit is not None and len(text) > limit:
        return text[: limit - 1].rstrip() + ELLIPSIS
    return text


def strip_bidi(text: str) -> str:
    """``text`` without bidirectional control characters (the rest as it is)."""
    return text.translate(_NO_BIDI)


_NO_BIDI = {ord(ch): None for ch in _BIDI}


def _visible(ch: str) -> bool:
    return ch not in _BIDI and unicodedata.category(ch) != "Cc"


def literal(value: object, limit: int | None = SHORT) -> str:
    """``clean(value)`` escaped so that Markdown shows it character for character, and no
    web address or e-mail address in it becomes a live link."""
    return _PUNCTUATION.sub(r"\\\1", unlinked(clean(value, limit)))


# What GitHub-flavoured Markdown turns into a link by itself (its "autolink literals"), even
# when every punctuation character is escaped: a scheme's "://" or ":" , "www.", and the "@" of
# an e-mail address. A word joiner (U+2060: zero width, never a line break) inside each keeps
# the text as it reads and the renderer from seeing a link.
WORD_JOINER = "\u2060"
_LINK_STARTS = re.compile(r"(?i)(?<=[a-z])(?=://)|(?<=\bwww)(?=\.)|(?<=\bmailto)(?=:)|"
                          r"(?<=\bxmpp)(?=:)|(?=@)")


def unlinked(text: str) -> str:
    """``text`` with a word joiner where a renderer would start an automatic link."""
    return _LINK_STARTS.sub(WORD_JOINER, text)


def is_shortened(value: object, limit: int = SHORT) -> bool:
    return len(clean(value, None)) > limit


MINUS = "\u2212"
DAY_FROM_HOURS = 48  # from two days on, hours read better as days + hours


def hours(value: float | None) -> str:
    """A duration in hours as a person reads it: "18 min", "27.6 h", "4 d 3 h"; "–" if none."""
    if value is None or value != value:  # None or NaN
        return "–"
    sign = MINUS if value < 0 else ""
    size = abs(value)
    if size < 1:
        return f"{sign}{round(size * 60):,} min"
    if size < DAY_FROM_HOURS:
        return f"{sign}{size:,.1f} h"
    days, rest = divmod(round(size), 24)
    return f"{sign}{days:,} d {rest} h"


def count(value: int | None, noun: str, plural: str | None = None) -> str:
    """"1 ticket", "2,345 tickets"."""
    number = value or 0
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


# What a person reads for each field and figure name (tables, CSV headers, messages).
FIELD_LABELS: dict[str, str] = {
    "sr_number": "SR number", "status": "Status", "status_class": "Resolved or pending",
    "priority": "Priority", "priority_raw": "Priority in the file", "category": "Category",
    "created": "Created", "resolved_at": "Resolved at", "resolved_by": "Resolved by",
    "owner": "Owner", "team": "Team", "team_raw": "Team in the file", "response_hours": "Response (h)",
    "resolution_hours": "Resolution (h)", "response_sla": "Response SLA",
    "response_sla_raw": "Response SLA in the file", "resolution_sla": "Resolution SLA",
    "resolution_sla_raw": "Resolution SLA in the file", "imported_at": "First imported",
    "updated_at": "Last changed", "agent": "Agent", "score": "Score",
    "total_tickets": "Tickets", "resolved": "Resolved", "pending": "Pending",
    "from": "From", "to": "To", "handoffs": "Hand-offs", "held": "Held",
    "median_held": "Median held per ticket",
    "median_hours_before": "Median held before", "open": "Open", "under_1_day": "Under 1 day", "days_1_to_3": "1–3 days",
    "days_3_to_7": "3–7 days", "over_7_days": "Over 7 days", "overdue": "Overdue",
    "at_risk": "At risk", "paused": "Paused now",
    "breaches": "Breaches", "response_met": "Response met",
    "response_breached": "Response breached", "response_sla_pct": "Response SLA met %",
    "resolution_met": "Resolution met", "resolution_breached": "Resolution breached",
    "resolution_sla_pct": "Resolution SLA met %",
    "avg_response_hours": "Average response (h)",
    "median_response_hours": "Median response (h)",
    "avg_resolution_hours": "Average resolution (h)",
    "median_resolution_hours": "Median resolution (h)",
    "expected_resolution_sla_pct": "Expected resolution SLA met %",
    "expected_response_sla_pct": "Expected response SLA met %",
    "resolution_vs_expected": "Resolution vs expected (pts)",
    "response_vs_expected": "Response vs expected (pts)",
    "resolution_vs_expected_low": "Resolution vs expected, low (pts)",
    "resolution_vs_expected_high": "Resolution vs expected, high (pts)",
    "response_vs_expected_low": "Response vs expected, low (pts)",
    "response_vs_expected_high": "Response vs expected, high (pts)",
    "fair_score": "Fair score", "fair_rank": "Fair rank", "rank": "Rank",
    "tickets": "Tickets", "hours_held": "Hours held (h)",
    "median_hours_held": "Median held per ticket (h)", "handoffs_in": "Handed in",
    "handoffs_out": "Handed out", "breaches_owned": "Breaches owned", "cause": "Cause",
    "points": "Points", "pending_change": "Change in pending",
}


def label(name: str) -> str:
    """The display name of a field or figure (the name itself, tidied, when unknown)."""
    return FIELD_LABELS.get(name) or name.replace("_", " ").capitalize()


def value(item: object) -> str:
    """A stored value as a table cell: "" for nothing, dates to the minute, numbers without
    a needless ".0", text as it is."""
    if item is None or (isinstance(item, float) and item != item):
        return ""
    if isinstance(item, dt.datetime):
        return f"{item:%Y-%m-%d %H:%M}"
    if isinstance(item, float):
        return f"{item:,.2f}".rstrip("0").rstrip(".") if item != int(item) else f"{int(item):,}"
    return str(item)
