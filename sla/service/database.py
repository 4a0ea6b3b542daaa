"""The store as a whole, for the layers above: connecting (one client per process, or one
per CLI command), the versions a run reads once, the embedded server, backups and restores.
"""

from __future__ import annotations

from pathlib import Path

from pymongo.database import Database

from sla.core import config
from sla.storage import backup, connection, embedded, versions
from sla.storage.backup import BackupError, Result
from sla.storage.connection import StoreError
from sla.storage.embedded import EmbeddedError

__all__ = ["BackupError", "EmbeddedError", "StoreError"]


def connect() -> Database:
    """A new connection to the app's database (MONGO_URI, else the embedded server)."""
    return connection.connect()


def shared() -> Database:
    """The database every part of this process uses; StoreError when it cannot be reached."""
    return connection.shared()


def forget_shared() -> None:
    """The shared database has gone away: the next caller connects again."""
    connection.SHARED.forget()


def versions_now(db: Database) -> dict:
    """{"data": the data version document, "users": the users version}, in one query."""
    return versions.versions(db)


def data_version_info(db: Database) -> dict:
    """The data version document (its ``value`` keys every cached answer)."""
    return versions.version_info(db)


# ---------------------------------------------------------------- the embedded server

def embedded_in_use() -> bool:
    """Whether this installation uses the embedded server (no MONGO_URI)."""
    return not config.get("MONGO_URI")


def start_server() -> tuple[str, Path]:
    """Start the embedded server (or find it running): its URI and data folder. It may be
    started by itself again from now on."""
    folder = config.data_dir()
    uri = embedded.ensure_server(folder)
    embedded.mark_stopped(folder, False)
    return uri, folder


def stop_server() -> tuple[bool, Path]:
    """Stop the embedded server, and keep it stopped until ``start_server``: whether one was
    running, and its data folder."""
    folder = config.data_dir()
    embedded.mark_stopped(folder, True)
    return embedded.stop_server(folder), folder


def hold_server(pid: int) -> tuple[str, Path]:
    """The app process ``pid`` (./run.sh) uses the embedded server: start it if needed (even
    after ``server stop``: running the app asks for it); its URI and data folder."""
    folder = config.data_dir()
    embedded.mark_stopped(folder, False)
    return embedded.hold(folder, pid), folder


def release_server(pid: int) -> tuple[bool, Path]:
    """The app process ``pid`` ended: whether that stopped the server (see
    ``embedded.release``), and its data folder."""
    folder = config.data_dir()
    return embedded.release(folder, pid), folder


def server_port() -> tuple[int | None, Path]:
    """The embedded server's port (None when it is not running), and its data folder."""
    folder = config.data_dir()
    return embedded.running_port(folder), folder


# ---------------------------------------------------------------- backups

def back_up(path: Path, key: str | None = None) -> Result:
    """Every collection of the app into the archive ``path``, signed with ``key`` (default:
    this installation's secret)."""
    return backup.backup(connect(), path, key)


def restore(path: Path, key: str | None = None) -> Result:
    """Replace all the app's data with the archive ``path`` (whole or not at all), when it is
    signed with ``key`` (default: this installation's secret) and holds an app's data."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file or directory")
    return backup.restore(connect(), path, key)
