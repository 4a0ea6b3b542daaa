"""Reading an Excel workbook (.xlsx/.xlsm/.xls) into a raw table, once its guard let it through.

Excel files are read with python-calamine (several times faster than openpyxl on large
sheets, and it reads .xls too). Before calamine opens a file, ``xlsx_guard`` checks an
.xlsx/.xlsm and ``xls`` an .xls; each sheet's used area is checked again before calamine
builds its rows. The first sheet with a header row is the table.
"""

from __future__ import annotations

import io
import logging

import pandas as pd
import python_calamine

from sla.core import display
from sla.ingest.sniff import refuse_unless_workbook
from sla.ingest.table import (
    HEADER_SEARCH_ROWS,
    PASSWORD,
    Limits,
    RawTable,
    ReadError,
    check_area,
    damaged,
    find_header_row,
    raw_table,
    sr_headers,
    unique_headers,
    widest_row,
)
from sla.ingest.xls import XLS_CELL_WEIGHT, check_xls
from sla.ingest.xlsx_guard import Package

log = logging.getLogger("sla")


def read_excel(data: bytes, name: str, kind: str, limits: Limits,
               keyless: bool = False) -> RawTable:
    """The first sheet with a header row, as a raw table; ReadError when the file
    cannot be imported as a whole. With ``keyless``, a workbook with no SR number header is
    read from its first sheet's widest row (its key column is chosen by hand)."""
    refuse_unless_workbook(kind, name)
    package = Package(data, name, limits) if kind == "zip" else None
    if package is None:
        check_xls(data, name, limits)
    workbook = _open_workbook(data, name)
    weight = 1 if package else XLS_CELL_WEIGHT
    finders = (find_header_row, widest_row) if keyless else (find_header_row,)
    for find, sheet_name in [(f, s) for f in finders for s in workbook.sheet_names]:
        rows = _sheet_rows(workbook, sheet_name, name, limits, weight)
        header_index = find(rows[:HEADER_SEARCH_ROWS])
        if header_index is None:
            continue
        headers = unique_headers(rows[header_index])
        body = [list(r[: len(headers)]) + [None] * (len(headers) - len(r))
                for r in rows[header_index + 1:]]
        numbers = list(range(header_index + 2, header_index + 2 + len(body)))
        frame = pd.DataFrame(body, columns=headers, dtype=object)
        frame = frame.where(frame != "", None)
        table = raw_table(frame, numbers, name, sheet=sheet_name, header_row=header_index + 1)
        if package is not None:
            table.notes.extend(package.formula_notes(sheet_name))
        return table
    raise ReadError(f"{name}: no sheet has a header row with an SR number column in its first "
                    f"{HEADER_SEARCH_ROWS} rows (looked for {sr_headers()})")


def _open_workbook(data: bytes, name: str) -> python_calamine.CalamineWorkbook:
    try:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError:
        raise ReadError(f"{name}: {PASSWORD}") from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine's errors, and a Rust panic (a BaseException)
        log.info("calamine cannot open %s: %s", name, exc)
        raise ReadError(damaged(name)) from None


def _sheet_rows(workbook, sheet_name: str, name: str, limits: Limits, weight: int) -> list[list]:
    """The sheet's cells, row by row from A1, once its used area is known to be within limits."""
    where = f"{name}: sheet {display.clean(sheet_name)!r}"
    try:
        sheet = workbook.get_sheet_by_name(sheet_name)
        end = sheet.end
        if end is not None:
            check_area(where, end[0] + 1, end[1] + 1, limits, weight)
        return sheet.to_python(skip_empty_area=False)
    except ReadError:
        raise
    except python_calamine.PasswordError:
        raise ReadError(f"{name}: {PASSWORD}") from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine's errors, and a Rust panic (a BaseException)
        log.info("calamine cannot read sheet %r of %s: %s", sheet_name, name, exc)
        raise ReadError(f"{where} is damaged and cannot be read; export the file again") from None
