"""A chosen file: its layout, its column mapping (detected, saved or corrected), its preview,
its dry run and its import with progress; the import report and the import history.

Everything goes through ``importing.import_file``, the one import pipeline of the CLI and the
bench; the session keeps only what the page shows (layout, preview rows, reports), never the
parsed tickets, so the rules in force when Import is pressed are the ones applied.
"""

from __future__ import annotations

import hashlib
import logging

import pandas as pd
import streamlit as st

from sla.core import cells, display, fields
from sla.service import importing, undo
from ui import data, widgets

log = logging.getLogger("sla")
SESSION_KEY = "chosen_file"
UPLOADER_KEY = "upload_generation"
NOT_IN_FILE = "(not in this file)"
FIELD_COLUMN, HEADER_COLUMN = "Field", "Column in the file"
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}
ENCODINGS = {"utf-8-sig": "UTF-8", "cp1252": "Windows-1252"}
STATUSES = {"done": "Imported", "running": "Importing now", "undone": "Undone",
            "interrupted": "Interrupted (import the file again to complete it)",
            "failed": "Failed: the database stopped answering (import the file again)"}
PROBLEM_KINDS = {"durations_not_parsed": "duration not parsed",
                 "dates_not_parsed": "date not parsed",
                 "sla_not_recognised": "SLA value not recognised"}


# ---------------------------------------------------------------- the chosen file

def uploader_key() -> str:
    """The file uploader's key; a new one empties the uploader ("Import another file")."""
    return f"upload-{st.session_state.get(UPLOADER_KEY, 0)}"


def choose_another_file() -> None:
    st.session_state[UPLOADER_KEY] = st.session_state.get(UPLOADER_KEY, 0) + 1
    st.session_state.pop(SESSION_KEY, None)


def forget() -> None:
    """No file chosen (any more): nothing of the last one is kept."""
    st.session_state.pop(SESSION_KEY, None)


def inspect(file_bytes: bytes, name: str) -> dict:
    """The file's layout, mappings and first rows, read once per file content. ReadError when
    it fails."""
    digest = hashlib.sha256(file_bytes).hexdigest()
    chosen = st.session_state.get(SESSION_KEY)
    if chosen is None or chosen["sha256"] != digest:
        chosen = {"sha256": digest, "editor": 0,
                  **importing.read_layout(data.db(), file_bytes, name)}
        st.session_state[SESSION_KEY] = chosen
    return chosen


def layout_line(chosen: dict) -> str:
    """Where the table was found, in words (Markdown, file values escaped)."""
    if chosen["separator"] is None:
        where = f"Sheet **{display.literal(chosen['sheet'])}**"
    else:
        separator = SEPARATORS.get(chosen["separator"], repr(chosen["separator"]))
        encoding = ENCODINGS.get(chosen["encoding"], chosen["encoding"])
        where = f"CSV, {separator}-separated, {display.literal(encoding)} text"
    return f"{where}; the headers are on row {chosen['header_row']:,}."


def detected_line(chosen: dict) -> str | None:
    """The line naming the tool whose export the file is, or None for any other layout."""
    if not chosen.get("preset"):
        return None
    return (f"Detected: {display.literal(chosen['preset'])}, so its columns and value formats "
            f"are read as that tool writes them (choose another column below to override any "
            f"field).")


def saved_mapping_line(chosen: dict, mapping: dict[str, str | None]) -> str | None:
    """The line saying the mapping saved for this layout is in use, or None when it is not."""
    saved = chosen["saved"]
    if saved is None or _key(mapping) != _key(saved["mapping"]):
        return None
    at = saved["at"]
    when = f" on {at.day} {at:%b %Y}" if at else ""
    who = f" by {display.literal(saved['user'])}" if saved.get("user") else ""
    called = f" “{display.literal(saved['name'])}”" if saved.get("name") else ""
    return f"Using the column mapping{called} saved{when}{who} for this layout."


# ---------------------------------------------------------------- the mapping

def mapping_editor(chosen: dict) -> dict[str, str | None]:
    """The mapping table (one row per field, the file's column chosen in a select box) and
    the mapping it now shows, field -> header (None: not in this file)."""
    options = [*chosen["headers"], NOT_IN_FILE]
    rows = pd.DataFrame({FIELD_COLUMN: list(fields.FIELD_NAMES.values()),
                         HEADER_COLUMN: [chosen["start"].get(name) or NOT_IN_FILE
                                         for name in fields.FIELD_NAMES]})
    edited = st.data_editor(
        rows, key=f"mapping-{chosen['sha256'][:16]}-{chosen['editor']}", hide_index=True,
        disabled=[FIELD_COLUMN], width="stretch", height=(len(rows) + 1) * 35 + 3,
        column_config={
            FIELD_COLUMN: st.column_config.TextColumn(FIELD_COLUMN, width="medium"),
            HEADER_COLUMN: st.column_config.SelectboxColumn(
                HEADER_COLUMN, options=options, required=True, width="large",
                help="The column of this file that feeds the field")})
    return {name: (None if header in (None, NOT_IN_FILE) else header)
            for name, header in zip(fields.FIELD_NAMES, edited[HEADER_COLUMN])}


def back_to_detected(chosen: dict) -> None:
    """Start the mapping table again from the detected mapping (a new editor, no edits)."""
    chosen["start"] = dict(chosen["detected"])
    chosen["editor"] += 1


def is_detected(chosen: dict, mapping: dict[str, str | None]) -> bool:
    return {k: v for k, v in mapping.items() if v} == chosen["detected"]


def mapping_problem(chosen: dict, mapping: dict[str, str | None]) -> str | None:
    """Why the mapping cannot be imported, in one sentence, or None."""
    try:
        importing.check_mapping(mapping, chosen["headers"])
    except importing.MappingError as exc:
        return str(exc)
    return None


def unmapped(chosen: dict, mapping: dict[str, str | None]) -> list[str]:
    used = set(mapping.values())
    return [header for header in chosen["headers"] if header not in used]


def preview(chosen: dict, mapping: dict[str, str | None]) -> pd.DataFrame:
    """The first rows, every cell as the file shows it."""
    durations = {mapping[name] for name in fields.DURATION_FIELDS if mapping.get(name)}
    return cells.preview_text(chosen["preview"], durations)


# ---------------------------------------------------------------- dry run and import

def mapping_name_box(chosen: dict) -> str | None:
    """The optional name to save the mapping under (for ``./sla.sh import --mapping NAME``)."""
    saved = chosen["saved"] or {}
    name = st.text_input("Save this mapping as (optional)", value=saved.get("name") or "",
                         max_chars=importing.MAPPING_NAME_CHARS,
                         key=f"mapping-name-{chosen['sha256'][:16]}",
                         help="A name for this column mapping: it is offered again for files "
                              "with the same columns, and ./sla.sh import --mapping NAME uses it")
    return importing.mapping_name(name)


def _key(mapping: dict[str, str | None]) -> tuple:
    return tuple(sorted((k, v) for k, v in mapping.items() if v))


def dry_run(chosen: dict, file_bytes: bytes, mapping: dict[str, str | None],
            accept_file: bool = False) -> importing.ImportReport:
    """What an import would do now with ``mapping`` (and the file's values over edits with
    ``accept_file``), computed once per file, mapping, choice and data version."""
    current = (data.version(), _key(mapping))
    if chosen.get("dry_run_key") != current:
        chosen["dry_runs"], chosen["dry_run_key"] = {}, current
    if accept_file not in chosen["dry_runs"]:
        chosen["dry_runs"][accept_file] = importing.import_file(
            data.db(), file_bytes, chosen["name"], dry_run=True, mapping=mapping,
            accept_file_values=accept_file)
    return chosen["dry_runs"][accept_file]


def import_file(chosen: dict, file_bytes: bytes, user: str, progress,
                mapping: dict[str, str | None], saved_as: str | None = None,
                accept_file: bool = False) -> importing.ImportReport:
    """Import through ``mapping``, saving it under the name ``saved_as`` when one is given."""
    report = importing.import_file(data.db(), file_bytes, chosen["name"], user=user,
                               progress=progress, mapping=mapping, saved_as=saved_as,
                               accept_file_values=accept_file)
    chosen["imported"] = report
    return report


def failure(exc: Exception, what: str) -> str:
    """One sentence for the user; the details go to the log."""
    log.info("%s: %s", what, exc, exc_info=not isinstance(exc, importing.ReadError))
    return f"{what}: {display.literal(exc, 300)}"


# ---------------------------------------------------------------- reports and history

def show_report(report: importing.ImportReport, heading: str) -> None:
    """An import report (or a dry run's): the counts, the problems, the rows with problems."""
    st.subheader(heading)
    if report.detected_as:
        st.caption(f"Detected: {display.literal(report.detected_as)}")
    cols = st.columns(5)
    widgets.kpi(cols[0], "New", widgets.fmt_int(report.inserted))
    widgets.kpi(cols[1], "Updated", widgets.fmt_int(report.updated))
    widgets.kpi(cols[2], "Unchanged", widgets.fmt_int(report.unchanged))
    widgets.kpi(cols[3], "Rejected rows", widgets.fmt_int(report.rejected))
    widgets.kpi(cols[4], "Rows read", widgets.fmt_int(report.rows_read),
                f"{display.count(report.folded, 'row')} folded into a later row of the same SR")
    st.caption(" · ".join([
        display.count(report.durations_not_parsed, "duration") + " not parsed",
        display.count(report.dates_not_parsed, "date") + " not parsed",
        display.count(report.sla_not_recognised, "SLA value") + " not recognised",
        display.count(sum(report.teams_other.values()), "ticket") + " in team Other",
        display.count(report.teams_unassigned, "ticket") + " unassigned"]))
    for note in report.notes:
        st.info(display.literal(note, None), icon=":material/info:")
    rows = problem_rows(report)
    if len(rows):
        with st.expander(display.count(len(rows), "row") + " with problems"):
            st.dataframe(rows, hide_index=True, placeholder="", column_config={
                "Row": st.column_config.NumberColumn("Row", format="%d")})
            widgets.download_csv(rows, "import-problems.csv", "Download rows with problems",
                                 key=f"problems-{heading}")


def problem_rows(report: importing.ImportReport) -> pd.DataFrame:
    """The rejected rows and the cells not read, one row each, as a table."""
    rows = [{"Row": r["row"], "Problem": r["reason"], "Column": "", "Value": ""}
            for r in report.rejected_rows]
    rows += [{"Row": p["row"], "Problem": PROBLEM_KINDS.get(p["kind"], p["kind"]),
              "Column": p["column"], "Value": cells.cell_text(p["value"])}
             for p in report.problems]
    return pd.DataFrame(rows, columns=["Row", "Problem", "Column", "Value"])


HISTORY_COUNTS = {"rows_read": "Rows read", "inserted": "New", "updated": "Updated",
                  "unchanged": "Unchanged", "rejected": "Rejected"}


def history_table() -> None:
    """The recent imports, newest first, in words."""
    uploads = data.recent_uploads()
    if not uploads:
        st.caption("No import yet.")
        return
    history = pd.DataFrame(uploads, columns=["at", "user", "file_name", *HISTORY_COUNTS,
                                             "status", "_id"])
    history["_id"] = history["_id"].astype(str)
    history["status"] = [STATUSES.get(s, s.capitalize()) if isinstance(s, str) else ""
                         for s in history["status"]]
    history = history.astype({"user": object, "file_name": object})
    history = history.fillna({"user": "", "file_name": ""})
    number = st.column_config.NumberColumn
    st.dataframe(history, hide_index=True, placeholder="–", column_config={
        "at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm"),
        "user": "By", "file_name": "File", "status": "Status", "_id": "Import id",
        **{name: number(label, format="%,d") for name, label in HISTORY_COUNTS.items()}})


def undo_picker(user: dict) -> None:
    """Undo one of the recent imports, after a confirmation that says what goes back."""
    done = [u for u in data.recent_uploads() if u.get("status") == "done"]
    if not done:
        return
    with st.expander("Undo an import", icon=":material/undo:"):
        st.caption("Its new tickets are removed and the tickets it changed go back to what "
                   "they were. A later import that changed the same tickets is undone first; "
                   "tickets edited in the app since keep it from being undone.")
        chosen = st.selectbox("Import", done, format_func=_import_label, key="undo_import")
        widgets.confirm_button(
            "Undo this import…", "Undo the import?",
            f"Undo the import of **{display.literal(chosen.get('file_name', ''))}** of "
            f"{chosen['at']:%Y-%m-%d %H:%M} UTC? New tickets it added: "
            f"{chosen.get('inserted', 0):,}, removed. Tickets it updated: "
            f"{chosen.get('updated', 0):,}, put back as they were.", "Undo the import",
            lambda: _undo(str(chosen["_id"]), user["username"]), key="undo",
            icon=":material/undo:")


def _import_label(upload: dict) -> str:
    return (f"{upload['at']:%Y-%m-%d %H:%M} · {display.clean(upload.get('file_name', ''))} · "
            f"by {display.clean(upload.get('user', ''))} · {upload['_id']}")


def _undo(import_id: str, user: str) -> str:
    done = undo.undo_import(data.db(), import_id, user)
    return (f"Undid the import of {display.literal(done.file_name)}: removed "
            f"{display.count(done.removed, 'ticket')} it added, put back "
            f"{display.count(done.restored, 'ticket')} it changed.")
