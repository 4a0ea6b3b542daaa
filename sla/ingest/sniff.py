"""What a file is, whatever its name: its bytes (a path read only within the size limit) and
what its first bytes say.

An upload may be hostile or merely odd, so a file is looked at before anything parses it: an
HTML page or a PDF named .xls, a workbook named .csv, an encrypted Office file each get their
own one-line message (``refuse_unless_workbook``, ``refuse_unless_csv``). The readers look at
a file's bytes SCAN_CHUNK at a time.
"""

from __future__ import annotations

import codecs
import re
import stat
from pathlib import Path

from sla.core import config, display
from sla.ingest.table import PASSWORD, ReadError, too_big
from sla.ingest.xls import OLE2_MAGIC, is_encrypted_office_file

SNIFF_BYTES = 4096  # the first bytes, which say what a file is
SCAN_CHUNK = 8 << 20  # bytes of a workbook part (or a CSV) looked at a time
WORKBOOK_PART = "xl/workbook.xml"


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
            raise too_big(display.clean(name), info.st_size, limit)
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise ReadError(f"cannot read {display.clean(str(path))}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise too_big(display.clean(name), len(data), limit)
    return data, name


# ---------------------------------------------------------------- what the bytes are

_MAGIC = ((b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"), (OLE2_MAGIC, "ole2"),
          (b"%PDF", "pdf"), (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"),
          (b"GIF87a", "gif"), (b"GIF89a", "gif"), (b"\xff\xfe", "utf16"), (b"\xfe\xff", "utf16"))
_HTML = re.compile(rb"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*"
                   rb"<(?:!doctype\s+html|html|head|body|table|meta|title)\b", re.IGNORECASE | re.DOTALL)
_XML_SPREADSHEET = re.compile(rb"urn:schemas-microsoft-com:office:spreadsheet|"
                              rb"progid\s*=\s*[\"']Excel\.Sheet", re.IGNORECASE)
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


def refuse_unless_workbook(kind: str, name: str) -> None:
    """ReadError, saying what the file is instead, unless ``kind`` is a workbook's."""
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


def refuse_unless_csv(data: bytes, kind: str, name: str) -> None:
    """ReadError, saying what the file is instead, unless ``kind`` is text."""
    if kind == "text":
        return
    if kind == "zip":
        reason = ("this file is an Excel workbook, not a CSV; name it .xlsx"
                  if WORKBOOK_PART.encode() in data else "this file is a zip archive, not a CSV")
    elif kind == "ole2":
        reason = (PASSWORD if is_encrypted_office_file(data) else
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
