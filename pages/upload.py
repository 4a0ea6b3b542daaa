"""Upload (admin): pick a file, check the mapping and a dry run, import, see the history."""

import pandas as pd
import streamlit as st

from sla import display, read, store
from ui import auth, data, widgets
from ui import upload as upload_flow

user = auth.require_role("admin")
st.title("Upload an export")
st.caption("Excel (.xlsx, .xlsm, .xls) or CSV. Nothing is written until you press Import; a "
           "file that cannot be read changes nothing.")

upload = st.file_uploader("Export file", type=["xlsx", "xlsm", "xls", "csv"], key="upload")


def show_report(report, heading: str) -> None:
    st.subheader(heading)
    cols = st.columns(5)
    widgets.kpi(cols[0], "New", widgets.fmt_int(report.inserted))
    widgets.kpi(cols[1], "Updated", widgets.fmt_int(report.updated))
    widgets.kpi(cols[2], "Unchanged", widgets.fmt_int(report.unchanged))
    widgets.kpi(cols[3], "Rejected rows", widgets.fmt_int(report.rejected))
    widgets.kpi(cols[4], "Rows read", widgets.fmt_int(report.rows_read),
                f"{report.folded:,} rows folded into a later row of the same SR")
    problems = {"durations not parsed": report.durations_not_parsed,
                "dates not parsed": report.dates_not_parsed,
                "SLA values not recognised": report.sla_not_recognised,
                "tickets in team Other": sum(report.teams_other.values()),
                "tickets Unassigned": report.teams_unassigned}
    st.caption(" · ".join(f"{n:,} {label}" for label, n in problems.items()))
    for note in report.notes:
        st.info(display.literal(note, None), icon=":material/info:")
    if report.rejected_rows or report.problems:
        rows = pd.DataFrame([{"row": r["row"], "problem": r["reason"], "column": "", "value": ""}
                             for r in report.rejected_rows]
                            + [{"row": p["row"], "problem": p["kind"].replace("_", " "),
                                "column": p["column"], "value": str(p["value"])}
                               for p in report.problems])
        with st.expander(f"{len(rows):,} rows with problems"):
            st.dataframe(rows, hide_index=True)
            widgets.download_csv(rows, "import-problems.csv", "Download rows with problems",
                                 key=f"problems-{heading}")


if upload is not None:
    file_bytes = upload.getvalue()
    try:
        chosen = upload_flow.inspect(file_bytes, upload.name)
        report = upload_flow.dry_run(chosen, file_bytes)
    except read.ReadError as exc:
        st.error(f"This file cannot be imported: {display.literal(exc, 300)}",
                 icon=":material/error:")
        st.stop()
    st.subheader("Detected columns")
    mapping = pd.DataFrame([{"field": f, "column in the file": h}
                            for f, h in chosen["mapping"].items()])
    left, right = st.columns([1, 1])
    left.dataframe(mapping, hide_index=True)
    right.markdown(f"Sheet **{display.literal(chosen['sheet'] or 'CSV')}**, header on row "
                   f"{chosen['header_row']}"
                   + (f", separator `{chosen['separator']!r}`, {chosen['encoding']}"
                      if chosen["separator"] else ""))
    right.markdown("Kept as they are (not used by the figures): "
                   + (", ".join(display.literal(h) for h in chosen["unmapped"]) or "none"))
    st.subheader("Preview")
    st.dataframe(chosen["preview"], hide_index=True)
    show_report(report, "Validation (dry run: nothing written yet)")
    if st.button("Import", type="primary", icon=":material/upload:"):
        bar = st.progress(0.0, text="Importing…")
        try:
            upload_flow.import_file(chosen, file_bytes, user["username"],
                                    lambda fraction, text: bar.progress(min(fraction, 1.0),
                                                                        text=text))
        except (read.ReadError, store.StoreError) as exc:
            st.error(f"The import did not happen: {display.literal(exc, 300)}",
                     icon=":material/error:")
            st.stop()
        bar.progress(1.0, text="Done")
    if chosen.get("imported") is not None:  # the report of this file's import, not an earlier one
        show_report(chosen["imported"], "Imported")
        st.success("Imported. Every page now shows the new figures.", icon=":material/check:")

st.subheader("Import history")
history = pd.DataFrame(data.recent_uploads(),
                       columns=["at", "user", "file_name", "rows_read", "inserted", "updated",
                                "unchanged", "rejected", "status", "sha256"])
st.dataframe(history, hide_index=True, column_config={
    "at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm"),
    "user": "By", "file_name": "File", "rows_read": "Rows", "inserted": "New",
    "updated": "Updated", "unchanged": "Unchanged", "rejected": "Rejected", "status": "Status",
    "sha256": "SHA-256"})
