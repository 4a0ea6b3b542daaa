"""Widgets the pages share: KPI cards, ticket tables, CSV downloads, "How is this calculated?"."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st

from sla import display, export
from ui import data

TABLE_ROWS = 2000
CHART_SPECS_KEPT = 512
_chart_specs: OrderedDict = OrderedDict()
_chart_lock = threading.Lock()


def heading(value: object) -> None:
    """A value from a file as a subheading: literal text, shortened, the whole on demand."""
    st.subheader(display.literal(value))
    if display.is_shortened(value):
        with st.expander("Show the full value"):
            st.text(display.clean(value, None))


def file_name_part(value: object) -> str:
    """A value as part of a download's file name (letters, digits, - and _ only)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", display.clean(value, 40)).strip("-") or "value"


def chart(render, *args, key: tuple = ()) -> None:
    """Draw ``render(*args)`` (an ``alt.Chart``), building its Vega-Lite spec once per data
    version and ``key``; reruns send the kept spec instead of rebuilding and validating it.

    ``key`` must name everything ``args`` depend on besides the data version (the filters).
    """
    cache_key = (render.__name__, data.version(), key)
    with _chart_lock:
        spec = _chart_specs.get(cache_key)
    if spec is None:
        with alt.theme.enable("none"):  # Streamlit's own theme sizes the chart
            spec = render(*args).to_dict(validate=False)  # charts.py is tested; skip jsonschema
        spec["datasets"] = {name: pa.Table.from_pylist(rows)  # sent as Arrow, made once
                            for name, rows in spec.get("datasets", {}).items()}
        with _chart_lock:
            _chart_specs[cache_key] = spec
            while len(_chart_specs) > CHART_SPECS_KEPT:
                _chart_specs.popitem(last=False)
    st.vega_lite_chart(spec=spec)


TEXT_COLUMNS = ("status", "priority", "category", "resolved_by", "team_raw", "response_sla",
                "resolution_sla")


def ticket_table(frame: pd.DataFrame, **options):
    """A table of tickets with readable headers and typed columns (first TABLE_ROWS rows)."""
    number = st.column_config.NumberColumn
    when = st.column_config.DatetimeColumn
    shown = frame.head(TABLE_ROWS).astype({c: object for c in TEXT_COLUMNS if c in frame})
    shown = shown.fillna({c: "" for c in TEXT_COLUMNS if c in frame})
    return st.dataframe(shown, hide_index=True, column_config={
        "sr_number": "SR", "status": "Status", "status_class": "Class", "priority": "Priority",
        "category": "Category", "created": when("Created", format="YYYY-MM-DD HH:mm"),
        "resolved_at": when("Resolved", format="YYYY-MM-DD HH:mm"), "resolved_by": "Agent",
        "team": "Team", "team_raw": "Raw team",
        "response_hours": number("Response h", format="%.2f"),
        "resolution_hours": number("Resolution h", format="%.2f"),
        "response_sla": "Response SLA", "resolution_sla": "Resolution SLA"}, **options)


def fmt_pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def fmt_hours(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f} h"


def fmt_int(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def kpi(column, label: str, value: str, help_text: str | None = None, border: bool = True) -> None:
    column.metric(label, value, help=help_text, border=border)


def sla_kpis(response_column, resolution_column, row: dict, border: bool = True) -> None:
    """The response and resolution SLA % cards, met and breached counts in their help."""
    for column, kind in ((response_column, "response"), (resolution_column, "resolution")):
        kpi(column, f"{kind.title()} SLA", fmt_pct(row[f"{kind}_sla_pct"]),
            f"{row[f'{kind}_met']:,} met · {row[f'{kind}_breached']:,} breached", border)


def download_csv(frame: pd.DataFrame, name: str, label: str = "Download CSV",
                 key: str | None = None) -> None:
    """A CSV of exactly these rows, formula-like cells neutralised; made when the button is
    pressed, not on every run of the page."""
    st.download_button(label, lambda: export.to_csv_bytes(frame), file_name=name,
                       mime="text/csv", icon=":material/download:",
                       key=key or f"download-{name}")


def how_calculated(*topics: str) -> None:
    """The contract's rules for these topics, in an expander ("How is this calculated?")."""
    texts = {
        "sla": "**SLA %** = 100 × met ÷ (met + breached), over tickets that have an SLA outcome. "
               "Open tickets without an outcome do not drag the percentage down; with no outcome "
               "at all the figure shows –. The outcome comes from the file's SLA column "
               "(Met, Yes, True, Within SLA… / Breached, No, False, Missed…); when the file has "
               "no such column it is computed from the hours and the priority's target "
               "(met means hours ≤ target).",
        "breaches": "**Breaches** counts tickets whose response or resolution SLA is breached; "
                    "a ticket breached on both counts once.",
        "hours": "**Average and median hours** are over tickets with a value; the median of an "
                 "even count is the mean of the two middle values. Durations like 129:45, "
                 "2 days 03:30 or 1h 30m are read exactly; without a resolution-time column, "
                 "resolution hours are resolved − created.",
        "status": "**Resolved** are the statuses in Settings (by default Resolved, Closed, "
                  "Completed, Done, Cancelled, Canceled, any case); every other status is "
                  "**pending**.",
        "score": "**Score** = 0.6 × resolution SLA % + 0.4 × response SLA % + "
                 "min(tickets − 5, 20); agents with fewer than 5 tickets score 0, a missing "
                 "percentage counts as 0. Weights, minimum and cap are in Settings. "
                 "**Top performers**: score above 0, by score, then tickets, then name.",
        "teams": "**Teams**: the raw team (Updated Team, Assignment Group, Team, Group…) is "
                 "lower-cased and split into words; it is L1 with the word l1 or level 1, tier 1, "
                 "1st line, first line; L2 likewise; Business with business, functional, "
                 "data team or exactly bt; Other otherwise and Unassigned when empty "
                 "(l10 is not l1). The rules can be changed in Settings.",
        "at_risk": "**At risk**: pending tickets older than 80 % of their priority's resolution "
                   "target, age measured at the time of the latest import (so an old export "
                   "does not make every ticket late), least time left first.",
        "trend": "**Trend**: tickets per ISO week (Monday start) of their created date.",
    }
    with st.expander("How is this calculated?", icon=":material/help:"):
        for topic in topics:
            st.markdown(texts[topic])
        targets = data.settings()["sla_targets"]
        st.markdown("SLA targets (hours, response / resolution): " + ", ".join(
            f"{p} {t['response']:g} / {t['resolution']:g}" for p, t in targets.items()))
