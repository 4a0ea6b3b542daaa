"""Column mappings an admin chose (``mappings``): one per header layout, keyed by
``ingest.table.layout_fingerprint``, optionally named for reuse (``--mapping NAME``)."""

from __future__ import annotations

import logging

from pymongo.database import Database

from sla.core import display
from sla.ingest import presets
from sla.ingest.table import MappingError, RawTable, check_mapping, layout_fingerprint, with_mapping
from sla.storage.clock import now

log = logging.getLogger("sla")
MAPPING_NAME_CHARS = 60


def mapping_in_force(db: Database, table: RawTable, mapping: dict[str, str | None] | None,
                     named: str | None = None) -> RawTable:
    """The table read through ``mapping``, else through the mapping saved under the name
    ``named``, else through the mapping saved for its layout, else as detected (a native
    export through its preset). MappingError when the mapping cannot be imported."""
    if mapping is not None:
        return with_mapping(table, mapping)
    if named is not None:
        return with_mapping(table, mapping_named(db, named, table.headers))
    saved = saved_mapping(db, table.headers)
    return with_mapping(table, saved["mapping"]) if saved else table


def saved_mapping(db: Database, headers: list[str]) -> dict | None:
    """The mapping saved for this header layout as {"mapping", "user", "at"}, or None.

    It is kept as header positions, so that it applies to a later export whose headers differ
    only in case or spacing; one that no longer fits is ignored (and logged).
    """
    doc = db.mappings.find_one({"_id": layout_fingerprint(headers)})
    if doc is None:
        return None
    try:
        mapping = check_mapping({name: headers[position]
                                 for name, position in doc["positions"].items()}, headers)
    except (KeyError, IndexError, TypeError, MappingError) as exc:
        log.warning("the mapping saved for layout %s does not fit its file: %s", doc["_id"], exc)
        return None
    return {"mapping": mapping, "user": doc.get("user"), "at": doc.get("at"),
            "name": doc.get("name")}


def mapping_named(db: Database, name: str, headers: list[str]) -> dict[str, str]:
    """The mapping saved under ``name``, for a file with these headers: by position for the
    layout it was saved for, else by header name (case and spacing ignored). MappingError,
    in one sentence, when no mapping has that name or one of its columns is not in the file."""
    wanted = mapping_name(name)
    doc = db.mappings.find_one({"name": wanted}) if wanted else None
    if doc is None:
        names = sorted(d["name"] for d in db.mappings.find({"name": {"$type": "string"}},
                                                           {"name": 1}))
        known = f" the saved names are {', '.join(names)}" if names else " none is named yet"
        raise MappingError(f"No saved column mapping is called {display.clean(name)!r};"
                           f"{known}.")
    if doc["_id"] == layout_fingerprint(headers):
        return check_mapping({field: headers[position]
                              for field, position in doc["positions"].items()}, headers)
    by_key = {presets.name_key(header): header for header in headers}
    mapping = {}
    for field, header in doc["mapping"].items():
        if presets.name_key(header) not in by_key:
            raise MappingError(f"The column {display.clean(header)!r} of the saved mapping "
                               f"{display.clean(name)!r} is not in this file.")
        mapping[field] = by_key[presets.name_key(header)]
    return check_mapping(mapping, headers)


def mapping_name(name: str | None) -> str | None:
    """A mapping's name as stored: one trimmed line, None when blank."""
    text = display.clean(name, MAPPING_NAME_CHARS) if name is not None else ""
    return text or None


def remember_mapping(db: Database, headers: list[str], mapping: dict[str, str],
                     detected: dict[str, str], user: str, saved_as: str | None = None) -> None:
    """Save the mapping an import used for its layout (under ``saved_as`` too, which then
    names no other layout's mapping), or forget the saved one when the import used the
    detected mapping and named none. A layout's mapping keeps its name when saved again."""
    key = layout_fingerprint(headers)
    name = mapping_name(saved_as)
    if mapping == detected and name is None:
        db.mappings.delete_one({"_id": key})
        return
    if name is None:
        name = (db.mappings.find_one({"_id": key}, {"name": 1}) or {}).get("name")
    else:
        db.mappings.update_many({"name": name, "_id": {"$ne": key}}, {"$unset": {"name": ""}})
    positions = {field: headers.index(header) for field, header in mapping.items()}
    doc = {"_id": key, "headers": headers, "mapping": mapping, "positions": positions,
           "user": user, "at": now()}
    if name is not None:
        doc["name"] = name
    db.mappings.replace_one({"_id": key}, doc, upsert=True)
