"""Hostile and odd files, each generated here (nothing committed), each through both doors an
upload has (issue "Hold up under hostile files"):

* ``python -m sla import FILE`` in a subprocess: its exit code; for a file that fails, exactly
  one line on standard error that names no Python exception, and nothing changed in the store;
  for every file, at most MAX_SECONDS of wall time and MAX_MB of peak memory, the latter
  measured for that very process (``os.wait4`` in a small parent: see MEASURE);
* the Upload page through AppTest: for a file that fails, one ``st.error`` line, no exception,
  nothing changed; for a file that is read, its notes in the dry run, then Import.

Each test starts from a store that holds the hand-checked ten tickets, so that "nothing
changed" is checked against a store with something in it.
"""

from __future__ import annotations

import io
import random
import re
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import openpyxl
import pytest
from pymongo.database import Database

from sla.service import importing
from sla.storage import connection, users, versions
from tests.conftest import ROOT
from tests.handset import hand_bytes
from tests.test_pages import PASSWORD, app_db, page  # noqa: F401 - app_db is a fixture

MAX_SECONDS = 10.0
MAX_MB = 500
HAND_TICKETS = 10
EXCEPTION_NAME = re.compile(r"\b\w*(?:Error|Exception|Warning)\b|Traceback")
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
TRAVERSAL_TARGET = "hostile-traversal-escape.txt"


# ---------------------------------------------------------------- building files

@dataclass(frozen=True)
class Part:
    """A zip member as deflated bytes, with the checksum and size of what it unpacks to."""

    name: str
    deflated: bytes
    crc: int
    size: int


def deflate(name: str, content: bytes | str) -> Part:
    data = content.encode() if isinstance(content, str) else content
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Part(name, packer.compress(data) + packer.flush(), zlib.crc32(data), len(data))


def deflate_repeated(name: str, head: bytes, block: bytes, times: int, tail: bytes) -> Part:
    """head + block × times + tail, deflated without deflating the repeats one by one.

    After a full flush a deflater starts afresh, so every repeat deflates to the same bytes:
    one is made and copied, and the stream stays valid (no match reaches across a flush).
    """
    def segment(data: bytes, mode: int) -> bytes:
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        return packer.compress(data) + packer.flush(mode)

    deflated = (segment(head, zlib.Z_FULL_FLUSH) + segment(block, zlib.Z_FULL_FLUSH) * times
                + segment(tail, zlib.Z_FINISH))
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(block, crc)
    return Part(name, deflated, zlib.crc32(tail, crc), len(head) + len(block) * times + len(tail))


def zip_of(parts: list[Part], flags: int = 0) -> bytes:
    """A zip archive of ``parts``, written header by header (sizes below 4 GiB)."""
    body, directory = bytearray(), bytearray()
    for part in parts:
        name = part.name.encode()
        directory += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, flags, 8, 0, 0x21,
                                 part.crc, len(part.deflated), part.size, len(name), 0, 0, 0, 0,
                                 0, len(body)) + name
        body += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, 8, 0, 0x21, part.crc,
                            len(part.deflated), part.size, len(name), 0) + name + part.deflated
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(parts), len(parts), len(directory),
                      len(body), 0)
    return bytes(body + directory + end)


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
    'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>')
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxml'
    'formats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    '</Relationships>')
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" xmlns:r="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Tickets" '
    'sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxml'
    'formats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '</Relationships>')
SHEET_HEAD = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}"><sheetData>'
SHEET_TAIL = "</sheetData></worksheet>"


def skeleton(sheet: Part, *extra: Part, relationships: str = "") -> bytes:
    """A minimal .xlsx: one sheet called Tickets, written by hand so it can say anything."""
    rels = WORKBOOK_RELS.replace("</Relationships>", relationships + "</Relationships>")
    return zip_of([deflate("[Content_Types].xml", CONTENT_TYPES), deflate("_rels/.rels", ROOT_RELS),
                   deflate("xl/workbook.xml", WORKBOOK),
                   deflate("xl/_rels/workbook.xml.rels", rels), sheet, *extra])


def sheet_part(rows_xml: str) -> Part:
    return deflate("xl/worksheets/sheet1.xml", SHEET_HEAD + rows_xml + SHEET_TAIL)


def text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


HEADER_ROW = f'<row r="1">{text_cell("A1", "SR Number")}{text_cell("B1", "Status")}</row>'


def one_more_cell(ref: str, text: str = "x", row: int | None = None) -> bytes:
    """The header row and one cell at ``ref``, in a row numbered ``row`` (default: the ref's)."""
    number = row or int(re.sub("[A-Z]", "", ref))
    return skeleton(sheet_part(HEADER_ROW + f'<row r="{number}">{text_cell(ref, text)}</row>'))


def xlsx(rows: list[list], *, merge: str | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Tickets"
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xls(rows: list[list], far_cell: tuple[int, int] | None = None) -> bytes:
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook()
    sheet = book.add_sheet("Tickets")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    if far_cell:
        sheet.write(*far_cell, "far")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_text(text: str, encoding: str = "utf-8") -> Callable[[], bytes]:
    return lambda: text.encode(encoding)


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A small OLE2 compound file (512-byte sectors: FAT, directory, then each stream)."""
    end, free = 0xFFFFFFFE, 0xFFFFFFFF
    fat, first, sectors = [0xFFFFFFFD, end], [], []
    for data in streams.values():
        data = data.ljust(4096, b"\0")  # at the mini stream cutoff: kept in regular sectors
        count = len(data) // 512
        first.append(len(fat))
        fat += [len(fat) + i + 1 for i in range(count - 1)] + [end]
        sectors.append(data)

    def entry(name: str, kind: int, start: int, size: int, child=free, right=free) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return struct.pack("<64sHBBIII16sIQQIQ", raw, len(raw), kind, 1, free, right, child, b"",
                           0, 0, 0, start, size)

    names = list(streams)
    directory = entry("Root Entry", 5, end, 0, child=1)
    for i, name in enumerate(names):
        directory += entry(name, 2, first[i], 4096, right=i + 2 if i + 1 < len(names) else free)
    header = bytearray(512)
    struct.pack_into("<8s16sHHHHH6sLLLLLLLLL", header, 0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
                     b"", 0x3E, 3, 0xFFFE, 9, 6, b"", 0, 1, 1, 0, 4096, end, 0, end, 0)
    struct.pack_into("<109L", header, 0x4C, 0, *[free] * 108)
    fat_sector = struct.pack(f"<{128}L", *(fat + [free] * (128 - len(fat))))
    return bytes(header) + fat_sector + directory.ljust(512, b"\0") + b"".join(sectors)


def encrypted_office_file() -> bytes:
    """What Excel saves with a password: the package encrypted inside a compound file."""
    return compound_file({"EncryptionInfo": b"\x04\x00\x04\x00\x40", "EncryptedPackage": b"x"})


def patched_flags(data: bytes, bit: int) -> bytes:
    """The zip with ``bit`` set in every member's flags (local and central headers)."""
    data = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start >= 0:
            flags = struct.unpack_from("<H", data, start + offset)[0]
            struct.pack_into("<H", data, start + offset, flags | bit)
            start = data.find(signature, start + 4)
    return bytes(data)


def damaged_part(data: bytes, name: str) -> bytes:
    """The zip with bytes in the middle of ``name``'s packed data flipped."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    broken = bytearray(data)
    for i in range(middle, middle + 16):
        broken[i] ^= 0x5A
    return bytes(broken)


def zip_with(files: dict[str, bytes | str], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def with_parts(data: bytes, extra: dict[str, bytes | str]) -> bytes:
    """A copy of the zip with more members."""
    source = zipfile.ZipFile(io.BytesIO(data))
    files = {info.filename: source.read(info) for info in source.infolist()}
    return zip_with({**files, **extra})


# ---------------------------------------------------------------- the hostile and odd files

TICKETS = [["SR Number", "Status", "Resolved By", "Response Time (hh:mm)"],
           ["H1", "Open", "Ann", "1:30"], ["H2", "Closed", "Bob", "2:00"]]
BOMB_ROW = b'<row><c t="inlineStr"><is><t>SR-0</t></is></c></row>'


@lru_cache(maxsize=None)
def zip_bomb() -> bytes:
    """About 8 MB that unpack to about 6 GB: two 3 GB sheets of rows padded with blanks."""
    block = (BOMB_ROW + b" " * 4000) * 4096
    sheet = deflate_repeated("xl/worksheets/sheet1.xml", SHEET_HEAD.encode(), block,
                             3_000_000_000 // len(block), SHEET_TAIL.encode())
    second = Part("xl/worksheets/sheet2.xml", sheet.deflated, sheet.crc, sheet.size)
    return skeleton(sheet, second)


@lru_cache(maxsize=None)
def dense_bomb() -> bytes:
    """About 3 MB that unpack to 1 GB of identical rows (343 to 1)."""
    block = BOMB_ROW * ((16 << 20) // len(BOMB_ROW))
    return skeleton(deflate_repeated("xl/worksheets/sheet1.xml", SHEET_HEAD.encode(), block,
                                     (1 << 30) // len(block), SHEET_TAIL.encode()))


def header_at_row(row: int) -> list[list]:
    return [[f"title line {i}"] for i in range(1, row)] + TICKETS


def csv_of(rows: list[list]) -> str:
    import csv

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def formulas_without_values() -> bytes:
    """openpyxl writes a formula with no cached value, as a file never opened in Excel has."""
    return xlsx([["SR Number", "Status", "Response Time (hrs)"], ["F1", "Open", "=1+1"],
                 ["F2", "Open", "=SUM(1,2)"], ["F3", "Open", 4]])


FORMULA_TEXTS = ['=HYPERLINK("http://evil.example","click")', "+SUM(1)", "-2+3",
                 "@cmd|' /C calc'!A0"]


def formula_text_xlsx() -> bytes:
    """Formula-like text saved as text (openpyxl would turn "=..." into a formula)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["SR Number", "Resolved By", "Comment"])
    for number, text in enumerate(FORMULA_TEXTS, start=1):
        sheet.append([f"X{number}", None, None])
        for column in (2, 3):
            cell = sheet.cell(row=number + 1, column=column)
            cell.value = text
            cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def merged_title() -> bytes:
    return xlsx([["Service desk export, week 47"], [], *TICKETS], merge="A1:D1")


def renamed_shared_strings() -> bytes:
    """Shared strings in a part of another name, which only the relationships point to."""
    strings = deflate("xl/text/words.xml", f'<?xml version="1.0"?><sst xmlns="{MAIN_NS}">'
                                           f'<si><t>{"x" * 40_000}</t></si></sst>')
    relation = ('<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/'
                '2006/relationships/sharedStrings" Target="text/words.xml"/>')
    rows = HEADER_ROW + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
    return skeleton(sheet_part(rows), strings, relationships=relation)


def rich_text_cell() -> bytes:
    """One shared string of two formatted runs of 20,000 characters: each run short enough,
    the cell not."""
    run = "<r><rPr><b/></rPr><t>" + "x" * 20_000 + "</t></r>"
    strings = deflate("xl/sharedStrings.xml",
                      f'<?xml version="1.0"?><sst xmlns="{MAIN_NS}" count="1" uniqueCount="1">'
                      f"<si>{run}{run}</si></sst>")
    rows = HEADER_ROW + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
    return skeleton(sheet_part(rows), strings)


def billion_laughs() -> bytes:
    entities = '<!ENTITY a "ha">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
    xml = (f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]><worksheet xmlns="{MAIN_NS}">'
           f'<sheetData>{HEADER_ROW}<row r="2">{text_cell("A2", "&j;")}</row>{SHEET_TAIL}')
    return skeleton(deflate("xl/worksheets/sheet1.xml", xml))


def garbage_xml() -> bytes:
    xml = SHEET_HEAD + HEADER_ROW + "<a>" * 100_000 + "garbage & < >"
    return skeleton(deflate("xl/worksheets/sheet1.xml", xml))


def many_parts() -> bytes:
    files = {f"xl/media/junk{i}.bin": b"" for i in range(10_001)}
    return zip_with({"xl/workbook.xml": WORKBOOK, **files}, zipfile.ZIP_STORED)


def traversal_member() -> bytes:
    return with_parts(xlsx(TICKETS), {f"../../{TRAVERSAL_TARGET}": "written outside?",
                                      f"/tmp/{TRAVERSAL_TARGET}": "written outside?"})


def macro_workbook() -> bytes:
    return with_parts(xlsx(TICKETS), {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 fake VBA project "
                                      b"Sub Auto_Open(): Shell \"calc\": End Sub"})


def html_export() -> bytes:
    return (b'<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-'
            b'microsoft-com:office:excel"><head><meta charset="utf-8"></head><body><table>'
            b"<tr><td>SR Number</td><td>Status</td></tr><tr><td>H1</td><td>Open</td></tr>"
            b"</table></body></html>")


def xml_spreadsheet_2003() -> bytes:
    return (b'<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?><Workbook xmlns='
            b'"urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Tickets"><Table>'
            b'<Row><Cell><Data ss:Type="String">SR Number</Data></Cell></Row></Table></Worksheet>'
            b"</Workbook>")


def png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I4sIIBBBBB", 13, b"IHDR", 64, 64, 8, 6, 0, 0, 0) \
        + random.Random(3).randbytes(2000)


def pdf() -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" + random.Random(4).randbytes(2000)


def bad_durations_rows() -> list[list]:
    return [["SR Number", "Status", "Response Time (hh:mm)"], ["D1", "Open", "99:99"],
            ["D2", "Open", "12:75"], ["D3", "Open", "1:00:75"], ["D4", "Open", "1:30"]]


# ---------------------------------------------------------------- what must happen

def has_tickets(expected: dict[str, dict]) -> Callable[[Database], None]:
    """A check that each SR was stored with these fields (``extra.X`` for the file's own)."""
    def check(db: Database) -> None:
        for sr, values in expected.items():
            ticket = db.tickets.find_one({"_id": sr})
            assert ticket is not None, f"{sr} was not stored"
            for key, value in values.items():
                extra = key.startswith("extra.")
                stored = ticket["extra"].get(key[6:]) if extra else ticket.get(key)
                assert stored == value, (sr, key, stored)
    return check


def only_hand_tickets(db: Database) -> None:
    assert db.tickets.count_documents({}) == HAND_TICKETS


H_TICKETS = has_tickets({"H1": {"status": "Open", "resolved_by": "Ann", "response_hours": 1.5},
                         "H2": {"status": "Closed", "resolved_by": "Bob", "response_hours": 2.0}})
FORMULA_TEXT_TICKETS = has_tickets({f"X{n}": {"resolved_by": text, "extra.Comment": text}
                                    for n, text in enumerate(FORMULA_TEXTS, start=1)})
BAD_DURATION_TICKETS = has_tickets({"D1": {"response_hours": None}, "D2": {"response_hours": None},
                                    "D3": {"response_hours": None}, "D4": {"response_hours": 1.5}})


def nothing_written_outside(db: Database) -> None:
    H_TICKETS(db)
    for folder in (ROOT, ROOT.parent, ROOT.parent.parent, Path(tempfile.gettempdir())):
        assert not (folder / TRAVERSAL_TARGET).exists()


@dataclass(frozen=True)
class Case:
    id: str
    name: str  # the uploaded file's name
    build: Callable[[], bytes]
    refused: str = ""  # words of the one-line message, for a file that must fail as a whole
    settings: tuple[tuple[str, str], ...] = ()
    stored: Callable[[Database], None] | None = None  # for a file that is read
    note: str = ""  # a note its import report must carry
    durations_not_parsed: int = 0


REFUSED = [
    Case("zip-bomb", "zip_bomb.xlsx", zip_bomb, "SLA_MAX_UNCOMPRESSED_MB"),
    Case("dense-zip-bomb", "dense_bomb.xlsx", dense_bomb, "SLA_MAX_ZIP_RATIO"),
    Case("dense-zip-bomb-ratio-allowed", "dense_bomb.xlsx", dense_bomb, "SLA_MAX_ROWS",
         settings=(("SLA_MAX_ZIP_RATIO", "100000"),)),
    Case("cell-at-XFD1048576", "far.xlsx",
         lambda: one_more_cell("XFD1048576"),
         "SLA_MAX_COLUMNS"),
    Case("sparse-used-area", "sparse.xlsx",
         lambda: one_more_cell("OJ1000000"),
         "SLA_MAX_CELLS"),
    Case("cell-below-its-row", "row_lie.xlsx",
         lambda: one_more_cell("B3000000", row=2),
         "SLA_MAX_ROWS"),
    Case("odd-reference-syntax", "odd_refs.xlsx",
         lambda: skeleton(sheet_part(HEADER_ROW + "<row r='2'><c r = 'xfd02' t='inlineStr'>"
                                     "<is><t>x</t></is></c></row>")),
         "SLA_MAX_COLUMNS"),
    Case("cells-without-references", "unreferenced.xlsx",
         lambda: skeleton(sheet_part(HEADER_ROW + "<row>" + "<c/>" * 1000 + "</row>")),
         "SLA_MAX_COLUMNS"),
    Case("xls-far-cell", "far.xls", lambda: xls(TICKETS, far_cell=(65535, 255)), "SLA_MAX_CELLS"),
    Case("csv-rows-over-lowered-limit", "rows.csv",
         csv_text(csv_of([TICKETS[0]] + [[f"R{i}", "Open", "Ann", "1:00"] for i in range(1500)])),
         "SLA_MAX_ROWS", settings=(("SLA_MAX_ROWS", "1000"),)),
    Case("xlsx-rows-over-lowered-limit", "rows.xlsx",
         lambda: xlsx([TICKETS[0]] + [[f"R{i}", "Open", "Ann", "1:00"] for i in range(1500)]),
         "SLA_MAX_ROWS", settings=(("SLA_MAX_ROWS", "1000"),)),
    Case("csv-600-columns", "wide.csv",
         csv_text(csv_of([["SR Number"] + [f"C{i}" for i in range(599)], ["W1"] * 600])),
         "SLA_MAX_COLUMNS"),
    Case("xlsx-600-columns", "wide.xlsx",
         lambda: xlsx([["SR Number"] + [f"C{i}" for i in range(599)], ["W1"] * 600]),
         "SLA_MAX_COLUMNS"),
    Case("csv-enormous-cell", "huge_cell.csv",
         csv_text(csv_of([TICKETS[0], ["E1", "Open", "x" * 40_000, "1:00"]])),
         "SLA_MAX_CELL_CHARS"),
    Case("csv-enormous-header-cell", "huge_header.csv",
         csv_text(csv_of([["SR Number", "y" * 200_000], ["E1", "1"]])), "SLA_MAX_CELL_CHARS"),
    Case("xlsx-enormous-cell", "huge_cell.xlsx",  # by hand: openpyxl cuts text at 32,767
         lambda: one_more_cell("B2", "x" * 40_000),
         "SLA_MAX_CELL_CHARS"),
    Case("xlsx-enormous-rich-text-cell", "rich.xlsx", rich_text_cell, "SLA_MAX_CELL_CHARS"),
    Case("xlsx-enormous-cell-in-renamed-strings", "strings.xlsx", renamed_shared_strings,
         "SLA_MAX_CELL_CHARS"),
    Case("encrypted-xlsx", "locked.xlsx", encrypted_office_file, "password-protected"),
    Case("encrypted-named-xls", "locked.xls", encrypted_office_file, "password-protected"),
    Case("zip-with-encrypted-members", "zipcrypto.xlsx", lambda: patched_flags(xlsx(TICKETS), 0x1),
         "password-protected"),
    Case("word-document-named-xls", "letter.xls",
         lambda: compound_file({"WordDocument": b"\xec\xa5", "1Table": b""}),
         "not an Excel workbook"),
    Case("truncated-xlsx", "cut.xlsx", lambda: xlsx(TICKETS)[:3000], "damaged or incomplete"),
    Case("corrupt-sheet-data", "corrupt.xlsx",
         lambda: damaged_part(xlsx(TICKETS * 300), "xl/worksheets/sheet1.xml"),
         "damaged or incomplete"),
    Case("random-bytes-xlsx", "random.xlsx", lambda: random.Random(7).randbytes(50_000),
         "not an Excel workbook"),
    Case("html-named-xls", "web_export.xls", html_export, "HTML page, not an Excel workbook"),
    Case("html-named-xlsx", "web_export.xlsx", html_export, "HTML page, not an Excel workbook"),
    Case("xml-spreadsheet-2003-named-xls", "old.xls", xml_spreadsheet_2003,
         "Excel 2003 XML spreadsheet"),
    Case("text-named-xls", "tabs.xls", csv_text("SR Number\tStatus\nH1\tOpen\n"), "plain text"),
    Case("pdf-named-xlsx", "report.xlsx", pdf, "PDF document"),
    Case("png-named-xlsx", "chart.xlsx", png, "PNG image"),
    Case("empty-xlsx", "empty.xlsx", lambda: b"", "is empty"),
    Case("empty-csv", "empty.csv", lambda: b"", "is empty"),
    Case("utf16-csv", "unicode.csv", csv_text("SR Number,Status\r\nH1,Open\r\n", "utf-16"),
         "UTF-16"),
    Case("csv-with-nul-bytes", "nul.csv", csv_text("SR Number,Status\nH1,Op\x00en\n"),
         "binary data"),
    Case("random-bytes-csv", "random.csv", lambda: random.Random(8).randbytes(50_000),
         "binary data"),
    Case("workbook-named-csv", "export.csv", lambda: xlsx(TICKETS), "Excel workbook, not a CSV"),
    Case("pdf-named-csv", "report.csv", pdf, "PDF document, not a CSV"),
    Case("xlsx-header-on-row-25", "late.xlsx", lambda: xlsx(header_at_row(25)), "first 20 rows"),
    Case("csv-header-on-row-25", "late.csv", csv_text(csv_of(header_at_row(25))), "first 20 rows"),
    Case("csv-blank-lines-only", "blank.csv", csv_text("\n  \n\t\n"), "first 20 rows"),
    Case("csv-unbalanced-quotes", "quotes.csv",
         csv_text('SR Number,Comment\nH1,"never closed\nH2,fine\n'), "never closed"),
    Case("csv-row-wider-than-header", "ragged.csv", csv_text("SR Number,Status\nH1,Open,extra\n"),
         "has 3 cells but the header row has 2"),
    Case("garbage-xml-in-valid-zip", "garbage.xlsx", garbage_xml, "is damaged and cannot be read"),
    Case("xml-entity-bomb", "laughs.xlsx", billion_laughs, "XML entities"),
    Case("ods-named-xlsx", "calc.xlsx",
         lambda: zip_with({"mimetype": "application/vnd.oasis.opendocument.spreadsheet",
                           "content.xml": "<office:document-content/>"}), "OpenDocument"),
    Case("zip-without-workbook", "archive.xlsx", lambda: zip_with({"readme.txt": "hello"}),
         "zip archive, not an Excel workbook"),
    Case("zip-with-10001-parts", "parts.xlsx", many_parts, "more than 10,000 parts"),
]

READ = [
    Case("csv-header-only", "header.csv", csv_text("SR Number,Status,Resolved By\n"),
         stored=only_hand_tickets, note="header row but no tickets"),
    Case("xlsx-header-only", "header.xlsx", lambda: xlsx([TICKETS[0]]),
         stored=only_hand_tickets, note="header row but no tickets"),
    Case("formulas-without-saved-values", "formulas.xlsx", formulas_without_values,
         stored=has_tickets({"F1": {"response_hours": None}, "F3": {"response_hours": 4.0}}),
         note="2 formula cells had no saved value"),
    Case("csv-minutes-over-59", "durations.csv", csv_text(csv_of(bad_durations_rows())),
         stored=BAD_DURATION_TICKETS, durations_not_parsed=3),
    Case("xlsx-minutes-over-59", "durations.xlsx", lambda: xlsx(bad_durations_rows()),
         stored=BAD_DURATION_TICKETS, durations_not_parsed=3),
    Case("merged-title-cells", "merged.xlsx", merged_title, stored=H_TICKETS),
    Case("duplicate-headers", "dupes.csv", csv_text("SR Number,Note,Note\nH9,first,second\n"),
         stored=has_tickets({"H9": {"extra.Note": "first", "extra.Note #2": "second"}})),
    Case("bom-and-semicolons", "semicolons.csv",
         csv_text("\ufeffSR Number;Status;Resolved By\nH1;Open;Zoë Ångström\n"),
         stored=has_tickets({"H1": {"status": "Open", "resolved_by": "Zoë Ångström"}})),
    Case("crlf-inside-cells", "crlf.csv",
         csv_text('SR Number,Status,Comment\r\nH1,Open,"line one\r\nline two"\r\n'),
         stored=has_tickets({"H1": {"extra.Comment": "line one\r\nline two"}})),
    Case("cr-only-line-endings", "mac.csv", csv_text("SR Number,Status\rH1,Open\rH2,Closed\r"),
         stored=has_tickets({"H1": {"status": "Open"}, "H2": {"status": "Closed"}})),
    Case("formula-like-text-csv", "formulas.csv",
         csv_text(csv_of([["SR Number", "Resolved By", "Comment"]]
                         + [[f"X{n}", t, t] for n, t in enumerate(FORMULA_TEXTS, start=1)])),
         stored=FORMULA_TEXT_TICKETS),
    Case("formula-like-text-xlsx", "formula_text.xlsx", formula_text_xlsx,
         stored=FORMULA_TEXT_TICKETS),
    Case("right-to-left-override", "rtl.csv",
         csv_text("SR Number,Resolved By,Comment\nH1,\u202eevil\u202c,\u202egnp.exe\n"),
         stored=has_tickets({"H1": {"resolved_by": "\u202eevil\u202c",
                                    "extra.Comment": "\u202egnp.exe"}})),
    Case("agent-name-5000-characters", "long_agent.csv",
         csv_text(csv_of([["SR Number", "Resolved By"], ["H1", "A" * 5000]])),
         stored=has_tickets({"H1": {"resolved_by": "A" * 5000}})),
    Case("xlsm-with-macro-part", "macro.xlsm", macro_workbook, stored=H_TICKETS),
    Case("real-xls", "legacy.xls", lambda: xls(TICKETS), stored=H_TICKETS),
    Case("xls-named-xlsx", "legacy.xlsx", lambda: xls(TICKETS), stored=H_TICKETS),
    Case("zip-member-with-path-traversal", "traversal.xlsx", traversal_member,
         stored=nothing_written_outside),
]

CASES = REFUSED + READ


def test_there_are_at_least_thirty_cases_with_distinct_ids():
    assert len(CASES) >= 30
    assert len({case.id for case in CASES}) == len(CASES)


# ---------------------------------------------------------------- the store before and after

def seeded(db: Database) -> Database:
    importing.import_file(db, hand_bytes(), "hand.csv", user="seed")
    return db


def store_state(db: Database) -> dict:
    tickets = db.tickets.find({}, {"content_hash": 1})
    return {"tickets": sorted((t["_id"], t["content_hash"]) for t in tickets),
            "uploads": db.uploads.count_documents({}),
            "history": db.ticket_history.count_documents({}),
            "version": versions.data_version(db)}


def one_line(message: str) -> None:
    assert "\n" not in message and len(message) <= 300, message
    assert not EXCEPTION_NAME.search(message), message


# ---------------------------------------------------------------- through the command line

@dataclass
class CliRun:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float


# Runs ARGS and writes their peak memory (ru_maxrss, KiB) to the file named first. Measured
# from a small parent: a child forked from pytest itself would count pytest's pages too.
MEASURE = """\
import os, subprocess, sys
process = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(process.pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_import(env: dict, path, tmp_path) -> CliRun:
    """``python -m sla import PATH``, with its wall time and its own peak memory."""
    peak = tmp_path / "peak-kib"
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", MEASURE, str(peak), sys.executable, "-m",
                             "sla", "import", str(path)], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    seconds = time.perf_counter() - started
    return CliRun(result.returncode, result.stdout, result.stderr, seconds,
                  int(peak.read_text()) / 1024)


def test_the_memory_measure_sees_the_child_s_own_peak(tmp_path):
    peak = tmp_path / "peak-kib"
    subprocess.run([sys.executable, "-c", MEASURE, str(peak), sys.executable, "-c",
                    "x = b'x' * (300 << 20)"], check=True)
    assert 300 <= int(peak.read_text()) / 1024 < 400


@pytest.fixture
def cli_db(cli_env, server_uri) -> Database:
    cli_env.pop("SLA_DEBUG", None)
    return seeded(connection.connect(server_uri, cli_env["SLA_DB"]))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_command_line(case: Case, cli_env, cli_db, tmp_path):
    path = tmp_path / case.name
    path.write_bytes(case.build())
    cli_env.update(dict(case.settings))
    before = store_state(cli_db)
    result = run_import(cli_env, path, tmp_path)
    print(f"{case.id}: exit {result.code}, {result.seconds:.2f} s, {result.peak_mb:.0f} MB, "
          f"{result.stderr.strip() or result.stdout.splitlines()[0]}")
    assert result.seconds <= MAX_SECONDS and result.peak_mb <= MAX_MB, result
    if case.refused:
        assert result.code == 2, result
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        one_line(lines[0])
        assert case.refused in lines[0], lines[0]
        assert result.stdout == ""
        assert store_state(cli_db) == before
    else:
        assert result.code == 0 and result.stderr == "", result
        notes = [line for line in result.stdout.splitlines() if line.startswith("  note: ")]
        assert not case.note or any(case.note in note for note in notes), result.stdout
        assert f"not parsed: {case.durations_not_parsed:,} durations" in result.stdout
        case.stored(cli_db)


# ---------------------------------------------------------------- through the Upload page

@pytest.fixture
def page_db(app_db) -> Database:
    """The app's environment (test_pages' ``app_db``) seeded, with an admin."""
    seeded(app_db)
    users.add_user(app_db, "alice", PASSWORD, "admin")
    return app_db


def shown(element) -> str:
    """An element's text as the reader sees it (the page escapes Markdown punctuation)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", element.value)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_upload_page(case: Case, page_db, monkeypatch):
    for name, value in case.settings:
        monkeypatch.setenv(name, value)
    before = store_state(page_db)
    app = page("upload.py")
    app.run()
    app.get("file_uploader")[0].upload(case.name, case.build()).run()
    assert not app.exception, [e.value for e in app.exception]
    errors = [shown(e) for e in app.error]
    if case.refused:
        assert len(errors) == 1, errors
        assert errors[0].startswith("This file cannot be imported:"), errors[0]
        one_line(errors[0])
        assert case.refused in errors[0], errors[0]
        assert store_state(page_db) == before
        return
    assert errors == []
    if case.note:
        assert any(case.note in shown(info) for info in app.info), [shown(i) for i in app.info]
    counts = f"{case.durations_not_parsed:,} durations not parsed"
    assert any(counts in shown(caption) for caption in app.caption), [c.value for c in app.caption]
    next(b for b in app.button if b.label == "Import").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert [shown(e) for e in app.error] == []
    case.stored(page_db)
