"""Business-hours calendars: parsing and writing working hours, checking a calendar, and the
working clock (hand-worked cases, daylight-saving nights, the built-in 24x7, and properties
that hold for any calendar)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.core.calendars import (
    ALWAYS,
    ALWAYS_CALENDAR,
    CalendarError,
    WorkingClock,
    calendar_problems,
    hours_text,
    normalised,
    parse_hours,
)

OFFICE = ["Mon-Fri 08:00-18:00"]
LUNCH = ["Mon-Fri 08:00-12:00 13:00-17:00"]
ZONES = ["UTC", "Europe/Madrid", "America/New_York", "Asia/Kolkata"]
# Local dates on which clocks change in Madrid or New York, 2025-2027.
CHANGE_DAYS = ["2025-03-09", "2025-03-30", "2025-10-26", "2025-11-02", "2026-03-08",
               "2026-03-29", "2026-10-25", "2026-11-01", "2027-03-14", "2027-03-28",
               "2027-10-31", "2027-11-07"]
TOLERANCE = 1e-9  # hours


def calendar(hours: list[str], zone: str = "UTC", holidays: tuple[str, ...] = (),
             name: str = "Office") -> dict:
    return {"name": name, "timezone": zone, "hours": hours, "holidays": list(holidays)}


def clock(hours: list[str], zone: str = "UTC", holidays: tuple[str, ...] = ()) -> WorkingClock:
    return WorkingClock(calendar(hours, zone, holidays))


def times(*texts: str | None) -> np.ndarray:
    return np.array(["NaT" if text is None else text for text in texts], dtype="datetime64[ns]")


def between(working: WorkingClock, start: str | None, end: str | None) -> float:
    return float(working.hours_between(times(start), times(end))[0])


def instants(values: np.ndarray, zone: str) -> np.ndarray:
    """UTC nanoseconds of naive local times, the way the clock reads them (a wall time in the
    gap as the instant after it, a repeated one as its earlier reading)."""
    index = pd.DatetimeIndex(values).tz_localize(zone, ambiguous=np.ones(len(values), bool),
                                                 nonexistent="shift_forward")
    return index.asi8


def repeated(values: np.ndarray, zone: str) -> np.ndarray:
    """Which naive local times happen twice (the hour clocks go back)."""
    return pd.DatetimeIndex(values).tz_localize(zone, ambiguous="NaT",
                                              nonexistent="shift_forward").isna()


# ---------------------------------------------------------------- hand-worked hours

@pytest.mark.parametrize(("start", "end", "hours"), [
    ("2026-03-06T16:00", "2026-03-09T10:00", 4.0),     # Fri 16:00 -> Mon 10:00, weekend inside
    ("2026-03-06T16:00", "2026-03-16T10:00", 54.0),    # and a whole working week more
    ("2026-03-10T17:00", "2026-03-11T09:00", 2.0),     # overnight
    ("2026-03-07T10:00", "2026-03-09T09:30", 1.5),     # created on Saturday
    ("2026-03-09T09:00", "2026-03-09T09:45", 0.75),    # inside one window
    ("2026-03-09T06:00", "2026-03-09T20:00", 10.0),    # a whole day from outside it
    ("2026-03-07T00:00", "2026-03-08T23:59", 0.0),     # a weekend
])
def test_office_hours(start, end, hours):
    assert between(clock(OFFICE), start, end) == pytest.approx(hours, abs=TOLERANCE)


def test_a_holiday_has_no_working_time():
    working = clock(OFFICE, holidays=("2026-03-09",))
    assert between(working, "2026-03-06T16:00", "2026-03-10T10:00") == pytest.approx(4.0)
    assert between(working, "2026-03-09T08:00", "2026-03-09T18:00") == 0.0


def test_lunch_splits_the_day():
    assert between(clock(LUNCH), "2026-03-09T11:00", "2026-03-09T14:00") == pytest.approx(2.0)
    assert between(clock(LUNCH), "2026-03-09T12:10", "2026-03-09T12:50") == 0.0


@pytest.mark.parametrize(("day", "hours"), [("2026-03-29", 5.0), ("2026-10-25", 7.0),
                                            ("2026-03-22", 6.0)])
def test_a_daylight_saving_night_counts_real_time(day, hours):
    working = clock(["Sun 00:00-06:00"], "Europe/Madrid")
    assert between(working, f"{day}T00:00", f"{day}T23:00") == pytest.approx(hours)


def test_office_days_across_the_daylight_saving_weekends_stay_ten_hours():
    working = clock(OFFICE, "Europe/Madrid")
    for friday, monday in [("2026-03-27", "2026-03-30"), ("2026-10-23", "2026-10-26")]:
        assert between(working, f"{friday}T00:00", f"{monday}T23:59") == pytest.approx(20.0)


def test_a_repeated_hour_counts_twice_on_a_whole_day_clock():
    working = clock(["Mon-Sun 00:00-24:00"], "Europe/Madrid")
    assert between(working, "2026-10-25T00:00", "2026-10-26T00:00") == pytest.approx(25.0)
    assert between(working, "2026-03-29T00:00", "2026-03-30T00:00") == pytest.approx(23.0)


def test_no_time_before_the_start_and_unknown_times_give_nan():
    working = clock(OFFICE)
    hours = working.hours_between(times("2026-03-09T10:00", "2026-03-09T10:00", None,
                                        "2026-03-09T10:00"),
                                  times("2026-03-09T10:00", "2026-03-09T09:00",
                                        "2026-03-09T11:00", None))
    assert hours[:2].tolist() == [0.0, 0.0]
    assert np.isnan(hours[2:]).all()


def test_any_kind_of_time_column_and_no_rows():
    working = clock(OFFICE)
    start = pd.Series(pd.to_datetime(["2026-03-06 16:00"])).astype("datetime64[s]")
    end = pd.DatetimeIndex(["2026-03-09 10:00"]).as_unit("us")
    assert working.hours_between(start, end).tolist() == [4.0]
    empty = np.array([], dtype="datetime64[ms]")
    assert working.hours_between(empty, empty).dtype == np.float64
    assert len(working.add_hours(empty, np.array([]))) == 0


def test_aware_times_are_read_in_the_calendars_zone():
    working = clock(OFFICE, "Europe/Madrid")
    start = pd.DatetimeIndex(["2026-03-06 15:00"]).tz_localize("UTC")  # 16:00 in Madrid
    assert working.hours_between(start, times("2026-03-09T10:00")).tolist() == [4.0]


def test_dates_centuries_apart_are_not_measured_and_do_not_stop_the_others():
    """A span of more than 50 years is an error of the file: unknown, not working time. A
    batch whose tickets lie centuries apart is measured part by part."""
    office = clock(OFFICE)
    assert np.isnan(office.hours_between(times("1800-01-01"), times("2026-01-01"))).all()
    hours = office.hours_between(times("1901-03-01T08:00", "2026-03-06T16:00"),
                                 times("1901-03-01T10:00", "2026-03-09T10:00"))
    assert hours.tolist() == [2.0, 4.0]  # 1 March 1901 was a Friday
    due = office.add_hours(times("1901-03-01T08:00", "2026-03-06T16:00"), [2.0, 4.0])
    assert due.tolist() == times("1901-03-01T10:00", "2026-03-09T10:00").tolist()
    assert np.isnat(office.add_hours(times("2026-03-06T16:00"), [1e9])).all()


# ---------------------------------------------------------------- deadlines

@pytest.mark.parametrize(("start", "hours", "due"), [
    ("2026-03-06T16:00", 4.0, "2026-03-09T10:00"),    # Fri 16:00 + 4 h = Mon 10:00
    ("2026-03-06T16:00", 2.0, "2026-03-06T18:00"),    # the end of a window, not the next start
    ("2026-03-07T11:00", 1.5, "2026-03-09T09:30"),    # from a Saturday
    ("2026-03-09T10:00", 0.0, "2026-03-09T10:00"),
    ("2026-03-07T11:00", 0.0, "2026-03-07T11:00"),    # a zero target is due at once
    ("2026-03-09T07:00", 10.0, "2026-03-09T18:00"),
])
def test_deadlines(start, hours, due):
    assert clock(OFFICE).add_hours(times(start), [hours]).tolist() == times(due).tolist()


def test_a_deadline_from_a_holiday_starts_counting_the_next_working_day():
    working = clock(OFFICE, holidays=("2026-03-09",))
    assert working.add_hours(times("2026-03-09T09:00"), [3.0])[0] == times("2026-03-10T11:00")


def test_unknown_or_negative_targets_have_no_deadline():
    due = clock(OFFICE).add_hours(times(None, "2026-03-09T09:00", "2026-03-09T09:00",
                                        "2026-03-09T09:00"), [1.0, np.nan, np.inf, -1.0])
    assert np.isnat(due).all() and due.dtype == np.dtype("datetime64[ns]")


def test_a_long_target_reaches_past_the_dates_asked_about():
    working = clock(["Sat 09:00-10:00"], "Europe/Madrid", holidays=("2026-03-14",))
    start = times("2026-03-09T09:00", "2026-03-09T09:00")
    due = working.add_hours(start, [2.0, 500.0])
    assert due[0] == times("2026-03-28T10:00")  # 03-14 is a holiday
    assert working.hours_between(start, due) == pytest.approx([2.0, 500.0], abs=TOLERANCE)


# ---------------------------------------------------------------- the built-in 24x7

def test_the_built_in_calendar():
    assert ALWAYS == "24x7" and ALWAYS_CALENDAR["name"] == ALWAYS
    assert WorkingClock.always().is_always and WorkingClock(ALWAYS_CALENDAR).is_always
    assert not clock(OFFICE).is_always
    assert calendar_problems(ALWAYS_CALENDAR)  # its name is reserved for the built-in one


@pytest.mark.parametrize("units", [("ns", "ns"), ("s", "us"), ("ms", "ns")])
def test_24x7_is_plain_subtraction_to_the_bit(units):
    rng = np.random.default_rng(7)
    start = np.datetime64("2020-01-01", "ns") + rng.integers(0, 10**17, 2000).astype("m8[ns]")
    end = start + rng.integers(0, 10**16, 2000).astype("m8[ns]")
    start, end = start.astype(f"M8[{units[0]}]"), end.astype(f"M8[{units[1]}]")
    start[::50] = np.datetime64("NaT")
    expected = (pd.Series(end) - pd.Series(start)) / np.timedelta64(1, "h")
    hours = WorkingClock.always().hours_between(pd.Series(start), end)
    np.testing.assert_array_equal(hours, expected.to_numpy())
    assert WorkingClock.always().hours_between(end[:5], start[:5]).tolist()[1:] == [0.0] * 4


def test_24x7_deadlines_are_start_plus_hours():
    rng = np.random.default_rng(8)
    start = np.datetime64("2026-01-01", "ns") + rng.integers(0, 10**16, 500).astype("m8[ns]")
    hours = rng.uniform(0, 1000, 500)
    expected = (pd.Series(start) + pd.to_timedelta(hours, unit="h")).to_numpy()
    np.testing.assert_array_equal(WorkingClock.always().add_hours(start, hours), expected)


# ---------------------------------------------------------------- working hours as text

@pytest.mark.parametrize(("spec", "days", "windows"), [
    ("Mon-Fri 08:00-18:00", [0, 1, 2, 3, 4], [(480, 1080)]),
    ("Sat-Mon 9:00-13:00", [5, 6, 0], [(540, 780)]),
    ("mon,WED,Friday 08:00-12:00,13:00-17:00", [0, 2, 4], [(480, 720), (780, 1020)]),
    ("Sun 00:00-24:00", [6], [(0, 1440)]),
    ("Tue - Thu  22:00 - 24:00", [1, 2, 3], [(1320, 1440)]),
    (" Sat, Sun, 10:00-11:00, ", [5, 6], [(600, 660)]),
])
def test_valid_hours(spec, days, windows):
    assert parse_hours(spec) == sorted((d, s, e) for d in days for s, e in windows)


@pytest.mark.parametrize(("spec", "bad"), [
    ("Mon-Fri 18:00-08:00", "“18:00-08:00” is not a working window"),
    ("Mon 08:00-25:00", "“25:00” is not a time of day"),
    ("Mon 08:00-12:60", "“12:60” is not a time of day"),
    ("Mox-Fri 08:00-12:00", "“Mox-Fri” is not a day or range of days"),
    ("Mon-Fri", "“Mon-Fri” has no working window"),
    ("08:00-12:00", "“08:00-12:00” does not start with days"),
    ("Mon 8-17", "“8-17” is not a working window"),
    ("Mon 08:00-12:00 Tue", "“Tue” is not a working window"),
    ("Mon 24:00-24:00", "“24:00-24:00” is not a working window"),
    ("", "“” is not a line of working hours"),
    ("  \n ", "“” is not a line of working hours"),
    (" , ", "“,” does not start with days"),
])
def test_bad_hours_are_named_in_one_sentence(spec, bad):
    with pytest.raises(CalendarError) as caught:
        parse_hours(spec)
    message = str(caught.value)
    assert message.startswith(bad) and "\n" not in message and message.endswith(".")


def test_hours_text_is_compact():
    windows = parse_hours("Mon-Fri 08:00-12:00 13:00-17:00") + parse_hours("Sat 09:00-13:00")
    assert hours_text(windows) == ["Mon-Fri 08:00-12:00 13:00-17:00", "Sat 09:00-13:00"]
    assert hours_text(parse_hours("Sat-Mon 9:00-10:00")) == ["Sat-Mon 09:00-10:00"]
    assert hours_text(parse_hours("Fri,Mon,Wed 9:00-10:00")) == ["Mon,Wed,Fri 09:00-10:00"]
    assert hours_text(parse_hours("Sun-Tue,Thu 00:00-24:00")) == ["Sun-Tue,Thu 00:00-24:00"]
    assert hours_text(parse_hours("Mon-Sun 8:00-9:00 8:30-10:00")) == ["Mon-Sun 08:00-10:00"]


def covered(windows) -> np.ndarray:
    """The working minutes of a week, as a 7 x 1440 grid."""
    grid = np.zeros((7, 1440), bool)
    for day, start, end in windows:
        grid[day, start:end] = True
    return grid


window_lists = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 1439)).flatmap(
        lambda first: st.tuples(st.just(first[0]), st.just(first[1]),
                                st.integers(first[1] + 1, 1440))),
    min_size=1, max_size=8)


@settings(max_examples=150, deadline=None)
@given(window_lists)
def test_hours_text_round_trips(windows):
    lines = hours_text(windows)
    assert np.array_equal(covered(w for line in lines for w in parse_hours(line)),
                          covered(windows))
    assert len({line.split()[0] for line in lines}) == len(lines)


# ---------------------------------------------------------------- checking a calendar

def test_a_good_calendar_has_no_problems_and_a_stored_form():
    madrid = {"name": "  Madrid office ", "timezone": "Europe/Madrid",
              "hours": ["Mon-Fri 08:00-12:00", "Mon-Fri 13:00-17:00", "Sat 09:00-13:00",
                        "Mon 11:00-14:00"],
              "holidays": ["2026-12-25", "2026-04-03", "2026-12-25"]}
    assert calendar_problems(madrid) == []
    assert normalised(madrid) == {
        "name": "Madrid office", "timezone": "Europe/Madrid",
        "hours": ["Mon 08:00-17:00", "Tue-Fri 08:00-12:00 13:00-17:00", "Sat 09:00-13:00"],
        "holidays": ["2026-04-03", "2026-12-25"]}


@pytest.mark.parametrize(("changes", "problem"), [
    ({"name": " "}, "A calendar needs a name."),
    ({"name": "24X7"}, "“24x7” is the name of the built-in calendar"),
    ({"name": "Madrid"}, "“Madrid” is already the name of another calendar."),
    ({"timezone": "Europe/Madird"}, "“Europe/Madird” is not a time zone (use a name such as "
                                    "Europe/Madrid or UTC)."),
    ({"timezone": None}, "“None” is not a time zone"),
    ({"hours": ["Mon-Fri 08:00-17:00", "Mox-Fri 08:00-12:00"]}, "“Mox-Fri” is not a day"),
    ({"hours": []}, "A calendar needs at least one working window"),
    ({"hours": "Mon-Fri 08:00-17:00"}, "Working hours must be a list"),
    ({"holidays": ["2026-02-30"]}, "“2026-02-30” is not a date (use YYYY-MM-DD"),
    ({"holidays": ["25/12/2026"]}, "“25/12/2026” is not a date"),
    ({"holidays": "2026-12-25"}, "Holidays must be a list of dates"),
])
def test_calendar_problems_one_sentence_each(changes, problem):
    problems = calendar_problems({**calendar(OFFICE), **changes}, known_names=["madrid "])
    assert len(problems) == 1 and problems[0].startswith(problem)


def test_an_invalid_calendar_is_refused_with_its_first_problem():
    bad = calendar(["Mox-Fri 08:00-12:00"], "Mars/Olympus")
    with pytest.raises(CalendarError, match="^“Mars/Olympus” is not a time zone"):
        normalised(bad)
    with pytest.raises(CalendarError, match="^“Mars/Olympus” is not a time zone"):
        WorkingClock(bad)


def test_holidays_may_be_left_out():
    assert calendar_problems({"name": "x", "timezone": "UTC", "hours": OFFICE}) == []


# ---------------------------------------------------------------- properties

random_calendars = st.builds(
    lambda windows, zone, holidays: calendar(hours_text(windows), zone,
                                             tuple(day.isoformat() for day in holidays)),
    window_lists.map(lambda ws: [(d, 15 * (s // 15), max(15 * (e // 15), 15 * (s // 15) + 15))
                                 for d, s, e in ws]),
    st.sampled_from(ZONES),
    st.lists(st.dates(dt.date(2025, 1, 1), dt.date(2027, 12, 31)), max_size=20))
any_second = st.integers(0, 3 * 365 * 86400).map(
    lambda second: np.datetime64("2025-01-01", "ns") + np.timedelta64(second, "s"))
near_a_change = st.tuples(st.sampled_from(CHANGE_DAYS), st.integers(0, 5 * 4)).map(
    lambda pair: np.datetime64(pair[0], "ns") + np.timedelta64(15 * pair[1], "m"))
some_times = st.lists(st.one_of(any_second, near_a_change), min_size=2, max_size=8).map(
    lambda values: np.sort(np.array(values, dtype="datetime64[ns]")))


@settings(max_examples=150, deadline=None)
@given(random_calendars, some_times)
def test_working_time_adds_up_and_never_beats_real_time(cal, values):
    working = WorkingClock(cal)
    steps = working.hours_between(values[:-1], values[1:])
    whole = working.hours_between(values[:1], values[-1:])[0]
    assert whole == pytest.approx(steps.sum(), abs=TOLERANCE)
    real = np.diff(instants(values, cal["timezone"])) / 3.6e12
    assert (steps >= 0).all() and (steps <= real + TOLERANCE).all()


@settings(max_examples=150, deadline=None)
@given(random_calendars, some_times, st.lists(st.one_of(st.just(0.0), st.floats(0, 300)),
                                              min_size=8, max_size=8))
def test_a_deadline_is_reached_after_exactly_its_hours(cal, values, hours):
    working = WorkingClock(cal)
    hours = np.array(hours[:len(values)])
    due = working.add_hours(values, hours)
    measured = working.hours_between(values, due)
    exact = ~repeated(due, cal["timezone"])  # a repeated wall time reads as its earlier pass
    np.testing.assert_allclose(measured[exact], hours[exact], rtol=0, atol=TOLERANCE)
    assert (measured <= hours + TOLERANCE).all()


@settings(max_examples=150, deadline=None)
@given(some_times)
def test_24x7_is_wall_time(values):
    hours = WorkingClock.always().hours_between(values[:1].repeat(len(values)), values)
    assert hours.tolist() == ((values - values[0]) / np.timedelta64(1, "h")).tolist()
