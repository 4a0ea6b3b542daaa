"""Reading a file: an export (.xlsx/.xlsm/.xls/.csv) -> a raw table and which header fed which field.

Contract section 1. This is the entry point; each step has its own module:

* ``sniff``: the file's bytes and what they are, whatever its name (an HTML page or a PDF named
  .xls, a workbook named .csv, an encrypted Office file each get their own one-line message);
* ``excel``: a workbook read with python-calamine, once ``xlsx_guard`` (with ``xlsx_scan``)
  checked an .xlsx/.xlsm's zip and XML, or ``xls`` an .xls's compound file;
* ``delimited``: a CSV read with pandas after sniffing its encoding and separator;
* ``table``: the raw table those give and its header mapping, ReadError and the limits;
* ``cells``: a cell as the file shows it, for previews and reports.

An upload may be hostile or merely odd, so a file is looked at before anything parses it. The
limits are settings (``sla.core.config``, SLA_MAX_*) whose defaults no real export reaches;
each refusal names the setting that raises it. Details a user cannot act on go to the "sla"
logger.
"""

from __future__ import annotations

from pathlib import Path

from sla.core import display
from sla.ingest.delimited import read_csv
from sla.ingest.excel import read_excel
from sla.ingest.sniff import load_bytes, sniff
from sla.ingest.table import Limits, RawTable, ReadError, too_big

ACCEPTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
DEFAULT_MAX_BYTES = 200 * 1024 * 1024


def read_table(source: str | Path | bytes, filename: str | None = None,
               max_bytes: int = DEFAULT_MAX_BYTES, limits: Limits | None = None,
               keyless: bool = False) -> RawTable:
    """Read ``source`` (a path, or the bytes of an upload named ``filename``).

    ``limits`` default to the settings, with ``max_bytes`` as the largest file. ReadError, with
    a one-line message, when the file cannot be imported as a whole. With ``keyless`` a file
    whose SR number column is not recognised is read all the same (its widest row as the
    headers), for its key column to be chosen by hand.
    """
    limits = limits or Limits.from_settings(max_bytes)
    data, name = load_bytes(source, filename, limits.file_bytes)
    shown = display.clean(name)
    suffix = Path(name).suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise ReadError(f"{shown}: unsupported file type {display.clean(suffix) or '(none)'}; "
                        f"use one of {', '.join(ACCEPTED_SUFFIXES)}")
    if len(data) > limits.file_bytes:
        raise too_big(shown, len(data), limits.file_bytes)
    if not data:
        raise ReadError(f"{shown} is empty")
    kind = sniff(data)
    if suffix == ".csv":
        return read_csv(data, shown, kind, limits, keyless)
    return read_excel(data, shown, kind, limits, keyless)
