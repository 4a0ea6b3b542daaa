"""Widgets the pages share: KPI cards, ticket tables, CSV downloads, empty states, messages
that outlive a rerun, and "How is this calculated?"."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from sla.analytics import explain, export
from sla.core import display
from sla.service import reports
from ui import data

FLASH = "_flash_message"
METRICS_PAGE = "pages/about.py"
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



def fmt_pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def fmt_hours(value: float | None) -> str:
    """Hours as read by a person: minutes when short, days + hours when long."""
    return display.hours(value)


def fmt_int(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def kpi(column, label: str, value: str, help_text: str | None = None, border: bool = True,
        delta: str | None = None, lower_is_better: bool = False) -> None:
    column.metric(label, value, help=help_text, border=border, delta=delta,
                  delta_color="inverse" if lower_is_better else "normal")


def count_delta(now: dict, before: dict | None, key: str, period: str) -> str | None:
    """"+12 vs 1–30 Sep": the change of a count against the previous period (None without)."""
    if before is None:
        return None
    return f"{now[key] - before[key]:+,} vs {period}"


def pct_delta(now: dict, before: dict | None, key: str, period: str) -> str | None:
    """"+2.5 pts vs 1–30 Sep": the change of a % against the previous period, when both
    periods have one."""
    if before is None or now[key] is None or before[key] is None:
        return None
    return f"{now[key] - before[key]:+,.1f} pts vs {period}"


def sla_kpi(column, kind: str, row: dict, border: bool = False,
            delta: str | None = None) -> None:
    """One SLA met % card ("Response SLA met"), its met and breached counts under it."""
    kpi(column, f"{kind.title()} SLA met", fmt_pct(row[f"{kind}_sla_pct"]), border=border,
        delta=delta)
    met, breached = row[f"{kind}_met"], row[f"{kind}_breached"]
    column.caption(f"{met:,} met · {breached:,} breached" if met + breached
                   else f"No {kind} SLA outcome in the data")


def sla_kpis(response_column, resolution_column, row: dict, border: bool = True) -> None:
    """The response and resolution SLA met % cards."""
    sla_kpi(response_column, "response", row, border)
    sla_kpi(resolution_column, "resolution", row, border)


def flash(message: str, failed: bool = False) -> None:
    """A message shown at the next run (one that reruns to refresh the page): a success, or
    with ``failed`` why the change was not made."""
    st.session_state[FLASH] = (message, failed)


def confirm_button(label: str, title: str, question: str, action_label: str, action,
                   key: str, icon: str | None = None) -> None:
    """A button that asks in a dialog before a change that cannot be taken back; ``action()``
    runs only when the user confirms, and the message it returns is shown after the rerun
    (as a failure when it raises ``ValueError``, whose message is one sentence).
    ``question`` is Markdown the caller escaped.

    The dialog stays open across reruns (in session state) until confirmed, cancelled or
    dismissed, so its buttons are read on the run they were pressed in.
    """
    asking = f"confirm_{key}"
    if st.button(label, key=f"{asking}_open", icon=icon):
        st.session_state[asking] = True
    if not st.session_state.get(asking):
        return

    def close() -> None:
        st.session_state.pop(asking, None)

    def body() -> None:
        st.markdown(question)
        left, right = st.columns(2)
        if left.button(action_label, type="primary", icon=":material/check:", width="stretch",
                       key=f"{asking}_yes"):
            close()
            try:
                flash(action())
            except ValueError as exc:
                flash(f"Nothing was changed: {display.literal(str(exc), None)}.", failed=True)
            st.rerun()
        if right.button("Cancel", width="stretch", key=f"{asking}_no"):
            close()
            st.rerun()
    st.dialog(title, on_dismiss=close)(body)()


def url_choice(where, label: str, options: dict[str, str], default: str, key: str,
               **control) -> str:
    """A segmented control whose choice the URL keeps as its short code (``?rank=fair``;
    Streamlit's own binding would write the label). A code the link names that is not one of
    ``options`` is named in one line and the default applies."""
    asked = st.query_params.get(key)
    if asked is not None and asked not in options:
        st.warning(f"Not applied from the link: {key} must be one of {', '.join(options)}, "
                   f"not ‘{display.literal(asked, 40)}’.", icon=":material/filter_alt_off:")
    if key not in st.session_state:
        st.session_state[key] = asked if asked in options else default
    chosen = where.segmented_control(label, list(options), format_func=options.get, key=key,
                                     **control) or default
    if chosen == default:
        st.query_params.pop(key, None)
    else:
        st.query_params[key] = chosen
    return chosen


def show_flash() -> None:
    message, failed = st.session_state.pop(FLASH, (None, False))
    if message and failed:
        st.error(message, icon=":material/error:")
    elif message:
        st.success(message, icon=":material/check:")


def stop_if_empty(count: int, user: dict, what: str = "tickets") -> None:
    """Stop the page with the right empty state: nothing held at all, or nothing matching."""
    if count:
        return
    if not data.data_span()["tickets"]:
        st.info("No tickets yet: an admin imports an export on the Upload page (or loads "
                "sample data with `./sla.sh demo`).", icon=":material/inbox:")
        if user["role"] == "admin":
            page_link("pages/upload.py", "Go to Upload", ":material/upload_file:")
    else:
        st.info(f"No {what} match these filters; widen or clear them under Filters above.",
                icon=":material/filter_alt_off:")
    st.stop()


def download_csv(frame: pd.DataFrame, name: str, label: str = "Download CSV",
                 key: str | None = None) -> None:
    """A CSV of exactly these rows, formula-like cells neutralised; made when the button is
    pressed, not on every run of the page."""
    st.download_button(label, lambda: export.to_csv_bytes(frame), file_name=name,
                       mime="text/csv", icon=":material/download:",
                       key=key or f"download-{name}")


def download_report(filters) -> None:
    """The view's report as an Excel workbook (``sla.service.reports``) in the sidebar, made
    when pressed."""
    with st.sidebar:
        st.download_button("Report of this view (Excel)",
                           lambda: reports.report_workbook(data.db(), filters),
                           file_name="sla-report.xlsx", mime=reports.MEDIA_TYPE,
                           icon=":material/table_view:", key="download-report",
                           help="Summary with the filters in words, teams, agents, trend, "
                                "overdue and at-risk tickets", width="stretch")


def how_calculated(*topics: str, expanded: bool = False, link: bool = True) -> None:
    """The rules in force for these topics, in an expander ("How is this calculated?"); the
    texts are made from the current settings (``sla.analytics.explain``)."""
    settings = data.settings()
    with st.expander("How is this calculated?", icon=":material/help:", expanded=expanded):
        for topic in topics:
            st.markdown(explain.explain(topic, settings))
        if link:
            page_link(METRICS_PAGE, "Every field, rule and figure explained",
                      ":material/menu_book:")


def page_link(path: str, label: str, icon: str) -> None:
    """A link to another page of the app; left out where the page is not routed (a page
    file run on its own, as the page tests do)."""
    try:
        st.page_link(path, label=label, icon=icon)
    except StreamlitPageNotFoundError:
        return
