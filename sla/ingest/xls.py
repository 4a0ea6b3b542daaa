"""An Office 97-2003 workbook (.xls) checked before calamine reads it.

An .xls is an OLE2 compound file: the cell records of its Workbook stream give the used area,
and a FILEPASS record a password, before calamine reads it. An encrypted .xlsx is an OLE2 file
too: Excel saves it as one with an EncryptedPackage stream (``is_encrypted_office_file``).
"""

from __future__ import annotations

import logging
import struct

from sla.ingest.table import PASSWORD, Limits, ReadError, check_area, damaged

log = logging.getLogger("sla")

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
XLS_CELL_WEIGHT = 2  # calamine holds an .xls cell in about twice the memory of an .xlsx one

_CELL_RECORDS = frozenset({0x0001, 0x0002, 0x0003, 0x0004, 0x0005, 0x0006, 0x00D6, 0x00FD,
                           0x0201, 0x0203, 0x0204, 0x0205, 0x0206, 0x027E, 0x0406})
_MULTI_CELL_RECORDS = frozenset({0x00BD, 0x00BE})  # MULRK, MULBLANK: last column at the end
_DIMENSIONS = 0x0200
_FILEPASS = 0x002F
_REGULAR_SECTOR = 0xFFFFFFFA  # sector numbers from here on mean "end", "free" and the like
_ENCRYPTION_STREAMS = {"encryptioninfo", "encryptedpackage"}  # what Excel saves with a password


def check_xls(data: bytes, name: str, limits: Limits) -> None:
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
        raise ReadError(damaged(name)) from None
    if not books:
        raise ReadError(f"{name}: this file is an Office 97-2003 document but not an Excel "
                        f"workbook; export the tickets as .xlsx or .csv")
    for book in books:
        _scan_biff(book, name, limits)


def is_encrypted_office_file(data: bytes) -> bool:
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
            check_area(where, rows, columns, limits, XLS_CELL_WEIGHT)
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
