"""Fresh data without clicks: every new or changed export dropped in a folder is imported once,
in arrival order, with the same report and audit as an upload.

A pass looks at the folder's export files (``.xlsx .xlsm .xls .csv``, hidden ones left out),
oldest modification first. A file modified less than ``settle`` seconds ago is left for a
later pass: a ticketing tool or an SFTP upload may still be writing it. A file whose size and
modification time are those of the version imported last is not read again; one that was
touched but holds the same content is not imported again either (``sla.storage.watched``
keeps the version imported last, so a restart changes nothing). A file that cannot be imported
is moved into ``failed/`` beside it, with ``NAME.reason.txt`` saying why in one line; the
import wrote nothing (``importing.import_file``). A store that is busy or away stops the pass
with the file left where it was, for the next pass.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pymongo.database import Database

from sla.core import display
from sla.ingest.normalise import ImportReport
from sla.service import importing
from sla.storage import clock, watched

SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
FAILED = "failed"
SETTLE_S = 5.0


class WatchError(ValueError):
    """The watched folder cannot be read; the message names it in one sentence."""


@dataclass(frozen=True)
class Taken:
    """One file a pass handled: imported (with its report), or not (with why, and whether it
    was moved aside into ``failed/``)."""

    name: str
    report: ImportReport | None = None
    reason: str | None = None
    moved: bool = False


def arrived(folder: Path) -> list[Path]:
    """The folder's export files, oldest modification first (then by name)."""
    if not folder.is_dir():
        raise WatchError(f"The watched folder {folder} is gone or is not a folder.")
    try:
        files = [path for path in folder.iterdir() if path.is_file()
                 and path.suffix.lower() in SUFFIXES and not path.name.startswith(".")]
        return sorted(files, key=lambda path: (path.stat().st_mtime_ns, path.name))
    except OSError as exc:
        raise WatchError(f"The watched folder {folder} cannot be read: "
                         f"{exc.strerror or exc}.") from None


def watch_pass(db: Database, folder: Path, user: str = "watcher", settle: float = SETTLE_S,
               now: Callable[[], float] = time.time, every_s: float = 0.0) -> list[Taken]:
    """Import what arrived in ``folder`` since the last pass; what each file came to. The
    look is recorded for the Home page (``every_s``: how often the watcher looks; 0, once),
    with what stopped it."""
    key = str(folder.resolve())
    try:
        taken = _look(db, folder, key, user, settle, now)
    except WatchError as exc:
        watched.record_look(db, key, every_s, str(exc))
        raise
    watched.record_look(db, key, every_s, None)
    for item in taken:
        if item.reason:
            watched.record_failed_file(db, key, item.name, item.reason)
    return taken


def _look(db: Database, folder: Path, key: str, user: str, settle: float,
          now: Callable[[], float]) -> list[Taken]:
    taken = []
    for path in arrived(folder):
        try:
            stat = path.stat()
        except FileNotFoundError:  # taken away between the listing and now
            continue
        if now() - stat.st_mtime < settle:
            continue
        last = watched.last_taken(db, key, path.name)
        if last and (last["size"], last["mtime_ns"]) == (stat.st_size, stat.st_mtime_ns):
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:  # taken away or unreadable: said, and looked at again next pass
            taken.append(Taken(path.name, reason=f"It cannot be read "
                                                 f"({exc.strerror or exc})."))
            continue
        digest = hashlib.sha256(data).hexdigest()
        if last and last["sha256"] == digest:  # touched, not changed
            watched.remember(db, key, path.name, stat.st_size, stat.st_mtime_ns, digest,
                             last.get("import_id"))
            continue
        taken.append(_take(db, key, path, data, digest, stat, user))
    return taken


def _take(db: Database, key: str, path: Path, data: bytes, digest: str, stat,
          user: str) -> Taken:
    try:
        report = importing.import_file(db, data, path.name, user=user)
    except importing.ReadError as exc:
        try:
            return Taken(path.name, reason=move_aside(path, str(exc)), moved=True)
        except OSError as moved:
            return Taken(path.name, reason=f"{exc} It could not be moved aside either "
                                           f"({moved.strerror or moved}).")
    watched.remember(db, key, path.name, stat.st_size, stat.st_mtime_ns, digest,
                     report.import_id or None)
    return Taken(path.name, report=report)


def folder_states(db: Database, at: dt.datetime | None = None) -> list[tuple[str, str]]:
    """What the Home page says of each watched folder, as (level, sentence): "warning" when
    the last look failed or the watcher has not looked for three of its rounds (at least two
    minutes), else "info"; then the last file that failed, if any."""
    at = at or clock.now()
    said = []
    for state in watched.folders(db):
        folder, looked = state["_id"], state.get("looked_at")
        if looked is None:
            continue
        ago = display.hours((at - looked).total_seconds() / 3600)
        late = state.get("every_s") and at - looked > max(
            dt.timedelta(seconds=3 * state["every_s"]), dt.timedelta(minutes=2))
        if state.get("problem"):
            said.append(("warning", f"{state['problem']} The watcher has said so since "
                                    f"{state['problem_since']:%d %b %Y %H:%M} UTC."))
        elif late:
            said.append(("warning", f"The drop folder {folder} was last looked at {ago} ago: "
                                    "is the watcher running (./sla.sh watch, the compose "
                                    "service “watcher”)?"))
        else:
            said.append(("info", f"Drop folder {folder}: looked at {ago} ago."))
        if state.get("failed"):
            failed = state["failed"]
            said.append(("info", f"The last file that failed there: {failed['name']}, on "
                                 f"{failed['at']:%d %b %Y %H:%M} UTC ({failed['reason']})"))
    return said


def move_aside(path: Path, reason: str) -> str:
    """Move a file that failed into ``failed/`` beside it (a time stamp added when the name
    is taken there), its one-line reason beside it; the reason."""
    folder = path.parent / FAILED
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    if target.exists():
        target = folder / f"{path.stem}.{clock.now():%Y%m%d-%H%M%S}{path.suffix}"
    path.replace(target)
    target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return reason
