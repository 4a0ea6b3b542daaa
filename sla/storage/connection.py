"""The MongoDB connection: MONGO_URI, or the embedded server when no URI is set.

Collections: ``tickets`` (one document per SR, ``_id`` = sr_number), ``ticket_history``
(per import or edit, the fields that changed and their old values), ``uploads`` (an audit
record per import), ``agents``, ``settings``, ``users``, ``api_tokens``, ``mappings`` (the column
mapping an admin chose for a header layout), ``meta`` (the data version, which names the read
model snapshot of that version, the users version and the write lock) and the GridFS bucket
``readmodel`` (``sla.storage.snapshots``).

Each process uses one client (``shared``): the pages, the API and the answers they share.
"""

from __future__ import annotations

import logging
import threading

from pymongo import ASCENDING, DESCENDING, MongoClient
from pymongo.database import Database
from pymongo.errors import InvalidName, OperationFailure, PyMongoError

from sla.core import config
from sla.storage import embedded

log = logging.getLogger("sla")
REQUIRED_INDEXES = {"ticket_history": ["sr_number_1_at_-1", "upload_id_1"],
                    "users": ["username_1"]}
_indexed: set[tuple[int, str]] = set()


class StoreError(RuntimeError):
    """The database cannot be used; the message is one friendly line."""


# pymongo's server monitor waits this long for an answer to its check: a store busy writing a
# rule change to a million tickets can take longer than the server selection timeout to
# answer, and a check that times out cancels every operation in flight.
MONITOR_TIMEOUT_MS = 30_000


def connect(uri: str | None = None, db_name: str | None = None,
            timeout_ms: int = 5000) -> Database:
    """The app's database on MONGO_URI, or on the embedded server when no URI is set."""
    uri = uri or config.get("MONGO_URI")
    try:
        if not uri and embedded.told_stopped(config.data_dir()):
            raise StoreError("the embedded database was stopped with ./sla.sh server stop; "
                             "start it again with ./sla.sh server start")
        if not uri:
            uri = embedded.ensure_server(config.data_dir())
        client = MongoClient(uri, serverSelectionTimeoutMS=timeout_ms,
                             connectTimeoutMS=max(timeout_ms, MONITOR_TIMEOUT_MS),
                             appname="sla-tracker")
        database = client[db_name or config.get("SLA_DB")]
        database.command("ping")
        ensure_indexes(database)
    except embedded.EmbeddedError as exc:
        raise StoreError(str(exc)) from None
    except OSError as exc:  # the embedded server's data folder cannot be made or written
        raise StoreError(f"the data folder {config.data_dir()} cannot be used "
                         f"({(exc.strerror or str(exc)).lower()}); set SLA_DATA_DIR to a "
                         "folder this user may write") from None
    except OperationFailure as exc:
        if exc.code in (18, 13):
            raise StoreError("the database refused the login in MONGO_URI (authentication "
                             "failed or not authorised)") from None
        raise StoreError(f"the database refused a command: {exc.details.get('errmsg', exc)}") from None
    except InvalidName:
        raise StoreError(f"SLA_DB {db_name or config.get('SLA_DB')!r} is not a valid database "
                         "name (use letters, digits, _ and -)") from None
    except PyMongoError as exc:
        log.info("cannot reach the database %s: %s", describe_uri(uri), exc)
        raise StoreError(f"the database at {describe_uri(uri)} is unreachable") from None
    return database


def describe_uri(uri: str | None) -> str:
    """A URI without its password, for messages."""
    if not uri:
        return "embedded"
    head, _, tail = uri.rpartition("@")
    if not head:
        return uri.split("?")[0]
    scheme, _, credentials = head.partition("://")
    return f"{scheme}://{credentials.split(':')[0]}:***@{tail.split('?')[0]}"


def ensure_indexes(db: Database) -> None:
    """The indexes queries still use; the tickets are read through the read model, so the
    tickets collection keeps only ``_id`` (the SR number) and imports pay no index upkeep."""
    key = (id(db.client), db.name)
    if key in _indexed:
        return
    db.ticket_history.create_index([("sr_number", ASCENDING), ("at", DESCENDING)])
    db.ticket_history.create_index("upload_id")
    db.uploads.create_index([("at", DESCENDING)])
    db.users.create_index("username", unique=True)
    _indexed.add(key)


class _Shared:
    """The process's database for the MONGO_URI and SLA_DB in force, connected when first
    needed and forgotten when it has gone away, so that the next caller connects again."""

    def __init__(self) -> None:
        self._databases: dict[tuple, Database] = {}
        self._lock = threading.Lock()

    def get(self) -> Database:
        key = (config.get("MONGO_URI"), config.get("SLA_DB"))
        database = self._databases.get(key)
        if database is None:
            with self._lock:
                if key not in self._databases:
                    self._databases[key] = connect(*key)
                database = self._databases[key]
        return database

    def forget(self) -> None:
        with self._lock:
            self._databases.clear()


SHARED = _Shared()


def shared() -> Database:
    """The database every part of this process uses (pages, API, answers); StoreError when
    it cannot be reached."""
    return SHARED.get()
