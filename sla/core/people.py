"""The agents directory's rules, without storage: what a profile may hold, which merges make
sense, and the roster CSV read and written.

A person is known by the name the data gives them (as resolver or owner). Merging an alias
into a person makes every ticket of the alias count as the person's; an alias is never a
person of its own, so merges never chain and never loop.
"""

from __future__ import annotations

import csv
import io
import re

PROFILE_FIELDS = ("display_name", "email", "team", "active")
ROSTER_COLUMNS = ("name", "email", "team", "aliases")
ALIAS_SEPARATOR = ";"
MAX_NAME = 200
_EMAIL = re.compile(r"[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;.]+")


class PeopleError(ValueError):
    """A change to the directory that cannot be made; its text is one sentence naming the
    value (or roster row) at fault."""


def check_email(value: str) -> str:
    """``value`` trimmed, when it is an e-mail address (or empty)."""
    value = (value or "").strip()
    if value and not _EMAIL.fullmatch(value):
        raise PeopleError(f'"{value}" is not an e-mail address')
    return value


def check_name(value: str, what: str = "name") -> str:
    value = (value or "").strip()
    if not value:
        raise PeopleError(f"a {what} cannot be empty")
    if len(value) > MAX_NAME:
        raise PeopleError(f"a {what} is at most {MAX_NAME} characters")
    return value


def check_team(value: str, teams: list[str]) -> str:
    """``value`` (empty: the data's team), when it is one of the desk's ``teams``."""
    value = (value or "").strip()
    if value and value not in teams:
        raise PeopleError(f'"{value}" is not one of the teams ({", ".join(teams)})')
    return value


def check_merge(alias: str, into: str, known: set[str], merged: dict[str, str]) -> None:
    """Raise unless ``alias`` can become one person with ``into``: both ``known`` (seen in the
    data or in the directory), different, neither already an alias (``merged``: alias ->
    person) and ``alias`` no one's person, so merges never chain or loop."""
    if alias == into:
        raise PeopleError(f'"{alias}" cannot be merged into themselves')
    for name in (alias, into):
        if name not in known:
            raise PeopleError(f'"{name}" is not in the directory')
    if merged.get(into) == alias or merged.get(alias) == into:
        raise PeopleError(f'"{alias}" and "{into}" are already one person')
    if into in merged:
        raise PeopleError(f'"{into}" is already merged into "{merged[into]}"; merge into '
                          f'"{merged[into]}" instead')
    if alias in merged:
        raise PeopleError(f'"{alias}" is already merged into "{merged[alias]}"')
    if any(person == alias for person in merged.values()):
        raise PeopleError(f'"{alias}" has aliases of their own; merge "{into}" into '
                          f'"{alias}" instead')


def parse_roster(text: str, teams: list[str]) -> list[dict]:
    """The rows of a roster CSV (columns name, email, team, aliases separated by ``;``),
    each checked; PeopleError naming the first bad row."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    headers = [_header(h) for h in reader.fieldnames or []]
    if "name" not in headers:
        raise PeopleError("the roster has no name column (expected: name, email, team, "
                          "aliases)")
    rows, seen = [], {}
    for number, raw in enumerate(reader, start=2):
        cells = {_header(k): (v or "").strip() for k, v in raw.items() if isinstance(v, str)}
        try:
            row = _roster_row(cells, teams)
        except PeopleError as exc:
            raise PeopleError(f"row {number}: {exc}") from None
        for name in (row["name"], *row["aliases"]):
            if name in seen:
                raise PeopleError(f'row {number}: "{name}" is already on row {seen[name]}')
            seen[name] = number
        rows.append(row)
    return rows


def _header(text: str | None) -> str:
    """A roster header as its column's name ("E-mail" is email)."""
    return (text or "").strip().lower().replace("-", "").replace(" ", "")


def _roster_row(cells: dict, teams: list[str]) -> dict:
    name = check_name(cells.get("name", ""))
    aliases = [check_name(a, "alias") for a in cells.get("aliases", "").split(ALIAS_SEPARATOR)
               if a.strip()]
    if name in aliases:
        raise PeopleError(f'"{name}" cannot be an alias of themselves')
    return {"name": name, "email": check_email(cells.get("email", "")),
            "team": check_team(cells.get("team", ""), teams), "aliases": aliases}


def roster_rows(people: list[dict]) -> list[dict]:
    """The roster CSV's rows of directory entries (people, not aliases)."""
    return [{"name": p["name"], "email": p.get("email") or "", "team": p.get("team_set") or "",
             "aliases": ALIAS_SEPARATOR.join(p.get("aliases") or [])} for p in people]
