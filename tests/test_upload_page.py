"""The Upload page through AppTest: the preview as the file shows it, the mapping editor and
its dry run, the page after an import, and the mapping remembered for a header layout."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from sla.ingest.table import FIELD_NAMES
from sla.storage import users
from tests.handset import KEYLESS_CSV
from tests.test_mapping import HAND_TEAMS, SQUAD_CSV
from tests.test_pages import PASSWORD, app_db, no_exception, page  # noqa: F401 (app_db: a fixture)
from ui import upload as upload_flow

DRY_RUN = "Validation (dry run: nothing written yet)"
TEAM_ROW = list(FIELD_NAMES).index("team_raw")


@pytest.fixture
def admin(app_db):  # noqa: F811 (the fixture imported above)
    users.add_user(app_db, "alice", PASSWORD, "admin")
    return app_db


def uploaded(name: str, content: bytes) -> AppTest:
    app = page("upload.py")
    app.run()
    app.get("file_uploader")[0].upload(name, content).run()
    no_exception(app)
    return app


def choose(app: AppTest, content: bytes, row: int, header: str, generation: int = 0) -> AppTest:
    """Pick ``header`` for the field on ``row`` of the mapping table, as a click would."""
    key = f"mapping-{hashlib.sha256(content).hexdigest()[:16]}-{generation}"
    app.session_state[key] = {"edited_rows": {row: {upload_flow.HEADER_COLUMN: header}},
                              "added_rows": [], "deleted_rows": []}
    app.run()
    no_exception(app)
    return app


def problems_caption(app: AppTest) -> str:
    return next(c.value for c in app.caption if "not parsed" in c.value)


def buttons(app: AppTest) -> list[str]:
    return [b.label for b in app.button]


def page_texts(app: AppTest) -> list[str]:
    """Every text the page shows outside tables."""
    kinds = ("title", "subheader", "markdown", "caption", "info", "success", "error", "warning")
    texts = [str(e.value) for kind in kinds for e in app.get(kind)]
    return texts + [m.label for m in app.metric] + [str(m.value) for m in app.metric]


# ---------------------------------------------------------------- the preview

def duration_workbook() -> bytes:
    """Durations typed as Excel durations ([h]:mm), empty cells, a whole number."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["SR Number", "Created", "Status", "Priority", "Team", "Response Time",
                  "Resolution Time", "Reopened"])
    sheet.append(["SR1", dt.datetime(2026, 3, 2, 9, 0), "Resolved", "P2", "L1 Desk",
                  dt.timedelta(hours=1, minutes=5), dt.timedelta(hours=129, minutes=45), 3.0])
    sheet.append(["SR2", dt.datetime(2026, 3, 3, 14, 30), "Open", None, None,
                  dt.timedelta(minutes=20, seconds=15), None, None])
    for row in (2, 3):
        for column in (6, 7):
            sheet.cell(row, column).number_format = "[h]:mm"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_preview_shows_cells_as_the_file_does(admin):
    app = uploaded("durations.xlsx", duration_workbook())
    (preview,) = [d.value for d in app.dataframe if "SR Number" in d.value.columns]
    rows = preview.to_dict("records")
    assert rows[0] == {"SR Number": "SR1", "Created": "2026-03-02 09:00", "Status": "Resolved",
                       "Priority": "P2", "Team": "L1 Desk", "Response Time": "1:05",
                       "Resolution Time": "129:45", "Reopened": "3"}
    assert rows[1] == {"SR Number": "SR2", "Created": "2026-03-03 14:30", "Status": "Open",
                       "Priority": "", "Team": "", "Response Time": "0:20:15",
                       "Resolution Time": "", "Reopened": ""}
    for text in [*page_texts(app), *(str(v) for row in rows for v in row.values())]:
        assert "None" not in text and "NaN" not in text and "NaT" not in text, text


def test_the_mapping_table_lists_every_field_with_the_files_columns(admin):
    app = uploaded("squad.csv", SQUAD_CSV.encode())
    (editor,) = app.data_editor
    table = editor.value
    assert list(table[upload_flow.FIELD_COLUMN]) == list(FIELD_NAMES.values())
    assert table[upload_flow.HEADER_COLUMN][TEAM_ROW] == upload_flow.NOT_IN_FILE
    assert table[upload_flow.HEADER_COLUMN][0] == "SR Number"


# ---------------------------------------------------------------- the mapping and the dry run

def test_changing_the_mapping_reruns_the_dry_run(admin):
    content = SQUAD_CSV.encode()
    app = uploaded("squad.csv", content)
    assert "10 tickets unassigned" in problems_caption(app)
    assert "Back to the detected mapping" not in buttons(app)
    choose(app, content, TEAM_ROW, "Squad")
    caption = problems_caption(app)
    assert "1 ticket in team Other" in caption and "1 ticket unassigned" in caption, caption
    assert any("Kept as they are" in m.value and "none" in m.value for m in app.markdown)
    next(b for b in app.button if b.label == "Back to the detected mapping").click().run()
    no_exception(app)
    assert "10 tickets unassigned" in problems_caption(app)
    assert admin.tickets.count_documents({}) == 0


def test_an_invalid_mapping_is_one_sentence_and_offers_no_import(admin):
    content = SQUAD_CSV.encode()
    app = uploaded("squad.csv", content)
    choose(app, content, 0, upload_flow.NOT_IN_FILE)
    (error,) = [e.value for e in app.error]
    assert error.startswith("No column is chosen for the SR number") and "\n" not in error
    assert "Import" not in buttons(app) and not any(s.value == DRY_RUN for s in app.subheader)
    choose(app, content, 2, "Status")  # SR number back; Status for Status and Priority
    (error,) = [e.value for e in app.error]
    assert "both Status and Priority" in error and "Import" not in buttons(app)
    assert admin.tickets.count_documents({}) == 0 and admin.uploads.count_documents({}) == 0


# ---------------------------------------------------------------- after the import

def test_after_the_import_only_its_result_shows(admin):
    content = SQUAD_CSV.encode()
    app = uploaded("squad.csv", content)
    choose(app, content, TEAM_ROW, "Squad")
    next(b for b in app.button if b.label == "Import").click().run()
    no_exception(app)
    headings = [s.value for s in app.subheader]
    assert "Imported" in headings and DRY_RUN not in headings and "Preview" not in headings
    assert "Import" not in buttons(app) and "Import another file" in buttons(app)
    assert not app.data_editor
    assert any(s.value.startswith("Imported.") for s in app.success)
    assert any("import another file" in c.value for c in app.caption)
    assert [m.value for m in app.metric][:5] == ["10", "0", "0", "0", "10"]
    history = app.dataframe[-1].value
    assert list(history["status"]) == ["Imported"] and "sha256" not in history.columns
    next(b for b in app.button if b.label == "Import another file").click().run()
    no_exception(app)
    assert app.get("file_uploader")[0].value is None and "Imported" not in [
        s.value for s in app.subheader]


def test_a_later_file_of_the_same_layout_uses_the_saved_mapping(admin):
    content = SQUAD_CSV.encode()
    app = uploaded("squad.csv", content)
    choose(app, content, TEAM_ROW, "Squad")
    next(b for b in app.button if b.label == "Import").click().run()
    assert {t["team"] for t in admin.tickets.find()} == set(HAND_TEAMS)
    later = SQUAD_CSV.replace("Ann", "Anne").encode()
    second = uploaded("later.csv", later)
    today = dt.datetime.now(dt.timezone.utc)
    (line,) = [i.value for i in second.info if "column mapping saved" in i.value]
    assert line == (f"Using the column mapping saved on {today.day} {today:%b %Y} by alice "
                    "for this layout.")
    assert "1 ticket unassigned" in problems_caption(second)
    assert "Back to the detected mapping" in buttons(second)
    next(b for b in second.button if b.label == "Back to the detected mapping").click().run()
    assert not [i for i in second.info if "column mapping saved" in i.value]
    assert "10 tickets unassigned" in problems_caption(second)
    next(b for b in second.button if b.label == "Import").click().run()
    no_exception(second)
    assert admin.mappings.count_documents({}) == 0
    assert {t["team"] for t in admin.tickets.find()} == {"Unassigned"}


def test_the_report_speaks_in_correct_plurals(admin):
    text = SQUAD_CSV + ",2026-03-20 08:00,Open,P1,L1 Desk,,,,,\n"  # one row without an SR
    app = uploaded("squad.csv", text.encode())
    assert any(e.label == "1 row with problems" for e in app.expander)


def test_an_import_is_undone_only_once_confirmed(admin):
    content = SQUAD_CSV.encode()
    app = uploaded("squad.csv", content)
    choose(app, content, TEAM_ROW, "Squad")
    next(b for b in app.button if b.label == "Import").click().run()
    assert admin.tickets.count_documents({}) == 10
    for answer in ("Cancel", "Undo the import"):
        next(b for b in app.button if b.label == "Undo this import…").click().run()
        no_exception(app)
        assert any("New tickets it added: 10, removed." in m.value for m in app.markdown)
        assert admin.tickets.count_documents({}) == 10, "undone before it was confirmed"
        next(b for b in app.button if b.label == answer).click().run()
        no_exception(app)
    assert admin.tickets.count_documents({}) == 0
    assert [s.value for s in app.success][-1] == (
        "Undid the import of squad\\.csv: removed 10 tickets it added, put back 0 tickets it "
        "changed.")
    assert list(app.dataframe[-1].value["status"]) == ["Undone"]
    assert "Undo this import…" not in buttons(app)




def test_a_file_without_a_recognised_key_opens_the_mapping_with_the_key_to_pick(admin):
    content = KEYLESS_CSV.encode()
    app = uploaded("cases.csv", content)
    assert any("No column was recognised as the SR number" in w.value for w in app.warning)
    table = app.data_editor[0].value
    assert table.iloc[0][upload_flow.FIELD_COLUMN] == "SR number"
    assert table.iloc[0][upload_flow.HEADER_COLUMN] == upload_flow.NOT_IN_FILE
    assert any("No column is chosen for the SR number" in e.value for e in app.error)
    assert "Import" not in buttons(app)
    choose(app, content, 0, "Case Ref")
    assert not app.error and "Import" in buttons(app)
    assert [m.value for m in app.metric][:1] == ["3"]
    next(b for b in app.button if b.label == "Import").click().run()
    no_exception(app)
    assert sorted(d["_id"] for d in admin.tickets.find({}, {"_id": 1})) == ["C-1", "C-2", "C-3"]
