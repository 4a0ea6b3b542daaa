"""Reading a file: an export (.xlsx/.xlsm/.xls/.csv) -> a raw table and which header fed which field.

Contract section 1. Excel files are read with python-calamine (several times faster than
openpyxl on large sheets, and it reads .xls too); CSV with pandas after sniffing the encoding
and the separator. Values stay as the file typed them (text, numbers, dates, durations);
turning them into tickets is ``normalise``'s job.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import python_calamine

from sla import fields

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
ACCEPTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
HEADER_SEARCH_ROWS = 20
HEAD_BYTES = 1 << 20  # where the header row is looked for in a CSV
DEFAULT_MAX_BYTES = 200 * 1024 * 1024


class ReadError(Exception):
    """The file cannot be imported as a whole; the message is one line for the user."""


@dataclass
class RawTable:
    """The ticket table found in a file, before any value is interpreted."""

    frame: pd.DataFrame  # columns are the file's headers (made unique), values as read
    row_numbers: list[int]  # the spreadsheet row number of each frame row (1-based)
    mapping: dict[str, str]  # canonical field -> header that feeds it
    sheet: str | None = None
    header_row: int = 1
    encoding: str | None = None
    separator: str | None = None
    unmapped: list[str] = field(default_factory=list)

    def unit_of(self, field_name: str) -> str | None:
        header = self.mapping.get(field_name)
        return fields.header_unit(header) if header is not None else None


def read_table(source: str | Path | bytes, filename: str | None = None,
               max_bytes: int = DEFAULT_MAX_BYTES) -> RawTable:
    """Read ``source`` (a path, or the bytes of an upload named ``filename``)."""
    data, name = load_bytes(source, filename)
    suffix = Path(name).suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise ReadError(f"{name}: unsupported file type {suffix or '(none)'}; "
                        f"use one of {', '.join(ACCEPTED_SUFFIXES)}")
    if len(data) > max_bytes:
        raise ReadError(f"{name} is {len(data) / 1e6:.1f} MB, over the limit of "
                        f"{max_bytes / 1e6:.0f} MB")
    if not data:
        raise ReadError(f"{name} is empty")
    if suffix == ".csv":
        return _read_csv(data, name)
    return _read_excel(data, name)


def load_bytes(source: str | Path | bytes, filename: str | None = None) -> tuple[bytes, str]:
    """The file's bytes and the name to report it by."""
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), filename or "upload"
    path = Path(source)
    try:
        return path.read_bytes(), filename or path.name
    except OSError as exc:
        raise ReadError(f"cannot read {path}: {exc.strerror or exc}") from None


def _read_excel(data: bytes, name: str) -> RawTable:
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for broken files
        raise ReadError(f"{name} is not a readable Excel workbook ({_first_line(exc)})") from None
    for sheet_name in workbook.sheet_names:
        try:
            rows = workbook.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
        except Exception as exc:
            raise ReadError(f"{name}: sheet {sheet_name!r} cannot be read "
                            f"({_first_line(exc)})") from None
        header_index = _find_header_row(rows[:HEADER_SEARCH_ROWS])
        if header_index is None:
            continue
        headers = _unique_headers(rows[header_index])
        body = [list(r[: len(headers)]) + [None] * (len(headers) - len(r))
                for r in rows[header_index + 1:]]
        numbers = list(range(header_index + 2, header_index + 2 + len(body)))
        frame = pd.DataFrame(body, columns=headers, dtype=object)
        frame = frame.where(frame != "", None)
        return _table(frame, numbers, name, sheet=sheet_name, header_row=header_index + 1)
    raise ReadError(f"{name}: no sheet has a header row with an SR number column "
                    f"(looked for {', '.join(fields.HEADER_SYNONYMS['sr_number'][:6])}, ...)")


def _read_csv(data: bytes, name: str) -> RawTable:
    encoding = _encoding(data)
    head_lines = data[:HEAD_BYTES].decode(encoding, errors="replace").splitlines()[:HEADER_SEARCH_ROWS]
    separator = _sniff_separator(head_lines)
    head_rows = list(csv.reader(head_lines, delimiter=separator))
    header_index = _find_header_row(head_rows)
    if header_index is None:
        raise ReadError(f"{name}: no header row with an SR number column in the first "
                        f"{HEADER_SEARCH_ROWS} rows")
    headers = _unique_headers(head_rows[header_index])
    try:
        frame = pd.read_csv(io.BytesIO(data), sep=separator, skiprows=header_index + 1,
                            header=None, names=headers, dtype="str", keep_default_na=False,
                            na_values=[""], skip_blank_lines=False, index_col=False,
                            on_bad_lines="error", engine="c", encoding=encoding)
    except (pd.errors.ParserError, ValueError) as exc:
        raise ReadError(f"{name}: not a readable CSV table ({_first_line(exc)})") from None
    # Text stays in pandas' compact string columns (not Python objects), empty cells missing:
    # a million-row file then fits in a few hundred MB.
    numbers = list(range(header_index + 2, header_index + 2 + len(frame)))
    return _table(frame, numbers, name, header_row=header_index + 1, encoding=encoding,
                  separator=separator)


def _table(frame: pd.DataFrame, numbers: list[int], name: str, **info) -> RawTable:
    """Drop fully empty rows and map the headers to canonical fields."""
    keep = frame.notna().any(axis=1).to_numpy()
    frame = frame.loc[keep].reset_index(drop=True)
    unnamed_empty = [c for c in frame.columns
                     if c.startswith("Column ") and c[7:].isdigit() and frame[c].isna().all()]
    frame = frame.drop(columns=unnamed_empty)
    numbers = [n for n, k in zip(numbers, keep) if k]
    mapping = map_headers(list(frame.columns))
    if "sr_number" not in mapping:  # pragma: no cover - the header search guarantees it
        raise ReadError(f"{name}: no SR number column")
    mapped = set(mapping.values())
    unmapped = [c for c in frame.columns if c not in mapped]
    return RawTable(frame=frame, row_numbers=numbers, mapping=mapping, unmapped=unmapped, **info)


def map_headers(headers: list[str]) -> dict[str, str]:
    """Canonical field -> the header feeding it (first synonym in the contract's order wins)."""
    keys = {h: (fields.header_key(h), fields.header_key_without_unit(h)) for h in headers}
    mapping: dict[str, str] = {}
    used: set[str] = set()

    def find(synonyms: tuple[str, ...]) -> str | None:
        for synonym in synonyms:
            wanted = fields.header_key(synonym)
            for header in headers:
                if header not in used and wanted in keys[header]:
                    return header
        return None

    for name, synonyms in fields.HEADER_SYNONYMS.items():
        header = find(synonyms)
        if header is None and name == "resolved_by":
            header = find(fields.AGENT_FALLBACK_HEADERS)
        if header is not None:
            mapping[name] = header
            used.add(header)
    return mapping


def _find_header_row(rows: list[list]) -> int | None:
    wanted = {fields.header_key(s) for s in fields.HEADER_SYNONYMS["sr_number"]}
    for index, row in enumerate(rows):
        if any(isinstance(c, str) and fields.header_key(c) in wanted for c in row):
            return index
    return None


def _unique_headers(row: list) -> list[str]:
    headers: list[str] = []
    seen: dict[str, int] = {}
    for position, cell in enumerate(row, start=1):
        text = "" if cell is None else str(cell).strip()
        text = text or f"Column {position}"
        seen[text] = seen.get(text, 0) + 1
        headers.append(text if seen[text] == 1 else f"{text} #{seen[text]}")
    return headers


def _encoding(data: bytes) -> str:
    """utf-8-sig when the whole file decodes as UTF-8, else cp1252; ReadError otherwise."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            codecs.decode(data, encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    raise ReadError("the CSV is neither UTF-8 nor cp1252 text")


def _sniff_separator(lines: list[str]) -> str:
    """The separator among , ; and tab that splits the sample into the most columns, consistently."""
    best, best_score = ",", -1
    for separator in (",", ";", "\t"):
        counts = [len(r) for r in csv.reader(lines, delimiter=separator) if r]
        if not counts:
            continue
        score = max(counts) * 10 + counts.count(max(counts))
        if score > best_score:
            best, best_score = separator, score
    return best


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
