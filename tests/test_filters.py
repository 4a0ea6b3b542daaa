"""One parser for every way in (``sla.core.filters``): the URL filter bar, the CLI and the API
hand it the same texts and get the same selection, or the same one-sentence refusal naming the
parameter."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.core import filters
from sla.core.filters import Filters, Known
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
    assert filters.parse({"team": ["Network", "Other"]}, Known(teams=desk)).teams == ("Network", "Other")
    with pytest.raises(ParamError) as refused:
        filters.parse({"team": ["L1"]}, Known(teams=desk))
    assert str(refused.value) == ("team must be one of Service Desk, Network, Other, "
                                  "Unassigned, not 'L1'.")


# Any parameter texts a link, a saved view or a command line could carry.
ANY_TEXTS = st.dictionaries(st.sampled_from(["from", "to", "team", "priority", "agent", "status",
                                             "q"]), st.lists(st.text(max_size=60), max_size=3))
HELD = Known(teams=("L1", "L2", "Other", "Unassigned"), priorities=("P1", "P2", "P3"),
             agents=("Ann", "Bob"))


@pytest.mark.parametrize(("texts", "param", "message"), [
    ({"priority": ["P9"]}, "priority", "priority must be one of P1, P2, P3 (those held), not 'P9'."),
    ({"agent": ["Zed"]}, "agent", "agent must be one of Ann, Bob (those held), not 'Zed'."),
    ({"team": ["L9"]}, "team", "team must be one of L1, L2, Other, Unassigned, not 'L9'."),
    ({"from": ["garbage"]}, "from", "from is not a date (YYYY-MM-DD): 'garbage'."),
])
def test_a_value_not_held_is_refused_naming_its_parameter(texts, param, message):
    with pytest.raises(ParamError) as refused:
        filters.parse(texts, HELD)
    assert (refused.value.param, str(refused.value)) == (param, message)


def test_many_agents_are_not_listed_in_the_message():
    many = Known(agents=tuple(f"agent {n}" for n in range(500)))
    with pytest.raises(ParamError) as refused:
        filters.parse({"agent": ["agent 9999"]}, many)
    assert str(refused.value) == "agent 'agent 9999' is not on any ticket held."


def test_every_problem_is_named_once_per_parameter_in_order():
    found = filters.problems({"team": ["L9"], "priority": ["ZZ"], "from": ["garbage"],
                              "agent": ["Ann"]}, HELD)
    assert [p.param for p in found] == ["from", "team", "priority"]


def test_an_empty_store_names_no_priority_or_agent_as_unknown():
    assert filters.parse({"priority": ["P1"], "agent": ["Ann"]}, Known(priorities=(), agents=())
                         ) == Filters(priorities=("P1",), agents=("Ann",))


@settings(max_examples=300, deadline=None)
@given(ANY_TEXTS)
def test_any_texts_parse_to_held_values_or_are_refused_naming_a_parameter(texts):
    try:
        chosen = filters.parse(texts, HELD)
    except ParamError as exc:
        assert exc.param in texts and str(exc).startswith(exc.param)
        assert "\n" not in str(exc)
        return
    assert set(chosen.teams) <= set(HELD.teams)
    assert set(chosen.priorities) <= set(HELD.priorities)
    assert set(chosen.agents) <= set(HELD.agents)


def test_the_previous_period_has_the_same_length_just_before():
    chosen = Filters(date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 31), teams=("L1",))
    assert chosen.previous_period() == Filters(date_from=dt.date(2026, 1, 29),
                                               date_to=dt.date(2026, 2, 28), teams=("L1",))
    assert Filters(date_from=dt.date(2026, 3, 1)).previous_period() is None


@pytest.mark.parametrize(("code", "expected"), [
    ("7d", (dt.date(2026, 5, 14), dt.date(2026, 5, 20))),
    ("30d", (dt.date(2026, 4, 21), dt.date(2026, 5, 20))),
    ("month", (dt.date(2026, 5, 1), dt.date(2026, 5, 20))),
    ("last_month", (dt.date(2026, 4, 1), dt.date(2026, 4, 30))),
    ("quarter", (dt.date(2026, 4, 1), dt.date(2026, 5, 20))),
    ("all", (None, None)),
])
def test_date_presets_count_back_from_the_last_day_held(code, expected):
    assert filters.preset_range(code, dt.date(2026, 5, 20)) == expected


@settings(max_examples=300, deadline=None)
@given(ANY_TEXTS)
def test_filters_read_back_from_their_own_texts(texts):
    """A saved view keeps ``Filters.texts()``; reading them gives the same filters."""
    try:
        chosen = filters.parse(texts, HELD)
    except ParamError:
        return
    assert filters.parse(chosen.texts(), HELD) == chosen


def test_what_no_longer_applies_is_left_out_and_named():
    texts = {"team": ["L1", "Gone team"], "agent": ["Ann", "Left Person"],
             "from": ["2026-13-01"], "to": ["2026-03-31"], "status": ["pending"]}
    applied, left_out = filters.applicable(texts, HELD)
    assert applied == Filters(date_to=dt.date(2026, 3, 31), teams=("L1",), agents=("Ann",),
                              status_class="pending")
    assert [problem.param for problem in left_out] == ["from", "team", "agent"]
    assert filters.applicable({"team": ["L2"]}, HELD) == (Filters(teams=("L2",)), [])


@settings(max_examples=300, deadline=None)
@given(ANY_TEXTS)
def test_any_view_opens_with_held_values_and_names_each_one_it_leaves_out(texts):
    applied, left_out = filters.applicable(texts, HELD)
    assert set(applied.teams) <= set(HELD.teams)
    assert set(applied.agents) <= set(HELD.agents)
    assert bool(left_out) == bool(filters.problems(texts, HELD))
    assert all(problem.param in texts for problem in left_out)
