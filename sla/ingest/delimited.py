"""Reading a CSV into a raw table: encoding and separator sniffed, then pandas.

A CSV is checked for binary content (``sniff``) and its rows counted before pandas builds the
table; the header row is looked for in its first rows, and a row wider than the header is
refused rather than silently cut.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import warnings

import pandas as pd

from sla.core import display
from sla.ingest.sniff import SCAN_CHUNK, refuse_unless_csv
from sla.ingest.table import (
    HEADER_SEARCH_ROWS,
    Limits,
    RawTable,
    ReadError,
    find_header_row,
    limit_error,
    raw_table,
    sr_headers,
    unique_headers,
    widest_row,
)

log = logging.getLogger("sla")

HEAD_BYTES = 1 << 20  # where the header row is looked for in a CSV
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
SPARE_COLUMN = "\x00spare "  # names the columns read past the header's width
_UNCLOSED_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")
_TOO_MANY_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def read_csv(data: bytes, name: str, kind: str, limits: Limits,
             keyless: bool = False) -> RawTable:
    """The CSV as a raw table; ReadError when it cannot be imported as a whole. With
    ``keyless``, a file with no SR number header is read from its widest row (its key
    column is chosen by hand)."""
    refuse_unless_csv(data, kind, name)
    encoding = _encoding(data, name)
    # The header search window, and the row after it: how wide the first row of tickets is.
    head = data[:HEAD_BYTES].decode(encoding, errors="replace").splitlines()
    head = head[:HEADER_SEARCH_ROWS + 1]
    separator = _sniff_separator(head, name, limits)
    head_rows = _split_lines(head, separator, name, limits)
    header_index = find_header_row(head_rows[:HEADER_SEARCH_ROWS])
    if header_index is None and keyless:
        header_index = widest_row(head_rows[:HEADER_SEARCH_ROWS])
    if header_index is None:
        raise ReadError(f"{name}: no header row with an SR number column in the first "
                        f"{HEADER_SEARCH_ROWS} rows (looked for {sr_headers()})")
    headers = unique_headers(head_rows[header_index])
    width = max(len(row) for row in head_rows[header_index:])
    if width > limits.columns:
        raise limit_error(name, f"it has {width:,} columns", f"{limits.columns:,} columns",
                          "SLA_MAX_COLUMNS")
    spare = [f"{SPARE_COLUMN}{i}" for i in range(width - len(headers))]
    frame = _parse_csv(data, name, separator, encoding, header_index, headers + spare,
                       _row_cap(data, limits), len(headers))
    if len(frame) > limits.rows:
        raise ReadError(f"{name}: more rows than the limit of {limits.rows:,}; raise SLA_MAX_ROWS "
                        f"to allow more")
    frame = _without_spare_columns(frame, spare, name, header_index, len(headers))
    _check_csv_cells(frame, name, limits)
    # Text stays in pandas' compact string columns (not Python objects), empty cells missing:
    # a million-row file then fits in a few hundred MB.
    numbers = list(range(header_index + 2, header_index + 2 + len(frame)))
    return raw_table(frame, numbers, name, header_row=header_index + 1, encoding=encoding,
                     separator=separator)


def _row_cap(data: bytes, limits: Limits) -> int | None:
    """None when the file has fewer lines than the row limit, else how many rows to read to
    know it is over (quoted cells may hold line breaks, so lines only bound the rows)."""
    lines = max(data.count(b"\n"), data.count(b"\r"))
    return None if lines <= limits.rows else limits.rows + 1


def _parse_csv(data: bytes, name: str, separator: str, encoding: str, header_index: int,
               names: list[str], cap: int | None, header_width: int) -> pd.DataFrame:
    """The rows below the header, as text. A row wider than ``names`` is refused, and so is
    the loss pandas would otherwise only warn about."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(io.BytesIO(data), sep=separator, skiprows=header_index + 1,
                               header=None, names=names, dtype="str", keep_default_na=False,
                               na_values=[""], skip_blank_lines=False, index_col=False,
                               on_bad_lines="error", engine="c", encoding=encoding, nrows=cap)
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError) as exc:
        log.info("%s: pandas cannot parse it: %s", name, exc)
        text = str(exc)
        if unclosed := _UNCLOSED_QUOTE.search(text):
            raise ReadError(f"{name}: a quoted cell opened on row {int(unclosed[1]) + 1:,} is "
                            f"never closed (unbalanced quotes)") from None
        if extra := _TOO_MANY_FIELDS.search(text):
            raise _wider_than_header(name, int(extra[2]), int(extra[3]), header_width) from None
        raise ReadError(f"{name}: not a readable CSV table") from None


def _without_spare_columns(frame: pd.DataFrame, spare: list[str], name: str, header_index: int,
                           header_width: int) -> pd.DataFrame:
    """Drop the columns read past the header's width: they may only be empty (a separator at
    the end of each line); a value there is refused, since it belongs to no column."""
    if not spare:
        return frame
    filled = frame[spare].notna().to_numpy()
    rows = filled.any(axis=1)
    if rows.any():
        position = int(rows.argmax())
        cells = header_width + int(filled[position].nonzero()[0][-1]) + 1
        raise _wider_than_header(name, header_index + 2 + position, cells, header_width)
    return frame.drop(columns=spare)


def _wider_than_header(name: str, row: int, cells: int, header_width: int) -> ReadError:
    return ReadError(f"{name}: row {row:,} has {cells:,} cells but the header row has "
                     f"{header_width:,}; check the separator and the quotes")


def _check_csv_cells(frame: pd.DataFrame, name: str, limits: Limits) -> None:
    """Refuse a cell longer than the limit (the header's included); vectorised per column."""
    for header in frame.columns:
        longest = max(len(header), frame[header].str.len().max(skipna=True) or 0)
        if longest > limits.cell_chars:
            raise limit_error(name, f"a cell in column {display.clean(header)!r} holds "
                                    f"{int(longest):,} characters",
                              f"{limits.cell_chars:,} characters", "SLA_MAX_CELL_CHARS")


def _encoding(data: bytes, name: str) -> str:
    """utf-8-sig when the whole file is UTF-8, else cp1252; ReadError when it is neither.

    UTF-8 is checked piece by piece, so a large file is never held a second time as text.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(view), SCAN_CHUNK):
            decoder.decode(view[start:start + SCAN_CHUNK])
        decoder.decode(b"", final=True)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    if not any(byte in data for byte in _CP1252_UNDEFINED):
        return "cp1252"
    raise ReadError(f"{name}: the CSV is neither UTF-8 nor cp1252 text; save it as \"CSV UTF-8\"")


def _sniff_separator(lines: list[str], name: str, limits: Limits) -> str:
    """The separator among , ; and tab that splits the sample into the most columns, consistently."""
    best, best_score = ",", -1
    for separator in (",", ";", "\t"):
        counts = [len(r) for r in _split_lines(lines, separator, name, limits) if r]
        if not counts:
            continue
        score = max(counts) * 10 + counts.count(max(counts))
        if score > best_score:
            best, best_score = separator, score
    return best


def _split_lines(lines: list[str], separator: str, name: str, limits: Limits) -> list[list[str]]:
    try:
        return list(csv.reader(lines, delimiter=separator))
    except csv.Error as exc:  # a field over csv's own limit of 131,072 characters
        log.info("%s: csv cannot split the first rows: %s", name, exc)
        raise limit_error(name, f"a cell in the first {HEADER_SEARCH_ROWS} rows is longer than "
                                f"{csv.field_size_limit():,} characters",
                          f"{limits.cell_chars:,} characters", "SLA_MAX_CELL_CHARS") from None
