"""The agents directory in the ``agents`` collection: one document per name seen in the data
(written at import, ``tickets.record_agents``), with what an admin set on it: display name,
e-mail, team, active (false: left), and ``merged_into`` for an alias of another person."""

from __future__ import annotations

from pymongo import UpdateOne
from pymongo.database import Database

from sla.core.people import PROFILE_FIELDS
from sla.storage.clock import now

STORED_FIELDS = (*PROFILE_FIELDS, "merged_into")


def profiles(db: Database) -> list[dict]:
    """Every directory document an admin set something on, or that is an alias."""
    return list(db.agents.find({"$or": [{name: {"$exists": True}} for name in STORED_FIELDS]},
                               {"_id": 1, **{name: 1 for name in STORED_FIELDS}}))


def names(db: Database) -> set[str]:
    """Every name the directory holds (seen in the data, or added by an admin)."""
    return {doc["_id"] for doc in db.agents.find({}, {"_id": 1})}


def aliases(db: Database) -> dict[str, str]:
    """alias -> the person it was merged into."""
    return {doc["_id"]: doc["merged_into"]
            for doc in db.agents.find({"merged_into": {"$exists": True}}, {"merged_into": 1})}


def set_profile(db: Database, name: str, values: dict, user: str) -> None:
    """Set ``values`` (of ``PROFILE_FIELDS``) on ``name``'s entry, creating it when needed."""
    db.agents.update_one({"_id": name}, {"$set": {**values, "name": name, "updated_by": user,
                                                  "updated_at": now()}}, upsert=True)


def merge(db: Database, alias: str, into: str, user: str) -> None:
    """Record ``alias`` as the same person as ``into``."""
    db.agents.update_one({"_id": alias}, {"$set": {"merged_into": into, "updated_by": user,
                                                   "updated_at": now()}}, upsert=True)


def save_roster(db: Database, rows: list[dict], user: str) -> None:
    """Each roster row's e-mail and team on its person, and its aliases merged into them."""
    at = now()
    requests = []
    for row in rows:
        requests.append(UpdateOne({"_id": row["name"]}, {"$set": {
            "name": row["name"], "email": row["email"], "team": row["team"],
            "updated_by": user, "updated_at": at}, "$unset": {"merged_into": ""}}, upsert=True))
        requests += [UpdateOne({"_id": alias}, {"$set": {
            "name": alias, "merged_into": row["name"], "updated_by": user, "updated_at": at}},
            upsert=True) for alias in row["aliases"]]
    if requests:
        db.agents.bulk_write(requests, ordered=True)
