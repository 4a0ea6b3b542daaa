"""The table found in a file, before any value is interpreted, and which header feeds which field.

Contract section 1. Values stay as the file typed them (text, numbers, dates, durations);
turning them into tickets is ``normalise``'s job. A header row that is a tool's native export
(Jira, Zendesk, ServiceNow; ``sla.ingest.presets``) is mapped through that tool's preset instead
of the general synonyms, and the table carries the preset for ``normalise``'s value rules. A
mapping chosen by hand replaces the detected one through ``with_mapping``.

What every reader (``excel``, ``delimited``) shares lives here too: the header row search,
ReadError, and the limits. The limits are settings (``sla.core.config``, SLA_MAX_*) whose
defaults no real export reaches; each refusal names the setting that raises it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

import pandas as pd

from sla.core import config, display, fields
from sla.core.fields import FIELD_NAMES
from sla.ingest import presets

HEADER_SEARCH_ROWS = 20
HEADER_ONLY_NOTE = "the file has a header row but no tickets"
PASSWORD = ("this workbook is password-protected; remove the password in Excel "
            "(File > Info > Protect Workbook) and import that copy")


class ReadError(Exception):
    """The file cannot be imported as a whole; the message is one line for the user."""


class MappingError(ReadError):
    """A column mapping that cannot be imported; the message is one sentence for the user."""


@dataclass(frozen=True)
class Limits:
    """How much a file may hold, in every sense that costs memory or time (settings SLA_MAX_*)."""

    file_bytes: int
    unpacked_bytes: int
    zip_ratio: float
    rows: int
    columns: int
    cells: int
    cell_chars: int

    @classmethod
    def from_settings(cls, file_bytes: int | None = None) -> Limits:
        """The limits in force (``file_bytes`` overrides SLA_MAX_UPLOAD_MB); ReadError, so that
        every door shows it in one line, when a setting is not a positive number."""
        try:
            return cls(file_bytes=config.max_upload_bytes() if file_bytes is None else file_bytes,
                       unpacked_bytes=int(config.number("SLA_MAX_UNCOMPRESSED_MB") * (1 << 20)),
                       zip_ratio=config.number("SLA_MAX_ZIP_RATIO"),
                       rows=int(config.number("SLA_MAX_ROWS")),
                       columns=int(config.number("SLA_MAX_COLUMNS")),
                       cells=int(config.number("SLA_MAX_CELLS")),
                       cell_chars=int(config.number("SLA_MAX_CELL_CHARS")))
        except config.ConfigError as exc:
            raise ReadError(str(exc)) from None


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
    notes: list[str] = field(default_factory=list)  # for the import report
    detected: dict[str, str] = field(default_factory=dict)  # the mapping the headers suggest
    preset: presets.Preset | None = None  # the tool whose export the header row is

    @property
    def headers(self) -> list[str]:
        """The file's headers, in the file's order."""
        return [str(header) for header in self.frame.columns]

    def unit_of(self, field_name: str) -> str | None:
        header = self.mapping.get(field_name)
        if header is None:
            return None
        if self.preset is not None and self.preset.unit_of(header):
            return self.preset.unit_of(header)
        return fields.header_unit(header)


# ---------------------------------------------------------------- the header row

def find_header_row(rows: list[list]) -> int | None:
    """The index of the first row with an SR number header, if any."""
    wanted = {fields.header_key(s) for s in fields.HEADER_SYNONYMS["sr_number"]}
    for index, row in enumerate(rows):
        if any(isinstance(c, str) and fields.header_key(c) in wanted for c in row):
            return index
    return None


def widest_row(rows: list[list]) -> int | None:
    """The index of the first row with the most filled cells (at least two): the header row
    of a file whose SR number column has a name no export uses, found above its tickets
    (a title row above it fills fewer cells)."""
    filled = [sum(1 for c in row if c is not None and str(c).strip()) for row in rows]
    if not filled or max(filled) < 2:
        return None
    return filled.index(max(filled))


def unique_headers(row: list) -> list[str]:
    """A header row as unique headers: an empty cell is "Column N", a repeat "Name #2"."""
    headers: list[str] = []
    seen: dict[str, int] = {}
    for position, cell in enumerate(row, start=1):
        text = "" if cell is None else str(cell).strip()
        text = text or f"Column {position}"
        seen[text] = seen.get(text, 0) + 1
        headers.append(text if seen[text] == 1 else f"{text} #{seen[text]}")
    return headers


def sr_headers() -> str:
    """The first SR number headers, for a message."""
    return ", ".join(fields.HEADER_SYNONYMS["sr_number"][:6]) + ", ..."


# ---------------------------------------------------------------- the table and its headers

def raw_table(frame: pd.DataFrame, numbers: list[int], name: str, **info) -> RawTable:
    """Drop fully empty rows and map the headers to canonical fields."""
    keep = frame.notna().any(axis=1).to_numpy()
    frame = frame.loc[keep].reset_index(drop=True)
    unnamed_empty = [c for c in frame.columns
                     if c.startswith("Column ") and c[7:].isdigit() and frame[c].isna().all()]
    frame = frame.drop(columns=unnamed_empty)
    numbers = [n for n, k in zip(numbers, keep) if k]
    preset = presets.detect(list(frame.columns))
    mapping = preset.mapping(list(frame.columns)) if preset else map_headers(list(frame.columns))
    mapped = set(mapping.values())
    unmapped = [c for c in frame.columns if c not in mapped]
    notes = [HEADER_ONLY_NOTE] if frame.empty else []
    return RawTable(frame=frame, row_numbers=numbers, mapping=mapping, unmapped=unmapped,
                    notes=notes, detected=dict(mapping), preset=preset, **info)


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
        if header is not None:
            mapping[name] = header
            used.add(header)
    return mapping


# ---------------------------------------------------------------- a mapping chosen by hand



def layout_fingerprint(headers: list[str]) -> str:
    """Names a header layout: the ordered headers as ``fields.header_key`` compares them, so
    a later export that only spells a header in another case or spacing has the same one."""
    text = "\n".join(fields.header_key(header) for header in headers)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_mapping(mapping: dict[str, str | None], headers: list[str]) -> dict[str, str]:
    """The mapping (field -> header) without its empty choices, in the contract's field order.

    MappingError, in one sentence, when it cannot be imported: no SR number column, a field
    the contract does not know, a header the file does not have, or one header for two fields.
    """
    chosen = {name: header for name, header in mapping.items() if header}
    unknown = [name for name in chosen if name not in fields.HEADER_SYNONYMS]
    if unknown:
        raise MappingError(f"{display.clean(unknown[0])!r} is not a field this app reads; the "
                           f"fields are {', '.join(fields.HEADER_SYNONYMS)}.")
    if "sr_number" not in chosen:
        raise MappingError("No column is chosen for the SR number; choose the column that "
                           "holds the ticket numbers.")
    for name, header in chosen.items():
        if header not in headers:
            raise MappingError(f"The column {display.clean(header)!r} chosen for "
                               f"{FIELD_NAMES[name]} is not in this file.")
    fields_of: dict[str, list[str]] = {}
    for name, header in chosen.items():
        fields_of.setdefault(header, []).append(FIELD_NAMES[name])
    for header, names in fields_of.items():
        if len(names) > 1:
            raise MappingError(f"The column {display.clean(header)!r} is chosen for both "
                               f"{names[0]} and {names[1]}; choose it for one field only.")
    return {name: chosen[name] for name in fields.HEADER_SYNONYMS if name in chosen}


def with_mapping(table: RawTable, mapping: dict[str, str | None]) -> RawTable:
    """The table read through ``mapping`` instead of the detected one (the frame is shared,
    not copied); MappingError when the mapping cannot be imported."""
    chosen = check_mapping(mapping, table.headers)
    used = set(chosen.values())
    return replace(table, mapping=chosen,
                   unmapped=[h for h in table.headers if h not in used])


# ---------------------------------------------------------------- limits and messages

def check_area(where: str, rows: int, columns: int, limits: Limits, weight: int = 1) -> None:
    """Refuse a sheet whose used area (empty cells included, as calamine holds it) is too big."""
    if rows > limits.rows:
        raise limit_error(where, f"reaches row {rows:,}", f"{limits.rows:,} rows", "SLA_MAX_ROWS")
    if columns > limits.columns:
        raise limit_error(where, f"reaches column {columns:,}", f"{limits.columns:,} columns",
                          "SLA_MAX_COLUMNS")
    if rows * columns * weight > limits.cells:
        allowed = f"{limits.cells // weight:,} cells" + (" for an .xls" if weight > 1 else "")
        raise limit_error(where, f"spans {rows:,} rows × {columns:,} columns "
                                 f"({rows * columns:,} cells, empty ones included)",
                          allowed, "SLA_MAX_CELLS")


def mb(size: int) -> str:
    megabytes = size / (1 << 20)
    return f"{megabytes:,.0f} MB" if megabytes >= 10 else f"{megabytes:.1f} MB"


def too_big(name: str, size: int, limit: int) -> ReadError:
    return ReadError(f"{name} is {mb(size)}, over the limit of {mb(limit)}; raise "
                     f"SLA_MAX_UPLOAD_MB to allow it")


def limit_error(where: str, what: str, limit: str, setting: str) -> ReadError:
    return ReadError(f"{where}: {what}, over the limit of {limit}; raise {setting} to allow it")


def damaged(name: str) -> str:
    return (f"{name} is damaged or incomplete: not a readable Excel workbook (download or "
            f"export it again)")
