"""Holiday lists read from an uploaded file: iCalendar (.ics) and plain lists (.csv, .txt), and
the one-sentence messages for a file that cannot be used."""

from __future__ import annotations

import datetime as dt
import itertools
import textwrap
import time

import pytest
from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.ingest import holidays
from sla.ingest.holidays import MAX_BYTES, HolidayFileError, holidays_text, read_holidays

D = dt.date

MADRID_TIMEZONE = """\
BEGIN:VTIMEZONE
TZID:Europe/Madrid
X-LIC-LOCATION:Europe/Madrid
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""


def calendar(*events: str, timezone: str = MADRID_TIMEZONE) -> bytes:
    """An .ics file as a calendar program writes it (CRLF lines), around ``events``."""
    head = ("BEGIN:VCALENDAR\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\nVERSION:2.0\n"
            "CALSCALE:GREGORIAN\nMETHOD:PUBLISH\nX-WR-CALNAME:Festivos Madrid\n"
            "X-WR-TIMEZONE:Europe/Madrid\n")
    body = "".join(textwrap.dedent(event).strip() + "\n" for event in events)
    return (head + timezone + body + "END:VCALENDAR\n").replace("\n", "\r\n").encode()


def event(*lines: str, summary: str = "Festivo", uid: str = "") -> str:
    return "\n".join(["BEGIN:VEVENT", f"UID:{uid or summary}@example.org",
                      "DTSTAMP:20251201T090000Z", f"SUMMARY:{summary}", *lines, "END:VEVENT"])


def refusal(data: bytes, file_name: str) -> str:
    """The message ``read_holidays`` refuses the file with, checked to be one sentence."""
    with pytest.raises(HolidayFileError) as caught:
        read_holidays(data, file_name)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message and message.endswith(".")
    return message


# ---------------------------------------------------------------- iCalendar


def test_a_real_looking_calendar_gives_every_date_its_events_cover():
    data = calendar(
        event("DTSTART;VALUE=DATE:20260106", "DTEND;VALUE=DATE:20260107", summary="Día de Reyes"),
        event("DTSTART;VALUE=DATE:20260402", "DTEND;VALUE=DATE:20260405", summary="Semana Santa"),
        event("DTSTART;VALUE=DATE:20261225", "DTEND;VALUE=DATE:20261226",
              "RRULE:FREQ=YEARLY;COUNT=5", "EXDATE;VALUE=DATE:20281225", summary="Navidad"),
        # half past midnight in Madrid is still 30 April in UTC: the local date counts
        event("DTSTART;TZID=Europe/Madrid:20260501T003000",
              "DTEND;TZID=Europe/Madrid:20260501T233000", summary="Fiesta del Trabajo"),
        event("DTSTART:20260815T080000Z", "DURATION:PT1H", summary="Asunción"),
    )
    assert read_holidays(data, "festivos-madrid.ics") == [
        D(2026, 1, 6), D(2026, 4, 2), D(2026, 4, 3), D(2026, 4, 4), D(2026, 5, 1),
        D(2026, 8, 15), D(2026, 12, 25), D(2027, 12, 25), D(2029, 12, 25), D(2030, 12, 25)]


def test_an_outlook_time_zone_and_a_multi_day_duration():
    outlook_zone = MADRID_TIMEZONE.replace("Europe/Madrid", "Romance Standard Time")
    data = calendar(
        event("DTSTART;TZID=Romance Standard Time:20270101T003000",
              "DTEND;TZID=Romance Standard Time:20270101T020000", summary="Año Nuevo"),
        event("DTSTART;VALUE=DATE:20260810", "DURATION:P2D", summary="Cierre de agosto"),
        timezone=outlook_zone)
    assert read_holidays(data, "outlook.ICS") == [D(2026, 8, 10), D(2026, 8, 11), D(2027, 1, 1)]


def test_a_repeat_rule_without_an_end_runs_ten_years_from_its_start():
    data = calendar(event("DTSTART;VALUE=DATE:20261225", "RRULE:FREQ=YEARLY"))
    assert read_holidays(data, "x.ics") == [D(year, 12, 25) for year in range(2026, 2036)]


def test_until_is_inclusive_and_an_all_day_until_written_in_utc_keeps_the_last_date():
    by_date = calendar(event("DTSTART;VALUE=DATE:20261225", "RRULE:FREQ=YEARLY;UNTIL=20281225"))
    # Outlook writes the local midnight of 25 December 2028 in Madrid as 23:00 UTC the day before
    in_utc = calendar(event("DTSTART;VALUE=DATE:20261225",
                            "RRULE:FREQ=YEARLY;UNTIL=20281224T230000Z"))
    timed = calendar(event("DTSTART;TZID=Europe/Madrid:20260101T100000",
                           "RRULE:FREQ=DAILY;UNTIL=20260103T090000Z"))
    expected = [D(2026, 12, 25), D(2027, 12, 25), D(2028, 12, 25)]
    assert read_holidays(by_date, "x.ics") == expected
    assert read_holidays(in_utc, "x.ics") == expected
    assert read_holidays(timed, "x.ics") == [D(2026, 1, 1), D(2026, 1, 2), D(2026, 1, 3)]


def test_extra_moved_and_cancelled_instances():
    data = calendar(
        event("DTSTART;VALUE=DATE:20260301", "RRULE:FREQ=MONTHLY;COUNT=3",
              "RDATE;VALUE=DATE:20260320,20260321", "EXDATE;VALUE=DATE:20260401",
              summary="Cierre", uid="cierre"),
        event("RECURRENCE-ID;VALUE=DATE:20260501", "DTSTART;VALUE=DATE:20260504",
              summary="Cierre (moved)", uid="cierre"),
        event("DTSTART;VALUE=DATE:20260601", "STATUS:CANCELLED", summary="Cancelled"))
    assert read_holidays(data, "x.ics") == [D(2026, 3, 1), D(2026, 3, 20), D(2026, 3, 21),
                                            D(2026, 5, 4)]


def test_a_rule_that_never_matches_gives_its_start_only_and_soon():
    feb_30 = "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"
    data = calendar(event("DTSTART;VALUE=DATE:20260101", feb_30))
    started = time.perf_counter()
    assert read_holidays(data, "x.ics") == [D(2026, 1, 1)]
    assert time.perf_counter() - started < 2  # dateutil would search up to year 9999: seconds


def test_repeat_rules_that_take_too_long_are_refused(monkeypatch):
    monkeypatch.setattr(holidays, "EXPAND_SECONDS", 0.0)
    data = calendar(event("DTSTART;VALUE=DATE:20260101", "RRULE:FREQ=YEARLY"))
    assert refusal(data, "x.ics") == "x.ics has repeating events that take too long to work out."


def test_too_many_dates_are_refused():
    data = calendar(event("DTSTART;VALUE=DATE:20260101", "DTEND;VALUE=DATE:20360201"))
    assert (refusal(data, "x.ics")
            == "x.ics gives more than 3,660 dates, too many for a holiday list.")
    every_day = "\n".join(f"{D(2026, 1, 1) + dt.timedelta(days=n)}" for n in range(3661))
    assert "more than 3,660 dates" in refusal(every_day.encode(), "x.csv")


RULES = st.fixed_dictionaries(
    {"FREQ": st.sampled_from(["YEARLY", "MONTHLY", "WEEKLY", "DAILY"]),
     "INTERVAL": st.integers(1, 3)},
    optional={"COUNT": st.integers(1, 30), "BYMONTH": st.integers(1, 12),
              "BYMONTHDAY": st.integers(1, 28), "BYDAY": st.sampled_from(["MO", "FR", "SA,SU"])},
).filter(lambda parts: not {"BYDAY", "BYMONTHDAY"} <= set(parts))  # never a rule that can't match


@given(RULES, st.dates(D(1900, 1, 1), D(2100, 12, 31)))
@settings(max_examples=40, deadline=None)
def test_repeat_rules_give_what_dateutil_gives_for_ten_years(parts, start):
    """Worked out 400·k years later (near year 9999), a rule gives the same dates, moved back."""
    rule = ";".join(f"{key}={value}" for key, value in parts.items() if key != "COUNT")
    horizon = start + relativedelta(years=10)
    reference = rrulestr(rule, dtstart=dt.datetime.combine(start, dt.time())).replace(
        until=dt.datetime.combine(horizon, dt.time()))
    moments = itertools.islice(reference, parts.get("COUNT"))
    expected = {start} | {moment.date() for moment in moments if moment.date() < horizon}
    rrule_line = "RRULE:" + ";".join(f"{key}={value}" for key, value in parts.items())
    data = calendar(event(f"DTSTART;VALUE=DATE:{start:%Y%m%d}", rrule_line))
    assert read_holidays(data, "x.ics") == sorted(expected)


def test_a_file_that_is_not_icalendar_is_refused():
    assert (refusal(b"Date,Name\n2026-01-01,New Year\n", "spain.ics")
            == "spain.ics is not an iCalendar file (it should start with BEGIN:VCALENDAR).")
    assert "not an iCalendar file" in refusal(b"BEGIN:VEVENT\r\nEND:VEVENT\r\n", "spain.ics")
    assert refusal(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n", "spain.ics") == (
        "spain.ics is a damaged iCalendar file that cannot be read (export it again).")
    assert "damaged" in refusal(b"BEGIN:VCALENDAR\r\nthis is not a content line\r\n", "spain.ics")


def test_a_calendar_without_events_holds_no_dates():
    assert refusal(calendar(), "spain.ics") == "spain.ics holds no dates."


def test_an_event_that_cannot_be_read_is_named():
    broken_start = calendar(event("DTSTART;VALUE=DATE:2026-01-06", summary="Reyes"))
    hourly = calendar(event("DTSTART:20260105T090000Z", "RRULE:FREQ=HOURLY", summary="Stand-up"))
    bad_rule = calendar(event("DTSTART;VALUE=DATE:20260105", "RRULE:FREQ=YEARLY;BYEASTER=0"))
    no_interval = calendar(event("DTSTART;VALUE=DATE:20260105", "RRULE:FREQ=YEARLY;INTERVAL=0"))
    assert (refusal(broken_start, "x.ics")
            == "x.ics, event “Reyes”: the start date is missing or cannot be read.")
    assert refusal(hourly, "x.ics") == (
        "x.ics, event “Stand-up” repeats more often than once a day, which a holiday does not.")
    assert refusal(bad_rule, "x.ics").endswith("the repeat rule (RRULE) cannot be read.")
    assert refusal(no_interval, "x.ics").endswith("the repeat rule (RRULE) cannot be read.")


# ---------------------------------------------------------------- lists


def test_a_list_with_a_header_and_names():
    data = b"date,name\n2026-12-25,Christmas Day\n2026-01-01,New Year's Day\n2026-12-25,again\n"
    assert read_holidays(data, "holidays.csv") == [D(2026, 1, 1), D(2026, 12, 25)]


def test_a_list_of_dates_alone_without_a_header():
    data = b"2026-01-01\r\n\r\n06/01/2026\r\n   \r\n1.5.2026\r\n"
    assert read_holidays(data, "holidays.txt") == [D(2026, 1, 1), D(2026, 1, 6), D(2026, 5, 1)]


def test_semicolons_a_bom_and_names_holding_commas():
    data = "\ufeffFecha;Festivo\n06/01/2026;Reyes, Día de\n\"25.12.2026\";\"Navidad; 25\"\n"
    assert read_holidays(data.encode("utf-8"), "festivos.csv") == [D(2026, 1, 6), D(2026, 12, 25)]


def test_a_windows_1252_list_from_excel():
    data = "Fecha;Nombre\r\n06/01/2026;Día de Reyes\r\n12/10/2026;Fiesta Nacional de España\r\n"
    assert read_holidays(data.encode("cp1252"), "festivos.csv") == [D(2026, 1, 6), D(2026, 10, 12)]


def test_a_tab_separated_unicode_text_list_from_excel():
    data = "Datum\tFeiertag\n03.10.2026\tTag der Deutschen Einheit\n".encode("utf-16")
    assert read_holidays(data, "feiertage.txt") == [D(2026, 10, 3)]


def test_slashes_are_read_day_first_and_a_us_date_is_refused():
    assert read_holidays(b"03/04/2026\n", "h.csv") == [D(2026, 4, 3)]
    assert (refusal(b"date\n12/25/2026\n", "h.csv")
            == "h.csv, line 2: “12/25/2026” is not a date (use YYYY-MM-DD).")


def test_a_cell_that_is_not_a_date_is_named_with_its_line():
    data = b"date,name\n2026-01-01,New Year\n\n31/02/2026,Nonsense\n"
    assert (refusal(data, "holidays.csv")
            == "holidays.csv, line 4: “31/02/2026” is not a date (use YYYY-MM-DD).")
    long_value = "Christmas Eve afternoon only from two o'clock " * 3
    message = refusal(f"2026-01-01\n{long_value}\n".encode(), "holidays.csv")
    shown = message.split("“")[1].split("”")[0]
    assert message.startswith("holidays.csv, line 2: “Christmas Eve") and len(shown) == 40


def test_a_mistyped_date_in_the_first_row_is_not_taken_for_a_header():
    message = refusal(b"2026-13-01\n2026-12-25\n", "h.csv")
    assert message.startswith("h.csv, line 1: “2026-13-01”")


def test_a_name_without_a_date_is_refused():
    assert (refusal(b"2026-01-01;New Year\n;Epiphany\n", "h.csv")
            == "h.csv, line 2: the first column is empty (it should hold a date).")


# ---------------------------------------------------------------- files that cannot be used


@pytest.mark.parametrize(("data", "file_name"), [
    (b"", "holidays.csv"), (b"", "holidays.ics"), (b"  \r\n\r\n", "holidays.txt"),
    (b"\xef\xbb\xbf\n", "holidays.ics"), (b"date,name\n\n", "holidays.csv")])
def test_an_empty_file_holds_no_dates(data, file_name):
    assert refusal(data, file_name) == f"{file_name} holds no dates."


@pytest.mark.parametrize("file_name", ["holidays.xlsx", "holidays.pdf", "holidays", "ics"])
def test_a_wrong_extension_names_the_accepted_kinds(file_name):
    assert refusal(b"2026-01-01\n", file_name) == (
        f"{file_name} is not a kind of file holidays are read from: use an iCalendar file "
        f"(.ics) or a list of dates (.csv or .txt).")


def test_a_file_over_the_limit_is_refused_before_it_is_read():
    assert refusal(b"2026-01-01\n" + b" " * MAX_BYTES, "holidays.csv") == (
        "holidays.csv is too big for a holiday list (1,000,011 bytes; the limit is 1,000,000).")


@pytest.mark.parametrize("data", [bytes(range(256)), b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
                                  b"PK\x03\x04\x14\x00\x06\x00", b"\x81\x8d\x8f\x90\x9d"])
@pytest.mark.parametrize("file_name", ["holidays.csv", "holidays.ics"])
def test_garbage_bytes_are_refused(data, file_name):
    message = refusal(data, file_name)
    assert message.startswith(file_name)


def test_control_characters_in_a_file_name_do_not_reach_the_message():
    assert refusal(b"", "evil\x1b[31m\u202e.csv") == "evil[31m.csv holds no dates."


@given(st.binary(max_size=300), st.sampled_from(["h.csv", "h.txt", "h.ics"]))
@settings(max_examples=150, deadline=None)
def test_any_bytes_give_dates_or_a_holiday_file_error(data, file_name):
    try:
        read_holidays(data, file_name)
    except HolidayFileError as error:
        assert "\n" not in str(error)


@given(st.lists(st.sampled_from([
    "BEGIN:VEVENT", "END:VEVENT", "DTSTART;VALUE=DATE:20260101", "DTSTART:2026", "DTEND:x",
    "RRULE:FREQ=WEEKLY;COUNT=3", "RRULE:FREQ=;", "RRULE:FREQ=YEARLY;UNTIL=1", "EXDATE:20260101",
    "EXDATE;VALUE=DATE:x", "RDATE;VALUE=PERIOD:20260105T000000Z/PT1H", "DURATION:P1W",
    "DURATION:x", "RECURRENCE-ID:20260101", "UID:a", "BEGIN:VTODO", "END:VTODO", "X: y"]),
    max_size=12))
@settings(max_examples=150, deadline=None)
def test_any_calendar_lines_give_dates_or_a_holiday_file_error(lines):
    data = "\r\n".join(["BEGIN:VCALENDAR", *lines, "END:VCALENDAR", ""]).encode()
    try:
        read_holidays(data, "h.ics")
    except HolidayFileError as error:
        assert "\n" not in str(error)


def test_holidays_text_is_what_the_settings_store_keeps():
    assert holidays_text([D(2026, 12, 25), D(2026, 1, 6), D(2026, 12, 25)]) == [
        "2026-01-06", "2026-12-25"]
    assert holidays_text([]) == []
