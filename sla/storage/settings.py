"""The rules in force (``settings``): stored values over the contract's defaults."""

from __future__ import annotations

import copy

from pymongo.database import Database

from sla.core import fields, rules
from sla.storage.clock import now


def get_settings(db: Database) -> dict:
    """The stored settings over the contract's defaults (a rule made of parts gains the
    default of a part added since it was saved)."""
    settings = copy.deepcopy(fields.DEFAULT_SETTINGS)
    stored = db.settings.find_one({"_id": "current"}) or {}
    for name in settings:
        if name in stored:
            parted = rules.rule_named(name).parts and isinstance(stored[name], dict)
            settings[name] = {**settings[name], **stored[name]} if parted else stored[name]
    return settings


def put_settings(db: Database, settings: dict, user: str) -> dict:
    """Store ``settings`` (every rule, nothing else) as the ones in force; returns them."""
    clean = {name: settings[name] for name in fields.DEFAULT_SETTINGS}
    db.settings.replace_one({"_id": "current"}, {"_id": "current", **clean,
                                                 "changed_by": user, "changed_at": now()},
                            upsert=True)
    return clean
