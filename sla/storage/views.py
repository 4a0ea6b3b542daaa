"""Saved views: a filter selection kept under a name, for one user or shared with everyone.

A view is stored as the filter bar's URL texts (``{"team": ["L1"], "from": ["2026-01-01"]}``),
the same texts a link carries, so that opening it is reading a link. ``owner`` is the user's
name for a personal view and ``None`` for a shared one; a name is unique per owner, the shared
views counting as one owner (a unique index says so, so two writers cannot both add it).
"""

from __future__ import annotations

from pymongo import ASCENDING
from pymongo.database import Database

from sla.storage import clock

COLLECTION = "saved_views"


def _views(db: Database):
    views = db[COLLECTION]
    views.create_index([("owner", ASCENDING), ("name", ASCENDING)], unique=True,
                       name="owner_name")
    return views


def save(db: Database, name: str, owner: str | None, texts: dict, by: str) -> bool:
    """Keep ``texts`` as the view ``name`` of ``owner`` (None: shared), replacing the filters
    of one of that name; True when it is new."""
    now = clock.now()
    result = _views(db).update_one(
        {"owner": owner, "name": name},
        {"$set": {"texts": texts, "updated_at": now, "updated_by": by},
         "$setOnInsert": {"created_at": now, "created_by": by}}, upsert=True)
    return result.upserted_id is not None


def visible_to(db: Database, username: str | None) -> list[dict]:
    """The shared views and, with ``username``, that user's own: shared first, then by name."""
    owners = [None] if username is None else [None, username]
    found = _views(db).find({"owner": {"$in": owners}}, {"_id": 0})
    return sorted(found, key=lambda view: (view["owner"] is not None, view["name"].lower()))


def named(db: Database, name: str) -> list[dict]:
    """Every view called ``name``, shared or anyone's, shared first."""
    found = _views(db).find({"name": name}, {"_id": 0})
    return sorted(found, key=lambda view: (view["owner"] is not None, view["owner"] or ""))


def everyone(db: Database) -> list[dict]:
    """All views, shared first, then by owner and name."""
    found = _views(db).find({}, {"_id": 0})
    return sorted(found, key=lambda view: (view["owner"] is not None, view["owner"] or "",
                                           view["name"].lower()))


def remove(db: Database, name: str, owner: str | None) -> bool:
    """Forget the view; False when there was none."""
    return _views(db).delete_one({"owner": owner, "name": name}).deleted_count == 1
