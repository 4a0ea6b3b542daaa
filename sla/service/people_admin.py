"""Changes to the agents directory, as the People page, the CLI and nothing else make them:
a person's profile set, an alias merged into a person, a roster CSV imported. Each is checked
whole before anything is stored (``core.people``) and publishes a new data version, so every
figure follows at once: a merge makes a new read model where the alias's tickets are the
person's (``readmodel.with_aliases``), without touching a ticket document; a profile change
(someone left) changes the rankings."""

from __future__ import annotations

import pandas as pd
from pymongo.database import Database

from sla.analytics.export import to_csv_bytes
from sla.core.people import (
    PeopleError,
    check_email,
    check_merge,
    check_name,
    check_team,
    parse_roster,
    roster_rows,
)
from sla.core.teams import team_names
from sla.service import queries
from sla.storage import people, snapshots, versions
from sla.storage.settings import get_settings
from sla.storage.writelock import write_lock

__all__ = ["PeopleError", "set_person", "merge", "import_roster", "roster_csv"]

ACTIVE_WORDS = {"active": True, "yes": True, "true": True, "left": False, "no": False,
                "false": False}


def set_person(db: Database, name: str, values: dict, user: str) -> dict:
    """Set the profile ``values`` (display_name, email, team, active) of ``name``, a person
    of the directory; the values stored."""
    _known_person(db, name)
    clean = {}
    for field, value in values.items():
        if field == "display_name":
            clean[field] = (value or "").strip()
            if len(clean[field]) > 200:
                raise PeopleError("a display name is at most 200 characters")
        elif field == "email":
            clean[field] = check_email(value)
        elif field == "team":
            clean[field] = check_team(value, team_names(get_settings(db)))
        elif field == "active":
            clean[field] = _active(value)
        else:
            raise PeopleError(f'"{field}" is not a profile field (display_name, email, team, '
                              "active)")
    with write_lock(db, "a change to the agents directory"):
        people.set_profile(db, name, clean, user)
        versions.publish(db)
    return clean


def merge(db: Database, alias: str, into: str, user: str) -> int:
    """Make ``alias`` the same person as ``into``; the tickets that moved to ``into``."""
    alias, into = check_name(alias), check_name(into)
    with write_lock(db, "a merge in the agents directory"):
        check_merge(alias, into, people.names(db), people.aliases(db))
        frame = versions.base_frame(db, publish_missing=False)
        moved = int((frame["agent"] == alias).sum())
        people.merge(db, alias, into, user)
        versions.publish(db, frame)
    return moved


def import_roster(db: Database, text: str, user: str) -> int:
    """Store a roster CSV's e-mails, teams and aliases; the people on it. A name on the
    roster that was an alias becomes a person again (the read model is rebuilt from the
    tickets, which keep the files' names)."""
    rows = parse_roster(text, team_names(get_settings(db)))
    with write_lock(db, "a roster import"):
        merged = people.aliases(db)
        persons = {row["name"] for row in rows}
        for row in rows:
            for alias in row["aliases"]:
                if alias in persons:
                    raise PeopleError(f'"{alias}" is a person on the roster and an alias of '
                                      f'"{row["name"]}"')
                if alias in merged.values():
                    raise PeopleError(f'"{alias}" has aliases of their own; it cannot be an '
                                      f'alias of "{row["name"]}"')
        people.save_roster(db, rows, user)
        if persons & set(merged):  # an alias made a person again: its own name comes back
            versions.publish(db, snapshots.scan_tickets(db))
        elif any(row["aliases"] for row in rows):
            versions.publish(db, versions.base_frame(db, publish_missing=False))
        else:
            versions.publish(db)
    return len(rows)


def roster_csv(db: Database) -> bytes:
    """The directory as a roster CSV (name, email, team, aliases), formulas neutralised."""
    rows = roster_rows(queries.people(db))
    return to_csv_bytes(pd.DataFrame(rows, columns=["name", "email", "team", "aliases"]))


def _known_person(db: Database, name: str) -> None:
    merged = people.aliases(db)
    if name in merged:
        raise PeopleError(f'"{name}" is merged into "{merged[name]}"; change "{merged[name]}" '
                          "instead")
    if name not in people.names(db):
        raise PeopleError(f'"{name}" is not in the directory')


def _active(value) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word not in ACTIVE_WORDS:
        raise PeopleError(f'"{value}" is not active or left')
    return ACTIVE_WORDS[word]
