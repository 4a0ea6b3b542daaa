"""One parser for every way in (``sla.core.filters``): the URL filter bar, the CLI and the API
hand it the same texts and get the same selection, or the same one-sentence refusal naming the
parameter."""

from __future__ import annotations

import datetime as dt

import pytest

from sla.core import filters
from sla.core.filters import Filters
from sla.core.params import ParamError


def test_texts_become_one_selection():
    chosen = filters.parse({"from": ["2026-03-01"], "to": ["2026-03-31"], "team": ["L1", "L2"],
                            "priority": ["P3"], "agent": ["Ann"], "status": ["pending"],
                            "q": ["  printer  "]})
    assert chosen == Filters(date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 31),
                             teams=("L1", "L2"), priorities=("P3",), agents=("Ann",),
                             status_class="pending", search="printer")
    assert filters.parse({}) == Filters()


def test_a_form_s_values_read_as_the_same_texts():
    """The filter bar's widgets give dates and lists; as texts they parse to the same value."""
    typed = {"from": dt.date(2026, 3, 1), "to": None, "team": ["L2"], "priority": [],
             "agent": [], "status": None, "q": "  "}
    assert filters.texts_of(typed) == {"from": ["2026-03-01"], "team": ["L2"]}
    assert filters.parse(filters.texts_of(typed)) == filters.parse({"from": ["2026-03-01"],
                                                                    "team": ["L2"]})


@pytest.mark.parametrize("texts, param, says", [
    ({"team": ["L9"]}, "team", "team must be one of L1, L2, Business, Other, Unassigned"),
    ({"status": ["open"]}, "status", "status must be one of resolved, pending"),
    ({"from": ["9/3/2026"]}, "from", "from is not a date (YYYY-MM-DD)"),
    ({"from": ["20260301"]}, "from", "from is not a date (YYYY-MM-DD)"),
    ({"to": ["9999-12-31"]}, "to", "to must be a day from 1900-01-01 to 2199-12-31"),
    ({"from": ["2026-03-02"], "to": ["2026-03-01"]}, "from", "from must not be after to"),
    ({"status": ["pending", "resolved"]}, "status", "status may be given once only"),
    ({"agent": [" "]}, "agent", "agent must be 1 to 200 characters"),
])
def test_a_bad_text_is_refused_in_one_sentence_naming_its_parameter(texts, param, says):
    with pytest.raises(ParamError) as refused:
        filters.parse(texts)
    assert refused.value.param == param
    assert str(refused.value).startswith(says) and str(refused.value).endswith(".")
    assert "\n" not in str(refused.value)


def test_the_description_says_what_is_shown_with_values_escaped():
    assert Filters().describe("2026-01-01 – 2026-03-31") == \
        "Showing all tickets (2026-01-01 – 2026-03-31). Open Filters to narrow down."
    shown = Filters(teams=("L2",), agents=("**Ann**",), status_class="pending",
                    search="http://x.example").describe("")
    assert shown.startswith("Filtered: team L2 · agent \\*\\*Ann\\*\\* · pending · search “")
    assert "http\u2060\\:" in shown


def test_the_team_filter_takes_the_desks_own_teams():
    desk = ("Service Desk", "Network", "Other", "Unassigned")
    assert filters.parse({"team": ["Network", "Other"]}, desk).teams == ("Network", "Other")
    with pytest.raises(ParamError) as refused:
        filters.parse({"team": ["L1"]}, desk)
    assert str(refused.value) == ("team must be one of Service Desk, Network, Other, "
                                  "Unassigned, not 'L1'.")
