"""Native exports: the standard exports of Jira Service Management, Zendesk and ServiceNow.

Each tool writes its own column names and its own value formats, so each gets a preset: the
header signature that recognises its export, which of its columns feeds which field, and how
its values are read. ``detect`` picks the preset from the header row; ``table`` then maps
the columns through it and ``normalise`` applies its value rules to those columns.
``docs/metrics.md`` ("Native exports") lists every preset in plain words.

Headers are compared here by ``name_key`` (case and runs of spaces ignored), not by
``fields.header_key``: Jira names custom fields ``Custom field (Time to resolution)``, and
dropping the bracket, as the general matching does, would make all of them one column.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Preset:
    """One tool's export, as data.

    ``columns`` maps each field to the tool's headers for it, the first one the file has
    feeding the field; a field with no headers is one the tool's export does not carry (it is
    not guessed from the general synonyms). ``units`` and ``remaining`` belong to the tool's
    columns, whichever field a column feeds (the mapping editor may move one): a bare number's
    unit, and the columns whose cells hold the time left against the tool's own SLA goal
    instead of a met/breached word. The words, codes and date formats apply to the whole file.
    """

    key: str  # stored with each ticket read through the preset
    name: str  # shown to users: "Detected: Zendesk ticket export"
    signatures: tuple[tuple[str, ...], ...]  # detected when the file has every header of one
    columns: dict[str, tuple[str, ...]]
    units: dict[str, str] = field(default_factory=dict)  # header -> unit of a bare number
    priority_words: dict[str, str] = field(default_factory=dict)  # lower-case word -> P1..P5
    resolved_words: tuple[str, ...] = ()  # statuses that are resolved, besides the rule's
    status_codes: dict[str, str] = field(default_factory=dict)  # a code the tool stores -> word
    date_formats: tuple[str, ...] = ()  # tried before the general date reading
    remaining: tuple[str, ...] = ()  # headers of remaining-time SLA columns
    display_columns: tuple[str, ...] = ()  # fields that may hold ids instead of names

    def unit_of(self, header: str) -> str | None:
        """The unit of a bare number in this tool's column, None when the tool names none."""
        units = {name_key(h): unit for h, unit in self.units.items()}
        return units.get(name_key(header))

    def is_remaining(self, header: str) -> bool:
        return name_key(header) in {name_key(h) for h in self.remaining}

    def mapping(self, headers: list[str]) -> dict[str, str]:
        """Field -> the file's header feeding it, for the fields this tool's export has."""
        by_key = {}
        for header in headers:
            by_key.setdefault(name_key(header), header)
        mapping = {}
        for name, candidates in self.columns.items():
            found = next((by_key[name_key(c)] for c in candidates if name_key(c) in by_key), None)
            if found is not None:
                mapping[name] = found
        return mapping

    def matches(self, headers: list[str]) -> bool:
        keys = {name_key(header) for header in headers}
        return any(all(name_key(h) in keys for h in signature) for signature in self.signatures)


def name_key(header: object) -> str:
    """A header as presets compare it: case and runs of spaces ignored, nothing else."""
    return " ".join(str(header).split()).casefold()


JIRA = Preset(
    key="jira",
    name="Jira Service Management issue export",
    signatures=(("Issue key", "Issue id"), ("Issue key", "Issue Type", "Summary")),
    columns={
        "sr_number": ("Issue key",),
        "status": ("Status",),
        "priority": ("Priority",),
        "category": ("Custom field (Request Type)", "Request Type", "Issue Type"),
        "created": ("Created",),
        "resolved_at": ("Resolved", "Resolution date"),
        "resolved_by": (),
        "owner": ("Assignee",),
        "team_raw": ("Custom field (Team)", "Team", "Component/s", "Components"),
        "response_hours": (),
        "resolution_hours": (),
        "response_sla": ("Custom field (Time to first response)", "Time to first response"),
        "resolution_sla": ("Custom field (Time to resolution)", "Time to resolution"),
    },
    priority_words={"highest": "P1", "high": "P2", "medium": "P3", "low": "P4", "lowest": "P5"},
    resolved_words=("Resolved", "Closed", "Done", "Canceled", "Declined"),
    date_formats=("%d/%b/%y %I:%M %p", "%d/%b/%Y %I:%M %p", "%d/%b/%y %H:%M"),
    remaining=("Custom field (Time to first response)", "Time to first response",
               "Custom field (Time to resolution)", "Time to resolution"),
)

_ZENDESK_WORDS = {"urgent": "P1", "high": "P2", "normal": "P3", "low": "P4"}
_ZENDESK_SOLVED = ("Solved", "Closed")

ZENDESK = Preset(
    key="zendesk",
    name="Zendesk ticket export",
    signatures=(("Id", "Solved at"), ("Id", "Full resolution time in minutes")),
    columns={
        "sr_number": ("Id",),
        "status": ("Status",),
        "priority": ("Priority",),
        "category": ("Ticket type", "Type"),
        "created": ("Created at",),
        "resolved_at": ("Solved at",),
        "resolved_by": (),
        "owner": ("Assignee",),
        "team_raw": ("Group",),
        "response_hours": ("First reply time in minutes",),
        "resolution_hours": ("Full resolution time in minutes",),
        "response_sla": (),
        "resolution_sla": (),
    },
    units={header: "minutes" for header in (
        "First reply time in minutes", "First reply time in minutes within business hours",
        "First resolution time in minutes",
        "First resolution time in minutes within business hours",
        "Full resolution time in minutes", "Full resolution time in minutes within business hours",
        "Agent wait time in minutes", "Requester wait time in minutes", "On hold time in minutes")},
    priority_words=_ZENDESK_WORDS,
    resolved_words=_ZENDESK_SOLVED,
)

ZENDESK_EXPLORE = Preset(
    key="zendesk-explore",
    name="Zendesk Explore ticket export",
    signatures=(("Ticket ID", "Ticket status"),),
    columns={
        "sr_number": ("Ticket ID",),
        "status": ("Ticket status",),
        "priority": ("Ticket priority",),
        "category": ("Ticket type",),
        "created": ("Ticket created - Timestamp", "Ticket created - Date"),
        "resolved_at": ("Ticket solved - Timestamp", "Ticket solved - Date"),
        "resolved_by": (),
        "owner": ("Assignee name",),
        "team_raw": ("Ticket group", "Group name"),
        "response_hours": ("First reply time (min)", "First reply time (hrs)"),
        "resolution_hours": ("Full resolution time (min)", "Full resolution time (hrs)"),
        "response_sla": (),
        "resolution_sla": (),
    },
    priority_words=_ZENDESK_WORDS,
    resolved_words=_ZENDESK_SOLVED,
)

# ServiceNow's incident fields by name (list export as CSV, REST), then by label (Excel).
_SERVICENOW_COLUMNS = {
    "sr_number": ("number", "Number"),
    "status": ("incident_state", "state", "Incident state", "State"),
    "priority": ("priority", "Priority"),
    "category": ("category", "Category"),
    "created": ("opened_at", "Opened"),
    "resolved_at": ("resolved_at", "Resolved"),
    "resolved_by": ("dv_resolved_by", "resolved_by.display_value", "resolved_by.name",
                    "resolved_by", "Resolved by"),
    "owner": ("dv_assigned_to", "assigned_to.display_value", "assigned_to.name", "assigned_to",
              "Assigned to"),
    "team_raw": ("dv_assignment_group", "assignment_group.display_value",
                 "assignment_group.name", "assignment_group", "Assignment group"),
    "response_hours": (),
    "resolution_hours": ("calendar_stc", "Resolve time"),
    "response_sla": (),
    "resolution_sla": ("made_sla", "Made SLA"),
}
_SERVICENOW_SECONDS = {header: "seconds" for header in (
    "calendar_stc", "business_stc", "Resolve time", "Business resolve time")}
_SERVICENOW_STATES = {"1": "New", "2": "In Progress", "3": "On Hold", "4": "Awaiting User Info",
                      "5": "Awaiting Evidence", "6": "Resolved", "7": "Closed", "8": "Canceled"}

SERVICENOW_REST = Preset(
    key="servicenow-rest",
    name="ServiceNow REST export",
    signatures=(("number", "sys_id"),),
    columns=_SERVICENOW_COLUMNS,
    units=_SERVICENOW_SECONDS,
    resolved_words=("Resolved", "Closed", "Canceled"),
    status_codes=_SERVICENOW_STATES,
    display_columns=("resolved_by", "owner", "team_raw"),
)

SERVICENOW_LIST = Preset(
    key="servicenow",
    name="ServiceNow list export",
    signatures=(("number", "opened_at"), ("Number", "Opened", "Assignment group")),
    columns=_SERVICENOW_COLUMNS,
    units=_SERVICENOW_SECONDS,
    resolved_words=("Resolved", "Closed", "Canceled"),
    status_codes=_SERVICENOW_STATES,
)

PRESETS: tuple[Preset, ...] = (JIRA, ZENDESK, ZENDESK_EXPLORE, SERVICENOW_REST, SERVICENOW_LIST)
BY_KEY = {preset.key: preset for preset in PRESETS}


def detect(headers: list[str]) -> Preset | None:
    """The preset whose signature the header row carries (the first in ``PRESETS``), or None."""
    return next((preset for preset in PRESETS if preset.matches(headers)), None)


def by_key(key: str | None) -> Preset | None:
    """The preset a stored ticket was read through, or None (also for a key no longer known)."""
    return BY_KEY.get(key) if key else None
