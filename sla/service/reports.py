"""The Monday report of one view (``analytics.report``): the page's download, ``./sla.sh
report`` and ``/api/v1/report.xlsx`` make the same workbook from the same figures."""

from __future__ import annotations

from pymongo.database import Database

from sla.analytics import metrics, report
from sla.core.filters import Filters
from sla.service import queries
from sla.storage.clock import now

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def report_workbook(db: Database, filters: Filters = Filters()) -> bytes:
    """The view's workbook: summary, teams, agents, trend (weekly or monthly, as the
    Dashboard picks for the span held), overdue and at-risk tickets."""
    span = queries.data_span(db)
    period = metrics.suggested_period(span["first"], span["last"])
    return report.workbook_bytes(filters, queries.summary(db, filters),
                                 queries.teams(db, filters), queries.agents(db, filters),
                                 queries.trend(db, filters, period),
                                 queries.at_risk(db, filters), now())
