"""Values from files shown as text: escaped for Markdown, without control characters, short."""

from __future__ import annotations

import pytest

from sla.core import display


@pytest.mark.parametrize("value", [
    "**x** [link](http://evil.example)",
    '=HYPERLINK("http://x","y")',
    ":red[alert] :smile: $x^2$ <b>bold</b> <http://x>",
    "# heading\n- item\n> quote",
    "www.example.com `code` ~~strike~~ | table |",
])
def test_markdown_specials_are_escaped(value):
    shown = display.literal(value, None).replace(display.WORD_JOINER, "")
    for position, char in enumerate(shown):
        if not char.isalnum() and not char.isspace() and char != "\\":
            assert shown[position - 1] == "\\", (value, shown)
    assert shown.replace("\\", "") == " ".join(value.split())


@pytest.mark.parametrize("value, broken", [
    ('=HYPERLINK("http://evil.example/x")', "http\u2060\\:"),
    ("Re-login: https://evil.example/sso", "https\u2060\\:"),
    ("see www.evil.example now", "www\u2060\\."),
    ("WWW.EVIL.EXAMPLE", "WWW\u2060\\."),
    ("mail ceo@evil.example", "ceo\u2060\\@"),
    ("mailto:ceo", "mailto\u2060\\:"),
])
def test_addresses_never_become_links(value, broken):
    """GitHub-flavoured Markdown links bare addresses by itself, escaped or not: a word joiner
    where the link would start keeps the text as it reads and shows no link."""
    shown = display.literal(value, None)
    assert broken in shown
    assert shown.replace(display.WORD_JOINER, "").replace("\\", "") == value


def test_bidi_and_control_characters_are_removed():
    assert display.clean("abc\u202edcba\u2066x\u2069\x07\x00") == "abcdcbax"
    assert display.clean("a\tb\r\nc") == "a b c"


def test_long_values_are_shortened_with_the_whole_on_demand():
    name = "A" * 5000
    assert len(display.clean(name)) == display.SHORT
    assert display.clean(name).endswith(display.ELLIPSIS)
    assert display.is_shortened(name) and not display.is_shortened("Ann")
    assert display.clean(name, None) == name


def test_none_is_empty():
    assert display.literal(None) == ""


@pytest.mark.parametrize("value, shown", [
    (None, "–"), (float("nan"), "–"), (0.3, "18 min"), (0.0, "0 min"), (1.0, "1.0 h"),
    (27.64, "27.6 h"), (47.9, "47.9 h"), (48, "2 d 0 h"), (94125.5, "3,921 d 22 h"),
    (-94121.5, "\u22123,921 d 18 h"), (-0.5, "\u221230 min"),
])
def test_hours_read_as_minutes_hours_or_days(value, shown):
    assert display.hours(value) == shown


def test_count_says_one_row_and_many_rows():
    assert display.count(1, "row") == "1 row"
    assert display.count(0, "row") == "0 rows"
    assert display.count(12345, "ticket") == "12,345 tickets"
    assert display.count(2, "entry", "entries") == "2 entries"


@pytest.mark.parametrize("item, shown", [
    (None, ""), (float("nan"), ""), (3.0, "3"), (1234.0, "1,234"), (2.25, "2.25"),
    (0.333333, "0.33"), (1234.5, "1,234.5"), ("None of these", "None of these"),
    (__import__("datetime").datetime(2026, 3, 4, 11, 0, 30), "2026-03-04 11:00"),
])
def test_value_as_a_table_cell(item, shown):
    assert display.value(item) == shown


def test_every_field_has_a_display_name():
    from sla.analytics import export
    for name in export.COLUMNS:
        assert display.label(name) != name
    assert display.label("some_new_field") == "Some new field"
