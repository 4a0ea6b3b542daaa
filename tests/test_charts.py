"""Chart functions: valid Vega-Lite, one colour meaning for met / breached, empty inputs."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pytest

from sla import charts, metrics, store
from tests.handset import hand_bytes


@pytest.fixture
def hand_rows(db):
    """Metric rows of the hand-checked set, as the pages pass them to the charts."""
    store.import_file(db, hand_bytes(), "hand.csv")
    return {"summary": metrics.summary(db), "teams": metrics.teams(db),
            "agents": metrics.agents(db), "trend": metrics.trend(db),
            "priorities": metrics.priorities(db)}


def spec(chart: alt.TopLevelMixin) -> dict:
    return chart.to_dict()  # validates against the Vega-Lite schema


def test_every_chart_renders_from_metric_rows(hand_rows):
    built = [charts.render_pending_by_team_chart(hand_rows["summary"]["pending_by_team"]),
             charts.render_sla_by_group_chart(hand_rows["teams"], "team"),
             charts.render_trend_chart(hand_rows["trend"]),
             charts.render_priority_chart(hand_rows["priorities"]),
             charts.render_leaderboard_chart(hand_rows["agents"]),
             charts.render_comparison_chart(hand_rows["agents"][0], hand_rows["teams"][0], "L1")]
    for chart in built:
        assert isinstance(chart, alt.TopLevelMixin)
        spec(chart)


def test_met_and_breached_keep_their_colours(hand_rows):
    chart = spec(charts.render_sla_by_group_chart(hand_rows["teams"], "team"))
    scale = chart["encoding"]["color"]["scale"]
    assert scale == {"domain": ["met", "breached"], "range": [charts.MET, charts.BREACHED]}
    values = chart["datasets"][chart["data"]["name"]]
    l1 = {(v["sla"], v["outcome"]): v["tickets"] for v in values if v["team"] == "L1"}
    assert l1 == {("Response", "met"): 4, ("Response", "breached"): 1,
                  ("Resolution", "met"): 3, ("Resolution", "breached"): 1}


def test_tooltips_everywhere(hand_rows):
    chart = spec(charts.render_trend_chart(hand_rows["trend"]))
    assert all("tooltip" in layer["encoding"] for layer in chart["layer"])
    chart = spec(charts.render_pending_by_team_chart(hand_rows["summary"]["pending_by_team"]))
    assert chart["encoding"]["tooltip"]


def test_empty_inputs_give_a_message_not_an_error():
    for chart in (charts.render_sla_by_group_chart([], "team"), charts.render_trend_chart([]),
                  charts.render_priority_chart([]), charts.render_leaderboard_chart([])):
        assert chart.to_dict()["mark"]["type"] == "text"


def test_trend_skips_weeks_without_outcomes():
    rows = [{"week": "2026-W10", "week_start": dt.date(2026, 3, 2), "tickets": 3,
             "response_sla_pct": None, "resolution_sla_pct": 50.0}]
    chart = spec(charts.render_trend_chart(rows))
    line = chart["layer"][1]
    assert [v["sla"] for v in chart["datasets"][line["data"]["name"]]] == ["Resolution"]
