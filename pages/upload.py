"""Upload (admin): pick a file, check its column mapping and a dry run, import, see the history."""

import streamlit as st

from sla.core import display
from sla.service import database, importing
from ui import auth, widgets
from ui import upload as upload_flow

user = auth.require_role("admin")
st.title("Upload an export")
st.caption("Excel (.xlsx, .xlsm, .xls) or CSV. Nothing is written until you press Import; a "
           "file that cannot be read changes nothing.")

upload = st.file_uploader("Export file", type=["xlsx", "xlsm", "xls", "csv"],
                          key=upload_flow.uploader_key())

if upload is None:
    upload_flow.forget()
else:
    file_bytes = upload.getvalue()
    try:
        chosen = upload_flow.inspect(file_bytes, upload.name)
    except importing.ReadError as exc:
        st.error(upload_flow.failure(exc, "This file cannot be imported"), icon=":material/error:")
        st.stop()

    if chosen.get("imported") is not None:
        upload_flow.show_report(chosen["imported"], "Imported")
        st.success("Imported. Every page now shows the new figures.", icon=":material/check:")
        st.caption("To import another file, press the button below or choose the file above.")
        st.button("Import another file", icon=":material/upload_file:",
                  on_click=upload_flow.choose_another_file)
    else:
        st.subheader("Column mapping")
        st.markdown(upload_flow.layout_line(chosen))
        if not chosen["start"].get("sr_number"):
            st.warning("No column was recognised as the SR number, the key of each ticket: "
                       "choose the column that holds it for the field SR number below.",
                       icon=":material/key:")
        if detected := upload_flow.detected_line(chosen):
            st.info(detected, icon=":material/auto_awesome:")
        saved_line = st.container()
        mapping = upload_flow.mapping_editor(chosen)
        if line := upload_flow.saved_mapping_line(chosen, mapping):
            saved_line.info(line, icon=":material/bookmark:")
        saved_as = upload_flow.mapping_name_box(chosen)
        if not upload_flow.is_detected(chosen, mapping):
            st.button("Back to the detected mapping", icon=":material/undo:",
                      on_click=upload_flow.back_to_detected, args=(chosen,))
        st.markdown("Kept as they are (not used by the figures): "
                    + (", ".join(display.literal(h) for h in upload_flow.unmapped(chosen, mapping))
                       or "none"))
        st.subheader("Preview")
        st.dataframe(upload_flow.preview(chosen, mapping), hide_index=True, placeholder="")
        problem = upload_flow.mapping_problem(chosen, mapping)
        if problem:
            st.error(display.literal(problem, None), icon=":material/error:")
        else:
            try:
                report = upload_flow.dry_run(chosen, file_bytes, mapping)
                accept = bool(report.edits_kept) and st.checkbox(
                    "Take the file's values over edits made in the app", key="accept_file",
                    help="By default an edit made on the Tickets page stays when a file "
                         "says otherwise.")
                if accept:
                    report = upload_flow.dry_run(chosen, file_bytes, mapping, accept_file=True)
            except importing.ReadError as exc:
                st.error(upload_flow.failure(exc, "This file cannot be imported"),
                         icon=":material/error:")
                st.stop()
            upload_flow.show_report(report, "Validation (dry run: nothing written yet)")
            if st.button("Import", type="primary", icon=":material/upload:"):
                bar = st.progress(0.0, text="Importing…")
                try:
                    upload_flow.import_file(chosen, file_bytes, user["username"],
                                            lambda fraction, text: bar.progress(
                                                min(fraction, 1.0), text=text),
                                            mapping, saved_as, accept)
                except importing.ReadError as exc:
                    st.error(upload_flow.failure(exc, "The import did not happen"),
                             icon=":material/error:")
                    st.stop()
                except database.StoreError as exc:
                    st.error(upload_flow.failure(exc, "The import did not finish"),
                             icon=":material/error:")
                    st.stop()
                st.rerun()

st.subheader("Import history")
widgets.show_flash()
upload_flow.history_table()
upload_flow.undo_picker(user)
