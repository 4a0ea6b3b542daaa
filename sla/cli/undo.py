"""``import undo ID`` and ``demo --remove``: an import taken back, in one line."""

from __future__ import annotations

from sla.cli.output import fail
from sla.service import database
from sla.service.undo import UndoError, demo_import_id, undo_import


def undo(args) -> int:
    """``./sla.sh import undo ID``."""
    if str(args.file) != "undo" or args.import_id is None:
        return fail("import takes one file, or `undo ID` with the id of the import to undo")
    return _undo(lambda db: args.import_id, args.user)


def remove_demo(args) -> int:
    """``./sla.sh demo --remove``: undo the newest demo import."""
    return _undo(demo_import_id, args.user)


def _undo(which, user: str) -> int:
    db = database.connect()
    try:
        done = undo_import(db, which(db), user)
    except UndoError as exc:
        return fail(str(exc))
    print(f"undid the import {done.import_id} of {done.file_name}: removed {done.removed:,} "
          f"tickets it added, put back {done.restored:,} it changed")
    return 0
