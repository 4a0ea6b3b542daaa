"""An .xlsx/.xlsm checked before calamine opens it: the zip and each of its parts.

An .xlsx/.xlsm is a zip: its directory's sizes and compression ratios are checked, then its
parts are streamed through (never held whole) by the scanners of ``xlsx_scan``, for each
sheet's used area, the longest text and the formula cells without a saved value.
"""

from __future__ import annotations

import html
import io
import logging
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator

from sla.core import display
from sla.ingest.sniff import SCAN_CHUNK, SNIFF_BYTES, WORKBOOK_PART
from sla.ingest.table import PASSWORD, Limits, ReadError, damaged, limit_error, mb
from sla.ingest.xlsx_scan import SheetScanner, TextScanner, refuse_entities

log = logging.getLogger("sla")

MAX_ZIP_PARTS = 10_000  # an .xlsx has a few dozen parts; Python's zipfile keeps each in memory
RATIO_CHECKED_BYTES = 1 << 20  # parts smaller than this may compress as well as they like
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
SHARED_STRINGS = "xl/sharedStrings.xml"


class Package:
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
            raise ReadError(damaged(name)) from None

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
                scanner = SheetScanner(where, limits)
                for piece in _pieces(archive, info, b"row"):
                    scanner.feed(piece)
                formulas[part] = formulas.get(part, 0) + scanner.formulas_without_value
            elif part in string_parts:
                scanner = TextScanner(where, limits)
                for piece in _pieces(archive, info, b"si"):
                    scanner.feed(piece)
            elif part.endswith((".xml", ".rels")):
                with archive.open(info) as stream:
                    refuse_entities(stream.read(SNIFF_BYTES * 16), where)
        return formulas

    def formula_notes(self, sheet_name: str) -> list[str]:
        part = self.sheet_parts.get(sheet_name)
        count = self.formulas.get(part, 0) if part else sum(self.formulas.values())
        return [_formula_note(count)] if count else []


def _formula_note(count: int) -> str:
    if count == 1:
        return ("1 formula cell had no saved value and was read as empty (open and save the "
                "file in Excel to store its value)")
    return (f"{count:,} formula cells had no saved value and were read as empty (open and save "
            f"the file in Excel to store their values)")


def _open_zip(data: bytes, name: str, limits: Limits) -> zipfile.ZipFile:
    """The zip, once its directory is sane and it would unpack to a sane size."""
    if data.count(b"PK\x01\x02") > MAX_ZIP_PARTS:  # zipfile would list them all in memory
        raise ReadError(f"{name} has more than {MAX_ZIP_PARTS:,} parts; an Excel workbook has "
                        f"a few dozen")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
        log.info("%s: broken zip: %s", name, exc)
        raise ReadError(damaged(name)) from None
    infos = archive.infolist()
    if any(info.flag_bits & 0x1 for info in infos):
        raise ReadError(f"{name}: {PASSWORD}")
    _refuse_other_packages(set(archive.namelist()), name)
    unpacked = sum(info.file_size for info in infos)
    if unpacked > limits.unpacked_bytes:
        raise limit_error(name, f"it would unpack to {mb(unpacked)}",
                          mb(limits.unpacked_bytes), "SLA_MAX_UNCOMPRESSED_MB")
    for info in infos:
        if (info.file_size >= RATIO_CHECKED_BYTES
                and info.file_size > limits.zip_ratio * max(info.compress_size, 1)):
            ratio = info.file_size / max(info.compress_size, 1)
            raise limit_error(name, f"its part {display.clean(info.filename)} unpacks to {ratio:,.0f} "
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
            refuse_entities(piece, f"{name}: part {part}")
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
