"""Reading files (contract section 1) and mapping headers to fields (section 2)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from sla.core import fields
from sla.ingest import xlsx_scan
from sla.ingest.read import read_table
from sla.ingest.sniff import load_bytes
from sla.ingest.table import HEADER_ONLY_NOTE, ReadError, map_headers


def xlsx_bytes(*sheets: tuple[str, list[list]]) -> bytes:
    """An .xlsx with the given (sheet name, rows) sheets."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets:
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_header_row_is_found_below_title_rows_on_the_first_sheet_that_has_one():
    data = xlsx_bytes(
        ("Cover", [["Weekly report"], ["nothing here"]]),
        ("Data", [["SR export"], ["run on 2026-10-31"], [], ["SR Number", "Status"],
                  ["SR1", "Open"], [None, None], ["SR2", "Closed"]]),
    )
    table = read_table(data, "report.xlsx")
    assert table.sheet == "Data"
    assert table.header_row == 4
    assert list(table.frame["SR Number"]) == ["SR1", "SR2"]  # the empty row is skipped
    assert table.row_numbers == [5, 7]


def test_header_search_stops_after_twenty_rows():
    rows = [[f"title {i}"] for i in range(20)] + [["SR Number"], ["SR1"]]
    with pytest.raises(ReadError, match="no sheet has a header row"):
        read_table(xlsx_bytes(("S", rows)), "late.xlsx")


def test_excel_cells_keep_their_types():
    data = xlsx_bytes(("S", [["SR", "Created", "Response Time"],
                             [1001.0, dt.datetime(2026, 1, 2, 3, 4), dt.time(5, 30)]]))
    table = read_table(data, "t.xlsx")
    row = table.frame.iloc[0]
    assert row["Created"] == dt.datetime(2026, 1, 2, 3, 4)
    assert row["Response Time"] == dt.time(5, 30)


def test_xlsm_is_read_like_xlsx():
    data = xlsx_bytes(("S", [["Ticket ID", "Status"], ["T-1", "Open"]]))
    assert read_table(data, "macro.xlsm").mapping["sr_number"] == "Ticket ID"


def test_xls_is_read(tmp_path):
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook()
    sheet = book.add_sheet("Export")
    for c, value in enumerate(["Incident Number", "Priority", "Resolution Time (hrs)"]):
        sheet.write(0, c, value)
    for c, value in enumerate(["INC1", "2 - High", 3.5]):
        sheet.write(1, c, value)
    path = tmp_path / "old.xls"
    book.save(str(path))
    table = read_table(path)
    assert table.mapping["sr_number"] == "Incident Number"
    assert table.frame.iloc[0]["Resolution Time (hrs)"] == 3.5


@pytest.mark.parametrize("encoding, bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b"")])
@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_csv_encodings_and_separators(encoding, bom, separator):
    text = separator.join(["SR Number", "Resolved By", "Status"]) + "\n" + \
        separator.join(["SR1", "Zoë Ångström", "Open"]) + "\n"
    table = read_table(bom + text.encode(encoding), "export.csv")
    assert table.separator == separator
    assert table.frame.iloc[0]["Resolved By"] == "Zoë Ångström"
    assert list(table.frame.columns) == ["SR Number", "Resolved By", "Status"]


def test_csv_header_below_title_rows_and_totals_row_kept_for_rejection():
    text = "Incident report\nexported by tool\nNumber,State\nINC1,New\n,\nINC2,Closed\nTotal,\n"
    table = read_table(text.encode(), "inc.csv")
    assert table.header_row == 3
    assert list(table.frame["Number"]) == ["INC1", "INC2", "Total"]


def test_unknown_columns_are_kept_and_listed():
    table = read_table(b"SR,Colour,Status\nSR1,blue,Open\n", "x.csv")
    assert table.unmapped == ["Colour"]
    assert table.frame.iloc[0]["Colour"] == "blue"


def test_duplicate_headers_are_kept_apart():
    table = read_table(b"SR,Note,Note\nSR1,a,b\n", "x.csv")
    assert list(table.frame.columns) == ["SR", "Note", "Note #2"]


@pytest.mark.parametrize("header", ["Response Time (hh:mm)", "response_time", "RESPONSE  TIME",
                                    " Response-Time ", "Response.Time", "#Response Time"])
def test_header_matching_ignores_case_spaces_punctuation_and_units(header):
    assert map_headers(["SR", header])["response_hours"] == header


def test_every_synonym_of_every_field_is_recognised():
    for name, synonyms in fields.HEADER_SYNONYMS.items():
        for synonym in synonyms:
            headers = [synonym] if name == "sr_number" else ["SR Number", synonym]
            assert map_headers(headers)[name] == synonym, (name, synonym)


def test_first_synonym_in_the_contract_order_wins_whatever_the_column_order():
    headers = ["SR Number", "Problem Area", "Area", "Assigned SR Category", "Total Time Taken (hrs)",
               "Resolution Time (hh:mm)", "Resolved By Team", "Updated Team"]
    mapping = map_headers(headers)
    assert mapping["category"] == "Assigned SR Category"
    assert mapping["resolution_hours"] == "Resolution Time (hh:mm)"
    assert mapping["team_raw"] == "Updated Team"


def test_the_assignee_is_the_owner_and_the_resolver_its_own_field():
    """Contract, Fields: the assignee feeds ``owner``; ``resolved_by`` only a resolver column."""
    both = map_headers(["SR", "Assigned", "Resolved By"])
    assert (both["resolved_by"], both["owner"]) == ("Resolved By", "Assigned")
    only = map_headers(["Issue key", "Assignee"])
    assert only["owner"] == "Assignee" and "resolved_by" not in only
    assert map_headers(["SR", "Owner", "Agent"])["owner"] == "Owner"


def test_seed_export_headers_map_as_the_old_system_meant(seed_xlsx):
    table = read_table(seed_xlsx)
    assert table.mapping == {
        "sr_number": "SR Number", "status": "Status", "category": "Assigned SR Category",
        "created": "Created", "resolved_at": "Resolved Date", "resolved_by": "Resolved By",
        "owner": "Assigned", "team_raw": "Updated Team", "response_hours": "Response Time (hh:mm)",
        "resolution_hours": "Resolution Time (hh:mm)", "response_sla": "Response SLA Status",
        "resolution_sla": "Resolution SLA Status",
    }
    assert "Updated Resolved By Team" in table.unmapped


def test_servicenow_and_jira_headers():
    now = map_headers(["number", "incident_state", "priority", "assignment_group",
                       "assigned_to", "resolved_by", "opened_at", "resolved_at",
                       "closed_at", "made_sla"])
    assert now == {"sr_number": "number", "status": "incident_state", "priority": "priority",
                   "created": "opened_at", "resolved_at": "resolved_at",
                   "resolved_by": "resolved_by", "owner": "assigned_to",
                   "team_raw": "assignment_group", "resolution_sla": "made_sla"}
    jira = map_headers(["Issue key", "Assignee", "Time to first response",
                        "Time to resolution", "Group", "Created"])
    assert jira["response_hours"] == "Time to first response"
    assert jira["resolution_hours"] == "Time to resolution"
    assert jira["team_raw"] == "Group"


def test_units_named_in_brackets_or_words():
    assert fields.header_unit("Total Time Taken (hrs)") == "hrs"
    assert fields.header_unit("Response Time (hh:mm)") is None
    assert fields.header_unit("Time to resolution in minutes") == "minutes"
    assert map_headers(["SR", "Time to resolution in minutes"])["resolution_hours"] == \
        "Time to resolution in minutes"
    assert fields.header_unit("Resolution Time") is None


@pytest.mark.parametrize("name, data, message", [
    ("notes.txt", b"SR\n1\n", "unsupported file type"),
    ("empty.csv", b"", "empty"),
    ("broken.xlsx", b"PK\x03\x04 not really a zip", "not a readable Excel workbook"),
    ("nosr.csv", b"Status,Priority\nOpen,P1\n", "no header row with an SR number"),
])
def test_files_that_fail_as_a_whole_give_one_line(name, data, message):
    with pytest.raises(ReadError, match=message) as caught:
        read_table(data, name)
    assert "\n" not in str(caught.value)


def test_size_limit():
    with pytest.raises(ReadError, match="over the limit"):
        read_table(b"SR\n" + b"1\n" * 1000, "big.csv", max_bytes=100)


def test_missing_path():
    with pytest.raises(ReadError, match="cannot read"):
        read_table("/nonexistent/export.csv")


def test_a_header_without_rows_reads_as_no_tickets_with_a_note():
    for data, name in ((b"SR Number,Status\n", "header.csv"),
                       (xlsx_bytes(("S", [["SR Number", "Status"]])), "header.xlsx")):
        table = read_table(data, name)
        assert table.frame.empty and table.notes == [HEADER_ONLY_NOTE]


def test_formula_cells_without_a_saved_value_are_noted():
    data = xlsx_bytes(("S", [["SR Number", "Total"], ["A", "=1+1"], ["B", "=2+2"], ["C", 3]]))
    table = read_table(data, "formulas.xlsx")
    assert table.notes == ["2 formula cells had no saved value and were read as empty (open and "
                           "save the file in Excel to store their values)"]
    assert list(table.frame["Total"]) == [None, None, 3]


def test_a_limit_setting_that_is_not_a_number_is_one_line(monkeypatch):
    monkeypatch.setenv("SLA_MAX_ROWS", "lots")
    with pytest.raises(ReadError, match="SLA_MAX_ROWS must be a positive number"):
        read_table(b"SR\n1\n", "x.csv")


def test_limits_follow_the_settings(monkeypatch):
    monkeypatch.setenv("SLA_MAX_COLUMNS", "2")
    with pytest.raises(ReadError, match="3 columns, over the limit of 2 columns; raise "
                                        "SLA_MAX_COLUMNS"):
        read_table(b"SR,A,B\n1,2,3\n", "x.csv")


def test_a_path_that_is_no_regular_file_or_too_big_is_not_read(tmp_path):
    with pytest.raises(ReadError, match="is not a regular file"):
        load_bytes("/dev/zero")
    big = tmp_path / "big.csv"
    big.write_bytes(b"SR\n" + b"1\n" * 1000)
    with pytest.raises(ReadError, match="over the limit .* raise SLA_MAX_UPLOAD_MB"):
        load_bytes(big, max_bytes=100)


def test_a_far_away_cell_is_refused_before_calamine_allocates_the_grid():
    rows = [["SR Number"], ["A"]]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    sheet["XFD1048576"] = "far"  # calamine would hold 17 billion cells (and abort)
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(ReadError, match="reaches column 16,384"):
        read_table(buffer.getvalue(), "far.xlsx")


@pytest.mark.parametrize("limit", [0, 1, 9, 19, 99, 100_003, 999_999, 1_048_576])
def test_the_rows_above_pattern_matches_exactly_the_rows_past_its_limit(limit):
    patterns = xlsx_scan._rows_above(limit)
    for row in sorted({0, 1, 9, 10, 99, 100, limit, limit + 1, limit * 10, 2_000_000}):
        for ref in (f' r="B{row}"', f" r='b00{row}'", f'\nr = "{row}"'):
            assert xlsx_scan._found(patterns, ref.encode()) == (row > limit), (limit, ref)
        assert not xlsx_scan._found(patterns, f' firstPageNumber="{row}"'.encode())


@pytest.mark.parametrize("limit", [0, 1, 25, 26, 27, 52, 500, 702, 703, 16_383])
def test_the_columns_above_pattern_matches_exactly_the_columns_past_its_limit(limit):
    patterns = xlsx_scan._columns_above(limit)
    for column in sorted({1, 2, 26, 27, 702, 703, limit, limit + 1, 16_384}):
        letters = xlsx_scan._column_letters(column)
        for ref in (f' r="{letters}7"', f" r='{letters.lower()}7'"):
            assert xlsx_scan._found(patterns, ref.encode()) == (column > limit), (limit, ref)
        assert not xlsx_scan._found(patterns, f' header="{letters}7"'.encode())
        assert xlsx_scan._column_number(letters.encode()) == column


def test_attributes_that_merely_end_in_r_are_no_cell_references():
    """Excel writes firstPageNumber="4294967295" (unsigned -1) in page setups."""
    data = xlsx_bytes(("S", [["SR Number", "Status"], ["A", "Open"]]))
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"</worksheet>", b'<pageSetup firstPageNumber='
                                          b'"4294967295" header="AB3000000"/></worksheet>')
            archive.writestr(info, content)
    assert list(read_table(buffer.getvalue(), "setup.xlsx").frame["SR Number"]) == ["A"]
