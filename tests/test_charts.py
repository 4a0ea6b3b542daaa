"""Chart functions: valid Vega-Lite, one colour meaning for met / breached, figures readable
without hovering (value labels, whole-number count axes, titles in words), empty inputs."""

from __future__ import annotations

import datetime as dt
import re

import altair as alt
import pytest

from sla.analytics import metrics
from sla.service import importing
from sla.storage import versions
from tests.handset import hand_bytes
from ui import charts


@pytest.fixture
def hand_rows(db):
    """Metric rows of the hand-checked set, as the pages pass them to the charts."""
    importing.import_file(db, hand_bytes(), "hand.csv")
    return {"summary": metrics.summary(versions.snapshot(db)), "teams": metrics.teams(versions.snapshot(db)),
            "agents": metrics.agents(versions.snapshot(db)), "trend": metrics.trend(versions.snapshot(db)),
            "months": metrics.trend(versions.snapshot(db), period="month"), "priorities": metrics.priorities(versions.snapshot(db))}


def spec(chart: alt.TopLevelMixin) -> dict:
    return chart.to_dict()  # validates against the Vega-Lite schema


def layers(chart: dict) -> list[dict]:
    """The single views of a spec (a plain chart, a layer, a faceted layer, or charts one
    above the other), bars first, then lines, points and text."""
    inner = chart.get("spec", chart)
    views = [{"data": part.get("data"), **view} if "data" not in view else view
             for part in inner.get("vconcat", [inner]) for view in part.get("layer", [part])]
    kind = {"bar": 0, "line": 1, "point": 2, "text": 3}
    return sorted(views, key=lambda view: kind.get(view["mark"]["type"], 4))


def data_of(chart: dict, view: dict) -> list[dict]:
    return chart["datasets"][view.get("data", chart.get("data"))["name"]]


def text_layers(chart: dict) -> list[dict]:
    return [v for v in layers(chart) if v["mark"]["type"] == "text"]


def is_message(chart: alt.TopLevelMixin, message: str | None = None) -> bool:
    built = spec(chart)
    return (built.get("mark", {}).get("type") == "text"
            and (message is None or data_of(built, built) == [{"text": message}]))


def week(start: dt.date, tickets: int, response: tuple[int, int], resolution: tuple[int, int],
         period: str = "week") -> dict:
    """A trend row as ``metrics.trend`` gives it: (met, breached) per SLA."""
    iso = start.isocalendar()
    row = {"start": start, "label": f"{iso[0]}-W{iso[1]:02d}" if period == "week"
           else f"{start:%Y-%m}", "tickets": tickets}
    for kind, (met, breached) in (("response", response), ("resolution", resolution)):
        row.update({f"{kind}_met": met, f"{kind}_breached": breached,
                    f"{kind}_sla_pct": 100 * met / (met + breached) if met + breached else None})
    return row


WEEKS = [week(dt.date(2023, 12, 25), 1500, (1234, 266), (3, 1)),
         week(dt.date(2024, 1, 8), 2, (1, 1), (0, 0))]  # 1 Jan 2024 has no tickets


def both(rows: list[dict], period: str = "week", min_sample: int = 10) -> alt.VConcatChart:
    """The trend and, under it, the tickets created, as the pages draw them."""
    views = [charts.render_trend_chart(rows, period, min_sample).copy(),
             charts.render_volume_chart(rows, period).copy()]
    for view in views:  # a view inside a vconcat may not size itself
        view.autosize = alt.Undefined
    return alt.vconcat(*views)


def every_chart(rows: dict) -> list[alt.TopLevelMixin]:
    return [charts.render_pending_by_team_chart(rows["summary"]["pending_by_team"]),
            charts.render_sla_by_group_chart(rows["teams"], "team"),
            charts.render_trend_chart(rows["trend"]),
            charts.render_trend_chart(rows["months"], period="month"),
            charts.render_trend_chart(WEEKS), charts.render_volume_chart(WEEKS),
            charts.render_volume_chart(rows["months"], period="month"),
            charts.render_priority_chart(rows["priorities"]),
            charts.render_leaderboard_chart(rows["agents"]),
            charts.render_comparison_chart(rows["agents"][0], rows["teams"][0], "L1"),
            charts.render_fair_chart(rows["agents"]),
            charts.render_handoff_chart(HELD),
            charts.render_changes_chart(MOVED)]


HELD = [{"team": "L1", "hours_held": 30.5, "tickets": 4, "handoffs_in": 0, "handoffs_out": 3,
         "breaches_owned": 1},
        {"team": "L2", "hours_held": 12.0, "tickets": 3, "handoffs_in": 3, "handoffs_out": 0,
         "breaches_owned": 0}]
MOVED = [{"cause": "newly resolved", "team": "L2", "priority": "P3", "tickets": 5, "points": 2.5},
         {"cause": "new tickets", "team": "L1", "priority": "P1", "tickets": 2, "points": -1.25}]


def test_every_chart_renders_from_metric_rows(hand_rows):
    for chart in every_chart(hand_rows):
        assert isinstance(chart, alt.TopLevelMixin)
        spec(chart)


def channels(node, name: str = ""):
    """Every (channel name, field definition) in a spec, tooltip entries included."""
    if isinstance(node, dict):
        if "field" in node and name:
            yield name, node
        for key, value in node.items():
            yield from channels(value, key if key not in ("encoding", "facet") else "")
    elif isinstance(node, list):
        for item in node:
            yield from channels(item, name)


def test_no_raw_field_name_is_shown(hand_rows):
    """Axes, legends, headers and tooltips carry titles in words, never a field's name."""
    shown = {"x", "y", "color", "opacity", "row", "tooltip"}
    seen = set()
    for chart in every_chart(hand_rows):
        for channel, definition in channels(spec(chart)):
            if channel not in shown:
                continue
            seen.add(channel)
            assert "title" in definition, (channel, definition)
            title = definition["title"]
            if title is not None:
                assert title != definition["field"] and not re.fullmatch(r"[a-z_]+", title), title
    assert seen == shown


def test_legend_values_are_words(hand_rows):
    for chart in every_chart(hand_rows):
        for view in layers(spec(chart)):
            domain = view["encoding"].get("color", {}).get("scale", {}).get("domain", [])
            assert all(value[0].isupper() for value in domain), domain
    priority = spec(charts.render_priority_chart(hand_rows["priorities"]))
    assert {v["status"] for v in data_of(priority, layers(priority)[0])} == {"Resolved",
                                                                             "Pending"}


def test_met_and_breached_keep_their_colours(hand_rows):
    chart = spec(charts.render_sla_by_group_chart(hand_rows["teams"], "team"))
    bars = layers(chart)[0]
    assert bars["encoding"]["color"]["scale"] == {"domain": ["Met", "Breached"],
                                                  "range": [charts.MET, charts.BREACHED]}
    l1 = {(v["kind"], v["outcome"]): v["tickets"] for v in data_of(chart, chart)
          if v["team"] == "L1"}
    assert l1 == {("Response", "Met"): 4, ("Response", "Breached"): 1,
                  ("Resolution", "Met"): 3, ("Resolution", "Breached"): 1}


def test_sla_by_group_writes_the_met_percentage(hand_rows):
    chart = spec(charts.render_sla_by_group_chart(hand_rows["teams"], "team"))
    [labels] = text_layers(chart)
    assert labels["encoding"]["text"]["field"] == "met_label"
    assert labels["transform"] == [{"filter": "(datum.outcome === 'Met')"}]
    written = {(v["team"], v["kind"]): v["met_label"] for v in data_of(chart, chart)
               if v["outcome"] == "Met"}
    assert written[("L1", "Response")] == "80.0 % met"
    assert written[("Business", "Resolution")] == "0.0 % met"
    assert written[("Unassigned", "Response")] == "No outcome yet"
    assert chart["facet"]["row"]["title"] is None


def count_axis(definition: dict, top_is_one: bool) -> None:
    assert definition["axis"]["format"] == ",d" and definition["axis"]["tickMinStep"] == 1
    assert definition.get("scale", {}).get("domainMax") == (2 if top_is_one else None)


def test_count_axes_are_whole_numbers(hand_rows):
    pending = spec(charts.render_pending_by_team_chart({"L1": 1, "L2": 0}))
    count_axis(layers(pending)[0]["encoding"]["x"], top_is_one=True)
    pending = spec(charts.render_pending_by_team_chart({"L1": 1_234, "L2": 0}))
    count_axis(layers(pending)[0]["encoding"]["x"], top_is_one=False)
    trend = spec(both(WEEKS))
    count_axis(layers(trend)[0]["encoding"]["y"], top_is_one=False)
    trend = spec(both([week(dt.date(2024, 1, 1), 1, (1, 0), (0, 0))]))
    count_axis(layers(trend)[0]["encoding"]["y"], top_is_one=True)
    priority = spec(charts.render_priority_chart(hand_rows["priorities"]))
    count_axis(layers(priority)[0]["encoding"]["y"], top_is_one=False)


def test_value_labels_on_the_bars(hand_rows):
    pending = spec(charts.render_pending_by_team_chart({"L1": 1_234, "L2": 0}))
    [text] = text_layers(pending)
    assert text["encoding"]["text"] == {"field": "pending", "type": "quantitative",
                                        "format": ",d"}
    priority = spec(charts.render_priority_chart(hand_rows["priorities"]))
    [text] = text_layers(priority)
    totals = {v["priority"]: v["total"] for v in data_of(priority, text) if v["rank"] == 0}
    assert totals == {r["priority"]: r["total_tickets"] for r in hand_rows["priorities"]}
    assert text["encoding"]["text"]["format"] == ",d"
    board = spec(charts.render_leaderboard_chart(hand_rows["agents"]))
    [text] = text_layers(board)
    assert text["encoding"]["text"] == {"field": "score", "type": "quantitative",
                                        "format": ",.1f"}
    comparison = spec(charts.render_comparison_chart(hand_rows["agents"][0],
                                                     hand_rows["teams"][0], "L1"))
    [text] = text_layers(comparison)
    assert [v["pct_label"] for v in data_of(comparison, comparison)] == \
        ["80.0 %", "60.0 %", "80.0 %", "75.0 %"]


def test_pending_all_zero_or_empty_is_a_message():
    assert is_message(charts.render_pending_by_team_chart({"L1": 0, "L2": 0}), "Nothing pending")
    assert is_message(charts.render_pending_by_team_chart({}), "Nothing pending")
    assert not is_message(charts.render_pending_by_team_chart({"L1": 0, "L2": 1}))


def test_empty_inputs_give_a_message_not_an_error():
    for chart in (charts.render_sla_by_group_chart([], "team"), charts.render_trend_chart([]),
                  charts.render_trend_chart([], period="month"), charts.render_volume_chart([]),
                  charts.render_priority_chart([])):
        assert is_message(chart, "No tickets match the filters")
    assert is_message(charts.render_leaderboard_chart([]),
                      "No agent has enough tickets for a score")
    none = {"agent": "Ann", "response_sla_pct": None, "resolution_sla_pct": None}
    assert is_message(charts.render_comparison_chart(none, none, "L1"),
                      "No SLA outcomes to compare")
    assert is_message(charts._empty("Pick an agent"), "Pick an agent")


def test_trend_and_volume_share_one_time_axis_with_gaps_as_gaps():
    chart = spec(both(WEEKS))
    bars, lines, points = layers(chart)
    x = bars["encoding"]["x"]
    assert (x["field"], x["type"], x["title"]) == ("start", "temporal", "Week starting (Monday)")
    assert bars["encoding"]["x2"]["field"] == "end"  # a bar spans its week
    assert bars["encoding"]["y2"] == {"datum": 0}  # and rises from zero
    domain = ["2023-12-25", "2024-01-15"]  # first Monday to the day after the last week
    for view in (bars, lines, points):
        assert view["encoding"]["x"]["scale"] == {"type": "utc", "domain": domain}
        assert view["encoding"]["x"]["axis"]["labelOverlap"]
    assert lines["encoding"]["x"]["field"] == points["encoding"]["x"]["field"] == "middle"
    assert lines["mark"]["invalid"] == "break-paths-show-domains"
    assert bars["encoding"]["y"]["title"] == "Tickets created"  # its own axis, under the lines
    assert "bar" not in {v["mark"]["type"] for v in layers(spec(charts.render_trend_chart(WEEKS)))}
    weeks = data_of(chart, bars)
    assert [(w["label"], w["starts"], w["start"], w["end"], w["tickets"]) for w in weeks] == [
        ("2023-W52", "Mon 25 Dec 2023", "2023-12-25", "2024-01-01", 1500),
        ("2024-W01", "Mon 1 Jan 2024", "2024-01-01", "2024-01-08", 0),
        ("2024-W02", "Mon 8 Jan 2024", "2024-01-08", "2024-01-15", 2)]
    assert weeks[0]["response"] == "1,234 of 1,500 met (82.3 %)"
    assert weeks[1]["response"] == "No outcome yet"
    response = [(p["label"], p["pct"]) for p in data_of(chart, lines)
                if p["kind"] == "Response SLA"]
    assert response == [("2023-W52", 1234 / 15), ("2024-W01", None), ("2024-W02", 50.0)]


def test_years_without_tickets_take_their_room_on_the_axis():
    rows = [week(dt.date(2017, 2, 6), 5, (4, 1), (3, 2)), week(dt.date(2026, 7, 6), 5, (5, 0),
                                                                 (5, 0))]
    bars = layers(spec(both(rows)))[0]
    assert bars["encoding"]["x"]["scale"]["domain"] == ["2017-02-06", "2026-07-13"]


def test_trend_by_month():
    rows = [week(dt.date(2023, 12, 1), 40, (30, 10), (20, 20), "month"),
            week(dt.date(2024, 2, 1), 8, (8, 0), (4, 0), "month")]
    chart = spec(both(rows, period="month"))
    bars = layers(chart)[0]
    assert bars["encoding"]["x"]["title"] == "Month"
    assert bars["encoding"]["x"]["axis"]["format"] == "%b %Y"
    assert [w["label"] for w in data_of(chart, bars)] == ["2023-12", "2024-01", "2024-02"]
    assert [w["end"] for w in data_of(chart, bars)] == ["2024-01-01", "2024-02-01", "2024-03-01"]
    assert bars["encoding"]["tooltip"][0] == {"field": "label", "type": "nominal",
                                              "title": "Month"}
    with pytest.raises(ValueError):
        charts.render_trend_chart(rows, period="day")
    with pytest.raises(ValueError):
        charts.render_volume_chart(rows, period="day")


def opacities(chart: dict) -> dict:
    """(week, SLA) -> the opacity its point is drawn with."""
    points = layers(chart)[2]
    opacity = points["encoding"]["opacity"]
    shade = dict(zip(opacity["scale"]["domain"], opacity["scale"]["range"]))
    return {(p["label"], p["kind"]): shade[p[opacity["field"]]] for p in data_of(chart, points)}


def test_trend_fades_points_under_the_minimum_sample():
    chart = spec(both(WEEKS))
    assert opacities(chart) == {("2023-W52", "Response SLA"): 1,
                                ("2023-W52", "Resolution SLA"): charts.FADED,
                                ("2024-W02", "Response SLA"): charts.FADED}
    legend = layers(chart)[2]["encoding"]["opacity"]
    assert legend["scale"]["domain"] == ["10+ tickets with an outcome",
                                         "Under 10 tickets with an outcome (faded)"]
    assert set(opacities(spec(both(WEEKS, min_sample=2))).values()) == {1}


def test_trend_tooltips_on_every_mark():
    chart = spec(both(WEEKS))
    for view in layers(chart):
        titles = [t["title"] for t in view["encoding"]["tooltip"]]
        assert titles == ["Week", "Starts", "Tickets created", "Response SLA", "Resolution SLA"]
        assert view["encoding"]["tooltip"][2]["format"] == ",d"
    lines = layers(chart)[1]
    assert lines["encoding"]["y"]["scale"] == {"domain": [0, 100]}
    assert lines["encoding"]["color"]["scale"]["domain"] == ["Response SLA", "Resolution SLA"]


def test_tooltips_everywhere(hand_rows):
    for chart in every_chart(hand_rows):
        for view in layers(spec(chart)):
            assert view["encoding"]["tooltip"], view


def test_trend_skips_weeks_without_outcomes():
    rows = [week(dt.date(2026, 3, 2), 3, (0, 0), (1, 1))]
    chart = spec(both(rows))
    line = layers(chart)[1]
    assert [v["kind"] for v in data_of(chart, line)] == ["Resolution SLA"]
    assert line["encoding"]["color"]["scale"]["domain"] == ["Resolution SLA"]  # no empty legend


def test_trend_without_any_outcome_is_the_volume_alone():
    rows = [week(dt.date(2026, 3, 2), 3, (0, 0), (0, 0))]
    chart = spec(both(rows))
    assert [view["mark"]["type"] for view in layers(chart)] == ["bar", "text"]
    assert is_message(charts.render_trend_chart(rows), "No SLA outcome in these tickets yet")


def test_trend_fills_the_width_and_keeps_its_height():
    """Streamlit's default autosize would fit the legends and axes into the height too."""
    for chart in (charts.render_trend_chart(WEEKS), charts.render_volume_chart(WEEKS)):
        assert spec(chart)["autosize"] == {"type": "fit-x", "contains": "padding"}


def test_sla_by_group_leaves_out_a_kind_nobody_has():
    """A file without response data: only the resolution panel is drawn."""
    rows = [{"team": "L1", "response_met": 0, "response_breached": 0, "response_sla_pct": None,
             "resolution_met": 3, "resolution_breached": 1, "resolution_sla_pct": 75.0}]
    chart = spec(charts.render_sla_by_group_chart(rows, "team"))
    assert {row["kind"] for row in chart["datasets"][chart["data"]["name"]]} == {"Resolution"}


def test_a_chart_showing_part_of_a_list_says_how_much():
    agents = [{"agent": f"Agent {n}", "score": 100 - n, "total_tickets": 10,
               "response_sla_pct": 90.0, "resolution_sla_pct": 80.0} for n in range(20)]
    assert spec(charts.render_leaderboard_chart(agents))["title"] == (
        "Top 15 of 20 agents with a score")
    assert "title" not in spec(charts.render_leaderboard_chart(agents[:15]))
    teams = [{**HELD[0], "team": f"T{n}"} for n in range(16)]
    assert spec(charts.render_handoff_chart(teams))["title"] == "Top 15 of 16 teams"


def test_long_hours_held_read_as_days_and_hours():
    held = [{**HELD[0], "hours_held": 3_853_796.0}]
    chart = spec(charts.render_handoff_chart(held))
    assert data_of(chart, layers(chart)[1])[0]["label"] == "160,574 d 20 h"
