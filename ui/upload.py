"""A chosen file: its detected layout and preview, its dry run, its import with progress.

Everything goes through ``store.import_file``, the one import pipeline of the CLI and the
bench; the session keeps only what the page shows (layout, preview, reports), never the
parsed tickets, so the rules in force when Import is pressed are the ones applied.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from sla import config, normalise, read, store
from ui import data

PREVIEW_ROWS = 20
SESSION_KEY = "chosen_file"


def inspect(file_bytes: bytes, name: str) -> dict:
    """The file's layout and first rows, read once per file content. ReadError when it fails."""
    digest = hashlib.sha256(file_bytes).hexdigest()
    chosen = st.session_state.get(SESSION_KEY)
    if chosen is None or chosen["sha256"] != digest:
        table = read.read_table(file_bytes, name, max_bytes=config.max_upload_bytes())
        chosen = {"sha256": digest, "name": name, "mapping": dict(table.mapping),
                  "unmapped": list(table.unmapped), "sheet": table.sheet,
                  "header_row": table.header_row, "separator": table.separator,
                  "encoding": table.encoding,
                  "preview": table.frame.head(PREVIEW_ROWS).copy()}
        st.session_state[SESSION_KEY] = chosen
    return chosen


def dry_run(chosen: dict, file_bytes: bytes) -> normalise.ImportReport:
    """What an import would do now, computed once per file and data version."""
    current = data.version()
    if chosen.get("dry_run_version") != current:
        chosen["dry_run"] = store.import_file(data.db(), file_bytes, chosen["name"],
                                              dry_run=True)
        chosen["dry_run_version"] = current
    return chosen["dry_run"]


def import_file(chosen: dict, file_bytes: bytes, user: str, progress) -> normalise.ImportReport:
    report = store.import_file(data.db(), file_bytes, chosen["name"], user=user,
                               progress=progress)
    chosen["imported"] = report
    return report
