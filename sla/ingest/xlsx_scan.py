"""The XML parts of an .xlsx/.xlsm, streamed piece by piece for what calamine would build of them.

A sheet part gives its used area, the longest text and the formula cells without a saved
value; a shared strings part its longest text. The used area matters because calamine holds a
sheet as a dense grid, empty cells included: one cell at XFD1048576 in a 2 KB file makes it
allocate gigabytes, and the process is killed rather than given an exception. A part that
declares XML entities is refused (``refuse_entities``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

from sla.ingest.table import Limits, ReadError, check_area, limit_error

_ENTITY = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
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
        string_item=re.compile(b"<(" + p + rb"(?:si|is))\b[^>]*>(.*?)</\1\s*>", re.DOTALL),
    )


def refuse_entities(head: bytes, where: str) -> None:
    """Excel never declares XML entities; a part that does is an entity-expansion bomb."""
    if _ENTITY.search(head):
        raise ReadError(f"{where} declares XML entities (a DOCTYPE), which no Excel file does; "
                        f"refused as unsafe")


class TextScanner:
    """Streams a part holding cell text (a sheet, the shared strings) for too long a cell."""

    def __init__(self, where: str, limits: Limits):
        self.where, self.limits = where, limits
        self.patterns = _patterns(False)
        self.started = False

    def feed(self, piece: bytes) -> None:
        if not self.started:
            refuse_entities(piece, self.where)
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
            raise limit_error(self.where, f"a cell holds {characters:,} characters",
                              f"{self.limits.cell_chars:,} characters", "SLA_MAX_CELL_CHARS")


class SheetScanner(TextScanner):
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
        check_area(self.where, self.rows, self.columns, self.limits)

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
