"""Values from files shown as text: escaped for Markdown, without control characters, short."""

from __future__ import annotations

import pytest

from sla import display


@pytest.mark.parametrize("value", [
    "**x** [link](http://evil.example)",
    '=HYPERLINK("http://x","y")',
    ":red[alert] :smile: $x^2$ <b>bold</b> <http://x>",
    "# heading\n- item\n> quote",
    "www.example.com `code` ~~strike~~ | table |",
])
def test_markdown_specials_are_escaped(value):
    shown = display.literal(value, None)
    for position, char in enumerate(shown):
        if not char.isalnum() and not char.isspace() and char != "\\":
            assert shown[position - 1] == "\\", (value, shown)
    assert shown.replace("\\", "") == " ".join(value.split())


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
