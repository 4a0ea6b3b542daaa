"""``./sla.sh report FILE.xlsx [filters]``: the Monday report of a view as a workbook."""

from __future__ import annotations

from pathlib import Path

from sla.cli.filter_options import add_filters, filters_from
from sla.cli.output import fail
from sla.service import database, reports


def add_commands(commands) -> None:
    p = commands.add_parser("report", help="the view's report as an Excel workbook: summary, "
                            "teams, agents, trend, overdue and at-risk tickets")
    p.add_argument("file", type=Path, help="the workbook to write (.xlsx)")
    add_filters(p)


def cmd_report(args) -> int:
    if args.file.suffix.lower() != ".xlsx":
        return fail(f"the report is an Excel workbook: name it with .xlsx, not "
                    f"{args.file.name[:40]!r}")
    filters = filters_from(args)
    content = reports.report_workbook(database.connect(), filters)
    args.file.write_bytes(content)
    print(f"wrote the report to {args.file} ({len(content) / 1024:,.0f} KB)")
    return 0
