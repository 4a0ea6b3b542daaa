"""The filters of every view, in one place: declared (``PARAMS``), parsed from texts
(``parse``: the URL filter bar, the CLI and the API), applied to the read model
(``Filters.select``) and described in words (``Filters.describe``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from sla.core import display, fields
from sla.core.params import SHOWN_CHARS, Param, ParamError

DATES = (Param("from", "date", "Created on or after this day (YYYY-MM-DD)."),
         Param("to", "date", "Created on or before this day (YYYY-MM-DD)."))
SELECTIONS = (
    Param("team", "string", "Team: one of the desk's teams (Settings), Other or Unassigned; "
          "repeat for several.", repeated=True),
    Param("priority", "string", "Priority (P1 .. P5, or a file's own word); repeat for several.",
          repeated=True),
    Param("agent", "string", "Agent as written in the data: the owner of an open ticket, the "
          "resolver of a resolved one; repeat for several.", repeated=True),
    Param("status", "string", "Status class.", choices=fields.STATUS_CLASSES))
SEARCH = Param("q", "string", "Text in SR number, resolver, owner, category, status or raw team.")
PARAMS = DATES + SELECTIONS
SEARCHED = ("sr_number", "resolved_by", "owner", "category", "status", "team_raw")


@dataclass(frozen=True)
class Filters:
    """The filter bar: date range on created (inclusive), teams, priorities, agents, status."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    teams: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    status_class: str | None = None
    search: str | None = None  # text in SR number, agent, category, status or raw team

    def select(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of a read model frame these filters keep (the frame itself when none)."""
        mask = np.ones(len(frame), dtype=bool)
        if self.date_from:
            mask &= (frame["created"] >= pd.Timestamp(self.date_from)).to_numpy()
        if self.date_to:
            end = pd.Timestamp(self.date_to + dt.timedelta(days=1))
            mask &= (frame["created"] < end).to_numpy()
        for name, values in (("team", self.teams), ("priority", self.priorities),
                             ("agent", self.agents)):
            if values:
                mask &= frame[name].isin(values).to_numpy()
        if self.status_class:
            mask &= (frame["status_class"] == self.status_class).to_numpy()
        if self.search:
            mask &= _search_mask(frame, self.search.strip())
        return frame if mask.all() else frame[mask]

    def texts(self) -> dict[str, list[str]]:
        """The parameter texts that ``parse`` reads back into these filters (a link's query,
        a saved view)."""
        return texts_of({"from": self.date_from, "to": self.date_to, "team": self.teams,
                         "priority": self.priorities, "agent": self.agents,
                         "status": self.status_class, "q": self.search})

    def previous_period(self) -> Filters | None:
        """The same filters over the period of the same length just before this one's dates
        (None unless both dates are set): what the KPI cards compare with."""
        if not (self.date_from and self.date_to):
            return None
        days = self.date_to - self.date_from + dt.timedelta(days=1)
        return replace(self, date_from=self.date_from - days, date_to=self.date_from
                       - dt.timedelta(days=1))

    def describe(self, held: str) -> str:
        """One line saying what a view shows, values from the data escaped for Markdown;
        ``held`` is the span of the data held (for the unfiltered view)."""
        parts = self.in_words(lambda value: display.literal(value, 40))
        if not parts:
            return f"Showing all tickets ({held}). Open Filters to narrow down."
        return "Filtered: " + " · ".join(parts)

    def in_words(self, shown: Callable[[str], str] = str) -> list[str]:
        """What these filters keep, one phrase each ("team L1, L2"), values from the data
        written by ``shown`` (escaped for Markdown on a page, as they are in a workbook)."""
        parts = []
        if self.date_from or self.date_to:
            parts.append(f"created {self.date_from or 'first'} – {self.date_to or 'last'}")
        for label, values in (("team", self.teams), ("priority", self.priorities),
                              ("agent", self.agents)):
            if values:
                parts.append(f"{label} " + ", ".join(shown(v) for v in values))
        if self.status_class:
            parts.append(self.status_class)
        if self.search:
            parts.append(f"search “{shown(self.search)}”")
        return parts


@dataclass(frozen=True)
class Known:
    """The values a filter may name: the desk's teams in force, and the priorities and agents
    of the tickets held (``None``: not checked; an empty store checks none either, as every
    answer there is zero anyway)."""

    teams: Sequence[str] = fields.TEAMS
    priorities: Sequence[str] | None = None
    agents: Sequence[str] | None = None


def parse(texts: Mapping[str, Sequence[str]], known: Known = Known()) -> Filters:
    """The Filters of parameter texts ({"team": ["L1", "L2"], "from": ["2026-01-01"], …});
    names not given are not filtered on. ParamError, naming the parameter, for the first text
    that is bad, names a team, priority or agent not in ``known``, or a backwards range."""
    found = problems(texts, known)
    if found:
        raise found[0]
    values = {p.name: p.parse(list(texts.get(p.name, ()))) for p in (*PARAMS, SEARCH)}
    search = (values["q"] or "").strip() or None
    return Filters(date_from=values["from"], date_to=values["to"], teams=values["team"],
                   priorities=values["priority"], agents=values["agent"],
                   status_class=values["status"], search=search)


def problems(texts: Mapping[str, Sequence[str]], known: Known = Known()) -> list[ParamError]:
    """Every reason the texts cannot be used as they are, one per parameter, in the order of
    ``PARAMS`` (a page names them all and applies the rest; the CLI and the API refuse)."""
    found, values = [], {}
    for param in (*PARAMS, SEARCH):
        try:
            values[param.name] = param.parse(list(texts.get(param.name, ())))
        except ParamError as exc:
            found.append(exc)
    for name, allowed in (("team", known.teams), ("priority", known.priorities),
                          ("agent", known.agents)):
        held = set(allowed or ())
        unknown = [v for v in values.get(name, ()) if held and v not in held]
        if unknown:
            found.append(_not_known(name, unknown[0], allowed))
    start, end = values.get("from"), values.get("to")
    if start and end and start > end:
        found.append(ParamError("from", "from must not be after to."))
    return found


def applicable(texts: Mapping[str, Sequence[str]],
               known: Known = Known()) -> tuple[Filters, list[ParamError]]:
    """What of the texts still applies (a saved view whose team was renamed since, an agent
    no longer held), and why the rest does not: a team, priority or agent not held is left
    out of its list, any other parameter that cannot be used is left out whole."""
    found = problems(texts, known)
    bad = {problem.param for problem in found}
    allowed = {"team": known.teams, "priority": known.priorities, "agent": known.agents}
    kept = {}
    for name, values in texts.items():
        if name in bad and allowed.get(name):
            values = [value for value in values if value in set(allowed[name])]
        elif name in bad:
            continue
        kept[name] = values
    try:
        return parse(kept, known), found
    except ParamError as exc:  # a list value that parses alone but not in what is left
        return Filters(), found + [exc]


def _not_known(name: str, value: str, allowed: Sequence[str]) -> ParamError:
    shown = value if len(value) <= SHOWN_CHARS else value[:SHOWN_CHARS - 1] + "…"
    if name == "team":
        return ParamError(name, f"team must be one of {', '.join(allowed)}, not {shown!r}.")
    if len(allowed) <= 12:
        return ParamError(name, f"{name} must be one of {', '.join(allowed)} (those held), "
                                f"not {shown!r}.")
    return ParamError(name, f"{name} {shown!r} is not on any ticket held.")


PRESETS = {"7d": "Last 7 days", "30d": "Last 30 days", "month": "This month",
           "last_month": "Last month", "quarter": "This quarter", "all": "All"}


def preset_range(code: str, anchor: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The created dates of a preset of ``PRESETS``, counted back from ``anchor`` (the last day
    tickets were created: data exported last month keeps its weeks); (None, None) for all."""
    if code == "7d":
        return anchor - dt.timedelta(days=6), anchor
    if code == "30d":
        return anchor - dt.timedelta(days=29), anchor
    if code == "month":
        return anchor.replace(day=1), anchor
    if code == "last_month":
        last = anchor.replace(day=1) - dt.timedelta(days=1)
        return last.replace(day=1), last
    if code == "quarter":
        return anchor.replace(month=3 * ((anchor.month - 1) // 3) + 1, day=1), anchor
    if code == "all":
        return None, None
    raise ValueError(f"preset must be one of {', '.join(PRESETS)}, not {code!r}")


def texts_of(values: Mapping[str, object]) -> dict[str, list[str]]:
    """Parameter texts of typed values as a form gives them (dates, lists, None for unset)."""
    texts: dict[str, list[str]] = {}
    for name, value in values.items():
        if isinstance(value, str):
            value = value.strip()
        items = value if isinstance(value, (list, tuple)) else [value]
        items = [item for item in items if item is not None and item != ""]
        if items:
            texts[name] = [v.isoformat() if isinstance(v, dt.date) else str(v) for v in items]
    return texts


def _search_mask(frame: pd.DataFrame, text: str) -> np.ndarray:
    """Rows where any searched column contains ``text``, ignoring case."""
    mask = np.zeros(len(frame), dtype=bool)
    for name in SEARCHED:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):  # test each distinct value once
            categories = column.cat.categories.astype(str)
            hits = categories[categories.str.contains(text, case=False, regex=False)]
            mask |= column.isin(hits).to_numpy()
        else:
            mask |= column.str.contains(text, case=False, regex=False).fillna(False).to_numpy(bool)
    return mask
