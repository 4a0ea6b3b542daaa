"""The import contract as data: canonical fields, header synonyms, the words values are read by.

``docs/metrics.md`` describes all of it in plain words; the reading, normalising and metric
code look values up here instead of repeating them. The rules an admin can change (SLA
targets, team rules, resolved statuses, score, …) are declared in ``sla.core.rules``;
``DEFAULT_SETTINGS`` and ``SETTINGS_HELP`` are re-exported here for the modules that read them.
"""

from __future__ import annotations

import re

from sla.core.display import label
from sla.core.rules import DEFAULT_SETTINGS, SETTINGS_HELP, TEAMS

__all__ = ["DEFAULT_SETTINGS", "SETTINGS_HELP", "TEAMS"]  # re-exported from sla.core.rules

# Canonical field -> header synonyms, first match in the list wins.
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "sr_number": (
        "SR Number", "SR No", "SR", "Ticket ID", "Ticket Number", "Ticket", "Incident ID",
        "Incident Number", "Incident", "Request ID", "Request Number", "Case Number",
        "Issue key", "Number", "ID",
    ),
    "status": ("Status", "State", "Incident State", "Ticket Status"),
    "priority": ("Priority",),
    "category": ("Category", "Assigned SR Category", "Problem Area", "Area"),
    "created": (
        "Created", "Created Date", "Created On", "Created At", "Opened", "Opened At",
        "Open Date", "Reported Date",
    ),
    "resolved_at": (
        "Resolved Date", "Resolved", "Resolved At", "Resolution Date", "Closed Date",
        "Closed At",
    ),
    "resolved_by": ("Resolved By", "Resolver"),
    "owner": ("Assigned To", "Assignee", "Assignee Name", "Assigned", "Owner", "Agent"),
    "team_raw": (
        "Updated Team", "Updated Resolved By Team", "Resolved By Team", "Assignment Group",
        "Assigned Group", "Support Group", "Team", "Group", "Queue",
    ),
    "response_hours": (
        "Response Time", "First Response Time", "Time to First Response", "Time to Respond",
    ),
    "resolution_hours": (
        "Resolution Time", "Time to Resolution", "Time to Resolve", "Total Time Taken",
    ),
    "response_sla": ("Response SLA Status", "Response SLA", "First Response SLA"),
    "resolution_sla": (
        "Resolution SLA Status", "Resolution SLA", "Made SLA", "SLA Met", "SLA Status", "SLA",
    ),
}

# The time of each row in an event-log export (many rows per ticket, one per update): with the
# team column it gives each ticket's team timeline (``sla.analytics.handoffs``). Not a ticket field: the
# column is also kept with the ticket's other columns, as it was.
EVENT_TIME_HEADERS: tuple[str, ...] = (
    "Sys Updated At", "Updated At", "Updated On", "Updated", "Last Updated", "Updated Date",
    "Modified", "Modified At", "Changed At", "Change Date Time", "Event Time", "Timestamp",
)

# A closed ticket without a resolved date takes its closed date from one of these columns
# (when the resolved date comes from another one).
CLOSED_HEADERS: tuple[str, ...] = ("Closed Date", "Closed At", "Closed")

DURATION_FIELDS = ("response_hours", "resolution_hours")
DATE_FIELDS = ("created", "resolved_at")
SLA_FIELDS = ("response_sla", "resolution_sla")

EMPTY_WORDS = frozenset({"", "?", "-", "n/a", "na", "null", "none"})

PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
STATUS_CLASSES = ("resolved", "pending")

PRIORITY_WORDS = {
    "critical": "P1", "high": "P2", "moderate": "P3", "medium": "P3", "low": "P4",
    "planning": "P5",
}

SLA_MET_WORDS = frozenset(
    {"met", "yes", "y", "true", "1", "within sla", "achieved", "in sla"}
)
SLA_BREACHED_WORDS = frozenset(
    {"breached", "no", "n", "false", "0", "violated", "missed", "out of sla", "not met"}
)

# Units a header may name for a bare number, in hours per unit.
UNIT_HOURS: dict[str, float] = {
    "hrs": 1.0, "hr": 1.0, "hours": 1.0, "hour": 1.0, "h": 1.0,
    "min": 1 / 60, "mins": 1 / 60, "minutes": 1 / 60, "minute": 1 / 60,
    "sec": 1 / 3600, "secs": 1 / 3600, "seconds": 1 / 3600, "second": 1 / 3600,
    "days": 24.0, "day": 24.0,
}

_BRACKETS = re.compile(r"[(\[][^)\]]*[)\]]")
_SEPARATORS = re.compile(r"[\s_\-#.]+")


def header_key(header: object) -> str:
    """The form headers are compared in: lower case, no unit in brackets, `_-#.` as spaces."""
    text = _BRACKETS.sub(" ", str(header))
    return _SEPARATORS.sub(" ", text).strip().lower()


def header_unit(header: object) -> str | None:
    """The unit a header names in brackets or as its last word(s), e.g. ``(hrs)`` or ``in minutes``."""
    text = str(header).lower()
    for inner in re.findall(r"[(\[]([^)\]]*)[)\]]", text):
        word = inner.strip()
        if word in UNIT_HOURS:
            return word
        if word in ("hh:mm", "hh:mm:ss", "h:mm"):
            return None
    last = header_key(header).split(" ")[-1:]
    if last and last[0] in UNIT_HOURS and len(header_key(header).split(" ")) > 1:
        return last[0]
    return None


def header_key_without_unit(header: object) -> str:
    """header_key with a trailing unit word (and a preceding 'in') dropped, for matching."""
    words = header_key(header).split(" ")
    if len(words) > 1 and words[-1] in UNIT_HOURS:
        words = words[:-1]
        if len(words) > 1 and words[-1] == "in":
            words = words[:-1]
    return " ".join(words)


# The fields a column mapping may name, with the names people read.
FIELD_NAMES: dict[str, str] = {name: label(name) for name in HEADER_SYNONYMS}
