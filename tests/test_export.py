"""The tickets table and its CSV (the app's download and ``python -m sla export``)."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest

from sla.analytics import export
from sla.core.display import FIELD_LABELS
from sla.core.filters import Filters
from sla.service import importing
from sla.storage import versions
from tests.handset import HAND_CSV, hand_bytes

BOM = b"\xef\xbb\xbf"


@pytest.fixture
def hand_db(db):
    """The test database holding the ten hand-checked tickets."""
    importing.import_file(db, hand_bytes(), "hand.csv")
    return db


FIELD_NAMES = {label: name for name, label in FIELD_LABELS.items()}


def read_back(data: bytes, **options) -> pd.DataFrame:
    """The CSV read back, its display-name headers turned back into field names."""
    options = options or {"dtype": str, "keep_default_na": False}
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", **options)
    return frame.rename(columns=lambda label: FIELD_NAMES.get(label, label))


def test_tickets_frame_columns_and_order(hand_db):
    frame = export.tickets_frame(versions.snapshot(hand_db))
    assert list(frame.columns) == export.COLUMNS
    assert list(frame["sr_number"]) == ["T10", "T9", "T8", "T7", "T6", "T5", "T4", "T3", "T2", "T1"]
    assert pd.api.types.is_datetime64_any_dtype(frame["created"])
    assert frame["created"].iloc[3] == pd.Timestamp("2026-03-12 23:30")
    t7 = frame.set_index("sr_number").loc["T7"]
    assert (t7["team"], t7["team_raw"], t7["status_class"], t7["priority"]) == \
        ("Other", "Weird Group", "resolved", "P3")
    assert (t7["response_hours"], t7["resolution_hours"]) == (2.0, 30.0)
    assert (t7["response_sla"], t7["resolution_sla"]) == ("met", "breached")


@pytest.mark.parametrize("filters, expected", [
    (Filters(teams=("L1",)), ["T10", "T9", "T8", "T2", "T1"]),
    (Filters(priorities=("P3",)), ["T7", "T4", "T3"]),
    (Filters(agents=("Bob",)), ["T4", "T3"]),
    (Filters(status_class="pending"), ["T10", "T6", "T3"]),
    (Filters(date_from=dt.date(2026, 3, 9), date_to=dt.date(2026, 3, 12)), ["T7", "T6", "T5", "T4"]),
    (Filters(teams=("Nobody",)), []),
])
def test_tickets_frame_filters(hand_db, filters, expected):
    frame = export.tickets_frame(versions.snapshot(hand_db), filters)
    assert list(frame["sr_number"]) == expected
    assert list(frame.columns) == export.COLUMNS


def test_tickets_frame_limit(hand_db):
    assert list(export.tickets_frame(versions.snapshot(hand_db), limit=3)["sr_number"]) == ["T10", "T9", "T8"]


def test_csv_neutralises_formula_cells_but_not_numbers():
    frame = pd.DataFrame({
        "text": ["=1+1", "+31 20 555", "-2", "@SUM(A1)", "\tcmd", "plain", "a=b", "-", None],
        "hours": [-3.5, 1.0, 2.25, np.nan, 0.0, -1.0, 3.0, 4.0, 5.0],
    })
    data = export.to_csv_bytes(frame)
    assert data.startswith(BOM)
    got = read_back(data)
    assert list(got["text"]) == ["'=1+1", "'+31 20 555", "'-2", "'@SUM(A1)", "'\tcmd",
                                 "plain", "a=b", "'-", ""]
    assert list(got["hours"]) == ["-3.5", "1.0", "2.25", "", "0.0", "-1.0", "3.0", "4.0", "5.0"]
    assert read_back(data, nrows=0).columns.tolist() == ["text", "hours"]  # unknown: as is
    assert list(frame["text"])[0] == "=1+1"  # the caller's frame is left alone
    assert export.neutralise("\rcmd") == "'\rcmd"
    assert export.neutralise(-3.5) == -3.5 and export.neutralise(None) is None


@pytest.mark.parametrize("cell, safe", [
    ("Smith;=1+1", "Smith;'=1+1"),
    ("a, -2", "a, '-2"),
    ("x;  @SUM(A1)", "x;  '@SUM(A1)"),
    ("\uff1d1+1", "'\uff1d1+1"),
    ("\uff20SUM(A1)", "'\uff20SUM(A1)"),
    ("Ann \u202eredro\u202c", "Ann redro"),
    ("\u2066=1+1", "'=1+1"),
    ("SR-12-3", "SR-12-3"),
    ("a=b; c", "a=b; c"),
])
def test_csv_neutralises_triggers_after_separators_full_width_forms_and_bidi(cell, safe):
    assert export.neutralise(cell) == safe
    assert list(read_back(export.to_csv_bytes(pd.DataFrame({"text": [cell]})))["text"]) == [safe]


def test_csv_has_display_headers_and_hours_to_two_decimals():
    frame = pd.DataFrame({"sr_number": ["T1", "T2"], "resolution_hours": [27.666666, 0.004],
                          "resolution_sla_pct": [95.23809, None], "total_tickets": [1, 2]})
    text = export.to_csv_bytes(frame).decode("utf-8-sig").splitlines()
    assert text == ["SR number,Resolution (h),Resolution SLA met %,Tickets",
                    "T1,27.67,95.24,1", "T2,0.0,,2"]


def test_csv_with_a_carriage_return_in_a_cell_round_trips():
    """A bare CR inside a cell must be quoted, or readers take it for a row break."""
    frame = pd.DataFrame({"text": ["\rcmd", "a\rb", "ok"], "n": [1, 2, 3]})
    got = read_back(export.to_csv_bytes(frame))
    assert list(got["text"]) == ["'\rcmd", "a\rb", "ok"]
    assert list(got["n"]) == ["1", "2", "3"]


def test_csv_round_trips_through_pandas(hand_db):
    frame = export.tickets_frame(versions.snapshot(hand_db))
    frame.loc[frame["sr_number"] == "T7", "category"] = "Réseau – café"
    data = export.to_csv_bytes(frame)
    assert data.startswith(BOM)
    assert "Réseau – café".encode() in data
    got = read_back(data, parse_dates=["Created", "Resolved at"])
    assert list(got.columns) == export.COLUMNS
    assert list(got["sr_number"]) == list(frame["sr_number"])
    assert list(got["created"]) == list(frame["created"])
    pd.testing.assert_series_equal(got["response_hours"], frame["response_hours"],
                                   check_dtype=False)
    pd.testing.assert_series_equal(got["resolution_hours"], frame["resolution_hours"],
                                   check_dtype=False)
    for name in ("status", "status_class", "priority", "resolved_by", "team", "team_raw",
                 "response_sla", "resolution_sla", "category"):
        expected = [None if pd.isna(v) else v for v in frame[name]]
        assert [None if pd.isna(v) else v for v in got[name]] == expected, name


def test_csv_of_the_hand_set_matches_the_source_file(hand_db):
    got = read_back(export.to_csv_bytes(export.tickets_frame(versions.snapshot(hand_db)))).set_index("sr_number")
    source = pd.read_csv(io.StringIO(HAND_CSV), dtype=str, keep_default_na=False)
    source = source.set_index("SR Number")
    assert sorted(got.index) == sorted(source.index)
    for sr, row in source.iterrows():
        assert got.loc[sr, "status"] == row["Status"]
        assert got.loc[sr, "resolved_by"] == row["Resolved By"]
        assert got.loc[sr, "team_raw"] == row["Team"]
        assert got.loc[sr, "created"] == f"{row['Created']}:00"
        for column, name in (("response_hours", "Response Time (hrs)"),
                             ("resolution_hours", "Resolution Time (hrs)")):
            assert (float(got.loc[sr, column]) if got.loc[sr, column] else None) == \
                (float(row[name]) if row[name] else None), (sr, column)
