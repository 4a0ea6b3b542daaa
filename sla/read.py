"""Reading a file: an export (.xlsx/.xlsm/.xls/.csv) -> a raw table and which header fed which field.

Contract section 1. Excel files are read with python-calamine (several times faster than
openpyxl on large sheets, and it reads .xls too); CSV with pandas after sniffing the encoding
and the separator. Values stay as the file typed them (text, numbers, dates, durations);
turning them into tickets is ``normalise``'s job. A header row that is a tool's native export
(Jira, Zendesk, ServiceNow; ``sla.presets``) is mapped through that tool's preset instead of
the general synonyms, and the table carries the preset for ``normalise``'s value rules.

An upload may be hostile or merely odd, so a file is looked at before anything parses it:

* its first bytes say what it is, whatever its name: an HTML page or a PDF named .xls, a
  workbook named .csv, an encrypted Office file each get their own one-line message;
* an .xlsx/.xlsm is a zip: its directory's sizes and compression ratios are checked, then its
  parts are streamed through (never held whole) for each sheet's used area, the longest text
  and the formula cells without a saved value. The used area matters because calamine holds
  a sheet as a dense grid, empty cells included: one cell at XFD1048576 in a 2 KB file makes
  it allocate gigabytes, and the process is killed rather than given an exception;
* an .xls is an OLE2 compound file: the cell records of its Workbook stream give the used area,
  and a FILEPASS record a password, before calamine reads it;
* a CSV is checked for binary content and its rows counted before pandas builds the table.

The limits are settings (``sla.config``, SLA_MAX_*) whose defaults no real export reaches; each
refusal names the setting that raises it. Details a user cannot act on go to the "sla" logger.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import html
import io
import logging
import posixpath
import re
import stat
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import python_calamine

from sla import config, display, fields, presets

log = logging.getLogger("sla")

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
ACCEPTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
HEADER_SEARCH_ROWS = 20
HEAD_BYTES = 1 << 20  # where the header row is looked for in a CSV
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
SNIFF_BYTES = 4096  # the first bytes, which say what a file is
SCAN_CHUNK = 8 << 20  # bytes of a workbook part (or a CSV) looked at a time
MAX_ZIP_PARTS = 10_000  # an .xlsx has a few dozen parts; Python's zipfile keeps each in memory
RATIO_CHECKED_BYTES = 1 << 20  # parts smaller than this may compress as well as they like
XLS_CELL_WEIGHT = 2  # calamine holds an .xls cell in about twice the memory of an .xlsx one
WORKBOOK_PART = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
SHARED_STRINGS = "xl/sharedStrings.xml"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
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


def read_table(source: str | Path | bytes, filename: str | None = None,
               max_bytes: int = DEFAULT_MAX_BYTES, limits: Limits | None = None) -> RawTable:
    """Read ``source`` (a path, or the bytes of an upload named ``filename``).

    ``limits`` default to the settings, with ``max_bytes`` as the largest file. ReadError, with
    a one-line message, when the file cannot be imported as a whole.
    """
    limits = limits or Limits.from_settings(max_bytes)
    data, name = load_bytes(source, filename, limits.file_bytes)
    shown = display.clean(name)
    suffix = Path(name).suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise ReadError(f"{shown}: unsupported file type {display.clean(suffix) or '(none)'}; "
                        f"use one of {', '.join(ACCEPTED_SUFFIXES)}")
    if len(data) > limits.file_bytes:
        raise _too_big(shown, len(data), limits.file_bytes)
    if not data:
        raise ReadError(f"{shown} is empty")
    kind = sniff(data)
    if suffix == ".csv":
        return _read_csv(data, shown, kind, limits)
    return _read_excel(data, shown, kind, limits)


def load_bytes(source: str | Path | bytes, filename: str | None = None,
               max_bytes: int | None = None) -> tuple[bytes, str]:
    """The file's bytes and the name to report it by.

    A path larger than ``max_bytes`` (default: the SLA_MAX_UPLOAD_MB setting), or that is not
    a regular file (a device, a pipe), is refused before it is read.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), filename or "upload"
    path = Path(source)
    name = filename or path.name
    limit = config.max_upload_bytes() if max_bytes is None else max_bytes
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ReadError(f"{display.clean(str(path))} is not a regular file")
        if info.st_size > limit:
            raise _too_big(display.clean(name), info.st_size, limit)
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise ReadError(f"cannot read {display.clean(str(path))}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise _too_big(display.clean(name), len(data), limit)
    return data, name


# ---------------------------------------------------------------- what the bytes are

_MAGIC = ((b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"), (OLE2_MAGIC, "ole2"),
          (b"%PDF", "pdf"), (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"),
          (b"GIF87a", "gif"), (b"GIF89a", "gif"), (b"\xff\xfe", "utf16"), (b"\xfe\xff", "utf16"))
_HTML = re.compile(rb"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*"
                   rb"<(?:!doctype\s+html|html|head|body|table|meta|title)\b", re.I | re.S)
_XML_SPREADSHEET = re.compile(rb"urn:schemas-microsoft-com:office:spreadsheet|"
                              rb"progid\s*=\s*[\"']Excel\.Sheet", re.I)
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\x0b\x0c\x1a")
_DESCRIPTIONS = {"pdf": "a PDF document", "png": "a PNG image", "jpeg": "a JPEG image",
                 "gif": "a GIF image", "html": "an HTML page", "text": "plain text",
                 "utf16": "plain text", "binary": "binary data",
                 "xml-spreadsheet": "an Excel 2003 XML spreadsheet"}


def sniff(data: bytes) -> str:
    """What the bytes are, whatever the file is called.

    One of: zip, ole2 (an Office 97-2003 or encrypted Office file), pdf, png, jpeg, gif,
    utf16, html, xml-spreadsheet, binary, text.
    """
    head = data[:SNIFF_BYTES]
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if _looks_utf16(head):
        return "utf16"
    text = head.removeprefix(codecs.BOM_UTF8)
    if _HTML.match(text):
        return "html"
    if text.lstrip().startswith(b"<?xml") and _XML_SPREADSHEET.search(head):
        return "xml-spreadsheet"
    if b"\x00" in data:
        return "binary"
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return "binary" if controls * 20 > len(head) else "text"


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a byte order mark: every other byte of Latin text is zero."""
    quarter = len(head) // 4
    return len(head) >= 8 and (head[1::2].count(0) > quarter or head[0::2].count(0) > quarter)


def _refuse_unless_workbook(kind: str, name: str) -> None:
    if kind in ("zip", "ole2"):
        return
    reasons = {
        "html": "this file is an HTML page, not an Excel workbook (often a web export renamed "
                ".xls); save it as .xlsx or .csv",
        "text": "this file is plain text, not an Excel workbook (often a CSV export renamed "
                ".xls); save it as .xlsx, or name it .csv if it is comma-separated",
        "xml-spreadsheet": "this file is an Excel 2003 XML spreadsheet, not a workbook this app "
                           "reads; open it in Excel and save it as .xlsx",
        "binary": "this file is not an Excel workbook (its content is neither .xlsx nor .xls); "
                  "export the tickets again as .xlsx or .csv",
    }
    reasons["utf16"] = reasons["text"]
    reason = reasons.get(kind, f"this file is {_DESCRIPTIONS[kind]}, not an Excel workbook; "
                               f"export the tickets as .xlsx or .csv")
    raise ReadError(f"{name}: {reason}")


def _refuse_unless_csv(data: bytes, kind: str, name: str) -> None:
    if kind == "text":
        return
    if kind == "zip":
        reason = ("this file is an Excel workbook, not a CSV; name it .xlsx"
                  if WORKBOOK_PART.encode() in data else "this file is a zip archive, not a CSV")
    elif kind == "ole2":
        reason = (PASSWORD if _is_encrypted_office_file(data) else
                  "this file is an Excel 97-2003 workbook (or another Office file), not a CSV; "
                  "name it .xls or save it as CSV")
    elif kind == "utf16":
        reason = 'this CSV is UTF-16 text; save it as "CSV UTF-8" (or cp1252) and import that'
    elif kind == "binary":
        reason = "this file is binary data, not CSV text"
    elif kind == "html":
        reason = ("this file is an HTML page, not a CSV (often a web export saved as .csv); "
                  "save it as .xlsx or .csv")
    else:
        reason = (f"this file is {_DESCRIPTIONS[kind]}, not a CSV; export the tickets as .csv "
                  f"or .xlsx")
    raise ReadError(f"{name}: {reason}")


# ---------------------------------------------------------------- Excel

def _read_excel(data: bytes, name: str, kind: str, limits: Limits) -> RawTable:
    _refuse_unless_workbook(kind, name)
    package = _Package(data, name, limits) if kind == "zip" else None
    if package is None:
        _check_xls(data, name, limits)
    workbook = _open_workbook(data, name)
    weight = 1 if package else XLS_CELL_WEIGHT
    for sheet_name in workbook.sheet_names:
        rows = _sheet_rows(workbook, sheet_name, name, limits, weight)
        header_index = _find_header_row(rows[:HEADER_SEARCH_ROWS])
        if header_index is None:
            continue
        headers = _unique_headers(rows[header_index])
        body = [list(r[: len(headers)]) + [None] * (len(headers) - len(r))
                for r in rows[header_index + 1:]]
        numbers = list(range(header_index + 2, header_index + 2 + len(body)))
        frame = pd.DataFrame(body, columns=headers, dtype=object)
        frame = frame.where(frame != "", None)
        table = _table(frame, numbers, name, sheet=sheet_name, header_row=header_index + 1)
        if package is not None:
            table.notes.extend(package.formula_notes(sheet_name))
        return table
    raise ReadError(f"{name}: no sheet has a header row with an SR number column in its first "
                    f"{HEADER_SEARCH_ROWS} rows (looked for {_sr_headers()})")


def _open_workbook(data: bytes, name: str) -> python_calamine.CalamineWorkbook:
    try:
        return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError:
        raise ReadError(f"{name}: {PASSWORD}") from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine's errors, and a Rust panic (a BaseException)
        log.info("calamine cannot open %s: %s", name, exc)
        raise ReadError(_damaged(name)) from None


def _sheet_rows(workbook, sheet_name: str, name: str, limits: Limits, weight: int) -> list[list]:
    """The sheet's cells, row by row from A1, once its used area is known to be within limits."""
    where = f"{name}: sheet {display.clean(sheet_name)!r}"
    try:
        sheet = workbook.get_sheet_by_name(sheet_name)
        end = sheet.end
        if end is not None:
            _check_area(where, end[0] + 1, end[1] + 1, limits, weight)
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


def _check_area(where: str, rows: int, columns: int, limits: Limits, weight: int = 1) -> None:
    """Refuse a sheet whose used area (empty cells included, as calamine holds it) is too big."""
    if rows > limits.rows:
        raise _limit_error(where, f"reaches row {rows:,}", f"{limits.rows:,} rows", "SLA_MAX_ROWS")
    if columns > limits.columns:
        raise _limit_error(where, f"reaches column {columns:,}", f"{limits.columns:,} columns",
                           "SLA_MAX_COLUMNS")
    if rows * columns * weight > limits.cells:
        allowed = f"{limits.cells // weight:,} cells" + (" for an .xls" if weight > 1 else "")
        raise _limit_error(where, f"spans {rows:,} rows × {columns:,} columns "
                                  f"({rows * columns:,} cells, empty ones included)",
                           allowed, "SLA_MAX_CELLS")


def _formula_note(count: int) -> str:
    if count == 1:
        return ("1 formula cell had no saved value and was read as empty (open and save the "
                "file in Excel to store its value)")
    return (f"{count:,} formula cells had no saved value and were read as empty (open and save "
            f"the file in Excel to store their values)")


# ---------------------------------------------------------------- .xlsx / .xlsm: the zip

class _Package:
    """An .xlsx/.xlsm whose zip and XML parts were checked against the limits.

    Every sheet part is scanned, not only the one that will be read: which part calamine
    reads for a sheet is decided by relationships a hostile file could bend, and a part
    nobody reads costs only the time to stream it.
    """

    def __init__(self, data: bytes, name: str, limits: Limits):
        self.name = name
        archive = _open_zip(data, name, limits)
        try:
            self.sheet_parts, string_parts = _workbook_parts(archive, name)
            self.formulas = self._scan(archive, string_parts, limits)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError,
                OSError) as exc:
            log.info("%s: a part cannot be unpacked: %s", name, exc)
            raise ReadError(_damaged(name)) from None

    def _scan(self, archive: zipfile.ZipFile, string_parts: set[str],
              limits: Limits) -> dict[str, int]:
        """Each sheet part's count of formula cells without a saved value."""
        sheet_of = {part: sheet for sheet, part in self.sheet_parts.items()}
        formulas = {}
        for info in archive.infolist():
            part = info.filename
            where = (f"{self.name}: sheet {display.clean(sheet_of[part])!r}" if part in sheet_of
                     else f"{self.name}: part {display.clean(part)}")
            if part in sheet_of or "worksheets/" in part:
                scanner = _SheetScanner(where, limits)
                for piece in _pieces(archive, info, b"row"):
                    scanner.feed(piece)
                formulas[part] = formulas.get(part, 0) + scanner.formulas_without_value
            elif part in string_parts:
                scanner = _TextScanner(where, limits)
                for piece in _pieces(archive, info, b"si"):
                    scanner.feed(piece)
            elif part.endswith((".xml", ".rels")):
                with archive.open(info) as stream:
                    _refuse_entities(stream.read(SNIFF_BYTES * 16), where)
        return formulas

    def formula_notes(self, sheet_name: str) -> list[str]:
        part = self.sheet_parts.get(sheet_name)
        count = self.formulas.get(part, 0) if part else sum(self.formulas.values())
        return [_formula_note(count)] if count else []


def _open_zip(data: bytes, name: str, limits: Limits) -> zipfile.ZipFile:
    """The zip, once its directory is sane and it would unpack to a sane size."""
    if data.count(b"PK\x01\x02") > MAX_ZIP_PARTS:  # zipfile would list them all in memory
        raise ReadError(f"{name} has more than {MAX_ZIP_PARTS:,} parts; an Excel workbook has "
                        f"a few dozen")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
        log.info("%s: broken zip: %s", name, exc)
        raise ReadError(_damaged(name)) from None
    infos = archive.infolist()
    if any(info.flag_bits & 0x1 for info in infos):
        raise ReadError(f"{name}: {PASSWORD}")
    _refuse_other_packages(set(archive.namelist()), name)
    unpacked = sum(info.file_size for info in infos)
    if unpacked > limits.unpacked_bytes:
        raise _limit_error(name, f"it would unpack to {_mb(unpacked)}",
                           _mb(limits.unpacked_bytes), "SLA_MAX_UNCOMPRESSED_MB")
    for info in infos:
        if (info.file_size >= RATIO_CHECKED_BYTES
                and info.file_size > limits.zip_ratio * max(info.compress_size, 1)):
            ratio = info.file_size / max(info.compress_size, 1)
            raise _limit_error(name, f"its part {display.clean(info.filename)} unpacks to {ratio:,.0f} "
                                     f"times its packed size (a zip bomb?)",
                               f"{limits.zip_ratio:,.0f} times", "SLA_MAX_ZIP_RATIO")
    return archive


_OTHER_PACKAGES = (("xl/workbook.bin", "an Excel binary workbook (.xlsb)"),
                   ("content.xml", "an OpenDocument file (.ods)"),
                   ("word/document.xml", "a Word document"),
                   ("ppt/presentation.xml", "a PowerPoint presentation"))


def _refuse_other_packages(parts: set[str], name: str) -> None:
    if WORKBOOK_PART in parts:
        return
    what = next((what for part, what in _OTHER_PACKAGES if part in parts), "a zip archive")
    raise ReadError(f"{name}: this file is {what}, not an Excel workbook; save it as .xlsx or .csv")


def _workbook_parts(archive: zipfile.ZipFile, name: str) -> tuple[dict[str, str], set[str]]:
    """Sheet name -> the part that holds it, and the parts holding shared strings, as
    workbook.xml and its relationships say."""
    relation_of = {}
    for attributes in _tags(archive, WORKBOOK_PART, b"sheet", name):
        relation = next((v for k, v in attributes.items() if k == "id" or k.endswith(":id")), None)
        if "name" in attributes and relation:
            relation_of[attributes["name"]] = relation
    relations = {a.get("Id"): a for a in _tags(archive, WORKBOOK_RELS, b"Relationship", name)
                 if a.get("Target")}
    sheets = {sheet: _resolve(relations[relation]["Target"])
              for sheet, relation in relation_of.items() if relation in relations}
    strings = {_resolve(a["Target"]) for a in relations.values()
               if a.get("Type", "").endswith("/sharedStrings")}
    return sheets, strings | {SHARED_STRINGS}


def _resolve(target: str) -> str:
    """A relationship target of workbook.xml as a part name."""
    target = target.replace("\\", "/")
    path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    return posixpath.normpath(path)


_ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _tags(archive: zipfile.ZipFile, part: str, tag: bytes, name: str) -> Iterator[dict[str, str]]:
    """The attributes of each ``tag`` element of ``part`` (none when the part is missing)."""
    try:
        info = archive.getinfo(part)
    except KeyError:
        return
    pattern = re.compile(rb"<(?:[\w.-]+:)?" + tag + rb"\s([^>]*)>")
    count = 0
    for index, piece in enumerate(_pieces(archive, info)):
        if index == 0:
            _refuse_entities(piece, f"{name}: part {part}")
        for attributes in pattern.findall(piece):
            count += 1
            if count > MAX_ZIP_PARTS:
                raise ReadError(f"{name}: {part} lists more than {MAX_ZIP_PARTS:,} entries; an "
                                f"Excel workbook has a few")
            yield {key.decode("utf-8", "replace"):
                   html.unescape((double or single).decode("utf-8", "replace"))
                   for key, double, single in _ATTRIBUTE.findall(attributes)}


def _pieces(archive: zipfile.ZipFile, info: zipfile.ZipInfo,
            split_before: bytes = b"") -> Iterator[bytes]:
    """A part unpacked in pieces of about SCAN_CHUNK bytes, so that it is never held whole.

    Each piece but the last ends just before a ``<``, preferably before the last element named
    ``split_before`` (a row, a shared string, with or without a namespace prefix): no tag, and
    no row or string, is cut in two unless it alone is longer than a chunk.
    """
    carry = b""
    with archive.open(info) as stream:
        while chunk := stream.read(SCAN_CHUNK):
            buffer = carry + chunk
            cut = _cut_point(buffer, split_before)
            yield buffer[:cut]
            carry = buffer[cut:]
    if carry:
        yield carry


def _cut_point(buffer: bytes, split_before: bytes) -> int:
    cut = 0
    if split_before:
        cut = max(buffer.rfind(b"<" + split_before), buffer.rfind(b":" + split_before))
        if cut > 0 and buffer[cut] == ord(":"):
            cut = buffer.rfind(b"<", 0, cut)
    if cut <= 0:
        cut = buffer.rfind(b"<")
    return cut if cut > 0 else len(buffer)


# ---------------------------------------------------------------- .xlsx / .xlsm: the XML

_ENTITY = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.I)
# calamine goes by elements' local names, whatever their prefix: a piece with any prefixed
# element of interest is searched with (slower) patterns that allow one.
_PREFIXED = re.compile(rb":(?:row|c|f|v|r|si|is)[\s/>]")
_ROW_NUMBER = re.compile(rb"""(?:^|\s)r\s*=\s*["']0*(\d+)["']""")
_TAG = re.compile(rb"<[^>]*>")


def _r_attribute(value: bytes, exact: bool = True) -> re.Pattern:
    """An attribute named r (a cell's reference r="B12", a row's r="12") whose value starts
    with ``value``, however it is quoted or spaced: calamine accepts all of these.

    Only ``exact`` asks for the whitespace before the name that tells r="1" from, say,
    firstPageNumber="1"; that look-behind makes a search several times slower, so searches
    run without it first (see ``_found``).
    """
    return re.compile((rb"(?<=\s)" if exact else b"") + rb"""r\s*=\s*["']""" + value)


_REF = _r_attribute(rb"""[A-Za-z]*0*(\d+)["']""")  # group 1: the row
_REF_LETTERS = _r_attribute(rb"([A-Za-z]+)\d")  # group 1: the column


def _found(patterns: tuple[re.Pattern, re.Pattern], piece: bytes) -> bool:
    """Whether the exact pattern of a (fast, exact) pair matches: the fast one, at memory
    speed, finds where the exact one has to start looking, if anywhere."""
    fast, exact = patterns
    hit = fast.search(piece)
    return hit is not None and exact.search(piece, hit.start()) is not None


@dataclass(frozen=True)
class _Patterns:
    """The patterns of the elements a scan looks for, with or without namespace prefixes."""

    row_open: bytes | None  # how every row's start tag begins (None: prefixes vary)
    row_number: re.Pattern  # a row's number, as writers put it: first and double-quoted
    row_tag: re.Pattern  # a row's start tag, its attributes in group 1
    row_start: re.Pattern
    cell_start: re.Pattern
    cell_without_ref: re.Pattern
    formula: re.Pattern  # a formula element, and in group 1 the saved value after it, if any
    text_run: re.Pattern  # a run of rich text inside a string
    string_item: re.Pattern  # a shared string or an inline string, its content in group 2


@lru_cache(maxsize=2)
def _patterns(prefixed: bool) -> _Patterns:
    p = rb"(?:[\w.-]+:)?" if prefixed else b""
    return _Patterns(
        row_open=None if prefixed else b"<row",
        row_number=re.compile(b"<" + p + rb'row r="0*(\d+)"'),
        row_tag=re.compile(b"<" + p + rb"row\b([^>]*)>"),
        row_start=re.compile(b"<" + p + rb"row[\s/>]"),
        cell_start=re.compile(b"<" + p + rb"c[\s/>]"),
        cell_without_ref=re.compile(b"<" + p + rb"""c(?:\s+(?!r\s*=)[\w:.-]+\s*=\s*"""
                                    rb"""(?:"[^"]*"|'[^']*'))*\s*/?>"""),
        formula=re.compile(b"<" + p + rb"f(?:\s[^>]*)?(?:/>|>[^<]*</" + p + rb"f\s*>)\s*"
                           rb"(?:<" + p + rb"v(?:\s[^>]*)?>([^<]+)</" + p + rb"v\s*>)?"),
        text_run=re.compile(b"<" + p + rb"r[\s>]"),
        string_item=re.compile(b"<(" + p + rb"(?:si|is))\b[^>]*>(.*?)</\1\s*>", re.S),
    )


def _refuse_entities(head: bytes, where: str) -> None:
    """Excel never declares XML entities; a part that does is an entity-expansion bomb."""
    if _ENTITY.search(head):
        raise ReadError(f"{where} declares XML entities (a DOCTYPE), which no Excel file does; "
                        f"refused as unsafe")


class _TextScanner:
    """Streams a part holding cell text (a sheet, the shared strings) for too long a cell."""

    def __init__(self, where: str, limits: Limits):
        self.where, self.limits = where, limits
        self.patterns = _patterns(False)
        self.started = False

    def feed(self, piece: bytes) -> None:
        if not self.started:
            _refuse_entities(piece, self.where)
            self.started = True
        self.patterns = _patterns(bool(_PREFIXED.search(piece)))
        self._check_text(piece)

    def _check_text(self, piece: bytes) -> None:
        """Plain text runs are checked with one search (their bytes are at least their
        characters); strings made of rich-text runs, which only Excel's formatting writes,
        are added up one by one."""
        limit = self.limits.cell_chars
        for run in _longer_than(limit).finditer(piece):
            self._check_length(run.group(1))
        if self.patterns.text_run.search(piece):
            for item in self.patterns.string_item.finditer(piece):
                self._check_length(_TAG.sub(b"", item.group(2)))

    def _check_length(self, raw: bytes) -> None:
        characters = len(html.unescape(raw.decode("utf-8", "replace")))
        if characters > self.limits.cell_chars:
            raise _limit_error(self.where, f"a cell holds {characters:,} characters",
                               f"{self.limits.cell_chars:,} characters", "SLA_MAX_CELL_CHARS")


class _SheetScanner(_TextScanner):
    """Streams a sheet part: the used area calamine would build, cell text, formulas.

    The used area is the highest row and column any cell reaches, including cells without a
    reference (calamine places those after the previous one): it is kept conservative, never
    below what calamine will allocate. The searches are whole-piece regular expressions so
    that a sheet costs a few passes at memory speed, not a Python step per cell.
    """

    def __init__(self, where: str, limits: Limits):
        super().__init__(where, limits)
        self.rows = self.formulas_without_value = 0
        self.referenced_columns = self.most_unreferenced_cells = 0
        self.cells_in_open_row = 0

    @property
    def columns(self) -> int:
        return self.referenced_columns + self.most_unreferenced_cells

    def feed(self, piece: bytes) -> None:
        super().feed(piece)
        self._count_rows(piece)
        self._count_columns(piece)
        self.formulas_without_value += sum(1 for value in self.patterns.formula.findall(piece)
                                           if not value)
        _check_area(self.where, self.rows, self.columns, self.limits)

    def _count_rows(self, piece: bytes) -> None:
        explicit, unnumbered = self._row_numbers(piece)
        last = max(self.rows, explicit) + unnumbered  # an unnumbered row follows the previous
        if _found(_rows_above(last), piece):  # a cell placed below its row's number
            last = max(last, max(map(_whole_number, _REF.findall(piece))) + unnumbered)
        self.rows = last

    def _row_numbers(self, piece: bytes) -> tuple[int, int]:
        """The highest row number the piece's rows give, and how many rows give none."""
        numbers = self.patterns.row_number.findall(piece)
        row_open = self.patterns.row_open
        if row_open and len(numbers) == piece.count(row_open):  # as every writer does it
            return max(map(_whole_number, numbers), default=0), 0
        explicit = unnumbered = 0
        for attributes in self.patterns.row_tag.findall(piece):
            number = _ROW_NUMBER.search(attributes)
            if number:
                explicit = max(explicit, _whole_number(number.group(1)))
            else:
                unnumbered += 1
        return explicit, unnumbered

    def _count_columns(self, piece: bytes) -> None:
        if _found(_columns_above(self.referenced_columns), piece):
            widest = max(map(_column_number, set(_REF_LETTERS.findall(piece))))
            self.referenced_columns = max(self.referenced_columns, widest)
        if self.cells_in_open_row or self.patterns.cell_without_ref.search(piece):
            self.most_unreferenced_cells = max(self.most_unreferenced_cells,
                                               self._most_cells_in_a_row(piece))

    def _most_cells_in_a_row(self, piece: bytes) -> int:
        """The most cells any row of the piece has (a row cut by the piece continues)."""
        counts = [len(self.patterns.cell_start.findall(part))
                  for part in self.patterns.row_start.split(piece)]
        counts[0] += self.cells_in_open_row
        self.cells_in_open_row = counts[-1]
        return max(counts)


def _whole_number(digits: bytes) -> int:
    return int(digits) if len(digits) <= 9 else 10 ** 9  # past any limit, without int's cost


def _column_number(letters: bytes) -> int:
    if len(letters) > 4:
        return 10 ** 9
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - ord("A") + 1
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@lru_cache(maxsize=64)
def _rows_above(row: int) -> tuple[re.Pattern, re.Pattern]:
    """A reference to a row below ``row`` (leading zeros allowed, as calamine allows them),
    fast and exact (see ``_r_attribute``)."""
    digits = str(row)
    options = [rf"[1-9]\d{{{len(digits)},}}"]
    for position, digit in enumerate(digits):
        if digit != "9":
            rest = len(digits) - position - 1
            options.append(rf"{digits[:position]}[{int(digit) + 1}-9]\d{{{rest}}}")
    value = rb"[A-Za-z]*0*(?:" + "|".join(options).encode() + rb""")["']"""
    return _r_attribute(value, exact=False), _r_attribute(value)


@lru_cache(maxsize=64)
def _columns_above(column: int) -> tuple[re.Pattern, re.Pattern]:
    """A reference to a column right of ``column``, in letters of either case (spelt out: a
    case-insensitive pattern is several times slower), fast and exact."""
    letters = _column_letters(column)
    options = [f"[A-Za-z]{{{len(letters) + 1},}}"]
    for position, letter in enumerate(letters):
        if letter != "Z":
            after = chr(ord(letter) + 1)
            same = "".join(f"[{c}{c.lower()}]" for c in letters[:position])
            rest = len(letters) - position - 1
            options.append(f"{same}[{after}-Z{after.lower()}-z][A-Za-z]{{{rest}}}")
    value = b"(?:" + "|".join(options).encode() + rb")\d"
    return _r_attribute(value, exact=False), _r_attribute(value)


@lru_cache(maxsize=8)
def _longer_than(characters: int) -> re.Pattern:
    return re.compile(rb">([^<]{%d,})" % (characters + 1))


# ---------------------------------------------------------------- .xls: the compound file

_CELL_RECORDS = frozenset({0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x00D6, 0x00FD,
                           0x0201, 0x0203, 0x0204, 0x0205, 0x0206, 0x027E, 0x0406})
_MULTI_CELL_RECORDS = frozenset({0x00BD, 0x00BE})  # MULRK, MULBLANK: last column at the end
_DIMENSIONS = 0x0200
_FILEPASS = 0x002F
_REGULAR_SECTOR = 0xFFFFFFFA  # sector numbers from here on mean "end", "free" and the like
_ENCRYPTION_STREAMS = {"encryptioninfo", "encryptedpackage"}  # what Excel saves with a password


def _check_xls(data: bytes, name: str, limits: Limits) -> None:
    """An Office 97-2003 file: refuse it when encrypted, not a workbook, or too large a sheet."""
    try:
        compound = _Compound(data)
        streams = compound.streams()
        if _ENCRYPTION_STREAMS & set(streams):
            raise ReadError(f"{name}: {PASSWORD}")
        books = [compound.read(entry) for entry in streams.get("workbook", [])
                 + streams.get("book", [])]
    except (ValueError, IndexError, struct.error) as exc:
        log.info("%s: broken compound file: %s", name, exc)
        raise ReadError(_damaged(name)) from None
    if not books:
        raise ReadError(f"{name}: this file is an Office 97-2003 document but not an Excel "
                        f"workbook; export the tickets as .xlsx or .csv")
    for book in books:
        _scan_biff(book, name, limits)


def _is_encrypted_office_file(data: bytes) -> bool:
    try:
        streams = _Compound(data).streams()
    except (ValueError, IndexError, struct.error):
        return False
    return bool(_ENCRYPTION_STREAMS & set(streams))


def _scan_biff(stream: bytes, name: str, limits: Limits) -> None:
    """Refuse a workbook stream with a password or too large a sheet (the largest counts).

    One Python step per record: about 0.3 µs, so a full 65,536-row sheet takes a few seconds.
    """
    where = f"{name}: a sheet"
    rows = columns = 0
    position, size = 0, len(stream)
    unpack = struct.unpack_from
    while position + 4 <= size:
        kind, length = unpack("<HH", stream, position)
        body = position + 4
        if kind in _CELL_RECORDS and length >= 4:
            row, column = unpack("<HH", stream, body)
        elif kind in _MULTI_CELL_RECORDS and length >= 6:
            row = unpack("<H", stream, body)[0]
            column = unpack("<H", stream, body + length - 2)[0]
        elif kind == _DIMENSIONS and length >= 14:
            row = unpack("<I", stream, body + 4)[0] - 1  # the last row and column, plus one
            column = unpack("<H", stream, body + 10)[0] - 1
        elif kind == _FILEPASS:
            raise ReadError(f"{name}: {PASSWORD}")
        else:
            position = body + length
            continue
        if row >= rows or column >= columns:
            rows, columns = max(rows, row + 1), max(columns, column + 1)
            _check_area(where, rows, columns, limits, XLS_CELL_WEIGHT)
        position = body + length


class _Compound:
    """Just enough of an OLE2 compound file (MS-CFB) to list its streams and read one.

    ValueError (or IndexError, struct.error) for anything that does not add up.
    """

    def __init__(self, data: bytes):
        if len(data) < 512 or not data.startswith(OLE2_MAGIC):
            raise ValueError("not a compound file")
        shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
        if shift not in (9, 12) or mini_shift != 6:
            raise ValueError("unusual sector sizes")
        self.data, self.sector_size = data, 1 << shift
        (fat_sectors, self.directory_start, _, self.mini_cutoff, self.minifat_start, _,
         difat_start, difat_sectors) = struct.unpack_from("<8I", data, 0x2C)
        self.fat = self._fat(fat_sectors, difat_start, difat_sectors)
        self.entries = self._directory()

    def _sector(self, number: int) -> bytes:
        start = (number + 1) * self.sector_size
        if number >= _REGULAR_SECTOR or start + self.sector_size > len(self.data):
            raise ValueError(f"sector {number} is outside the file")
        return self.data[start:start + self.sector_size]

    def _fat(self, count: int, difat_start: int, difat_count: int) -> tuple[int, ...]:
        numbers = list(struct.unpack_from("<109I", self.data, 0x4C))
        per_sector = self.sector_size // 4
        sector = difat_start
        for _ in range(min(difat_count, len(self.data) // self.sector_size)):
            entries = struct.unpack(f"<{per_sector}I", self._sector(sector))
            numbers.extend(entries[:-1])
            sector = entries[-1]
        numbers = [n for n in numbers[:count] if n < _REGULAR_SECTOR]
        table = b"".join(self._sector(n) for n in numbers)
        return struct.unpack(f"<{len(table) // 4}I", table)

    def _chain(self, start: int, table: tuple[int, ...]) -> list[int]:
        chain, sector = [], start
        while sector < _REGULAR_SECTOR:
            if sector >= len(table) or len(chain) > len(table):
                raise ValueError("a broken sector chain")
            chain.append(sector)
            sector = table[sector]
        return chain

    def _directory(self) -> list[tuple[str, int, int, int]]:
        """(name, type, first sector, size) of every entry."""
        raw = b"".join(self._sector(n) for n in self._chain(self.directory_start, self.fat))
        entries = []
        for offset in range(0, len(raw) - 127, 128):
            length, kind = struct.unpack_from("<HB", raw, offset + 64)
            name = raw[offset:offset + max(min(length, 64) - 2, 0)].decode("utf-16-le", "replace")
            start, size = struct.unpack_from("<II", raw, offset + 116)
            entries.append((name, kind, start, size))
        return entries

    def streams(self) -> dict[str, list[tuple[str, int, int, int]]]:
        """Stream entries by lower-case name (a hostile file may repeat a name)."""
        found: dict[str, list] = {}
        for entry in self.entries:
            if entry[1] == 2:
                found.setdefault(entry[0].lower(), []).append(entry)
        return found

    def read(self, entry: tuple[str, int, int, int]) -> bytes:
        _, _, start, size = entry
        size = min(size, len(self.data))
        if size >= self.mini_cutoff:
            blob = b"".join(self._sector(n) for n in self._chain(start, self.fat))
            return blob[:size]
        root = next(e for e in self.entries if e[1] == 5)
        container = b"".join(self._sector(n) for n in self._chain(root[2], self.fat))
        minifat_raw = b"".join(self._sector(n) for n in self._chain(self.minifat_start, self.fat))
        minifat = struct.unpack(f"<{len(minifat_raw) // 4}I", minifat_raw)
        blob = b"".join(container[n * 64:n * 64 + 64] for n in self._chain(start, minifat))
        return blob[:size]


# ---------------------------------------------------------------- CSV

_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
SPARE_COLUMN = "\x00spare "  # names the columns read past the header's width
_UNCLOSED_QUOTE = re.compile(r"EOF inside string starting at row (\d+)")
_TOO_MANY_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _read_csv(data: bytes, name: str, kind: str, limits: Limits) -> RawTable:
    _refuse_unless_csv(data, kind, name)
    encoding = _encoding(data, name)
    # The header search window, and the row after it: how wide the first row of tickets is.
    head = data[:HEAD_BYTES].decode(encoding, errors="replace").splitlines()
    head = head[:HEADER_SEARCH_ROWS + 1]
    separator = _sniff_separator(head, name, limits)
    head_rows = _split_lines(head, separator, name, limits)
    header_index = _find_header_row(head_rows[:HEADER_SEARCH_ROWS])
    if header_index is None:
        raise ReadError(f"{name}: no header row with an SR number column in the first "
                        f"{HEADER_SEARCH_ROWS} rows (looked for {_sr_headers()})")
    headers = _unique_headers(head_rows[header_index])
    width = max(len(row) for row in head_rows[header_index:])
    if width > limits.columns:
        raise _limit_error(name, f"it has {width:,} columns", f"{limits.columns:,} columns",
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
    return _table(frame, numbers, name, header_row=header_index + 1, encoding=encoding,
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
            raise _limit_error(name, f"a cell in column {display.clean(header)!r} holds "
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
        raise _limit_error(name, f"a cell in the first {HEADER_SEARCH_ROWS} rows is longer than "
                                 f"{csv.field_size_limit():,} characters",
                           f"{limits.cell_chars:,} characters", "SLA_MAX_CELL_CHARS") from None


# ---------------------------------------------------------------- the table and its headers

def _table(frame: pd.DataFrame, numbers: list[int], name: str, **info) -> RawTable:
    """Drop fully empty rows and map the headers to canonical fields."""
    keep = frame.notna().any(axis=1).to_numpy()
    frame = frame.loc[keep].reset_index(drop=True)
    unnamed_empty = [c for c in frame.columns
                     if c.startswith("Column ") and c[7:].isdigit() and frame[c].isna().all()]
    frame = frame.drop(columns=unnamed_empty)
    numbers = [n for n, k in zip(numbers, keep) if k]
    preset = presets.detect(list(frame.columns))
    mapping = preset.mapping(list(frame.columns)) if preset else map_headers(list(frame.columns))
    if "sr_number" not in mapping:  # pragma: no cover - the header search guarantees it
        raise ReadError(f"{name}: no SR number column")
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
        if header is None and name == "resolved_by":
            header = find(fields.AGENT_FALLBACK_HEADERS)
        if header is not None:
            mapping[name] = header
            used.add(header)
    return mapping


# ---------------------------------------------------------------- a mapping chosen by hand

FIELD_NAMES: dict[str, str] = {name: display.label(name) for name in fields.HEADER_SYNONYMS}


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


# ---------------------------------------------------------------- cells as the file shows them

_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def preview_text(frame: pd.DataFrame, durations: set[str] | frozenset[str] = frozenset()
                 ) -> pd.DataFrame:
    """``frame`` with every cell as the text the file shows: durations as Excel's
    ``[h]:mm:ss`` (``1:05``, ``129:45``), dates as ``YYYY-MM-DD HH:MM``, whole numbers
    without ``.0``, empty cells empty. ``durations`` names the columns read as durations,
    where a date is Excel's way of holding a duration of a day or more."""
    return pd.DataFrame({header: [cell_text(value, header in durations)
                                  for value in frame[header].to_numpy(dtype=object)]
                         for header in frame.columns}, columns=frame.columns, dtype=object)


def cell_text(value: object, duration: bool = False) -> str:
    """One cell as the file shows it ("" for an empty one, never "None" or "NaN")."""
    if _is_empty(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.timedelta):
        return clock(value.total_seconds())
    if isinstance(value, dt.time):
        return clock(value.hour * 3600 + value.minute * 60 + value.second
                     + value.microsecond / 1e6)
    if isinstance(value, dt.datetime):
        if duration:
            return clock((value.replace(tzinfo=None) - _EXCEL_EPOCH).total_seconds())
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.15g}"
    return str(value)


def _is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def clock(seconds: float) -> str:
    """A duration as Excel's ``[h]:mm:ss`` shows it: hours past 24, seconds only when any."""
    sign = "-" if seconds < 0 else ""
    total = round(abs(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


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


def _sr_headers() -> str:
    return ", ".join(fields.HEADER_SYNONYMS["sr_number"][:6]) + ", ..."


# ---------------------------------------------------------------- messages

def _mb(size: int) -> str:
    megabytes = size / (1 << 20)
    return f"{megabytes:,.0f} MB" if megabytes >= 10 else f"{megabytes:.1f} MB"


def _too_big(name: str, size: int, limit: int) -> ReadError:
    return ReadError(f"{name} is {_mb(size)}, over the limit of {_mb(limit)}; raise "
                     f"SLA_MAX_UPLOAD_MB to allow it")


def _limit_error(where: str, what: str, limit: str, setting: str) -> ReadError:
    return ReadError(f"{where}: {what}, over the limit of {limit}; raise {setting} to allow it")


def _damaged(name: str) -> str:
    return (f"{name} is damaged or incomplete: not a readable Excel workbook (download or "
            f"export it again)")
